"""Greedy ensemble selection over the candidates of a search, and the ensembles it builds.

``skdeep tune`` keeps every candidate's out-of-fold predictions (:class:`OutOfFoldRecorder`,
at the cost of one more prediction per fitted fold, no extra fit), chooses a weighted
ensemble of candidates from them (:func:`greedy_selection`, the forward selection with
replacement of Caruana et al., 2004) and, when the ensemble scores higher on the folds than
the best candidate alone, saves an :class:`EnsembleClassifier` or :class:`EnsembleRegressor`
of the chosen settings refitted on all rows.

References
----------
R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble Selection from Libraries
of Models", Proceedings of the 21st International Conference on Machine Learning, 2004.
"""

import threading
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "EnsembleClassifier",
    "EnsembleRegressor",
    "OutOfFoldRecorder",
    "fold_scores",
    "greedy_selection",
]


# ------------------------------------------------------------------------------- selection


def greedy_selection(predictions, score, n_steps):
    """Greedy forward selection with replacement of an ensemble of candidates.

    Every step adds the candidate whose addition gives the averaged predictions the highest
    ``score``; a candidate can be added again, which raises its weight. The first step takes
    the best candidate alone. Of the ensembles along the way, the best scoring one is
    returned (the earliest, hence the smallest, of equal ones).

    Parameters
    ----------
    predictions : sequence of ndarray
        Each candidate's out-of-fold predictions, all of the same shape: class
        probabilities of shape (n_samples, n_classes), or predicted values.
    score : callable
        Maps averaged predictions to a number, higher is better; NaN counts as the worst.
    n_steps : int
        Candidates to add, counting repetitions.

    Returns
    -------
    counts : ndarray of shape (n_candidates,)
        How often each candidate was added to the returned ensemble; its weights are
        ``counts / counts.sum()``.
    best_score : float
        The returned ensemble's score.
    """
    if not isinstance(n_steps, Integral) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}.")
    predictions = [np.asarray(p, dtype=float) for p in predictions]
    if not predictions:
        raise ValueError("greedy_selection needs at least one candidate.")
    counts = np.zeros(len(predictions), dtype=int)
    total = np.zeros_like(predictions[0])
    best_counts, best_score = None, -np.inf
    for step in range(1, n_steps + 1):
        scores = np.array([score((total + p) / step) for p in predictions], dtype=float)
        scores = np.where(np.isnan(scores), -np.inf, scores)
        chosen = int(np.argmax(scores))  # the first of equal ones
        counts[chosen] += 1
        total += predictions[chosen]
        if best_counts is None or scores[chosen] > best_score:
            best_counts, best_score = counts.copy(), float(scores[chosen])
    return best_counts, best_score


class _ClassifierPredictions(ClassifierMixin, BaseEstimator):
    """Stands in for a classifier whose class probabilities are known, for a scorer."""

    def __init__(self, proba, classes):
        self.proba = proba
        self.classes = classes

    @property
    def classes_(self):
        return self.classes

    def fit(self, X=None, y=None):
        return self

    def predict_proba(self, X):
        return self.proba

    def predict(self, X):
        return self.classes[np.argmax(self.proba, axis=1)]


class _RegressorPredictions(RegressorMixin, BaseEstimator):
    """Stands in for a regressor whose predictions are known, for a scorer."""

    def __init__(self, values):
        self.values = values

    def fit(self, X=None, y=None):
        return self

    def predict(self, X):
        return self.values


def fold_scores(scorer, predictions, y, folds, classes=None):
    """``scorer`` on each fold's out-of-fold predictions, as a search scores its folds.

    Parameters
    ----------
    scorer : callable
        A scikit-learn scorer, ``scorer(estimator, X, y)``.
    predictions : ndarray
        Out-of-fold class probabilities (classification) or predicted values.
    y : ndarray
        The targets.
    folds : sequence of ndarray
        The rows of each validation fold.
    classes : ndarray, default=None
        The class labels of the probabilities' columns; None for regression.

    Returns
    -------
    ndarray of shape (n_folds,)
        NaN for a fold the scorer fails on.
    """
    scores = []
    for rows in folds:
        if classes is None:
            stand_in = _RegressorPredictions(predictions[rows])
        else:
            stand_in = _ClassifierPredictions(predictions[rows], classes)
        try:
            scores.append(float(scorer(stand_in, rows[:, None], y[rows])))
        except Exception:  # a scorer that cannot score these predictions
            scores.append(np.nan)
    return np.array(scores)


