"""Reliability: bad input, numerical faults, persistence, odd memory layouts, concurrency.

Every check runs on both estimators. Bad input must give a ``ValueError`` / ``TypeError`` that
says what is wrong; numerical faults must end in finite weights and finite predictions (or a
clear error); a model must survive pickle / joblib into a fresh process without recompiling;
any array layout must train exactly like its C-contiguous float copy; a fitted model must
predict the same from many threads at once; and fits must work from a read-only installation.
(Fits in threads and worker processes are compared with serial fits in test_parallel.py.)
"""

import json
import os
import pickle
import stat
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import skdeep
from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

from .paths import DATA_DIR, copy_package

CLF, REG = RegularizedMLPClassifier, RegularizedMLPRegressor
ESTIMATORS = [CLF, REG]
FAST = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
FITTED_ARRAYS = (
    "coefs_",
    "intercepts_",
    "batch_norm_gamma_",
    "batch_norm_beta_",
    "batch_norm_running_mean_",
    "batch_norm_running_var_",
)
# The last call of a fresh process writes one JSON line with what it found.
_RESULT_MARK = "RESULT:"


def _name(Est):
    return Est.__name__.replace("RegularizedMLP", "")


def _ids(value):
    return _name(value) if isinstance(value, type) else None


def _fitted(xy, Est, X=None, y=None, **params):
    X0, y0 = xy(Est)
    X = X0 if X is None else X
    y = y0 if y is None else y
    return Est(**{**FAST, **params}).fit(X, y)


def _call(xy, Est, method, X=None, y=None, **kwargs):
    """Call ``method`` with the given (maybe bad) X, y or keyword; the rest is valid data.

    ``"partial_fit"`` starts a new model; ``"partial_fit_fitted"`` continues a fitted one.
    """
    X0, y0 = xy(Est)
    X = X0 if X is None else X
    y = y0 if y is None else y
    if method == "fit":
        return Est(**FAST).fit(X, y, **kwargs)
    if method == "partial_fit":
        if Est is CLF:
            kwargs.setdefault("classes", np.unique(y0))
        return Est(**FAST).partial_fit(X, y, **kwargs)
    est = _fitted(xy, Est)
    if method == "partial_fit_fitted":
        return est.partial_fit(X, y, **kwargs)
    if method == "score":
        return est.score(X, y, **kwargs)
    assert not kwargs
    return getattr(est, method)(X)


def _x_methods(Est):
    methods = ["fit", "partial_fit", "partial_fit_fitted", "predict", "score"]
    return methods + (["predict_proba"] if Est is CLF else [])


def _assert_finite_state(est):
    for name in FITTED_ARRAYS:
        for i, array in enumerate(getattr(est, name)):
            assert np.isfinite(array).all(), (
                f"{name}[{i}] has non-finite values after fit: {array[~np.isfinite(array)][:5]}"
            )
    assert np.isfinite(est.loss_curve_).all(), est.loss_curve_


def _predict_finite_or_clear_error(est, X):
    """Predictions (probabilities for the classifier) are finite, or a clear ValueError."""
    try:
        out = est.predict_proba(X) if is_classifier(est) else est.predict(X)
    except ValueError as exc:
        assert len(str(exc)) > 30, f"unhelpful error message: {exc!r}"
        return None
    assert np.isfinite(out).all(), f"non-finite predictions: {out[~np.isfinite(out)][:5]}"
    if is_classifier(est):
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-4)
        assert set(est.predict(X)) <= set(est.classes_)
    return out


