"""Data sets and small random problems shared by the test modules.

The data-set fixtures are session-scoped and their arrays are read-only: a test that wants to
change one works on a copy, so no test can corrupt the data of another. ``xy`` draws a fresh
(writable) problem on every call.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


@pytest.fixture(scope="session")
def iris_raw():
    """Iris as loaded: 150 rows, 4 unscaled features, 3 classes."""
    return _read_only(*load_iris(return_X_y=True))


@pytest.fixture(scope="session")
def iris(iris_raw):
    """Iris with standardized features."""
    X, y = iris_raw
    return _read_only(StandardScaler().fit_transform(X), y)


@pytest.fixture(scope="session")
def digits():
    """All 1797 digits, pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return _read_only(X / 16.0, y)


@pytest.fixture(scope="session")
def digits_split(digits):
    """``X_train, X_val, y_train, y_val`` of the scaled digits: 70 % / 30 %, stratified."""
    X, y = digits
    return _read_only(*train_test_split(X, y, test_size=0.3, random_state=0, stratify=y))


@pytest.fixture(scope="session")
def digits_600():
    """600 digits (stratified sample), unscaled pixels 0..16: for searches of many fits."""
    X, y = load_digits(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, train_size=600, stratify=y, random_state=0)
    return _read_only(X, y)


@pytest.fixture(scope="session")
def cancer():
    """Breast cancer as loaded: 569 rows, 30 unscaled features (up to ~4000), 2 classes."""
    return _read_only(*load_breast_cancer(return_X_y=True))


@pytest.fixture(scope="session")
def cancer_split(cancer):
    """``X_train, X_val, y_train, y_val`` of the standardized breast cancer: 75 % / 25 %,
    stratified."""
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    return _read_only(*train_test_split(X, y, test_size=0.25, stratify=y, random_state=0))


@pytest.fixture(scope="session")
def diabetes():
    """Diabetes as loaded (features already centred and scaled), a continuous target."""
    return _read_only(*load_diabetes(return_X_y=True))


def make_xy(Est, n=40, p=4, seed=0):
    """A small learnable problem for ``Est``: two balanced classes, or a linear target plus
    noise. Fresh, writable arrays on every call."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    if issubclass(Est, RegularizedMLPClassifier):
        y = np.arange(n) % 2
        X[:, 0] += 2.0 * y
    else:
        y = X @ np.linspace(1.0, -1.0, p) + 0.1 * rng.randn(n)
    return X, y


@pytest.fixture(scope="session")
def xy():
    """``xy(Est, n=40, p=4, seed=0)`` -> ``X, y``: see ``make_xy``."""
    return make_xy
