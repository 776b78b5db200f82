"""Property-based fuzzing of both estimators with hypothesis.

Random shapes, dtypes, magnitudes, NaN / inf, label types and hyperparameters; and random
DataFrames (numeric, nullable integer and boolean, categorical with unused levels, mixed
objects, strings, gaps, duplicated and non-string column names), each also predicted as a
sparse matrix where its values allow, after ``partial_fit`` and after pickling. Every example
must either fit and predict finite values, or raise a clean ``ValueError`` / ``TypeError``
(raised by the validation code with a message, not from deep inside numpy or numba) -- never
another exception, never a RuntimeWarning (overflow ...) in skdeep's code, never NaN output.
A clean error ends an example early, so each test also counts its outcomes: enough examples
must have fitted and predicted, or a run where (nearly) everything errored would pass.
"""

import collections
import os
import pickle
import tempfile
import traceback
import warnings
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from sklearn.exceptions import ConvergenceWarning

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._network import FITTED_ATTRIBUTES

# 500 examples per estimator and input kind (arrays, DataFrames): 10-20 s each.
pytestmark = pytest.mark.slow

# Hypothesis keeps caches in ./.hypothesis: keep them out of the work tree.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "skdeep-hypothesis")
# No example database (it would live there too). Derandomized, so that every run of the test
# suite (CI included) checks the same examples and a failure reproduces; set
# SKDEEP_FUZZ_EXPLORE=1 to draw new examples on each run (with --hypothesis-seed=N to pick them).
settings.register_profile(
    "skdeep",
    max_examples=500,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SKDEEP_FUZZ_EXPLORE", "0") in ("", "0"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
FUZZ = settings.get_profile("skdeep")

_LIBRARY_DIRS = tuple(os.path.dirname(m.__file__) + os.sep for m in (np, numba))
EXTREMES = [1e30, -1e30, 1e-30, -1e-30, 0.0]


@st.composite
def feature_matrices(draw):
    n = draw(st.integers(1, 40))
    p = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["float32", "float64", "int", "bool"]))
    if kind == "bool":
        X = draw(hnp.arrays(np.bool_, (n, p)))
    elif kind == "int":
        X = draw(
            hnp.arrays(
                np.int64,
                (n, p),
                elements=st.one_of(st.integers(-5, 5), st.sampled_from([-(2**62), 2**62])),
            )
        )
    else:
        dtype = np.dtype(kind)
        scale = draw(st.sampled_from([1.0, 1e30, 1e-30]))
        X = draw(hnp.arrays(dtype, (n, p), elements=st.floats(-10, 10, width=dtype.itemsize * 8)))
        X = (X * scale).astype(dtype)
        # Extreme magnitudes, NaN and inf at random positions.
        specials = EXTREMES + ([np.nan, np.inf, -np.inf] if draw(st.integers(0, 3)) == 0 else [])
        for _ in range(draw(st.integers(0, 3))):
            X[draw(st.integers(0, n - 1)), draw(st.integers(0, p - 1))] = draw(
                st.sampled_from(specials)
            )
    return X


@st.composite
def classification_targets(draw, n):
    kind = draw(st.sampled_from(["int", "str", "bool", "float"]))
    if kind == "int":
        return np.array(draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n)))
    if kind == "str":
        return np.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)))
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-3, 3)))  # continuous
    if draw(st.integers(0, 4)) == 0:
        y[draw(st.integers(0, n - 1))] = draw(st.sampled_from([np.nan, np.inf]))
    return y


@st.composite
def regression_targets(draw, n):
    kind = draw(st.sampled_from(["float", "int", "bool", "2d"]))
    if kind == "int":
        return np.array(draw(st.lists(st.integers(-100, 100), min_size=n, max_size=n)))
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    shape = (n, 2) if kind == "2d" else n
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10)))
    y = y * draw(st.sampled_from([1.0, 1e30, 1e-30]))
    specials = EXTREMES + ([np.nan, np.inf] if draw(st.integers(0, 3)) == 0 else [])
    for _ in range(draw(st.integers(0, 2))):
        y.flat[draw(st.integers(0, y.size - 1))] = draw(st.sampled_from(specials))
    return y


