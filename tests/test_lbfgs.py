"""solver="lbfgs": full-batch L-BFGS through scipy on the compiled objective and gradient."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, scale

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._network import NetworkLayout

from . import naive

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def _digits(n_class):
    X, y = load_digits(n_class=n_class, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:200]), y[:200]


def _regression():
    X, y = make_regression(200, 10, bias=20.0, noise=100.0, random_state=7)
    return X, scale(y)


def _objective_gradient(est, X, y):
    """The reference (plain NumPy) gradient of the training objective at the fitted weights."""
    layout = NetworkLayout(**est._network_spec)
    theta, bn_state = layout.pack(est, np.float64)
    if hasattr(est, "classes_"):
        Y = est._label_binarizer.transform(y).astype(float)
        kind = "softmax_cross_entropy" if Y.shape[1] > 1 else "sigmoid_cross_entropy"
    else:
        Y = ((y - est.target_mean_) / est.target_scale_).reshape(-1, 1)
        kind = "squared_error"
    _, penalty_mask, _ = layout.optimizer_vectors(np.float64)
    return naive.loss_and_grad(
        X, Y, np.ones(len(X)), theta, bn_state, layout.table, layout.inputs, penalty_mask,
        est.activation,
        kind, np.zeros(layout.n_layers), est.alpha, 0.0, naive.SplitMix64(0),
    )  # fmt: skip


@pytest.mark.parametrize("n_class", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classification_reaches_a_stationary_point(n_class, activation):
    X, y = _digits(n_class)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=50, max_iter=150, random_state=1,
        activation=activation,
    )  # fmt: skip
    clf.fit(X[:150], y[:150])
    assert clf.score(X[:150], y[:150]) > 0.95
    assert clf.score(X[150:], y[150:]) > 0.9
    # Converged: the largest gradient entry is below tol (scipy's projected-gradient test).
    value, grad = _objective_gradient(clf, X[:150], y[:150])
    # scipy also stops on a small relative decrease of the objective: the gradient is then
    # small but not always below tol.
    assert np.abs(grad).max() <= 10 * clf.tol
    assert clf.loss_ == pytest.approx(value, rel=1e-10)
    assert clf.n_iter_ == len(clf.loss_curve_) <= 150


def test_the_loss_never_rises_and_is_recorded_per_iteration():
    X, y = _regression()
    reg = RegularizedMLPRegressor.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=20, max_iter=60, activation="tanh", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    curve = np.array(reg.loss_curve_)
    assert len(curve) == reg.n_iter_ == len(reg.history_) > 10
    assert np.all(np.diff(curve) <= 1e-12)  # the line search only accepts decreases
    assert reg.best_loss_ == curve.min() and reg.best_epoch_ == int(curve.argmin()) + 1
    assert np.isnan(reg.history_[0]["learning_rate"])
    assert reg.t_ == reg.n_iter_ * len(X)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_regression(activation):
    X, y = _regression()
    reg = RegularizedMLPRegressor.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-3, random_state=1,
        activation=activation,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.score(X, y) > (0.80 if activation == "identity" else 0.98)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_max_fun_limits_the_evaluations_with_a_convergence_warning(Est):
    X, y = _digits(3) if Est is RegularizedMLPClassifier else _regression()
    est = Est.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=50, max_iter=150, max_fun=10, tol=0.0
    )
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, y)
    assert 1 <= est.n_iter_ <= 10


def test_max_iter_limits_the_iterations_with_a_convergence_warning():
    X, y = _regression()
    reg = RegularizedMLPRegressor.like_sklearn(solver="lbfgs", max_iter=5, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="ITERATIONS REACHED LIMIT"):
        reg.fit(X, y)
    assert reg.n_iter_ == 5


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_penalties_are_a_clear_error(penalty):
    X, y = _digits(2)
    with pytest.raises(ValueError, match="solver='lbfgs'") as info:
        RegularizedMLPClassifier.like_sklearn(solver="lbfgs", penalty=penalty).fit(X, y)
    assert f"penalty='{penalty}'" in str(info.value)


@pytest.mark.parametrize(
    "params",
    [dict(dropout=0.2), dict(input_dropout=0.1), dict(weight_decay=0.01), dict(clip_norm=1.0)],
)
def test_per_step_rules_do_not_apply(params):
    # As scikit-learn's lbfgs ignores batch_size and the learning rate: the same fit.
    X, y = _digits(2)
    base = dict(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    plain = _quiet(lambda: RegularizedMLPClassifier.like_sklearn(**base).fit(X, y))
    ruled = _quiet(lambda: RegularizedMLPClassifier.like_sklearn(**base, **params).fit(X, y))
    for a, b in zip(plain.coefs_, ruled.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_works_on_top_of_the_defaults():
    # The defaults use dropout and weight decay; solver="lbfgs" alone must still fit.
    X, y = _digits(2)
    clf = _quiet(lambda: RegularizedMLPClassifier(solver="lbfgs", max_iter=50).fit(X, y))
    assert clf.score(X, y) > 0.95 and clf.validation_scores_ is None


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_partial_fit_is_not_available(Est):
    est = Est.like_sklearn(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        getattr(est, "partial_fit")  # noqa: B009
    assert "lbfgs is not stochastic" in str(info.value.__cause__)
    assert hasattr(est.set_params(solver="adam"), "partial_fit")


def test_batch_norm_uses_the_training_set_statistics():
    X, y = _digits(3)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", batch_normalization=True, hidden_layer_sizes=(16,), random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    Z = X @ clf.coefs_[0] + clf.intercepts_[0]
    np.testing.assert_allclose(clf.batch_norm_running_mean_[0], Z.mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(clf.batch_norm_running_var_[0], Z.var(axis=0), rtol=1e-8)
    assert clf.score(X, y) > 0.95


def test_batch_norm_statistics_that_overflow_are_an_error():
    # Finite weights, but the variance of a 1e30 input overflows float32: no model to keep.
    X = np.array([[0.0], [1e30]], dtype=np.float32)
    reg = RegularizedMLPRegressor.like_sklearn(
        solver="lbfgs", batch_normalization=True, hidden_layer_sizes=(3,), random_state=0
    )
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        reg.fit(X, [0.0, 0.0])


def test_float32_trains_in_float32():
    X, y = _digits(3)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=20, random_state=0
    )
    clf.fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.score(X.astype(np.float32), y) > 0.95


def test_warm_start_continues_from_the_optimum():
    X, y = _digits(3)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=20, random_state=0, warm_start=True
    )
    clf.fit(X, y)
    first = clf.loss_
    clf.fit(X, y)
    assert clf.n_iter_ <= 2 and clf.loss_ <= first
    assert len(clf.loss_curve_) == len(clf.history_)


def test_integer_sample_weights_equal_repeated_rows():
    X, y = _regression()
    X, y = X[:60], y[:60]
    weights = np.random.RandomState(0).randint(1, 4, 60)
    params = dict(solver="lbfgs", hidden_layer_sizes=8, activation="tanh", random_state=0)
    params.update(max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = RegularizedMLPRegressor.like_sklearn(**params)
        weighted.fit(X, y, sample_weight=weights)
        repeated = RegularizedMLPRegressor.like_sklearn(**params)
        repeated.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-8)


def test_early_stopping_does_not_apply_but_a_validation_set_is_recorded():
    X, y = _digits(3)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", hidden_layer_sizes=20, early_stopping=True, random_state=0
    )
    clf.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    assert clf.validation_scores_ is None
    assert all("val_score" in row for row in clf.history_)
    assert clf.t_ == clf.n_iter_ * 150  # no split was taken from the training data


def test_validation_scores_with_batch_norm_use_the_training_statistics():
    X, y = _digits(3)
    clf = RegularizedMLPClassifier.like_sklearn(
        solver="lbfgs", batch_normalization=True, hidden_layer_sizes=(16,), max_iter=40,
        random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])
    # The last recorded validation score is the final model's score on the same data.
    assert clf.history_[-1]["val_score"] == clf.score(X[150:], y[150:])
    assert clf.history_[-1]["val_score"] > 0.9


def test_min_delta_does_not_change_when_lbfgs_stops():
    X, y = _digits(3)
    params = dict(solver="lbfgs", hidden_layer_sizes=20, random_state=0)
    plain = RegularizedMLPClassifier.like_sklearn(**params).fit(X, y)
    with_min_delta = RegularizedMLPClassifier.like_sklearn(min_delta=0.5, **params).fit(X, y)
    assert with_min_delta.n_iter_ == plain.n_iter_
    np.testing.assert_array_equal(with_min_delta.coefs_[0], plain.coefs_[0])
