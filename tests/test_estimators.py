"""Behaviour of the public estimators: targets, dtypes, determinism, techniques.

The tests build on scikit-learn's configuration (``like_sklearn``), so that each technique is
tested alone; the defaults (the tabular recipe) have their own tests in ``test_recipe.py``."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


ALL_FEATURES = dict(
    hidden_layer_sizes=(16, 8),
    dropout=(0.1, 0.2),
    input_dropout=0.05,
    batch_normalization=True,
    penalty="elasticnet",
    alpha=1e-3,
    solver="adamw",
    activation="elu",
    weight_init="he_normal",
    max_iter=20,
    random_state=0,
)


def test_accepts_every_sklearn_mlp_parameter(iris):
    X, y = iris
    # Through the constructor (on top of the recipe's other parts, whose NTK parametrization
    # trains slowly at scikit-learn's rate: it fits, nothing more is promised) and through
    # like_sklearn (scikit-learn's model).
    params = MLPClassifier(max_iter=30, random_state=0).get_params()
    for make in (RegularizedMLPClassifier, RegularizedMLPClassifier.like_sklearn):
        clf = make(**params)
        assert clf.get_params()["learning_rate_init"] == 0.001
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        assert set(clf.predict(X)) <= set(clf.classes_)
        assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.score(X, y) > 0.6
    for make in (RegularizedMLPRegressor, RegularizedMLPRegressor.like_sklearn):
        reg = make(**MLPRegressor().get_params())
        assert reg.get_params()["loss"] == "squared_error"


def _counts(n=400, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    return X, rng.poisson(np.exp(0.6 * X[:, 0] - 0.4 * X[:, 1] + 1.0)).astype(float)


def test_poisson_without_hidden_nonlinearity_is_the_poisson_glm():
    from sklearn.linear_model import PoissonRegressor

    # One identity unit: the network is exp(X w + b), the unpenalized GLM's model, and
    # lbfgs finds its optimum (whatever the target scaling).
    X, y = _counts()
    glm = PoissonRegressor(alpha=0.0, tol=1e-8).fit(X, y)
    reg = RegularizedMLPRegressor.like_sklearn(
        loss="poisson", hidden_layer_sizes=(1,), activation="identity", alpha=0.0,
        solver="lbfgs", tol=1e-8, random_state=0,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(reg.predict(X), glm.predict(X), rtol=1e-4)
    assert reg.out_activation_ == "exp"
    # Scaled by the mean, never centred.
    np.testing.assert_allclose(reg.target_scale_, y.mean())
    np.testing.assert_array_equal(reg.target_mean_, 0.0)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_poisson_loss_beats_the_mean_and_predicts_positive_values(solver):
    from sklearn.metrics import mean_poisson_deviance

    X, y = _counts()
    X_test, y_test = _counts(seed=1)
    reg = RegularizedMLPRegressor.like_sklearn(
        loss="poisson", solver=solver, hidden_layer_sizes=(16,), max_iter=300, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    pred = reg.predict(X_test)
    assert (pred > 0).all()
    baseline = mean_poisson_deviance(y_test, np.full_like(y_test, y.mean()))
    assert mean_poisson_deviance(y_test, pred) < 0.6 * baseline
    # The recorded loss is half the deviance of the scaled targets (0 for a perfect fit).
    assert 0.0 < reg.loss_ < 0.5 * baseline / y.mean()


def test_poisson_loss_checks_its_targets():
    X, y = _counts(50)
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        RegularizedMLPRegressor(loss="poisson").fit(X, y - 1.0)
    reg = RegularizedMLPRegressor.like_sklearn(loss="poisson", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    with pytest.raises(ValueError, match="fitted with loss='poisson'.*loss='squared_error'"):
        reg.set_params(loss="squared_error").partial_fit(X, y)


@pytest.mark.parametrize("labels", [["a", "b", "c"], [3, 7, 11], [True, False]])
def test_classifier_label_types(iris, labels):
    X, y = iris
    if len(labels) == 2:
        y = y > 0
    else:
        y = np.asarray(labels)[y]
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=200, random_state=0).fit(X, y)
    assert set(clf.classes_) == set(np.unique(y))
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_multilabel_classifier():
    X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=300, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.out_activation_ == "logistic"
    assert (clf.predict(X) == Y).mean() > 0.85


def test_regressor_multioutput_and_raw_scale_target(diabetes):
    X, y = diabetes
    Y = np.column_stack([y * 1000.0 + 5e5, -y])
    reg = RegularizedMLPRegressor.like_sklearn(max_iter=300, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == Y.shape
    assert reg.score(X, Y) > 0.4
    np.testing.assert_allclose(reg.target_mean_, Y.mean(axis=0))
    # A price-like scale: scikit-learn's MLPRegressor defaults score below 0 here, ours must not.
    price = y * 1000.0 + 5e5
    ours = (
        RegularizedMLPRegressor.like_sklearn(max_iter=300, random_state=0)
        .fit(X, price)
        .score(X, price)
    )
    theirs = MLPRegressor(max_iter=300, random_state=0).fit(X, price).score(X, price)
    assert theirs < 0 < 0.4 < ours


SOLVERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_multilabel_and_multioutput_with_every_solver(solver, diabetes):
    # A learning rate each solver trains with in 200 epochs (lbfgs has none).
    rate = {"sgd": 0.05, "adagrad": 0.05}.get(solver, 0.005)
    params = dict(solver=solver, learning_rate_init=rate, max_iter=200, random_state=0)
    X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    clf = _quiet(lambda: RegularizedMLPClassifier.like_sklearn(**params).fit(X / X.max(), Y))
    assert clf.predict(X / X.max()).shape == Y.shape
    assert (clf.predict(X / X.max()) == Y).mean() > 0.8
    X, y = diabetes
    Y = np.column_stack([y, -2.0 * y + 7.0])
    for loss, targets in [("squared_error", Y), ("poisson", np.abs(Y))]:
        reg = _quiet(
            lambda loss=loss, targets=targets: RegularizedMLPRegressor.like_sklearn(
                loss=loss, **params
            ).fit(X, targets)
        )
        assert reg.predict(X).shape == Y.shape
        assert reg.score(X, targets) > 0.3, (loss, reg.score(X, targets))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(iris, dtype):
    X, y = iris
    clf = RegularizedMLPClassifier.like_sklearn(**ALL_FEATURES).fit(X.astype(dtype), y)
    assert all(c.dtype == dtype for c in clf.coefs_ + clf.intercepts_)
    assert all(g.dtype == dtype for g in clf.batch_norm_gamma_ + clf.batch_norm_running_var_)
    assert clf.predict_proba(X.astype(dtype)).dtype == dtype
    reg = RegularizedMLPRegressor.like_sklearn(max_iter=5, random_state=0).fit(
        X.astype(dtype), X[:, 0]
    )
    assert reg.predict(X.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gives_bit_identical_weights(iris, dtype):
    X, y = iris
    X = X.astype(dtype)
    a = RegularizedMLPClassifier.like_sklearn(**ALL_FEATURES).fit(X, y)
    b = RegularizedMLPClassifier.like_sklearn(**ALL_FEATURES).fit(X, y)
    c = RegularizedMLPClassifier.like_sklearn(**{**ALL_FEATURES, "random_state": 1}).fit(X, y)
    for wa, wb in zip(
        a.coefs_ + a.batch_norm_running_mean_,
        b.coefs_ + b.batch_norm_running_mean_,
        strict=True,
    ):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    assert a.loss_curve_ == b.loss_curve_


def test_dataframe_feature_names(iris):
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=5, random_state=0).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[["b", "a", "c", "d"]])


def test_l1_penalty_gives_exact_zeros_on_weights_only(digits):
    X, y = digits
    clf = RegularizedMLPClassifier.like_sklearn(
        penalty="l1", alpha=1.0, max_iter=50, random_state=0
    ).fit(X, y)
    assert (clf.coefs_[0] == 0).mean() > 0.5
    assert all((b != 0).any() for b in clf.intercepts_)
    dense = RegularizedMLPClassifier.like_sklearn(penalty=None, max_iter=50, random_state=0).fit(
        X, y
    )
    assert (dense.coefs_[0] == 0).mean() < 0.01


def test_stronger_penalty_shrinks_weights(iris):
    X, y = iris
    norms = []
    for alpha in [0.0, 1.0, 10.0]:
        clf = RegularizedMLPClassifier.like_sklearn(alpha=alpha, max_iter=100, random_state=0).fit(
            X, y
        )
        norms.append(sum(float((c**2).sum()) for c in clf.coefs_))
    assert norms[0] > norms[1] > norms[2]


def test_sgd_l2_penalty_equals_decoupled_decay_but_adam_differs(digits):
    X, y = digits
    X, y = X[:1000], y[:1000]
    batch = 100
    common = dict(batch_size=batch, max_iter=5, random_state=0, learning_rate_init=0.05)
    sgd = dict(solver="sgd", momentum=0.0, **common)
    coupled = RegularizedMLPClassifier.like_sklearn(penalty="l2", alpha=2.0, **sgd).fit(X, y)
    decoupled = RegularizedMLPClassifier.like_sklearn(
        penalty=None, weight_decay=2.0 / batch, **sgd
    ).fit(X, y)
    for a, b in zip(coupled.coefs_, decoupled.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    adam = dict(solver="adam", **common)
    coupled = RegularizedMLPClassifier.like_sklearn(penalty="l2", alpha=2.0, **adam).fit(X, y)
    decoupled = RegularizedMLPClassifier.like_sklearn(
        penalty=None, weight_decay=2.0 / batch, **adam
    ).fit(X, y)
    assert np.abs(coupled.coefs_[0] - decoupled.coefs_[0]).max() > 1e-3


def test_adamw_default_weight_decay(iris):
    X, y = iris
    adam = RegularizedMLPClassifier.like_sklearn(
        solver="adam", penalty=None, max_iter=30, random_state=0
    )
    adamw = RegularizedMLPClassifier.like_sklearn(
        solver="adamw", penalty=None, max_iter=30, random_state=0
    )
    explicit = RegularizedMLPClassifier.like_sklearn(
        solver="adam", penalty=None, weight_decay=0.01, max_iter=30, random_state=0
    )
    w_adam, w_adamw, w_explicit = (e.fit(X, y).coefs_[0] for e in (adam, adamw, explicit))
    np.testing.assert_array_equal(w_adamw, w_explicit)
    assert not np.array_equal(w_adam, w_adamw)


@pytest.mark.parametrize("solver", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "tanh", "logistic"])
def test_every_solver_and_activation_learns(iris, solver, activation):
    X, y = iris
    lr = {"sgd": 0.05, "adagrad": 0.05}.get(solver, 0.01)
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(20,),
        solver=solver,
        activation=activation,
        learning_rate_init=lr,
        batch_size=32,
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) > 0.9


def test_no_hidden_layer_is_logistic_regression(iris):
    X, y = iris
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(), learning_rate_init=0.05, max_iter=200, random_state=0
    )
    clf.fit(X, y)
    assert len(clf.coefs_) == 1 and clf.coefs_[0].shape == (4, 3)
    assert clf.score(X, y) > 0.9


def test_batch_norm_inference_is_row_independent(iris):
    X, y = iris
    clf = RegularizedMLPClassifier.like_sklearn(
        batch_normalization=True, batch_size=32, max_iter=30, weight_init="auto", random_state=0
    ).fit(X, y)
    assert len(clf.batch_norm_gamma_) == 1 and clf.batch_norm_running_var_[0].shape == (100,)
    batch = clf.predict_proba(X)
    one_by_one = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(one_by_one, batch[:5], rtol=1e-12)
    # Running statistics moved away from their initial values during training.
    assert np.abs(clf.batch_norm_running_mean_[0]).max() > 0.01
    # The bias before batch norm has no effect, and stays exactly at its initial zero.
    assert not clf.intercepts_[0].any() and clf.intercepts_[1].any()


def test_dropout_rates_per_layer_and_errors(iris):
    X, y = iris
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(8, 8), dropout=[0.0, 0.5], max_iter=5
    )
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="2 hidden layers"):
        RegularizedMLPClassifier.like_sklearn(hidden_layer_sizes=(8, 8), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        RegularizedMLPClassifier.like_sklearn(hidden_layer_sizes=(8, 8), dropout=[0.1, 1.0]).fit(
            X, y
        )


def test_early_stopping_keeps_best_epoch(digits):
    X, y = digits
    clf = RegularizedMLPClassifier.like_sklearn(
        early_stopping=True, max_iter=200, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None


def test_partial_fit_and_warm_start(iris):
    X, y = iris
    clf = RegularizedMLPClassifier.like_sklearn(random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3
    warm = RegularizedMLPClassifier.like_sklearn(warm_start=True, max_iter=10, random_state=0).fit(
        X, y
    )
    first = [c.copy() for c in warm.coefs_]
    warm.fit(X, y)
    assert warm.n_iter_ == 10 and len(warm.loss_curve_) == 20
    assert not np.array_equal(first[0], warm.coefs_[0])
    with pytest.raises(ValueError, match="changed since the previous fit"):
        warm.set_params(hidden_layer_sizes=(5,)).fit(X, y)


def _gap(clf, data):
    Xtr, Xte, ytr, yte = data
    clf.fit(Xtr, ytr)
    return clf.score(Xtr, ytr) - clf.score(Xte, yte)


def test_overfitting_on_300_digits_and_regularization_shrinks_gap(digits):
    """The textbook experiment: a deep ReLU net on 300 samples overfits; decay and dropout help."""
    X, y = digits
    data = train_test_split(X, y, train_size=300, random_state=0, stratify=y)
    base = dict(
        hidden_layer_sizes=(100,) * 6,
        weight_init="he_uniform",
        penalty=None,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.01,
        batch_size=100,
        max_iter=200,
        n_iter_no_change=200,
    )
    gaps = {
        name: np.mean(
            [
                _gap(RegularizedMLPClassifier.like_sklearn(random_state=s, **base, **kw), data)
                for s in (0, 1)
            ]
        )
        for name, kw in {
            "none": {},
            "weight_decay": {"weight_decay": 0.1},
            "dropout": {"dropout": 0.2},
        }.items()
    }
    print(gaps)
    assert gaps["none"] > 0.06
    assert gaps["weight_decay"] < gaps["none"] - 0.02
    assert gaps["dropout"] < gaps["none"] - 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predicting_in_the_training_dtype_compiles_nothing_more(iris, dtype):
    # Predictions run the training kernel's forward pass, with its arguments typed as in
    # training: after a fit, predicting rows of its dtype (dense or CSR) compiles nothing.
    from skdeep._kernels._epoch import forward

    X, y = iris
    X = X.astype(dtype)
    for rows in (X, sp.csr_matrix(X)):
        clf = RegularizedMLPClassifier(
            max_iter=2, random_state=0, training_dtype=np.dtype(dtype).name
        ).fit(rows, y)
        compiled = set(forward.signatures)
        clf.predict_proba(rows)
        clf.predict_proba(rows[:7])
        assert set(forward.signatures) == compiled


def test_read_only_input_needs_no_extra_compiled_specialization(iris):
    from skdeep._kernels._epoch import forward, run_epoch

    X, y = iris
    X_ro = np.repeat(X, 30, axis=0)  # more rows than one prediction block
    y_ro = np.repeat(y, 30)
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=3, random_state=0).fit(X_ro, y_ro)
    expected = clf.predict_proba(X_ro)
    X_ro.setflags(write=False)
    refit = RegularizedMLPClassifier.like_sklearn(max_iter=3, random_state=0).fit(X_ro, y_ro)
    np.testing.assert_array_equal(refit.predict_proba(X_ro), expected)
    for kernel in (forward, run_epoch):
        assert not any(arg.mutable is False for sig in kernel.signatures for arg in sig[:1])
