"""The loss table: every loss the estimators train, looked up by name."""

import ast
import dataclasses
import inspect
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skdeep._mlp
from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._losses import LOSSES, REGRESSION_LOSSES, target_standardization
from skdeep._network import LOSS_CODES


def test_the_table_and_the_kernel_codes_name_the_same_losses():
    assert sorted(LOSSES) == sorted(LOSS_CODES)
    assert sorted({loss.code for loss in LOSSES.values()}) == sorted(LOSS_CODES.values())
    assert {loss.task for loss in LOSSES.values()} == {"regression", "classification"}


def test_the_regressor_offers_the_regression_losses_of_the_table():
    (options,) = RegularizedMLPRegressor._parameter_constraints["loss"]
    assert options.options == set(REGRESSION_LOSSES)
    assert set(REGRESSION_LOSSES) == {
        "squared_error", "poisson", "absolute_error", "huber", "quantile"
    }  # fmt: skip


def test_the_estimator_module_compares_no_loss_names():
    # Behaviour that depends on the loss comes from its table entry.
    tree = ast.parse(inspect.getsource(skdeep._mlp))
    names = set(LOSSES) | {"softmax", "logistic", "exp", "identity"}
    compared = [
        node.value
        for compare in ast.walk(tree)
        if isinstance(compare, ast.Compare)
        for node in [compare.left, *compare.comparators]
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert compared == []


def _diabetes_like(seed=0, n=200):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, 3.0 + X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.3, size=n)


def test_lbfgs_refuses_a_loss_the_table_marks_not_smooth(monkeypatch):
    X, y = _diabetes_like()
    rough = dataclasses.replace(LOSSES["squared_error"], smooth=False)
    monkeypatch.setitem(LOSSES, "squared_error", rough)
    with pytest.raises(ValueError, match="solver='lbfgs'.*loss='squared_error'.*not diff"):
        RegularizedMLPRegressor(solver="lbfgs").fit(X, y)
    RegularizedMLPRegressor(solver="adam", max_iter=2).fit(X, y)  # the others take it


def test_a_lower_is_better_score_is_monitored_negated(monkeypatch):
    X, y = _diabetes_like()
    params = dict(early_stopping=True, max_iter=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        higher = RegularizedMLPRegressor(**params).fit(X, y).validation_scores_
        lower = dataclasses.replace(LOSSES["squared_error"], greater_is_better=False)
        monkeypatch.setitem(LOSSES, "squared_error", lower)
        negated = RegularizedMLPRegressor(**params).fit(X, y).validation_scores_
    assert len(higher) == 6 and negated == [-score for score in higher]


def test_target_standardization_centres_or_only_scales():
    Y = np.array([[1.0, 5.0], [3.0, 5.0], [8.0, 5.0]])
    weights = np.array([1.0, 1.0, 2.0])
    mean, scale = target_standardization(LOSSES["squared_error"], Y, weights)
    np.testing.assert_allclose(mean, np.average(Y, axis=0, weights=weights))
    expected_std = np.sqrt(np.average((Y[:, 0] - mean[0]) ** 2, weights=weights))
    np.testing.assert_allclose(scale, [expected_std, 1.0])  # a constant column: scale 1
    mean, scale = target_standardization(LOSSES["poisson"], Y, weights)
    np.testing.assert_array_equal(mean, [0.0, 0.0])
    np.testing.assert_allclose(scale, np.average(Y, axis=0, weights=weights))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_inverse_link_maps_raw_outputs_to_predictions(name):
    loss = LOSSES[name]
    raw = np.array([[-2.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    out = loss.inverse_link(raw.copy())
    expected = {
        "squared_error": raw,
        "absolute_error": raw,
        "huber": raw,
        "quantile": raw,
        "poisson": np.exp(raw),
        "sigmoid_cross_entropy": 1 / (1 + np.exp(-raw)),
        "softmax_cross_entropy": np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True),
    }[name]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_the_classifier_takes_its_loss_from_the_targets():
    X, y = _diabetes_like()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for labels, loss, activation in (
            (y > 3, "sigmoid_cross_entropy", "logistic"),
            (np.digitize(y, [2, 3, 4]), "softmax_cross_entropy", "softmax"),
        ):
            clf = RegularizedMLPClassifier(max_iter=2, random_state=0).fit(X, labels)
            assert clf._loss == loss and clf.out_activation_ == activation
            assert LOSSES[loss].n_choices(3) == (3 if loss.startswith("softmax") else 2)