def _fit_recording(est, X, y, **kwargs):
    """Fit, returning every warning; a RuntimeWarning (overflow ...) in skdeep is an error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("error", category=RuntimeWarning, module="skdeep")
        est.fit(X, y, **kwargs)
    return caught


# ============================================================================== 1. bad input


def _with(X, value, where=(3, 1)):
    X = X.astype(object if X.dtype == object else float)
    X[where] = value
    return X


def _frame(X, columns="abcd"):
    return pd.DataFrame(X, columns=list(columns))


BAD_X = {
    # name: (make bad X from good X and y, expected error, pattern of its message)
    "inf": (lambda X, y: (_with(X, np.inf), y), ValueError, "contains infinity"),
    "minus_inf": (lambda X, y: (_with(X, -np.inf), y), ValueError, "contains infinity"),
    "complex": (lambda X, y: (X + 1j, y), ValueError, "Complex data not supported"),
    "strings": (
        lambda X, y: (np.where(X > 0, "high", "low"), y),
        ValueError,
        "could not convert string to float",
    ),
    "object_strings": (
        lambda X, y: (np.where(X > 0, "high", "low").astype(object), y),
        ValueError,
        "could not convert string to float",
    ),
    "1d": (lambda X, y: (X[:, 0], y), ValueError, "Expected 2D array, got 1D array"),
    "3d": (lambda X, y: (X.reshape(len(X), 2, -1), y), ValueError, "dim 3"),
    "zero_rows": (lambda X, y: (X[:0], y[:0]), ValueError, "0 sample"),
    "zero_columns": (lambda X, y: (X[:, :0], y), ValueError, "0 feature"),
}


@pytest.mark.parametrize("case", list(BAD_X))
@pytest.mark.parametrize(
    "Est, method", [(E, m) for E in ESTIMATORS for m in _x_methods(E)], ids=_ids
)
def test_bad_X_gives_a_clear_error(Est, method, case, xy):
    make, error, message = BAD_X[case]
    with pytest.raises(error, match=message):
        _call(xy, Est, method, *make(*xy(Est)))


MISSING_X = {
    # name: make X with missing values from good X and y
    "nan": lambda X, y: (_with(X, np.nan), y),
    "pandas_NA": lambda X, y: (
        _frame(X).assign(a=pd.array([1, None] * (len(X) // 2), dtype="Int64")),
        y,
    ),
    "object_with_None": lambda X, y: (_with(X.astype(object), None), y),
}


def _categories(X, y):
    return _frame(X).assign(a=pd.Categorical(np.where(X[:, 0] > 0, "u", "v"))), y


def _check_taken(result, X, y):
    if isinstance(result, float):  # score
        assert np.isfinite(result)
        return
    if hasattr(result, "coefs_"):  # fit, partial_fit
        result = result.predict_proba(X) if is_classifier(result) else result.predict(X)
    assert np.isfinite(result).all()


@pytest.mark.parametrize("case", list(MISSING_X))
@pytest.mark.parametrize(
    "Est, method", [(E, m) for E in ESTIMATORS for m in _x_methods(E)], ids=_ids
)
def test_missing_values_in_X_are_taken(Est, method, case, xy):
    # Imputed, also by a model that saw no missing value in training.
    X, y = MISSING_X[case](*xy(Est))
    _check_taken(_call(xy, Est, method, X, y), X, y)


@pytest.mark.parametrize(
    "Est, method", [(E, m) for E in ESTIMATORS for m in _x_methods(E)], ids=_ids
)
def test_categorical_column_taken_by_fit_refused_by_a_numeric_model(Est, method, xy):
    X, y = _categories(*xy(Est))
    if method in ("fit", "partial_fit"):
        _check_taken(_call(xy, Est, method, X, y), X, y)
    else:
        # The model was fit on numbers: a string column cannot be one of them.
        with pytest.raises(ValueError, match="could not convert string to float"):
            _call(xy, Est, method, X, y)


BAD_Y = {
    # name: (estimators, make bad y from good y, methods, message)
    "nan": (ESTIMATORS, lambda y: _with(y, np.nan, 2), "*", "contains NaN"),
    "inf": (ESTIMATORS, lambda y: _with(y, np.inf, 2), "*", "contains infinity"),
    "too_short": (ESTIMATORS, lambda y: y[:-1], "*", "inconsistent numbers of samples"),
    "too_long": (ESTIMATORS, lambda y: np.r_[y, y[:1]], "*", "inconsistent numbers of samples"),
    "continuous_for_classifier": (
        [CLF],
        lambda y: y + np.linspace(0.01, 0.5, len(y)),
        ("fit", "partial_fit", "partial_fit_fitted"),
        "Unknown label type: continuous",
    ),
    "unseen_class_in_partial_fit": (
        [CLF],
        lambda y: y + 5,
        ("partial_fit", "partial_fit_fitted"),
        "classes",
    ),
    "strings_for_regressor": (
        [REG],
        lambda y: np.where(y > 0, "high", "low"),
        ("fit", "partial_fit"),
        "could not convert string to float|numeric",
    ),
    "new_output_count_in_partial_fit": (
        [REG],
        lambda y: np.column_stack([y, y]),
        ("partial_fit_fitted",),
        "outputs",
    ),
}
_Y_METHODS = ("fit", "partial_fit", "partial_fit_fitted", "score")


@pytest.mark.parametrize(
    "Est, method, case",
    [
        (E, m, case)
        for case, (ests, _, methods, _) in BAD_Y.items()
        for E in ests
        for m in (_Y_METHODS if methods == "*" else methods)
    ],
    ids=_ids,
)
def test_bad_y_gives_a_clear_error(Est, method, case, xy):
    _, make, _, message = BAD_Y[case]
    with pytest.raises(ValueError, match=message):
        _call(xy, Est, method, y=make(xy(Est)[1]))


def test_classifier_fits_a_single_sample_or_class(xy):
    # As scikit-learn's MLP: one class is a model that always predicts it (with probability
    # 1: classes_ has one entry, so predict_proba has one column, where scikit-learn's
    # gives two).
    X, y = xy(CLF)
    for X_fit, y_fit in [(X[:1], y[:1]), (X, np.full(len(y), "a"))]:
        clf = CLF(**FAST).fit(X_fit, y_fit)
        np.testing.assert_array_equal(clf.classes_, [y_fit[0]])
        np.testing.assert_array_equal(clf.predict(X), np.full(len(X), y_fit[0]))
        np.testing.assert_array_equal(clf.predict_proba(X), np.ones((len(X), 1)))
        assert clf.score(X, np.full(len(X), y_fit[0])) == 1.0
    # early_stopping (and its validation score) with one class.
    clf = CLF(**{**FAST, "early_stopping": True}).fit(X, np.full(len(y), "a"))
    assert clf.best_validation_score_ == 1.0
    clf = CLF(**FAST).partial_fit(X, np.full(len(y), "a"), classes=["a"])
    np.testing.assert_array_equal(clf.predict(X), np.full(len(X), "a"))
    # A batch holding one of the declared classes is fine in partial_fit.
    clf = CLF(**FAST).partial_fit(X[:1], y[:1], classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.predict_proba(X).shape == (len(X), 2)


def test_regressor_fits_a_single_sample(xy):
    X, y = xy(REG)
    reg = REG(**FAST).fit(X[:1], y[:1])
    assert np.isfinite(reg.predict(X)).all()
    # One target value: its mean is that value, the scale 1 (no spread to scale by), and it
    # is predicted exactly.
    np.testing.assert_allclose(reg.target_mean_, y[:1])
    np.testing.assert_array_equal(reg.target_scale_, 1.0)
    np.testing.assert_allclose(reg.predict(X), y[0])


BAD_WEIGHTS = {
    "too_short": (lambda n: np.ones(n - 1), r"sample_weight\.shape|inconsistent numbers"),
    "too_long": (lambda n: np.ones(n + 1), r"sample_weight\.shape|inconsistent numbers"),
    "three": (lambda n: np.ones(3), r"sample_weight\.shape"),
    "negative": (lambda n: np.r_[-1.0, np.ones(n - 1)], "Negative values"),
    "all_negative": (lambda n: -np.ones(n), "Negative values"),
    "all_zero": (lambda n: np.zeros(n), "at least one non-zero"),
    "nan": (lambda n: np.r_[np.nan, np.ones(n - 1)], "contains NaN"),
    "inf": (lambda n: np.r_[np.inf, np.ones(n - 1)], "contains infinity"),
    "2d": (lambda n: np.ones((n, 2)), "1D|1 or 2 dim|shape"),
}


@pytest.mark.parametrize("case", list(BAD_WEIGHTS))
@pytest.mark.parametrize(
    "Est, method",
    [(E, m) for E in ESTIMATORS for m in ("fit", "partial_fit", "partial_fit_fitted")],
    ids=_ids,
)
def test_bad_sample_weight_gives_a_clear_error(Est, method, case, xy):
    make, message = BAD_WEIGHTS[case]
    with pytest.raises(ValueError, match=message):
        _call(xy, Est, method, sample_weight=make(len(xy(Est)[0])))


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_score_rejects_sample_weight_of_wrong_length(Est, xy):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _call(xy, Est, "score", sample_weight=np.ones(len(xy(Est)[0]) - 1))


@pytest.mark.parametrize("n_features", [3, 5])
@pytest.mark.parametrize(
    "Est, method",
    [(E, m) for E in ESTIMATORS for m in _x_methods(E) if m not in ("fit", "partial_fit")],
    ids=_ids,
)
def test_changed_feature_count_gives_a_clear_error(Est, method, n_features, xy):
    X, _ = xy(Est, p=5)
    with pytest.raises(ValueError, match=f"X has {n_features} features, but .* expecting 4"):
        _call(xy, Est, method, X[:, :n_features])


@pytest.mark.parametrize("columns", ["zbcd", "bacd"], ids=["renamed", "reordered"])
@pytest.mark.parametrize(
    "Est, method",
    [(E, m) for E in ESTIMATORS for m in _x_methods(E) if m not in ("fit", "partial_fit")],
    ids=_ids,
)
def test_changed_feature_names_give_a_clear_error(Est, method, columns, xy):
    X, y = xy(Est)
    est = _fitted(xy, Est, _frame(X), y)
    np.testing.assert_array_equal(est.feature_names_in_, list("abcd"))
    Z = _frame(X, columns)
    with pytest.raises(ValueError, match="feature names should match"):
        if method == "partial_fit_fitted":
            est.partial_fit(Z, y)
        elif method == "score":
            est.score(Z, y)
        else:
            getattr(est, method)(Z)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_feature_names_present_at_only_one_of_fit_and_predict_warn(Est, xy):
    X, y = xy(Est)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        _fitted(xy, Est, _frame(X), y).predict(X)
    with pytest.warns(UserWarning, match="has feature names, but"):
        _fitted(xy, Est, X, y).predict(_frame(X))


@pytest.mark.parametrize(
    "Est, method",
    [(E, m) for E in ESTIMATORS for m in ("predict", "predict_proba", "score") if hasattr(E, m)],
    ids=_ids,
)
def test_unfitted_model_says_it_is_not_fitted(Est, method, xy):
    X, y = xy(Est)
    est = Est(**FAST)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.score(X, y) if method == "score" else getattr(est, method)(X)


INVALID_PARAMS = [
    ("alpha", -1.0),
    ("solver", "newton"),
    ("activation", "swish"),
    ("penalty", "l3"),
    ("l1_ratio", 1.5),
    ("dropout", 1.0),
    ("dropout", -0.1),
    ("input_dropout", 1.0),
    ("batch_size", 0),
    ("batch_size", "all"),
    ("max_iter", 0),
    ("learning_rate_init", 0.0),
    ("learning_rate", "sometimes"),
    ("hidden_layer_sizes", 0),
    ("momentum", 2.0),
    ("clip_norm", 0.0),
    ("batch_norm_momentum", 1.0),
    ("validation_fraction", 1.0),
    ("beta_2", 1.0),
    ("epsilon", 0.0),
    ("tol", -1.0),
    ("weight_decay", -0.1),
    ("monitor", "val_accuracy"),
    ("n_iter_no_change", 0),
    ("random_state", "seed"),
    ("weight_init", "zeros"),
]


@pytest.mark.parametrize(
    "Est, param, value",
    [(E, p, v) for E in ESTIMATORS for p, v in INVALID_PARAMS]
    + [(CLF, "class_weight", "balance"), (REG, "loss", "hinge")],
    ids=lambda v: _ids(v) if isinstance(v, type) else repr(v),
)
def test_invalid_hyperparameter_raises_at_fit_not_init(Est, param, value, xy):
    est = Est(**{**FAST, param: value})  # scikit-learn convention: __init__ never validates
    assert est.get_params()[param] == value
    X, y = xy(Est)
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of {Est.__name__}"):
        est.fit(X, y)
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        clone(est).partial_fit(X, y, **({"classes": [0, 1]} if Est is CLF else {}))
    # set_params does not validate either; the next fit does. (As in scikit-learn, partial_fit
    # on an already fitted model skips parameter validation, for speed.)
    fitted = _fitted(xy, Est).set_params(**{param: value})
    assert fitted.get_params()[param] == value
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        fitted.fit(X, y)


@pytest.mark.parametrize(
    "sizes", [(0,), (8, 0), (-3,), (8, -1), (10, -1), (2.5,), (3.5,), [4, True]]
)
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_hidden_layer_sizes_must_be_positive_integers(Est, sizes, xy):
    est = Est(**{**FAST, "hidden_layer_sizes": sizes})
    X, y = xy(Est)
    with pytest.raises(ValueError, match="hidden_layer_sizes must contain positive integers"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must contain positive integers"):
        clone(est).partial_fit(X, y, **({"classes": [0, 1]} if Est is CLF else {}))


@pytest.mark.parametrize("rates", [[0.5, 1.0], [1.0, 0.0], [0.2, 1.5], [-0.1, 0.2]])
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_per_layer_dropout_of_one_or_more_is_rejected(Est, rates, xy):
    X, y = xy(Est)
    est = Est(**{**FAST, "hidden_layer_sizes": (8, 8), "dropout": rates})
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        est.fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_scalar_dropout_of_one_is_rejected(Est, xy):
    X, y = xy(Est)
    for param in ("dropout", "input_dropout"):
        with pytest.raises(InvalidParameterError, match=rf"'{param}' parameter.*\[0.0, 1.0\)"):
            Est(**{**FAST, param: 1.0}).fit(X, y)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_batch_size_larger_than_data_is_clipped_with_a_warning(Est, method, xy):
    X, y = xy(Est)
    extra = {"classes": [0, 1]} if Est is CLF and method == "partial_fit" else {}
    # Without a validation split, so that all of X is trained on.
    big = Est(**{**FAST, "early_stopping": False, "batch_size": 10 * len(X)})
    with pytest.warns(UserWarning, match=f"batch_size={10 * len(X)}.*clipped to {len(X)}"):
        getattr(big, method)(X, y, **extra)
    exact = Est(**{**FAST, "early_stopping": False, "batch_size": len(X)})
    exact = getattr(exact, method)(X, y, **extra)
    for a, b in zip(big.coefs_, exact.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_bad_validation_data_gives_a_clear_error(Est, xy):
    X, y = xy(Est)
    cases = [
        (dict(X_val=X[:8]), "without y_val"),
        (dict(X_val=_with(X[:8], np.inf, (0, 0)), y_val=y[:8]), "contains infinity"),
        (dict(X_val=X[:8, :3], y_val=y[:8]), "X has 3 features"),
        (dict(X_val=X[:8], y_val=y[:7]), "inconsistent numbers of samples"),
        (dict(X_val=X[:8], y_val=y[:8], sample_weight_val=-np.ones(8)), "Negative values"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            Est(**FAST).fit(X, y, **kwargs)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_fit_does_not_modify_its_inputs(Est, xy):
    X, y = xy(Est, n=64)
    sw = np.linspace(0.5, 2.0, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    est = Est(**FAST, input_dropout=0.5, dropout=0.5, batch_normalization=True, batch_size=16)
    est.fit(X, y, sample_weight=sw).partial_fit(X, y, sample_weight=sw)
    est.predict(X)
    for before, after in zip(copies, (X, y, sw), strict=True):
        np.testing.assert_array_equal(before, after)


# ======================================================================= 2. numerical faults


# (estimator, solver, learning rate, problem, parameters): every solver at 1e10 and 1e300 on
# the small problem; plain SGD with the default network at 10 on the unscaled breast cancer
# data, and at 1e6 on iris as a regression with features x 1e3 and targets x 1e6.
_DIVERGING = (
    [
        (Est, solver, lr, "small", {**FAST, "max_iter": 20})
        for Est in ESTIMATORS
        for solver in ("sgd", "adam", "adamw", "rmsprop", "adagrad")
        for lr in (1e10, 1e300)
    ]
    # Raw features up to ~4000 (no input scaling, which would bound them).
    + [
        (Est, "sgd", 10.0, "cancer", dict(max_iter=50, input_scaling=None, random_state=0))
        for Est in ESTIMATORS
    ]
    + [(REG, "sgd", 1e6, "scaled_iris", dict(max_iter=20, random_state=0))]
)


def _diverging_problem(name, Est, request):
    if name == "small":
        return request.getfixturevalue("xy")(Est, n=60)
    if name == "cancer":  # features up to ~4000
        return request.getfixturevalue("cancer")
    X, y = request.getfixturevalue("iris")
    return X * 1e3, y * 1e6


@pytest.mark.parametrize(
    "Est, solver, lr, problem, params",
    _DIVERGING,
    ids=[f"{_name(E)}-{s}-{lr:g}-{p}" for E, s, lr, p, _ in _DIVERGING],
)
def test_huge_learning_rate_warns_and_keeps_finite_weights(
    Est, solver, lr, problem, params, request
):
    X, y = _diverging_problem(problem, Est, request)
    est = Est(**params, solver=solver, learning_rate_init=lr)
    caught = _fit_recording(est, X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    # The warning (divergence, or a loss that rose) names the learning rate that was too high.
    # (With a schedule, the rate at that step and the learning_rate_init behind it.)
    named = (f"learning rate ({lr:g}) is", f"learning_rate_init={lr:g}) is")
    assert any(text in m for m in messages for text in named), messages
    diverged = any(m.startswith("Training diverged") for m in messages)
    assert diverged or not (lr == 1e300 or problem == "scaled_iris"), messages
    _assert_finite_state(est)
    out = _predict_finite_or_clear_error(est, X)
    if diverged or problem != "small":
        # The divergence warning says the weights with the lowest training loss were kept:
        # those weights must at least predict the very data they were trained on.
        assert out is not None


@pytest.mark.parametrize("batch_normalization", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize(
    "dtype, scale", [(np.float64, 1e30), (np.float64, 1e300), (np.float32, 1e30)]
)
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_huge_inputs_keep_weights_and_predictions_finite(
    Est, dtype, scale, batch_normalization, xy
):
    X, y = xy(Est, n=60)
    X_huge = (X * scale).astype(dtype)
    assert np.isfinite(X_huge).all()
    est = Est(**{**FAST, "max_iter": 10}, batch_normalization=batch_normalization)
    _fit_recording(est, X_huge, y)
    _assert_finite_state(est)
    _predict_finite_or_clear_error(est, X_huge)
    # A model trained on normal data, asked about huge inputs.
    normal = Est(**FAST, batch_normalization=batch_normalization).fit(X.astype(dtype), y)
    _predict_finite_or_clear_error(normal, X_huge)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("c", [1e300, -1e300])
def test_regressor_huge_targets_give_finite_predictions_or_a_clear_error(c, dtype, xy):
    X, y = xy(REG, n=60)
    for target in (np.full(len(y), c), c * np.sign(y)):
        reg = REG(**FAST)
        try:
            _fit_recording(reg, X.astype(dtype), target)
        except ValueError as exc:
            assert len(str(exc)) > 30, f"unhelpful error message: {exc!r}"
            continue
        _assert_finite_state(reg)
        _predict_finite_or_clear_error(reg, X.astype(dtype))


# Found by tests/test_fuzz.py, each overflowing (with a RuntimeWarning) when predictions were
# mapped back to the target scale: in float32, raw outputs of order 1e30 times a target scale of
# order 1e30; in float64, integer features of 2**62 and plain SGD grow finite but huge weights
# (outputs ~1e293) times a target scale of 5e29.
_HUGE_CASES = {
    "float32-linear": (
        np.array([[1e30], [0.0], [5e29], [-1e30]], dtype=np.float32),
        np.array([1e30, 0.0, 5e29, -1e30]),
        dict(hidden_layer_sizes=()),
    ),
    "float32-hidden": (
        np.array([[1e30], [0.0], [5e29], [-1e30]], dtype=np.float32),
        np.array([1e30, 0.0, 5e29, -1e30]),
        dict(hidden_layer_sizes=(8,)),
    ),
    "int64-sgd": (
        np.array([[2**62, 0, 0, 0, 0], [-(2**62)] * 5], dtype=np.int64),
        np.array([1e30, 0.0]),
        dict(hidden_layer_sizes=(3,), solver="sgd", batch_size=1),
    ),
}


@pytest.mark.parametrize("case", list(_HUGE_CASES))
def test_regressor_huge_inputs_and_targets(case):
    X, y, params = _HUGE_CASES[case]
    reg = REG(max_iter=3, random_state=0, **params)
    try:
        _fit_recording(reg, X, y)
        reg.partial_fit(X, y)
    except ValueError as exc:
        assert len(str(exc)) > 30, exc
        return
    _assert_finite_state(reg)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="skdeep")
        _predict_finite_or_clear_error(reg, X)


def test_regressor_prediction_overflowing_float64_is_a_clear_error(xy):
    # The same path made certain: an output of 1e10 times a target scale of 1e300.
    X, y = xy(REG, n=30)
    reg = REG(**FAST).fit(X, y)
    reg.intercepts_[-1][:] = 1e10
    reg.coefs_[-1][:] = 0.0
    reg.target_scale_ = np.array([1e300])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning)
        with pytest.raises(ValueError, match="Predictions exceed the range of float64"):
            reg.predict(X)


@pytest.mark.parametrize("batch_normalization", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_constant_features(Est, batch_normalization, xy):
    X, y = xy(Est, n=60)
    params = dict(**{**FAST, "max_iter": 20}, batch_normalization=batch_normalization)
    with_constant = np.column_stack([X, np.full(len(X), 7.0), np.zeros(len(X))])
    est = Est(**params)
    _fit_recording(est, with_constant, y)
    _assert_finite_state(est)
    assert _predict_finite_or_clear_error(est, with_constant) is not None
    # Nothing but constants: a valid (if useless) model, predicting one value for every row.
    est = Est(**params)
    _fit_recording(est, np.full((60, 3), 7.0), y)
    _assert_finite_state(est)
    out = _predict_finite_or_clear_error(est, np.full((5, 3), 7.0))
    assert out is not None
    np.testing.assert_allclose(out, np.broadcast_to(out[:1], out.shape), rtol=1e-12)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_duplicated_rows(Est, xy):
    X, y = xy(Est, n=6)
    X_dup, y_dup = np.repeat(X, 10, axis=0), np.repeat(y, 10)
    est = Est(**{**FAST, "max_iter": 20}, batch_normalization=True, batch_size=8)
    _fit_recording(est, X_dup, y_dup)
    _assert_finite_state(est)
    out = _predict_finite_or_clear_error(est, X_dup)
    assert out is not None
    # Identical rows get identical predictions.
    np.testing.assert_allclose(out[::10], out[9::10], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("c", [3.0, 0.1, -1e6, 1e-30, 7.3e12])
def test_regressor_all_identical_targets_train_cleanly(c, dtype, xy):
    X, _ = xy(REG, n=60)
    X = X.astype(dtype)
    y = np.full(len(X), c)
    # (One epoch of a single step: log_cosine would start and stay at 0.)
    one_epoch = REG(
        hidden_layer_sizes=(8,), max_iter=1, learning_rate="constant", random_state=0
    ).fit(X, y)
    reg = REG(hidden_layer_sizes=(8,), random_state=0)
    caught = _fit_recording(reg, X, y)
    _assert_finite_state(reg)
    # A constant target has scale 1 (and is predicted exactly), never a NaN or infinite scale.
    assert np.isfinite(reg.target_scale_).all() and (reg.target_scale_ > 0).all()
    # Nothing to learn is no reason for a warning: the fit neither diverges nor rises.
    assert not any(issubclass(w.category, ConvergenceWarning) for w in caught), caught
    pred = _predict_finite_or_clear_error(reg, X)
    assert pred is not None
    error = np.abs(pred.astype(np.float64) - c).mean()
    assert error <= np.abs(one_epoch.predict(X).astype(np.float64) - c).mean()


@pytest.mark.parametrize("c", [3.0, -1e6, 0.1])
def test_regressor_constant_target_is_predicted_as_that_constant(c, xy):
    # Nothing varies, so there is nothing to learn: like a linear model (or a
    # DummyRegressor), the prediction is the constant itself, not the constant plus whatever
    # the randomly initialized network outputs.
    X, _ = xy(REG, n=60)
    reg = REG(hidden_layer_sizes=(8,), random_state=0).fit(X, np.full(len(X), c))
    np.testing.assert_allclose(reg.predict(X), c, rtol=1e-6, atol=1e-6)


def _first_layer_statistics(est, X):
    """Running mean/variance of the first batch-norm layer vs. the real pre-activations."""
    Z = X.astype(np.float64) @ est.coefs_[0] + est.intercepts_[0]
    running_mean = est.batch_norm_running_mean_[0].astype(np.float64)
    running_var = est.batch_norm_running_var_[0].astype(np.float64)
    return running_var / Z.var(axis=0), np.abs(running_mean - Z.mean(axis=0)) / Z.std(axis=0)


@pytest.mark.parametrize("n", [32, 33, 64, 65])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_batch_norm_with_a_final_batch_of_one_sample(Est, dtype, n, xy):
    # batch_size=32: n=33 and n=65 end every epoch with a batch of exactly one sample, whose
    # variance is 0 and whose mean is one row. n=32 and n=64 are the controls.
    X, y = xy(Est, n=n)
    X = X.astype(dtype)
    # scikit-learn's configuration: no validation split, and X is what the first layer sees.
    est = Est.like_sklearn(
        hidden_layer_sizes=(8,),
        batch_normalization=True,
        batch_size=32,
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    )
    _fit_recording(est, X, y)
    _assert_finite_state(est)
    assert _predict_finite_or_clear_error(est, X) is not None
    # The inference statistics describe the training data: a lone sample must not drag the
    # running variance towards 0 or the running mean towards one row.
    var_ratio, mean_offset = _first_layer_statistics(est, X)
    assert 0.8 < var_ratio.min() and var_ratio.max() < 1.25, var_ratio
    assert mean_offset.max() < 0.1, mean_offset


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_batch_norm_with_batch_size_one_warns_or_raises(Est, xy):
    # Every batch has a single sample, so batch normalization sees a variance of 0 and
    # normalizes every hidden unit to beta: training cannot work and should say so.
    X, y = xy(Est, n=20)
    est = Est(**{**FAST, "max_iter": 5}, batch_normalization=True, batch_size=1)
    try:
        caught = _fit_recording(est, X, y)
    except ValueError as exc:
        assert "batch" in str(exc), exc
        return
    messages = [str(w.message) for w in caught]
    assert any("batch" in m and "norm" in m for m in messages), messages
    _assert_finite_state(est)


# ============================================================================ 3. persistence

ALL_FEATURES = dict(
    hidden_layer_sizes=(16, 8),
    dropout=(0.1, 0.2),
    input_dropout=0.05,
    batch_normalization=True,
    penalty="elasticnet",
    alpha=1e-3,
    solver="adamw",
    clip_norm=1.0,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=3,
    activation="elu",
    weight_init="he_normal",
    max_iter=15,
    # A rate that stays above 0 after max_iter epochs, so that continuing (partial_fit)
    # changes the weights.
    learning_rate="constant",
    training_dtype="auto",
    random_state=0,
)

_LOAD_AND_PREDICT = r"""
import json, pickle, sys
import joblib, numpy as np
import skdeep
from skdeep._kernels import _epoch

