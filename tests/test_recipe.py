"""The tabular-recipe techniques, each as the estimators' parameter: what it does and checks.

Input scaling with smooth clipping (also as a transformer), periodic numeric embeddings, the
scaling layer, the new and the parametric activations, label smoothing, the per-step schedules
of the learning rate, dropout and weight decay, learning-rate factors per parameter group,
data-aware initialization, the NTK parametrization, best-epoch selection, float32 training;
and the recipe as a whole with sample weights, continued training, pickling and bounded-memory
prediction.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._inputs import binned_association
from skdeep._network import DENSE, FAN_OUT, W_OFF, NetworkLayout
from skdeep._schedules import schedule_factor
from skdeep.preprocessing import RobustSmoothClipScaler

CLF, REG = RegularizedMLPClassifier, RegularizedMLPRegressor

# Every recipe part on, small and short.
RECIPE = dict(
    hidden_layer_sizes=(16, 16),
    input_scaling="robust",
    numeric_embeddings="periodic",
    embedding_frequencies=4,
    embedding_dim=2,
    scaling_layer=True,
    parametric_activation=True,
    parametrization="ntk",
    weight_init="data_aware",
    activation="silu",
    solver="adamw",
    learning_rate_init=0.02,
    learning_rate="log_cosine",
    weight_decay=0.02,
    weight_decay_schedule="flat_cosine",
    dropout=0.1,
    dropout_schedule="flat_cosine",
    bias_lr_factor=0.1,
    scaling_lr_factor=6.0,
    embedding_lr_factor=0.1,
    activation_lr_factor=0.1,
    batch_size=32,
    max_iter=8,
    random_state=0,
)


def _problem(n=200, seed=0):
    """Two numeric features, a binary flag and a one-hot pair; a smooth nonlinear target."""
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 2))
    flag = (rng.uniform(size=n) < 0.3).astype(float)
    level = rng.randint(0, 2, n)
    X = np.column_stack([x, flag, level, 1 - level])
    y = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2 + flag
    return X, y


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


# ------------------------------------------------------------------------------- input scaling


def test_robust_smooth_clip_scaler_centres_scales_and_bounds():
    X = np.array(
        [[1.0, 5.0, 0.0], [2.0, 5.0, 0.0], [3.0, 5.0, 0.0], [4.0, 5.0, 1.0], [1e6, 5.0, 0.0]]
    )
    scaler = RobustSmoothClipScaler().fit(X)
    np.testing.assert_allclose(scaler.center_, [3.0, 5.0, 0.0])
    # Column 0: IQR 2; column 1 constant: 0; column 2: IQR 0, half the range 0.5.
    np.testing.assert_allclose(scaler.scale_, [0.5, 0.0, 2.0])
    out = scaler.transform(X)
    u = (X - scaler.center_) * scaler.scale_
    np.testing.assert_allclose(out, u / np.sqrt(1 + (u / 3) ** 2))
    assert np.abs(out).max() < 3.0 and out[4, 0] > 2.99
    # Far outside the training range, even beyond what squares of float64 can hold: bounded.
    far = scaler.transform(np.array([[1e300, -1e300, 7.0], [-np.finfo(float).max, 0.0, -5.0]]))
    assert np.isfinite(far).all() and np.abs(far).max() <= 3.0
    np.testing.assert_array_equal(far[:, 1], 0.0)  # constant in training: always 0


def test_robust_smooth_clip_scaler_takes_a_subnormal_spread_without_a_warning():
    # 1 / 1e-311 overflows float64: such a column is constant for float64, scale 0.
    X = np.array([[2.2e-311, 1.0], [0.0, 2.0], [0.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaler = RobustSmoothClipScaler().fit(X)
    assert scaler.scale_[0] == 0.0 and scaler.scale_[1] > 0
    assert np.isfinite(scaler.transform(X)).all()


def test_robust_smooth_clip_scaler_is_a_scikit_learn_transformer():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0], "b": [0.0, 1.0, 0.0, 1.0]})
    scaler = RobustSmoothClipScaler(clip=2.0).set_output(transform="pandas")
    out = scaler.fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b"]
    assert list(scaler.get_feature_names_out()) == ["a", "b"]
    assert out.to_numpy().dtype == np.float64
    assert (
        RobustSmoothClipScaler()
        .fit(X.to_numpy(np.float32))
        .transform(X.to_numpy(np.float32))
        .dtype
        == np.float32
    )
    with pytest.raises(InvalidParameterError, match="clip"):
        RobustSmoothClipScaler(clip=0).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        RobustSmoothClipScaler().fit(X.assign(a=[1.0, np.nan, 2.0, 3.0]))


def test_an_extreme_row_gives_a_bounded_prediction_with_robust_scaling():
    X, y = _problem()
    extreme = np.array([[1e9, -1e9, 1.0, 1.0, 0.0]])
    scaled = _quiet(
        lambda: REG.like_sklearn(input_scaling="robust", random_state=0, max_iter=50).fit(X, y)
    )
    plain = _quiet(lambda: REG.like_sklearn(random_state=0, max_iter=50).fit(X, y))
    defaults = _quiet(lambda: REG(random_state=0).fit(X, y))
    # Inputs of at most +-3 keep the output within the range the network saw, give or take.
    assert abs(scaled.predict(extreme)[0]) < 10 * np.abs(y).max()
    assert abs(defaults.predict(extreme)[0]) < 10 * np.abs(y).max()
    # Without it the ReLU net extrapolates linearly: billions.
    assert abs(plain.predict(extreme)[0]) > 1e6


def test_a_column_constant_in_training_gives_bounded_predictions_when_it_varies():
    X, y = _problem()
    X[:, 1] = 2.5
    reg = _quiet(lambda: REG(**RECIPE).fit(X, y))
    varied = X[:5].copy()
    varied[:, 1] = [-1e12, -1.0, 0.0, 7.0, 1e12]
    pred = reg.predict(varied)
    assert np.isfinite(pred).all()
    # A constant column scales to 0 whatever it holds: the predictions do not move at all.
    np.testing.assert_allclose(pred, reg.predict(X[:5]))


# ------------------------------------------------------------------------- numeric embeddings


def test_embeddings_describe_the_columns_with_more_than_two_values():
    X, y = _problem()
    reg = _quiet(lambda: REG(**RECIPE).fit(X, y))
    np.testing.assert_array_equal(reg.embedded_features_, [0, 1])
    k, d = RECIPE["embedding_frequencies"], RECIPE["embedding_dim"]
    assert reg.embedding_frequencies_.shape == reg.embedding_phases_.shape == (2, k)
    assert reg.embedding_coefs_.shape == (2, k, d) and reg.embedding_intercepts_.shape == (2, d)
    assert reg.coefs_[0].shape == (5 + 2 * d, 16)
    assert reg.input_scale_.shape == (5 + 2 * d,)
    plain = _quiet(lambda: REG.like_sklearn(max_iter=2, random_state=0).fit(X, y))
    assert plain.embedded_features_.shape == plain.embedding_frequencies_.shape == (0,)


def test_embeddings_learn_a_periodic_target_that_a_plain_net_of_the_same_size_misses():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, (600, 1))
    y = np.sin(4 * X[:, 0])
    X_test = rng.uniform(-3, 3, (300, 1))
    y_test = np.sin(4 * X_test[:, 0])
    params = dict(hidden_layer_sizes=(32,), max_iter=150, learning_rate_init=0.01, random_state=0)
    plain = _quiet(lambda: REG.like_sklearn(**params).fit(X, y))
    embedded = _quiet(
        lambda: REG.like_sklearn(
            numeric_embeddings="periodic", embedding_frequency_scale=0.3, **params
        ).fit(X, y)
    )
    # (Measured: R² 0.999 against 0.70.)
    assert embedded.score(X_test, y_test) > 0.95
    assert embedded.score(X_test, y_test) > plain.score(X_test, y_test) + 0.2


def test_periodic_embeddings_need_a_column_with_more_than_two_values():
    X = np.random.RandomState(0).randint(0, 2, (40, 3)).astype(float)
    y = X[:, 0]
    with pytest.raises(ValueError, match="at most two"):
        REG(numeric_embeddings="periodic").fit(X, y)
    reg = _quiet(lambda: REG(numeric_embeddings="auto", max_iter=3).fit(X, y))
    assert reg.embedded_features_.shape == (0,) and reg.coefs_[0].shape[0] == 3


def test_binned_association_sees_a_periodic_dependence_that_a_correlation_misses():
    rng = np.random.RandomState(0)
    x = rng.uniform(-3, 3, (2000, 3))
    y = np.cos(3 * x[:, 0]) + 0.3 * x[:, 1]
    strength = binned_association(x, y[:, None])
    # Column 0 carries most of the variance but is uncorrelated with y (-0.01); column 1 is
    # correlated (0.61) and carries less. (Measured: 0.57, 0.37, 0.009.)
    assert abs(np.corrcoef(x[:, 0], y)[0, 1]) < 0.05
    assert strength[0] > 0.5 and 0.3 < strength[1] < 0.45 and strength[2] < 0.02
    assert ((strength >= 0) & (strength <= 1)).all()
    np.testing.assert_array_equal(binned_association(x, np.ones((2000, 1))), 0.0)
    # Several targets (one-hot classes) and a column of few values work too.
    onehot = np.eye(3)[(x[:, 0] > 0).astype(int) + (x[:, 2] > 1)]
    few = np.round(x[:, :1])
    # (Measured: 0.24 and 0.28 for the two versions of column 0, 0.19 for column 2.)
    strength = binned_association(np.hstack([few, x]), onehot)
    assert min(strength[0], strength[1]) > strength[3] > 10 * strength[2]


def test_auto_embeddings_describe_the_most_associated_features_up_to_the_cap():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(400, 12))
    signal = [2, 5, 9]
    y = np.sin(2 * X[:, 2]) + X[:, 5] + np.abs(X[:, 9])
    params = dict(max_iter=2, hidden_layer_sizes=(8,), random_state=0)
    capped = _quiet(lambda: REG(max_embedded_features=3, **params).fit(X, y))
    np.testing.assert_array_equal(capped.embedded_features_, signal)
    assert capped.coefs_[0].shape[0] == 12 + 3 * capped.embedding_dim
    every = _quiet(lambda: REG(max_embedded_features=None, **params).fit(X, y))
    np.testing.assert_array_equal(every.embedded_features_, np.arange(12))
    # An explicit "periodic" embeds every feature, whatever the cap.
    periodic = _quiet(
        lambda: REG(numeric_embeddings="periodic", max_embedded_features=3, **params).fit(X, y)
    )
    np.testing.assert_array_equal(periodic.embedded_features_, np.arange(12))
    # Under the cap, nothing is left out; the classifier selects by its encoded classes.
    labels = (y > np.median(y)).astype(int)
    clf = _quiet(lambda: CLF(max_embedded_features=3, **params).fit(X, labels))
    assert len(clf.embedded_features_) == 3 and set(clf.embedded_features_) <= set(range(12))
    under = _quiet(lambda: REG(max_embedded_features=12, **params).fit(X, y))
    np.testing.assert_array_equal(under.embedded_features_, np.arange(12))


def test_thousands_of_numeric_columns_embed_only_the_cap():
    # 5,000 columns: the defaults embed 32 of them, so the first layer has 5,000 + 32 * 3
    # inputs, not 20,000 (benchmarks/fresh/many_columns.py measures the time and memory).
    rng = np.random.RandomState(2)
    X = rng.normal(size=(300, 5000)).astype(np.float32)
    y = np.cos(2 * X[:, 7]) + X[:, 4000]
    reg = _quiet(lambda: REG(max_iter=2, hidden_layer_sizes=(16,), random_state=0).fit(X, y))
    assert len(reg.embedded_features_) == 32 and {7, 4000} <= set(reg.embedded_features_)
    assert reg.coefs_[0].shape == (5000 + 32 * reg.embedding_dim, 16)
    assert np.isfinite(reg.predict(X[:5])).all()


# ------------------------------------------------- scaling layer, activations, parameter groups


def test_scaling_layer_and_parametric_activation_learn_and_freeze():
    X, y = _problem()
    reg = _quiet(lambda: REG(**RECIPE).fit(X, y))
    assert not np.allclose(reg.input_scale_, 1.0)
    assert len(reg.activation_mix_) == 2 and not np.allclose(reg.activation_mix_[0], 1.0)
    frozen = _quiet(
        lambda: REG(**{**RECIPE, "scaling_lr_factor": 0.0, "activation_lr_factor": 0.0}).fit(X, y)
    )
    np.testing.assert_array_equal(frozen.input_scale_, 1.0)
    for mix in frozen.activation_mix_:
        np.testing.assert_array_equal(mix, 1.0)
    # A frozen bias group keeps the data-aware initial biases (one epoch: no schedules).
    one_epoch = {
        **RECIPE,
        "max_iter": 1,
        "learning_rate": "constant",
        "weight_decay_schedule": "constant",
        "dropout_schedule": "constant",
    }
    no_bias = REG(**{**one_epoch, "bias_lr_factor": 0.0})
    _quiet(lambda: no_bias.fit(X, y))
    initial = REG(**{**one_epoch, "learning_rate_init": 1e-300})
    _quiet(lambda: initial.fit(X, y))
    for a, b in zip(no_bias.intercepts_, initial.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("activation", ["selu", "mish", "gelu", "silu"])
@pytest.mark.parametrize("parametric", [False, True])
def test_smooth_activations_learn(activation, parametric, iris):
    X, y = iris
    clf = _quiet(
        lambda: CLF(
            activation=activation,
            parametric_activation=parametric,
            learning_rate_init=0.01,
            max_iter=60,
            random_state=0,
        ).fit(X, y)
    )
    assert clf.score(X, y) > 0.9


def test_ntk_parametrization_scales_the_weights_rates_by_fan_in():
    layout = NetworkLayout([6, 16, 4, 2], False)
    for power, solver in ((0.5, "adam"), (1.0, "sgd")):
        lr_scale, _, decay_scale = layout.optimizer_vectors(np.float64, fan_in_power=power)
        for row, fan_in in zip(layout.rows(DENSE), (6, 16, 4), strict=True):
            w_off = layout.table[row, W_OFF]
            n = fan_in * layout.table[row, FAN_OUT]
            np.testing.assert_allclose(lr_scale[w_off : w_off + n], fan_in**-power, err_msg=solver)
            np.testing.assert_array_equal(decay_scale[w_off : w_off + n], 1.0)
    X, y = _problem()
    # Rates of order 1/sqrt(fan_in) smaller need a larger base rate, as the recipes use.
    reg = _quiet(
        lambda: REG.like_sklearn(
            parametrization="ntk", learning_rate_init=0.04, max_iter=30, random_state=0
        ).fit(X, y)
    )
    assert reg.score(X, y) > 0.3


# ------------------------------------------------------------------------ data-aware init


def test_data_aware_init_gives_unit_variance_units_that_cut_through_the_data():
    from skdeep._data_init import data_aware_init

    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 4)) * [1.0, 100.0, 0.01, 5.0] + [0.0, 1e3, -2.0, 0.0]
    layout = NetworkLayout([4, 32, 16, 1], False)
    theta, bn_state = layout.initialize("auto", "relu", np.float64, rng)
    data_aware_init(layout, theta, bn_state, X, "relu", rng)
    views = layout.unpack(theta, bn_state)
    A = X
    for W, b in zip(views["coefs_"], views["intercepts_"], strict=True):
        pre = A @ W
        np.testing.assert_allclose(pre.std(axis=0), 1.0, rtol=1e-10)
        Z = pre + b
        # Every unit's hyperplane passes through the data: both signs occur.
        assert ((Z > 0).any(axis=0) & (Z < 0).any(axis=0)).all()
        A = np.maximum(Z, 0.0)


# ---------------------------------------------------------------------------- label smoothing


def test_label_smoothing_keeps_probabilities_away_from_certainty(iris):
    X, y = iris
    params = dict(max_iter=300, learning_rate_init=0.01, random_state=0)
    sharp = _quiet(lambda: CLF.like_sklearn(**params).fit(X, y))
    smooth = _quiet(lambda: CLF.like_sklearn(label_smoothing=0.2, **params).fit(X, y))
    # The smoothed target of the right class is 1 - 0.2 + 0.2 / 3 = 0.867: the predicted
    # class's probability settles near it (single samples may end a little above).
    assert np.median(sharp.predict_proba(X).max(axis=1)) > 0.99
    assert 0.8 < np.median(smooth.predict_proba(X).max(axis=1)) < 0.9
    assert smooth.score(X, y) > 0.9
    with pytest.raises(InvalidParameterError, match="label_smoothing"):
        CLF(label_smoothing=1.0).fit(X, y)


# ------------------------------------------------------------------------------- schedules


def test_flat_cosine_and_log_cosine_factors():
    t = np.linspace(0, 1, 9)
    np.testing.assert_allclose(
        schedule_factor("flat_cosine", t), [1, 1, 1, 1, 1, 0.8535534, 0.5, 0.1464466, 0]
    )
    cycles = schedule_factor("log_cosine", np.array([0, 1 / 15, 3 / 15, 7 / 15, 1]))
    np.testing.assert_allclose(cycles, 0.0, atol=1e-12)  # each cycle ends at 0
    peaks = schedule_factor("log_cosine", (2 ** (np.arange(4) + 0.5) - 1) / 15)
    np.testing.assert_allclose(peaks, 1.0)
    np.testing.assert_array_equal(schedule_factor("constant", t), 1.0)


def test_per_step_schedules_reach_the_epochs():
    from skdeep._training import TrainingState, _batch_schedule

    X, y = _problem()
    reg = REG(**RECIPE)
    layout = NetworkLayout([5, 16, 16, 1], False)
    config = reg._training_config(layout, 200, early_stopping=False)
    state = TrainingState()
    first, lr_first = _batch_schedule(state, config, 0, 0, 7)
    last, _ = _batch_schedule(state, config, RECIPE["max_iter"] - 1, 0, 7)
    assert first.shape == (7, 3) and first[0, 0] == 0.0 < first[1, 0]  # the cycle starts at 0
    assert lr_first == pytest.approx(first[:, 0].mean())
    np.testing.assert_array_equal(first[:, 1], RECIPE["weight_decay"])  # flat first half
    np.testing.assert_array_equal(first[:, 2], 1.0)
    assert (np.diff(last[:, 1]) < 0).all() and last[-1, 1] < 0.01 * RECIPE["weight_decay"]
    assert last[-1, 2] < 0.01
    # The history records each epoch's mean rate.
    fitted = _quiet(lambda: REG(**RECIPE).fit(X, y))
    rates = [row["learning_rate"] for row in fitted.history_]
    assert len(set(rates)) == len(rates)


def test_a_per_step_schedule_of_one_step_is_a_clear_error():
    # log_cosine starts at 0: one step in all would train nothing.
    X, y = _problem()
    one_step = REG(learning_rate="log_cosine", max_iter=1, batch_size=200, early_stopping=False)
    with pytest.raises(ValueError, match="at least 2 of them"):
        one_step.fit(X, y)
    # One epoch of several steps is a schedule.
    reg = _quiet(lambda: one_step.set_params(batch_size=50).fit(X, y))
    assert reg.n_iter_ == 1 and np.isfinite(reg.predict(X)).all()


# -------------------------------------------------------------------- best-epoch selection


def test_last_best_epoch_keeps_the_last_of_equally_good_epochs():
    from skdeep._training import Monitor

    monitor = Monitor()
    monitor.start(on_validation=True, incremental=False)
    for epoch, value in enumerate([0.8, 0.9, 0.9, 0.85, 0.9], start=1):
        monitor.update(value, epoch, 1.0, 0.0, on_validation=True, ties=True)
    assert monitor.best_epoch == 5
    first = Monitor()
    first.start(on_validation=True, incremental=False)
    for epoch, value in enumerate([0.8, 0.9, 0.9, 0.85, 0.9], start=1):
        first.update(value, epoch, 1.0, 0.0, on_validation=True)
    assert first.best_epoch == 2


def test_best_epoch_selection_trains_the_whole_schedule(iris):
    X, y = iris
    clf = _quiet(
        lambda: CLF(
            early_stopping=True,
            n_iter_no_change=np.inf,
            restore_best_weights="last",
            max_iter=40,
            random_state=0,
        ).fit(X, y)
    )
    scores = clf.validation_scores_
    assert clf.n_iter_ == 40 and len(scores) == 40
    assert clf.best_epoch_ == max(i + 1 for i, s in enumerate(scores) if s == max(scores))


# ------------------------------------------------------------------------ the recipe as a whole


def test_float32_training_of_float64_input():
    X, y = _problem()
    reg = _quiet(lambda: REG(**RECIPE, training_dtype="float32").fit(X, y))
    assert reg.coefs_[0].dtype == np.float32 and reg.embedding_frequencies_.dtype == np.float32
    # Predictions come in the wider of the input's and the weights' dtypes.
    assert reg.predict(X).dtype == np.float64
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    auto = _quiet(lambda: REG(**RECIPE, training_dtype="auto").fit(X, y))
    assert auto.coefs_[0].dtype == np.float64


@pytest.mark.parametrize("Est", [CLF, REG])
def test_recipe_with_sample_weights_continued_training_and_pickling(Est, tmp_path):
    X, y = _problem()
    if Est is CLF:
        y = (y > np.median(y)).astype(int)
    est = Est(**{**RECIPE, "label_smoothing": 0.1} if Est is CLF else RECIPE)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    _quiet(lambda: est.fit(X, y, sample_weight=weights))
    n_epochs = len(est.loss_curve_)
    before = est.predict(X)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), before)
    # (With the log-cosine rate, which has reached 0, partial_fit would change nothing.)
    _quiet(lambda: est.set_params(learning_rate="constant").partial_fit(X, y))
    assert len(est.loss_curve_) == n_epochs + 1
    assert not np.array_equal(est.predict(X), before)
    _quiet(lambda: copy.set_params(warm_start=True, max_iter=3).fit(X, y))
    assert len(copy.loss_curve_) == n_epochs + 3
    # Changing the architecture of a continued network is refused.
    with pytest.raises(ValueError, match="architecture"):
        copy.set_params(embedding_dim=5).fit(X, y)
    # A clone of the recipe fits the same from the same seed.
    again = _quiet(lambda: clone(est).fit(X, y, sample_weight=weights))
    np.testing.assert_array_equal(again.coefs_[0], pickle.loads(pickle.dumps(again)).coefs_[0])


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_recipe_predicts_block_by_block_like_row_by_row(dtype, rtol):
    from skdeep._inference import PREDICT_BLOCK

    X, y = _problem(n=300)
    reg = _quiet(lambda: REG(**RECIPE, training_dtype=dtype).fit(X, y))
    big = np.tile(X, (PREDICT_BLOCK // 300 + 2, 1))
    whole = reg.predict(big)
    parts = np.concatenate([reg.predict(big[i : i + 997]) for i in range(0, len(big), 997)])
    # float32 products round differently with the block's row count (BLAS blocking): the
    # same up to float32 rounding of the output scale.
    np.testing.assert_allclose(whole, parts, rtol=rtol, atol=rtol * np.abs(whole).max())


def test_recipe_inside_a_pipeline_and_a_grid_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler

    X, y = _problem()
    search = GridSearchCV(
        make_pipeline(StandardScaler(), REG(**{**RECIPE, "max_iter": 4})),
        {
            "regularizedmlpregressor__embedding_dim": [1, 2],
            "regularizedmlpregressor__dropout": [0.0, 0.2],
        },
        cv=2,
    )
    _quiet(lambda: search.fit(X, y))
    assert len(search.cv_results_["params"]) == 4 and np.isfinite(search.best_score_)


@pytest.mark.parametrize(
    "param, value",
    [
        ("embedding_frequencies", 0),
        ("max_embedded_features", 0),
        ("max_embedded_features", 2.5),
        ("embedding_dim", 0),
        ("embedding_frequency_scale", 0.0),
        ("bias_lr_factor", -0.1),
        ("scaling_lr_factor", -1.0),
        ("lr_cycles", 0),
        ("dropout_schedule", "cosine"),
        ("numeric_embeddings", "linear"),
        ("input_scaling", "standard"),
        ("parametrization", "mup"),
        ("training_dtype", "float16"),
        ("restore_best_weights", "first"),
    ],
)
def test_invalid_recipe_values_are_refused_at_fit(param, value):
    X, y = _problem()
    est = REG(**{param: value})  # constructing never validates
    with pytest.raises(InvalidParameterError, match=param):
        est.fit(X, y)


# ---------------------------------------------------------------- scikit-learn's configuration


@pytest.mark.parametrize("Est", [CLF, REG])
def test_like_sklearn_switches_every_recipe_part_off(Est):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    est = Est.like_sklearn(random_state=3)
    params = est.get_params()
    peer = (MLPClassifier if Est is CLF else MLPRegressor)().get_params()
    for name, value in peer.items():
        if name != "random_state":
            assert params[name] == value, name
    assert params["random_state"] == 3
    off = dict(
        input_scaling=None, numeric_embeddings=None, scaling_layer=False,
        parametric_activation=False, parametrization="standard", dropout=0.0,
        input_dropout=0.0, batch_normalization=False, dropout_schedule="constant",
        weight_decay_schedule="constant", training_dtype="auto", weight_init="sklearn",
        bias_lr_factor=1.0, scaling_lr_factor=1.0, embedding_lr_factor=1.0,
        activation_lr_factor=1.0,
    )  # fmt: skip
    if Est is CLF:
        off["label_smoothing"] = 0.0
    assert {name: params[name] for name in off} == off


def test_like_sklearn_trains_like_scikit_learns_mlp(digits):
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = digits
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    params = dict(solver="sgd", learning_rate_init=0.05, max_iter=60, random_state=0)
    ours = _quiet(lambda: CLF.like_sklearn(**params).fit(X_train, y_train))
    theirs = _quiet(lambda: MLPClassifier(**params).fit(X_train, y_train))
    # The same loss under SGD up to the initial draws: within 10 % after the first epochs.
    curve, peer = np.array(ours.loss_curve_), np.array(theirs.loss_curve_)
    assert len(curve) == len(peer) == 60
    np.testing.assert_allclose(curve[10:], peer[10:], rtol=0.1)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01


def test_like_sklearn_regressor_trains_like_scikit_learns_mlp():
    from sklearn.datasets import make_friedman1
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor

    X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    # Targets standardized on the training part: skdeep's internal standardization changes
    # nothing, so the two losses are in the same units.
    mean, std = y_train.mean(), y_train.std()
    y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    params = dict(solver="sgd", learning_rate_init=0.01, max_iter=80, random_state=0)
    ours = _quiet(lambda: REG.like_sklearn(**params).fit(X_train, y_train))
    theirs = _quiet(lambda: MLPRegressor(**params).fit(X_train, y_train))
    curve, peer = np.array(ours.loss_curve_), np.array(theirs.loss_curve_)
    assert len(curve) == len(peer) == 80
    np.testing.assert_allclose(curve[10:], peer[10:], rtol=0.1)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01
