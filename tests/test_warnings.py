"""Warnings point at the user's line: the call of fit, partial_fit, cross_val_score, ...

Each test records the line number of the call right before making it and checks that the
warning names this file and that line, however deep inside skdeep and scikit-learn it arose.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor


def _next_line():
    """The number of the line after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def _data(n=60):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def _assert_at(caught, category, line, fragment):
    matching = [
        w for w in caught if issubclass(w.category, category) and fragment in str(w.message)
    ]
    assert matching, [str(w.message) for w in caught]
    for w in matching:
        assert (w.filename, w.lineno) == (__file__, line), (w.filename, w.lineno)


@pytest.fixture
def record():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def test_convergence_warning_at_the_fit_call(record):
    X, y = _data()
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(8,), max_iter=2, random_state=0
    )
    line = _next_line()
    clf.fit(X, y)
    _assert_at(record, ConvergenceWarning, line, "maximum iterations")


def test_convergence_warning_at_the_cross_val_score_call(record):
    X, y = _data()
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(8,), max_iter=2, random_state=0
    )
    line = _next_line()
    cross_val_score(clf, X, y, cv=2)
    _assert_at(record, ConvergenceWarning, line, "maximum iterations")


def test_convergence_warning_at_the_pipeline_fit_call(record):
    X, y = _data()
    pipe = make_pipeline(
        StandardScaler(), RegularizedMLPRegressor.like_sklearn(hidden_layer_sizes=(8,), max_iter=2)
    )
    line = _next_line()
    pipe.fit(X, X[:, 0])
    _assert_at(record, ConvergenceWarning, line, "maximum iterations")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_batch_size_clipping_warning_at_the_call(record, method):
    X, y = _data(30)
    reg = RegularizedMLPRegressor.like_sklearn(hidden_layer_sizes=(8,), batch_size=100, max_iter=2)
    line = _next_line()
    getattr(reg, method)(X, X[:, 0])
    _assert_at(record, UserWarning, line, "clipped to 30")


def test_divergence_warning_at_the_fit_call(record):
    X, _ = _data()
    reg = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1.0, random_state=0
    )
    line = _next_line()
    reg.fit(X, X[:, 0] ** 3)
    _assert_at(record, ConvergenceWarning, line, "Training diverged")


def test_loss_rising_warning_at_the_fit_call(record):
    X, _ = _data()
    reg = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(8,), learning_rate_init=5.0, max_iter=30, random_state=0
    )
    line = _next_line()
    reg.fit(X, X[:, 0] ** 3)
    _assert_at(record, ConvergenceWarning, line, "Training loss rose")


def test_warnings_from_code_given_as_a_string_stay_there(record):
    X, y = _data()
    exec(  # noqa: S102 - a stand-in for a doctest or an interactive session
        "from skdeep import RegularizedMLPClassifier\n"
        "clf = RegularizedMLPClassifier.like_sklearn(hidden_layer_sizes=(8,), max_iter=2)\n"
        "clf.fit(X, y)\n",
        {"X": X, "y": y},
    )
    (warning,) = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    assert (warning.filename, warning.lineno) == ("<string>", 3)


def test_lbfgs_convergence_warning_at_the_fit_call(record):
    X, y = _data()
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=2, random_state=0
    )
    line = _next_line()
    clf.fit(X, y)
    _assert_at(record, ConvergenceWarning, line, "lbfgs failed to converge")


def test_a_fit_in_a_worker_thread_warns_without_a_library_line(record):
    import threading

    X, y = _data()
    worker = threading.Thread(
        target=RegularizedMLPClassifier.like_sklearn(
            hidden_layer_sizes=(8,), max_iter=2, random_state=0
        ).fit,
        args=(X, y),
    )
    worker.start()
    worker.join()
    (warning,) = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    # Nothing in the thread is the user's: the outermost frame, the thread's start, gets it.
    assert warning.filename == threading.__file__