def stats(dispatcher):
    s = dispatcher.stats
    return {"hits": len(s.cache_hits), "misses": [str(k) for k in s.cache_misses]}

d = sys.argv[1]
X = np.load(d + "/X.npy")
y = np.load(d + "/y.npy")
with open(d + "/model.pkl", "rb") as f:
    models = {"pickle": pickle.load(f), "joblib": joblib.load(d + "/model.joblib")}
for name, est in models.items():
    np.save(f"{d}/{name}_predict.npy", est.predict(X))
    if hasattr(est, "predict_proba"):
        np.save(f"{d}/{name}_proba.npy", est.predict_proba(X))
result = {"skdeep": skdeep.__file__, "forward": stats(_epoch.forward)}
for name, est in models.items():
    n_epochs = len(est.loss_curve_)
    est.set_params(early_stopping=False).partial_fit(X, y)
    result[name + "_epochs"] = [n_epochs, len(est.loss_curve_)]
    np.save(f"{d}/{name}_continued.npy", est.predict(X))
result["run_epoch"] = stats(_epoch.run_epoch)
print("RESULT:" + json.dumps(result))
"""


def _run_python(code, *args, env=None, cwd=None, prefix=()):
    result = subprocess.run(
        [*prefix, sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    lines = [s for s in result.stdout.splitlines() if s.startswith(_RESULT_MARK)]
    assert lines, result.stdout[-3000:] + result.stderr[-5000:]
    return json.loads(lines[-1][len(_RESULT_MARK) :])


def _persistence_data(Est, dtype):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 5).astype(dtype)
    if Est is CLF:  # string labels, three classes
        y = np.array(["cat", "dog", "emu"])[np.argmax(X[:, :3], axis=1)]
    else:  # two outputs on very different scales
        y = np.column_stack([X @ np.arange(5.0), 1e4 + 50 * X[:, 0] ** 2])
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_pickle_and_joblib_round_trip_in_a_fresh_process(Est, dtype, tmp_path):
    X, y = _persistence_data(Est, dtype)
    est = Est(**ALL_FEATURES).fit(X, y)
    assert est.coefs_[0].dtype == dtype and est.validation_scores_ is not None
    blob = pickle.dumps(est)
    (tmp_path / "model.pkl").write_bytes(blob)
    joblib.dump(est, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    expected = {"predict": est.predict(X)}
    if Est is CLF:
        expected["proba"] = est.predict_proba(X)
    # Loaded in this process, both copies predict exactly like the original.
    in_process = {"pickle": pickle.loads(blob), "joblib": joblib.load(tmp_path / "model.joblib")}
    for fmt, loaded in in_process.items():
        np.testing.assert_array_equal(loaded.predict(X), expected["predict"], err_msg=fmt)
        if Est is CLF:
            np.testing.assert_array_equal(loaded.predict_proba(X), expected["proba"], err_msg=fmt)
    # What one more epoch gives in this process, from an unpickled copy: training goes on
    # where it stopped.
    continued = pickle.loads(blob).set_params(early_stopping=False).partial_fit(X, y)
    assert len(continued.loss_curve_) == len(est.loss_curve_) + 1
    expected["continued"] = continued.predict(X)

    result = _run_python(_LOAD_AND_PREDICT, tmp_path, cwd=tmp_path)

    assert result["skdeep"] == skdeep.__file__
    for fmt in ("pickle", "joblib"):
        for what, value in expected.items():
            loaded = np.load(tmp_path / f"{fmt}_{what}.npy")
            assert loaded.dtype == value.dtype, (fmt, what)
            np.testing.assert_array_equal(loaded, value, err_msg=f"{fmt} {what}")
        assert result[fmt + "_epochs"] == [len(est.loss_curve_), len(est.loss_curve_) + 1]
    # The fresh process loaded the compiled kernels from numba's cache: nothing recompiled.
    for kernel in ("forward", "run_epoch"):
        assert result[kernel]["hits"] >= 1, (kernel, result)
        assert result[kernel]["misses"] == [], (kernel, result)


# ==================================================================== 4. odd memory layouts


def _mmap_npy(X, tmp_path):
    np.save(tmp_path / "X.npy", X)
    return np.load(tmp_path / "X.npy", mmap_mode="r")


def _mmap_joblib(X, tmp_path):
    joblib.dump(X, tmp_path / "X.joblib")
    return joblib.load(tmp_path / "X.joblib", mmap_mode="r")


def _read_only(X, tmp_path):
    X = X.copy()
    X.flags.writeable = False
    return X


FLOAT_LAYOUTS = {
    "mmap_npy": _mmap_npy,
    "mmap_joblib": _mmap_joblib,
    "read_only": _read_only,
    "fortran": lambda X, _: np.asfortranarray(X),
    "column_slice": lambda X, _: np.repeat(X, 2, axis=1)[:, ::2],
    "row_slice": lambda X, _: np.repeat(X, 2, axis=0)[::2],
    "transposed": lambda X, _: np.ascontiguousarray(X.T).T,
    "big_endian": lambda X, _: X.astype(X.dtype.newbyteorder(">")),
    "dataframe": lambda X, _: pd.DataFrame(X),
}
OTHER_LAYOUTS = {
    # name: (make X from float X, dtype the model trains in)
    "int64": (lambda X: np.round(X * 3).astype(np.int64), np.float64),
    "int32": (lambda X: np.round(X * 3).astype(np.int32), np.float64),
    "uint8": (lambda X: (X > 0).astype(np.uint8), np.float64),
    "bool": (lambda X: X > 0, np.float64),
    "float16": (lambda X: X.astype(np.float16), np.float64),
    "object_numbers": (lambda X: X.astype(object), np.float64),
    "int_fortran_slice": (
        lambda X: np.asfortranarray(np.round(np.repeat(X, 2, axis=1) * 3).astype(int))[:, ::2],
        np.float64,
    ),
}
LAYOUT_CASES = [(name, dt) for name in FLOAT_LAYOUTS for dt in (np.float64, np.float32)] + [
    (name, None) for name in OTHER_LAYOUTS
]
LAYOUT_PARAMS = dict(
    training_dtype="auto",
    learning_rate="constant",  # partial_fit continues with a rate above 0
    hidden_layer_sizes=(8,),
    batch_normalization=True,
    dropout=0.1,
    input_dropout=0.1,
    batch_size=16,
    max_iter=5,
    random_state=0,
)


@pytest.mark.parametrize(
    "layout, dtype",
    LAYOUT_CASES,
    ids=[f"{n}-{dt.__name__}" if dt else n for n, dt in LAYOUT_CASES],
)
@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_odd_layouts_train_and_predict_like_a_c_contiguous_copy(Est, layout, dtype, tmp_path, xy):
    X, y = xy(Est, n=50)
    if dtype is not None:
        X_odd = FLOAT_LAYOUTS[layout](X.astype(dtype), tmp_path)
        train_dtype = dtype
    else:
        make, train_dtype = OTHER_LAYOUTS[layout]
        X_odd = make(X)
    X_ref = np.array(np.asarray(X_odd), dtype=train_dtype, order="C")
    snapshot = X_ref.copy()

    ref = Est(**LAYOUT_PARAMS).fit(X_ref, y)
    odd = Est(**LAYOUT_PARAMS).fit(X_odd, y)
    assert odd.coefs_[0].dtype == train_dtype
    for name in ("coefs_", "batch_norm_running_var_"):
        for a, b in zip(getattr(odd, name), getattr(ref, name), strict=True):
            np.testing.assert_array_equal(a, b)
    expected = ref.predict(X_ref)
    np.testing.assert_array_equal(odd.predict(X_odd), expected)
    np.testing.assert_array_equal(ref.predict(X_odd), expected)
    if Est is CLF:
        np.testing.assert_array_equal(ref.predict_proba(X_odd), ref.predict_proba(X_ref))
    odd.partial_fit(X_odd, y)  # continuing works on the odd layout too
    assert np.isfinite(odd.coefs_[0]).all()
    np.testing.assert_array_equal(np.asarray(X_odd, dtype=train_dtype), snapshot)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_read_only_memmapped_y_and_sample_weight(Est, tmp_path, xy):
    X, y = xy(Est, n=50)
    sw = np.linspace(0.1, 2.0, len(y))
    paths = {}
    for name, array in (("X", X), ("y", y), ("sw", sw)):
        paths[name] = tmp_path / f"{name}.npy"
        np.save(paths[name], array)
    X_m, y_m, sw_m = (np.load(paths[k], mmap_mode="r") for k in ("X", "y", "sw"))
    assert not (X_m.flags.writeable or y_m.flags.writeable or sw_m.flags.writeable)
    ref = Est(**LAYOUT_PARAMS).fit(X, y, sample_weight=sw)
    odd = Est(**LAYOUT_PARAMS).fit(X_m, y_m, sample_weight=sw_m)
    np.testing.assert_array_equal(odd.predict(X_m), ref.predict(X))
    odd.partial_fit(X_m, y_m, sample_weight=sw_m)
    assert np.isfinite(odd.predict(X_m).astype(float)).all()


# ============================================================================ 5. concurrency


@pytest.mark.parametrize("Est", ESTIMATORS, ids=_ids)
def test_one_fitted_model_predicts_from_many_threads(Est, xy):
    X, y = xy(Est, n=3000, p=10)
    est = Est(hidden_layer_sizes=(32,), batch_normalization=True, max_iter=3, random_state=0)
    est.fit(X, y)
    expected = est.predict_proba(X) if Est is CLF else est.predict(X)
    barrier = threading.Barrier(8, timeout=120)

    def work(_):
        barrier.wait()
        return [est.predict_proba(X) if Est is CLF else est.predict(X) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        for outputs in pool.map(work, range(8)):
            for out in outputs:
                np.testing.assert_array_equal(out, expected)


_DROP_WRITE_OVERRIDE = r"""
import ctypes, os, sys
# As root, take CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH) out of the bounding set, then exec:
# the new process is still uid 0 but obeys file permissions like any other user.
libc = ctypes.CDLL(None, use_errno=True)
for cap in (1, 2):
    if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
