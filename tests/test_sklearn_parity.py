"""Behaviour scikit-learn's MLP users rely on: each test fails on skdeep before it matched."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import MinMaxScaler, scale

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor


def _digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:150]), y[:150]


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_like_sklearn_starts_from_scikit_learns_weights(activation):
    # weight_init="sklearn" draws as scikit-learn does: with the same random_state the
    # deterministic full-batch solver follows scikit-learn's path to rounding.
    X, y = _digits()
    params = dict(
        solver="lbfgs", hidden_layer_sizes=(10,), max_iter=5, random_state=3, activation=activation
    )
    ours = _quiet(lambda: RegularizedMLPClassifier.like_sklearn(**params).fit(X, y))
    theirs = _quiet(lambda: MLPClassifier(**params).fit(X, y))
    assert ours.n_iter_ == theirs.n_iter_ == 5
    mine_all, reference_all = ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    for mine, reference in zip(mine_all, reference_all, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)


def test_a_constant_first_target_does_not_freeze_the_regressor():
    # The first chunk of a stream is constant: its scale is 1 (not 0), so later chunks move
    # the predictions (they never did), while the constant itself is predicted exactly.
    X, y = make_regression(300, 4, noise=1.0, random_state=0)
    y = y / y.std()
    reg = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
    )
    reg.partial_fit(X[:50], np.full(50, 2.0))
    np.testing.assert_array_equal(reg.predict(X[:50]), 2.0)
    np.testing.assert_array_equal(reg.target_scale_, 1.0)
    for _ in range(100):
        reg.partial_fit(X, y)
    assert reg.score(X, y) > 0.9


def test_a_fit_that_is_non_finite_from_its_first_epoch_is_an_error():
    # scikit-learn's words, so that a search records the candidate as failed.
    X = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(10, 2))
    y = np.random.RandomState(1).normal(size=10)
    message = "Solver produced non-finite parameter weights. The input data may contain large"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=message):
            RegularizedMLPRegressor.like_sklearn().fit(X, y)
        with pytest.raises(ValueError, match=message):
            RegularizedMLPRegressor.like_sklearn().partial_fit(X, y)
        # A model that trained before keeps its weights, with a warning instead.
        reg = RegularizedMLPRegressor.like_sklearn(max_iter=3, random_state=0)
        _quiet(lambda: reg.fit(X / np.finfo(np.float64).max, y))
        before = reg.coefs_[0].copy()
        with pytest.warns(ConvergenceWarning, match="Training diverged in epoch 4"):
            reg.partial_fit(X, y)
        np.testing.assert_array_equal(reg.coefs_[0], before)


def test_an_overflowing_validation_epoch_scores_nan():
    # A learning rate far too high: the validation outputs overflow before the training
    # loss does; their score is NaN (as in scikit-learn), never the best one.
    X, y = make_regression(150, 4, noise=1.0, random_state=0)
    reg = RegularizedMLPRegressor.like_sklearn(
        solver="sgd", learning_rate_init=1.0, activation="identity", early_stopping=True,
        max_iter=20, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    scores = np.asarray(reg.validation_scores_, dtype=float)
    assert np.isnan(scores[-1]) and isinstance(reg.validation_scores_[-1], float)
    assert reg.best_validation_score_ == np.nanmax(scores) or not np.isfinite(scores).any()


def test_invscaling_keeps_counting_under_warm_start():
    X, y = _digits()
    params = dict(solver="sgd", learning_rate="invscaling", max_iter=2, random_state=0)
    reg = RegularizedMLPClassifier.like_sklearn(warm_start=True, **params)
    _quiet(lambda: reg.fit(X, y))
    first = [row["learning_rate"] for row in reg.history_]
    _quiet(lambda: reg.fit(X, y))
    second = [row["learning_rate"] for row in reg.history_[2:]]
    # lr_init / (t + 1) ** power_t with t the samples seen over both fits.
    expected = [0.001 / (n * len(X) + 1) ** 0.5 for n in range(4)]
    np.testing.assert_allclose(first + second, expected)


def test_verbose_speaks_scikit_learns_words(capsys):
    X, y = _digits()
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=2, verbose=True, random_state=0)
    _quiet(lambda: clf.fit(X, y))
    lines = capsys.readouterr().out.splitlines()
    # scikit-learn's words, and its 8 decimals, first; the loss is the epoch's.
    for epoch, line in enumerate(lines[:2], start=1):
        match = re.match(rf"Iteration {epoch}, loss = (\d+\.\d{{8}})(,|$)", line)
        assert match, line
        assert float(match.group(1)) == pytest.approx(clf.loss_curve_[epoch - 1], abs=1e-8)


def test_the_no_improvement_count_is_scikit_learns():
    X, y = _digits()
    for patience in [2, 5]:
        clf = RegularizedMLPClassifier.like_sklearn(
            solver="sgd", tol=0.01, n_iter_no_change=patience, max_iter=3000
        ).fit(X, y)
        assert clf._no_improvement_count == patience + 1
    clf = _quiet(
        lambda: RegularizedMLPClassifier.like_sklearn(
            solver="sgd", tol=1e9, n_iter_no_change=np.inf, max_iter=50
        ).fit(X, y)
    )
    assert clf.n_iter_ == 50 and clf._no_improvement_count == 49


def test_partial_fit_after_a_finished_schedule_says_it_changes_nothing():
    X, y = _digits()
    clf = RegularizedMLPClassifier(max_iter=3, early_stopping=False, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="partial_fit no longer changes the weights"):
        clf.partial_fit(X, y)
    clf.set_params(learning_rate="constant")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        before = clf.coefs_[0].copy()
        clf.partial_fit(X, y)
    assert not np.array_equal(before, clf.coefs_[0])


def test_early_stopping_split_errors_use_scikit_learns_words():
    with pytest.raises(ValueError, match="The validation set is too small"):
        X, y = make_regression(2, 5, random_state=0)
        RegularizedMLPRegressor.like_sklearn(early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match=r"1 member.*too few members are: \['True'\]"):
        RegularizedMLPClassifier.like_sklearn(early_stopping=True).fit(
            [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
        )


def test_the_regression_targets_match_scikit_learns_on_standardized_data():
    # On standardized targets the regressor's scaling is (almost) the identity, so the two
    # solve the same problem from the same weights.
    X, y = make_regression(100, 5, noise=5.0, random_state=0)
    y = scale(y)
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    ours = _quiet(lambda: RegularizedMLPRegressor.like_sklearn(**params).fit(X, y))
    theirs = _quiet(lambda: MLPRegressor(**params).fit(X, y))
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-8)