hyperparameters = st.fixed_dictionaries(
    {
        "hidden_layer_sizes": st.sampled_from([(), (3,), (4, 2)]),
        "solver": st.sampled_from(["adam", "adamw", "sgd", "rmsprop", "adagrad", "lbfgs"]),
        "activation": st.sampled_from(
            ["relu", "tanh", "logistic", "elu", "identity", "selu", "mish", "gelu", "silu"]
        ),
        "input_scaling": st.sampled_from([None, "robust"]),
        "numeric_embeddings": st.sampled_from([None, "periodic"]),
        "scaling_layer": st.booleans(),
        "parametric_activation": st.booleans(),
        "weight_init": st.sampled_from(["auto", "data_aware"]),
        "batch_normalization": st.booleans(),
        "dropout": st.sampled_from([0.0, 0.5]),
        "input_dropout": st.sampled_from([0.0, 0.2]),
        "batch_size": st.sampled_from(["auto", 1, 7, 64]),
        "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0]),
        "early_stopping": st.booleans(),
        "clip_norm": st.sampled_from([None, 1.0]),
    }
)


def _assert_clean_error(exc):
    """A ValueError / TypeError with a message, raised by validation code."""
    assert isinstance(exc, (ValueError, TypeError)), "".join(traceback.format_exception(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    origin = frames[-1].filename if frames else ""
    assert not origin.startswith(_LIBRARY_DIRS), (
        f"{type(exc).__name__} escaped from inside {origin}:\n"
        + "".join(traceback.format_exception(exc))
    )
    assert len(str(exc)) > 10, repr(exc)


def _assert_finite_model(est):
    for name in FITTED_ATTRIBUTES:
        value = getattr(est, name)
        for array in value if isinstance(value, list) else [value]:
            assert np.isfinite(array).all(), f"{name} is not finite"


# Outcomes of the examples of the running test: "fitted" (fit, partial_fit and predict
# succeeded) or "clean_error". Reset by each test; one test runs at a time per process.
_OUTCOMES = collections.Counter()

# The share of its examples that each test requires to fit and predict. Measured with the
# derandomized examples (the default), with every solver (lbfgs included) and the tabular-recipe
# parameters in the strategies: 172 of the classifier's 500 examples (34 %) and 303 of the
# regressor's 500 (61 %) fitted and predicted; the rest drew NaN / inf, continuous or
# single-class labels, too few rows for early stopping, options lbfgs refuses, and so on.
# (Before lbfgs and the recipe parameters: 34 % and 67 %, and 29-38 % and 66-72 % over three
# runs with SKDEEP_FUZZ_EXPLORE=1.) The thresholds, 20 % and 40 %, sit well below these, so
# that a change of the strategies or of validation does not trip them, yet an estimator that
# raises a clean error on every input, or on most of them, fails.
MIN_FITTED_SHARE = {"classifier": 0.20, "regressor": 0.40}


def _assert_enough_fitted(kind):
    total = sum(_OUTCOMES.values())
    assert total >= 100, f"only {total} examples ran: {dict(_OUTCOMES)}"
    share = _OUTCOMES["fitted"] / total
    assert share >= MIN_FITTED_SHARE[kind], (
        f"only {share:.0%} of the {total} {kind} examples fitted and predicted (at least "
        f"{MIN_FITTED_SHARE[kind]:.0%} expected): {dict(_OUTCOMES)}"
    )


def _check(est, X, y):
    """Fit, continue one epoch, predict: finite output or a clean error, nothing else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
        # As in the project's pytest configuration: a RuntimeWarning (overflow, invalid value)
        # in skdeep's own code is an error. scikit-learn's validation may warn on its own
        # (e.g. summing inf and -inf while checking X for infinity) before its clean error.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("error", category=RuntimeWarning, module="skdeep")
        try:
            est.fit(X, y)
            if not est.early_stopping and hasattr(est, "partial_fit"):  # not with lbfgs
                est.partial_fit(X, y)
        except Exception as exc:  # the check is which exception it is
            _assert_clean_error(exc)
            _OUTCOMES["clean_error"] += 1
            return None
        _assert_finite_model(est)
        try:
            out = [est.predict(X)]
            if hasattr(est, "predict_proba"):
                out.append(est.predict_proba(X))
        except Exception as exc:
            _assert_clean_error(exc)
            _OUTCOMES["clean_error"] += 1
            return None
    _OUTCOMES["fitted"] += 1
    return out


@FUZZ
@given(data=st.data(), params=hyperparameters)
def _fuzz_classifier(data, params):
    X = data.draw(feature_matrices(), label="X")
    y = data.draw(classification_targets(len(X)), label="y")
    clf = RegularizedMLPClassifier(max_iter=3, random_state=0, **params)
    out = _check(clf, X, y)
    if out is None:
        return
    labels, proba = out
    assert labels.shape == (len(X),)
    assert set(labels) <= set(clf.classes_)
    assert proba.shape == (len(X), len(clf.classes_))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)


@FUZZ
@given(data=st.data(), params=hyperparameters)
def _fuzz_regressor(data, params):
    X = data.draw(feature_matrices(), label="X")
    y = data.draw(regression_targets(len(X)), label="y")
    reg = RegularizedMLPRegressor(max_iter=3, random_state=0, **params)
    out = _check(reg, X, y)
    if out is None:
        return
    (pred,) = out
    assert pred.shape == y.shape
    assert np.isfinite(pred).all(), pred


def test_fuzz_classifier():
    _OUTCOMES.clear()
    _fuzz_classifier()  # runs every example
    _assert_enough_fitted("classifier")


def test_fuzz_regressor():
    _OUTCOMES.clear()
    _fuzz_regressor()
    _assert_enough_fitted("regressor")


# ----------------------------------------------------------------------------- DataFrames

# A column of each kind a real table has: float with gaps, nullable integers and booleans,
# categories with unused levels, objects mixing numbers, text and None, strings, and a
# column with no value at all.
COLUMN_KINDS = ["float", "Int64", "boolean", "category", "object", "string", "empty"]


@st.composite
def column_values(draw, kind, n):
    if kind == "empty":
        return pd.Series([np.nan] * n, dtype=float)
    if kind == "float":
        values, dtype = draw(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n)), float
    elif kind == "Int64":
        values, dtype = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), "Int64"
    elif kind == "boolean":
        values, dtype = draw(st.lists(st.booleans(), min_size=n, max_size=n)), "boolean"
    elif kind == "category":
        values = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
        dtype = pd.CategoricalDtype(["a", "b", "c", "unused"])
    elif kind == "object":
        element = st.sampled_from([1, 2.5, "x", "y", True])
        values, dtype = draw(st.lists(element, min_size=n, max_size=n)), object
    else:
        element = st.sampled_from(["north", "south", "east"]) | st.text(max_size=3)
        values, dtype = draw(st.lists(element, min_size=n, max_size=n)), "string"
    # Gaps in half of the columns: a missing value in up to a third of the rows.
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, max(1, n // 3)))):
            values[draw(st.integers(0, n - 1))] = None
    return pd.Series(values, dtype=dtype)


@st.composite
def frames(draw):
    n = draw(st.integers(1, 30))
    kinds = draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=1, max_size=5))
    k = len(kinds)
    naming = draw(st.sampled_from(["str"] * 5 + ["int", "duplicated", "mixed"]))
    if naming == "str":
        names = draw(
            st.lists(st.text(min_size=1, max_size=4), min_size=k, max_size=k, unique=True)
        )
    elif naming == "int":
        names = list(range(10, 10 + k))
    else:
        pool = ["a", "b"] if naming == "duplicated" else ["a", 0, 2.5, ("t", 1)]
        names = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k))
    frame = pd.concat([draw(column_values(kind, n)) for kind in kinds], axis=1)
    frame.columns = names
    return frame


table_hyperparameters = st.fixed_dictionaries(
    {
        "hidden_layer_sizes": st.sampled_from([(), (3,)]),
        "solver": st.sampled_from(["adamw", "sgd", "lbfgs"]),
        "numeric_embeddings": st.sampled_from([None, "auto"]),
        "input_scaling": st.sampled_from([None, "robust"]),
        "max_one_hot_levels": st.sampled_from([1, 2, 9]),
        "min_category_count": st.sampled_from([1, 2]),
        "missing_indicators": st.booleans(),
        "early_stopping": st.booleans(),
    }
)

# Measured with the derandomized examples (the default): 414 of the classifier's 500
# examples (83 %) and 398 of the regressor's 500 (80 %) fitted, predicted and passed every
# path (about 12 s each), 76 and 41 of them also as sparse rows; the rest drew duplicated
# column names, classes with one row, too few rows for early stopping and the like, and got
# clean errors. The thresholds leave room for changes of the strategies, yet fail an
# estimator that refuses many tables or a strategy that stops drawing complete numeric ones.
MIN_FITTED_TABLE_SHARE = {"classifier": 0.50, "regressor": 0.50}
MIN_SPARSE_PATH = 20


def _check_table(est, frame, y):
    """Fit a frame, then predict it as it is, as sparse rows, after pickling and in part:
    finite and equal outputs, or a clean error from fit or the first predict (once those
    have worked, the other paths must too)."""
    out = _check(est, frame, y)
    if out is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        numeric = frame.select_dtypes("number")
        if numeric.shape[1] == frame.shape[1] and not numeric.isna().any(axis=None):
            # All numbers and complete: a sparse matrix of them is the same rows.
            rows = sp.csr_matrix(numeric.to_numpy(dtype=float))
            np.testing.assert_array_equal(est.predict(rows), out[0])
            _OUTCOMES["sparse_path"] += 1
        loaded = pickle.loads(pickle.dumps(est))
        for got, expected in zip(_outputs_of(loaded, frame), out, strict=True):
            np.testing.assert_array_equal(got, expected)
        head = frame.iloc[: max(1, len(frame) // 2)]
        # Fewer rows may round differently in the matrix products (by an ulp or so).
        np.testing.assert_allclose(
            _outputs_of(est, head)[-1], out[-1][: len(head)], rtol=1e-12, atol=1e-15
        )
    return out


def _outputs_of(est, X):
    out = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        out.append(est.predict_proba(X))
    return out


@FUZZ
@given(frame=frames(), params=table_hyperparameters, data=st.data())
def _fuzz_table_classifier(frame, params, data):
    n = len(frame)
    y = np.array(data.draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=n, max_size=n)))
    clf = RegularizedMLPClassifier(max_iter=2, random_state=0, **params)
    out = _check_table(clf, frame, y)
    if out is not None:
        assert np.isfinite(out[1]).all()
        np.testing.assert_allclose(out[1].sum(axis=1), 1.0, rtol=1e-4)


@FUZZ
@given(frame=frames(), params=table_hyperparameters, data=st.data())
def _fuzz_table_regressor(frame, params, data):
    n = len(frame)
    y = data.draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100)))
    reg = RegularizedMLPRegressor(max_iter=2, random_state=0, **params)
    out = _check_table(reg, frame, y)
    if out is not None:
        assert out[0].shape == (n,) and np.isfinite(out[0]).all()


def _assert_enough_tables_fitted(kind):
    sparse_path = _OUTCOMES.pop("sparse_path", 0)
    # Frames of complete numeric columns are drawn often enough to test the sparse path.
    assert sparse_path >= MIN_SPARSE_PATH, f"the sparse path ran {sparse_path} times"
    total = sum(_OUTCOMES.values())
    assert total >= 100, f"only {total} examples ran: {dict(_OUTCOMES)}"
    share = _OUTCOMES["fitted"] / total
    print(f"{kind}: {_OUTCOMES['fitted']} of {total} table examples fitted ({share:.0%})")
    assert share >= MIN_FITTED_TABLE_SHARE[kind], (
        f"only {share:.0%} of the {total} {kind} table examples fitted and predicted (at "
        f"least {MIN_FITTED_TABLE_SHARE[kind]:.0%} expected): {dict(_OUTCOMES)}"
    )


def test_fuzz_table_classifier():
    _OUTCOMES.clear()
    _fuzz_table_classifier()
    _assert_enough_tables_fitted("classifier")


def test_fuzz_table_regressor():
    _OUTCOMES.clear()
    _fuzz_table_regressor()
    _assert_enough_tables_fitted("regressor")