os.execv(sys.argv[1], sys.argv[1:])
"""

_FIT_FROM_READ_ONLY_COPY = r"""
import json, os, sys, warnings
package = sys.argv[1]
probe = os.path.join(package, "_kernels", "__pycache__")
try:
    os.mkdir(probe)
    writable = True
except PermissionError:
    writable = False
import numpy as np
import skdeep
from skdeep import RegularizedMLPClassifier
from skdeep._kernels import _epoch
rng = np.random.RandomState(0)
X = rng.randn(40, 3)
y = (X[:, 0] > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(4,), max_iter=2, random_state=0
    )
    proba = clf.fit(X, y).predict_proba(X)
s = {k: getattr(_epoch, k).stats for k in ("run_epoch", "forward")}
print("RESULT:" + json.dumps({
    "writable": writable,
    "skdeep": skdeep.__file__,
    "finite": bool(np.isfinite(proba).all()),
    "cache_path": s["run_epoch"].cache_path,
    "hits": {k: len(v.cache_hits) for k, v in s.items()},
    "misses": {k: len(v.cache_misses) for k, v in s.items()},
}))
"""


def _set_writable(root, writable):
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


@pytest.mark.slow  # ~30 s: a fresh process compiles the kernels from scratch
def test_fit_from_a_read_only_install_uses_a_writable_numba_cache(tmp_path):
    site = tmp_path / "site"
    package = copy_package(site)
    user_cache = tmp_path / "user-cache"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(user_cache))
    # Root ignores file permissions; its child drops that privilege before running Python.
    prefix = (sys.executable, "-c", _DROP_WRITE_OVERRIDE) if os.geteuid() == 0 else ()
    _set_writable(site, False)
    try:
        runs = [
            _run_python(_FIT_FROM_READ_ONLY_COPY, package, env=env, cwd=tmp_path, prefix=prefix)
            for _ in range(2)
        ]
        left_in_package = sorted(p.name for p in package.rglob("*.nb[ic]"))
    finally:
        _set_writable(site, True)
    for run in runs:
        assert run["writable"] is False, "the test could not make the package read-only"
        assert run["skdeep"] == str(package / "__init__.py")
        assert run["finite"]
        assert Path(run["cache_path"]).is_relative_to(user_cache), run["cache_path"]
    assert left_in_package == []
    assert list(user_cache.rglob("*.nbi")), "numba wrote no cache index to the fallback"
    # The second process found the kernels the first one compiled into the fallback cache.
    assert runs[1]["hits"] == {"run_epoch": 1, "forward": 1}, runs[1]
    assert runs[1]["misses"] == {"run_epoch": 0, "forward": 0}, runs[1]


_PREDICT_WITH_A_FIXED_NETWORK = r"""
import json
import numpy as np
import skdeep
from skdeep._inference import network_outputs
from skdeep._kernels import _epoch
from skdeep._network import RELU, NetworkLayout
net = NetworkLayout([2, 3, 1], False)
theta = np.linspace(-1.0, 1.0, net.n_params)
X = np.array([[1.0, -2.0], [-0.5, 0.25], [2.0, 1.0]])
out = network_outputs(X, None, theta, np.zeros(0), net.kernel_tables, RELU)
s = _epoch.forward.stats
print("RESULT:" + json.dumps({
    "skdeep": skdeep.__file__,
    "out": out.ravel().tolist(),
    "hits": len(s.cache_hits),
    "misses": len(s.cache_misses),
}))
"""


@pytest.mark.slow  # ~25 s: three fresh processes, two of them compile a kernel
def test_an_edited_helper_kernel_is_recompiled_not_served_from_the_cache(tmp_path):
    # forward (in _epoch.py) inlines the ReLU of activate_inference (in _forward.py).
    # numba alone keys the cache on _epoch.py and would keep running the old ReLU.
    site = tmp_path / "site"
    package = copy_package(site)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "user-cache"))
    first = _run_python(_PREDICT_WITH_A_FIXED_NETWORK, env=env, cwd=tmp_path)
    second = _run_python(_PREDICT_WITH_A_FIXED_NETWORK, env=env, cwd=tmp_path)
    assert first["skdeep"] == str(package / "__init__.py")
    # The cache is in use: the second process loads what the first one compiled.
    assert (first["misses"], second["hits"], second["misses"]) == (1, 1, 0)
    assert second["out"] == first["out"]

    forward = package / "_kernels" / "_forward.py"
    source = forward.read_text()
    relu = (
        "    elif code == RELU:\n"
        "        for i in range(n):\n"
        "            for j in range(m):\n"
        "                if Z[i, j] < 0:\n"
        "                    Z[i, j] = 0.0\n"
    )
    assert source.count(relu) == 1, "the ReLU of activate_inference moved; update this test"
    forward.write_text(source.replace(relu, relu.replace("= 0.0", "= 0.5 * Z[i, j]")))
    edited = _run_python(_PREDICT_WITH_A_FIXED_NETWORK, env=env, cwd=tmp_path)
    assert (edited["hits"], edited["misses"]) == (0, 1)

    # What the edited kernel computes: a leaky ReLU with slope 0.5.
    from skdeep._network import NetworkLayout

    net = NetworkLayout([2, 3, 1], False)
    theta = np.linspace(-1.0, 1.0, net.n_params)
    views = net.unpack(theta, np.zeros(0))
    X = np.array([[1.0, -2.0], [-0.5, 0.25], [2.0, 1.0]])
    Z = X @ views["coefs_"][0] + views["intercepts_"][0]
    assert (Z < 0).any(), "the test network must have negative pre-activations"
    A = np.where(Z < 0, 0.5 * Z, Z)
    expected = A @ views["coefs_"][1] + views["intercepts_"][1]
    np.testing.assert_allclose(edited["out"], expected.ravel(), rtol=1e-12)
    assert edited["out"] != first["out"]


def test_a_model_pickled_by_skdeep_0_1_0_predicts_and_keeps_training():
    # Pickled by skdeep 0.1.0 (commit 19f5625), whose estimators kept the kernel arrays and
    # the early-stopping counters as private attributes of their own.
    with open(DATA_DIR / "skdeep-0.1.0-models.pkl", "rb") as f:
        saved = pickle.load(f)
    X, clf, reg = saved["X"], saved["clf"], saved["reg"]
    # 0.1.0 computed the logistic function by another formula: equal to rounding.
    np.testing.assert_allclose(clf.predict_proba(X), saved["proba"], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(reg.predict(X), saved["pred"])
    n_epochs = len(clf.loss_curve_)
    clf.partial_fit(X, saved["y_clf"])  # continues with the pickled optimizer state
    assert len(clf.loss_curve_) == n_epochs + 1 and np.isfinite(clf.loss_curve_).all()
    assert not np.array_equal(clf.predict_proba(X), saved["proba"])
    n_before = len(reg.loss_curve_)
    coefs_before = reg.coefs_[0].copy()
    reg.set_params(warm_start=True, early_stopping=False, max_iter=10).fit(X, saved["y_reg"])
    assert reg.n_iter_ == 10 and len(reg.loss_curve_) == len(reg.history_) == n_before + 10
    assert reg.loss_curve_[-1] < reg.loss_curve_[n_before]  # it went on learning
    assert not np.array_equal(reg.coefs_[0], coefs_before)


def test_class_weights_that_zero_every_sample_are_a_clear_error(xy):
    X, y = xy(CLF)
    with pytest.raises(ValueError, match="sample_weight sums to zero"):
        CLF(class_weight={0: 0.0, 1: 0.0}).fit(X, y)