class OutOfFoldRecorder:
    """A scorer that also keeps each fitted fold's predictions on its validation rows.

    A search calls its scorer once per fitted fold with the fitted estimator and the fold's
    validation rows; this one scores with ``scorer`` and keeps the predictions, so that
    every candidate's out-of-fold predictions are known without fitting anything again.
    The rows must come as a DataFrame whose index gives their positions (``0 .. n - 1``),
    and the search must run its fits in threads of this process (joblib's threading
    backend), which share :attr:`predictions`; otherwise nothing is kept and the scores
    are those of ``scorer`` alone.

    Parameters
    ----------
    scorer : callable
        The scorer to score with.
    names : sequence of str
        The parameters that tell the candidates apart (the searched ones).
    n_samples : int
        Rows of the data the search runs on.
    method : {"predict_proba", "predict"}
        The predictions to keep.

    Attributes
    ----------
    predictions : dict
        Candidate key (see :meth:`key`) -> out-of-fold predictions, NaN for the rows of a
        fold not recorded.
    """

    def __init__(self, scorer, names, n_samples, method):
        self.scorer = scorer
        self.names = tuple(names)
        self.n_samples = n_samples
        self.method = method
        self.predictions = {}
        self._lock = threading.Lock()

    def key(self, params):
        """The key of a candidate.

        Parameters
        ----------
        params : dict
            The candidate's parameters, with every name of ``names``.

        Returns
        -------
        tuple of (str, str)
            Each name with the ``repr`` of its value.
        """
        return tuple((name, repr(params[name])) for name in self.names)

    def __call__(self, estimator, X, y, **kwargs):
        try:
            values = np.asarray(getattr(estimator, self.method)(X), dtype=float)
            rows = np.asarray(X.index)
        except Exception:  # the score below fails too and says why, or X has no index
            values = None
        if values is not None:
            key = self.key(estimator.get_params())
            with self._lock:
                if key not in self.predictions:
                    shape = (self.n_samples, *values.shape[1:])
                    self.predictions[key] = np.full(shape, np.nan)
                self.predictions[key][rows] = values
        return self.scorer(estimator, X, y, **kwargs)


# ------------------------------------------------------------------------------- ensembles


def _fit_member(estimator, X, y):
    return estimator.fit(X, y)


class _Ensemble(BaseEstimator):
    """The members' fitting and weights, shared by the classifier and the regressor."""

    def __init__(self, estimators, weights=None, n_jobs=None):
        self.estimators = estimators
        self.weights = weights
        self.n_jobs = n_jobs

    def _check_weights(self):
        n = len(self.estimators)
        if n == 0:
            raise ValueError("estimators must hold at least one estimator.")
        weights = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)
        if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(
                f"weights must be {n} non-negative numbers, one per estimator, got "
                f"{self.weights!r}."
            )
        if weights.sum() <= 0:
            raise ValueError("weights must not all be 0.")
        return weights / weights.sum()

    def _fit_members(self, X, y):
        weights = self._check_weights()
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(clone(estimator), X, y) for estimator in self.estimators
        )
        self.weights_ = weights
        # The members saw the same rows: their input description is the ensemble's.
        first = self.estimators_[0]
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, name):
                setattr(self, name, getattr(first, name))
        return self

    def _average(self, method, X):
        check_is_fitted(self, "estimators_")
        total = None
        for weight, estimator in zip(self.weights_, self.estimators_, strict=True):
            values = weight * np.asarray(getattr(estimator, method)(X), dtype=float)
            total = values if total is None else total + values
        return total


class EnsembleClassifier(ClassifierMixin, _Ensemble):
    """A weighted average of classifiers' class probabilities.

    ``skdeep tune`` saves one when an ensemble of several settings scored higher on its
    cross-validation folds than the best setting alone.

    Parameters
    ----------
    estimators : list of estimators
        The members (unfitted); :meth:`fit` fits a copy of each.
    weights : array-like of shape (n_estimators,), default=None
        Non-negative weight of each member; equal weights when None. They are scaled to
        sum to 1.
    n_jobs : int, default=None
        Members fitted in parallel (joblib's current backend).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    weights_ : ndarray of shape (n_estimators,)
        The weights, summing to 1.
    classes_ : ndarray of shape (n_classes,)
        The class labels, those of every member.
    n_features_in_ : int
        Number of input columns, as the first member counts them (when it says).
    feature_names_in_ : ndarray of str
        Names of the input columns (when the first member has them).
    """

    def fit(self, X, y):
        """Fit a copy of every member on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            What the members take.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : EnsembleClassifier
        """
        self._fit_members(X, y)
        classes = [np.asarray(estimator.classes_) for estimator in self.estimators_]
        if any(not np.array_equal(c, classes[0]) for c in classes[1:]):
            raise ValueError("The members learned different classes.")
        self.classes_ = classes[0]
        return self

    def predict_proba(self, X):
        """The weighted average of the members' class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._average("predict_proba", X)

    def predict(self, X):
        """The class of highest averaged probability.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class EnsembleRegressor(RegressorMixin, _Ensemble):
    """A weighted average of regressors' predictions.

    ``skdeep tune`` saves one when an ensemble of several settings scored higher on its
    cross-validation folds than the best setting alone.

    Parameters
    ----------
    estimators : list of estimators
        The members (unfitted); :meth:`fit` fits a copy of each.
    weights : array-like of shape (n_estimators,), default=None
        Non-negative weight of each member; equal weights when None. They are scaled to
        sum to 1.
    n_jobs : int, default=None
        Members fitted in parallel (joblib's current backend).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    weights_ : ndarray of shape (n_estimators,)
        The weights, summing to 1.
    n_features_in_ : int
        Number of input columns, as the first member counts them (when it says).
    feature_names_in_ : ndarray of str
        Names of the input columns (when the first member has them).
    """

    def fit(self, X, y):
        """Fit a copy of every member on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            What the members take.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : EnsembleRegressor
        """
        return self._fit_members(X, y)

    def predict(self, X):
        """The weighted average of the members' predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        return self._average("predict", X)
