"""The regressor's robust and quantile losses: ``absolute_error``, ``huber`` and ``quantile``."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor
from sklearn.metrics import mean_pinball_loss, r2_score

from skdeep import RegularizedMLPRegressor
from skdeep._losses import weighted_quantiles

FAST = dict(hidden_layer_sizes=(16,), max_iter=8, random_state=0)


def _linear(n=400, seed=0):
    """A linear problem with skewed noise: its quantiles are parallel planes."""
    rs = np.random.RandomState(seed)
    X = rs.normal(size=(n, 3))
    return X, X @ [1.5, -2.0, 0.5] + 3.0 + rs.exponential(1.0, n)


def _fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def _linear_network(**params):
    # A linear network (one identity unit) in scikit-learn's configuration, trained long
    # enough to settle: the linear quantile regression's minimizer.
    return RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(1,), activation="identity", learning_rate_init=0.01,
        max_iter=300, n_iter_no_change=300, random_state=0, **params,
    )  # fmt: skip


@pytest.mark.parametrize(
    "params, level",
    [
        (dict(loss="quantile", quantile=0.8), 0.8),
        (dict(loss="quantile", quantile=0.5), 0.5),
        (dict(loss="absolute_error"), 0.5),
    ],
    ids=["quantile_0.8", "quantile_0.5", "absolute_error"],
)
def test_a_linear_network_agrees_with_quantile_regression(params, level):
    X, y = _linear()
    expected = QuantileRegressor(quantile=level, alpha=0.0, solver="highs").fit(X, y)
    got = _fit(_linear_network(**params), X, y)
    assert np.abs(got.predict(X) - expected.predict(X)).max() < 0.04 * y.std()
    assert abs(np.mean(y <= got.predict(X)) - level) < 0.02


def test_several_quantiles_are_one_network_with_one_output_per_level():
    X, y = _linear(600)
    levels = [0.9, 0.1, 0.5]
    model = _fit(RegularizedMLPRegressor(loss="quantile", quantile=levels, random_state=0), X, y)
    assert model.n_outputs_ == 3 and model.coefs_[-1].shape[1] == 3
    pred = model.predict(X)
    assert pred.shape == (600, 3)
    # In the order given, never crossing.
    assert (pred[:, 1] <= pred[:, 2]).all() and (pred[:, 2] <= pred[:, 0]).all()
    coverage = [np.mean(y <= pred[:, j]) for j in range(3)]
    np.testing.assert_allclose(coverage, levels, atol=0.06)
    # score is R² of the level nearest 0.5.
    assert model.score(X, y) == pytest.approx(r2_score(y, pred[:, 2]))


def test_quantile_shapes_for_one_and_several_targets():
    X, y = _linear(120)
    Y = np.c_[y, -2.0 * y]
    one = _fit(RegularizedMLPRegressor(loss="quantile", quantile=0.3, **FAST), X, y)
    assert one.predict(X).shape == (120,)
    listed = _fit(RegularizedMLPRegressor(loss="quantile", quantile=[0.3], **FAST), X, y)
    assert listed.predict(X).shape == (120, 1)  # a sequence keeps its axis
    two = _fit(RegularizedMLPRegressor(loss="quantile", quantile=0.3, **FAST), X, Y)
    assert two.predict(X).shape == (120, 2)
    both = _fit(RegularizedMLPRegressor(loss="quantile", quantile=[0.2, 0.8], **FAST), X, Y)
    pred = both.predict(X)
    assert pred.shape == (120, 2, 2) and both.n_outputs_ == 4
    assert (pred[:, :, 0] <= pred[:, :, 1]).all()
    # Each target in its own units: the second target's quantiles are around -2 y.
    assert np.corrcoef(pred[:, 0, 0], pred[:, 1, 1])[0, 1] < -0.9


def test_the_validation_score_is_the_negated_pinball_loss_in_scaled_units():
    X, y = _linear(500)
    X_val, y_val = _linear(200, seed=1)
    model = _fit(
        RegularizedMLPRegressor(loss="quantile", quantile=0.9, **FAST), X, y,
        X_val=X_val, y_val=y_val,
    )  # fmt: skip
    # The fitted model is the best epoch's (restored at the end).
    expected = mean_pinball_loss(y_val, model.predict(X_val), alpha=0.9) / model.target_scale_[0]
    assert model.best_validation_score_ == pytest.approx(-expected, rel=1e-5)
    assert model.best_validation_score_ == max(model.validation_scores_)
    mae = _fit(
        RegularizedMLPRegressor(loss="absolute_error", **FAST), X, y, X_val=X_val, y_val=y_val
    )
    expected = np.mean(np.abs(y_val - mae.predict(X_val))) / mae.target_scale_[0]
    assert mae.best_validation_score_ == pytest.approx(-expected, rel=1e-5)


def test_the_robust_losses_centre_by_the_median_and_scale_by_the_quartiles():
    y = np.r_[np.arange(9.0), 1e6]  # one gross outlier
    X = np.arange(10.0)[:, None]
    for loss in ("absolute_error", "huber", "quantile"):
        model = _fit(RegularizedMLPRegressor(loss=loss, quantile=0.5, **FAST), X, y)
        low, median, high = weighted_quantiles(y, None, (0.25, 0.5, 0.75))
        assert model.target_mean_[0] == median == 4.5
        assert model.target_scale_[0] == pytest.approx((high - low) / 1.349)
    squared = _fit(RegularizedMLPRegressor(**FAST), X, y)
    assert squared.target_scale_[0] > 1e5  # the outlier sets the squared error's scale


def test_weighted_quantiles_match_the_unweighted_median_and_repeat_rows():
    values = np.array([3.0, 1.0, 2.0, 10.0])
    assert weighted_quantiles(values, None, (0.5,))[0] == np.median(values)
    # Weight 2 is the row twice.
    w = np.array([2.0, 1.0, 1.0, 1.0])
    repeated = np.r_[values, 3.0]
    np.testing.assert_allclose(
        weighted_quantiles(values, w, (0.2, 0.5, 0.9)),
        weighted_quantiles(repeated, None, (0.2, 0.5, 0.9)),
    )


def test_huber_resists_outliers_the_squared_error_follows():
    rs = np.random.RandomState(0)
    X = rs.uniform(-2, 2, size=(600, 2))
    truth = X[:, 0] - 0.5 * X[:, 1]
    y = truth + rs.normal(scale=0.1, size=600)
    y[rs.rand(600) < 0.1] += 30.0  # a tenth of the targets grossly wrong
    params = dict(hidden_layer_sizes=(32,), max_iter=30, random_state=0)
    errors = {
        loss: np.mean(
            np.abs(_fit(RegularizedMLPRegressor(loss=loss, **params), X, y).predict(X) - truth)
        )
        for loss in ("squared_error", "huber", "absolute_error")
    }
    assert errors["huber"] < 0.5 * errors["squared_error"]
    assert errors["absolute_error"] < 0.5 * errors["squared_error"]


def test_huber_trains_with_lbfgs_the_non_smooth_losses_do_not():
    X, y = _linear(100)
    _fit(RegularizedMLPRegressor(loss="huber", solver="lbfgs", **FAST), X, y)
    for loss in ("absolute_error", "quantile"):
        model = RegularizedMLPRegressor(loss=loss, quantile=0.5, solver="lbfgs", **FAST)
        with pytest.raises(ValueError, match=f"cannot use loss='{loss}'.*not differentiable"):
            model.fit(X, y)


def test_huber_epsilon_sets_where_the_loss_turns_linear():
    # With skewed noise the conditional median lies below the mean: a tiny threshold makes
    # the Huber loss an absolute error (the median), a huge one a squared error (the mean,
    # which about 63% of exponential noise lies below).
    X, y = _linear(600)
    params = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    small = _fit(RegularizedMLPRegressor(loss="huber", huber_epsilon=1e-3, **params), X, y)
    large = _fit(RegularizedMLPRegressor(loss="huber", huber_epsilon=1e3, **params), X, y)
    assert abs(np.mean(y <= small.predict(X)) - 0.5) < 0.06
    assert abs(np.mean(y <= large.predict(X)) - (1 - np.exp(-1))) < 0.06


@pytest.mark.parametrize(
    "quantile, message",
    [
        (None, "loss='quantile' needs the quantile"),
        (1.0, r"must be in \(0, 1\)"),
        (0.0, r"must be in \(0, 1\)"),
        ([0.1, 1.5], r"must be in \(0, 1\)"),
        ([0.1, 0.1], "must differ"),
        ([], "non-empty"),
        ([[0.1, 0.2]], "flat sequence"),
        (["a"], "number in"),
        ("0.5", "'quantile' parameter"),
    ],
)
def test_bad_quantiles_get_clear_errors(quantile, message):
    X, y = _linear(50)
    with pytest.raises(ValueError, match=message):
        RegularizedMLPRegressor(loss="quantile", quantile=quantile, **FAST).fit(X, y)


def test_other_losses_ignore_the_quantile_and_a_bad_threshold_is_refused():
    X, y = _linear(50)
    _fit(RegularizedMLPRegressor(loss="absolute_error", quantile=[0.1, 0.1], **FAST), X, y)
    for epsilon in (0.0, -1.0):
        with pytest.raises(ValueError, match="huber_epsilon"):
            RegularizedMLPRegressor(loss="huber", huber_epsilon=epsilon, **FAST).fit(X, y)


@pytest.mark.parametrize(
    "change",
    [
        dict(loss="squared_error"),
        dict(quantile=0.8),
        dict(quantile=[0.2, 0.8]),
    ],
    ids=["loss", "level", "levels"],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_changed_loss_or_level_cannot_continue_a_fitted_network(change, how):
    X, y = _linear(80)
    # A constant rate, so that partial_fit after fit still trains.
    model = RegularizedMLPRegressor(
        loss="quantile", quantile=0.2, learning_rate="constant", **FAST
    )
    model = _fit(model, X, y)
    model.set_params(**change)
    with pytest.raises(ValueError, match=r"fitted with loss='quantile', quantile=0\.2"):
        if how == "warm_start":
            model.set_params(warm_start=True).fit(X, y)
        else:
            model.partial_fit(X, y)
    # The same setting continues.
    model.set_params(loss="quantile", quantile=0.2)
    model.partial_fit(X, y)


def test_the_same_rows_in_other_containers_predict_the_same():
    X, y = _linear(150)
    model = _fit(RegularizedMLPRegressor(loss="quantile", quantile=[0.25, 0.75], **FAST), X, y)
    dense = model.predict(X)
    np.testing.assert_array_equal(model.predict(sp.csr_matrix(X)), dense)
    np.testing.assert_array_equal(model.predict(pd.DataFrame(X)), dense)
    # And after a round trip through pickle.
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), dense)
    np.testing.assert_array_equal(clone(model).fit(X, y).predict(X), dense)
