"""The loss table: what each training loss means to the estimators.

scikit-learn's MLP keeps a ``LOSS_FUNCTIONS`` lookup table; here each entry also says how the
targets are encoded, how raw network outputs become predictions, how a validation set is
scored, and which solvers can take the loss. The estimators look a loss up by name and
compare no names themselves; the kernels know a loss by its code only
(:data:`skdeep._network.LOSS_CODES`).

A new loss is one :class:`Loss` entry here, one code in ``LOSS_CODES`` and its branch in the
kernels' loss function (``skdeep._kernels._losses.loss_and_delta``); a loss with a setting of
its own (the quantile levels, the Huber threshold) names the constructor parameter that holds
it and a function that checks it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

from ._inference import logistic, softmax
from ._network import LOSS_CODES

__all__ = ["LOSSES", "REGRESSION_LOSSES", "Loss", "target_standardization"]


@dataclass(frozen=True)
class Loss:
    """One training loss.

    Attributes
    ----------
    name : str
        The name (the regressor's ``loss`` parameter, or the classifier's choice).
    task : {"regression", "classification"}
        The estimator that trains it.
    code : int
        The kernels' code of the loss (:data:`skdeep._network.LOSS_CODES`).
    out_activation : str
        The inverse link's name, the fitted ``out_activation_``.
    inverse_link : callable
        ``inverse_link(raw) -> ndarray``: predictions (means, probabilities) from raw outputs
        of shape (n_samples, n_outputs); may overwrite ``raw``.
    validation_score : callable
        ``validation_score(raw, Y, sample_weight) -> float`` on raw outputs and encoded
        targets: the score that early stopping and best-epoch selection monitor.
    score_name : str
        What ``validation_score`` measures (the training-history plot's label).
    greater_is_better : bool
        The monitor's direction: a lower-is-better score is negated before it is monitored
        (as scikit-learn's ``neg_*`` scorers are).
    smooth : bool
        Whether the loss is differentiable everywhere (L-BFGS needs it).
    centre_targets : bool
        Regression targets are centred and scaled by their standard deviation when true,
        else only divided by their mean (a log link keeps targets non-negative).
    robust_targets : bool
        Centre by the median and scale by the inter-quartile range instead (for the losses
        that are robust to outliers, whose spread should not set the scale).
    check_targets : callable or None
        ``check_targets(Y)`` raises a ValueError for targets the loss cannot model.
    exclusive : bool
        Classification: the classes exclude each other (softmax over the outputs); else each
        output is a yes/no choice of its own (sigmoid units).
    parameter : str or None
        The regressor's constructor parameter that holds the loss's setting.
    read_parameter : callable or None
        ``read_parameter(value) -> ndarray`` (float64, 1-D): the setting checked (a
        ValueError that says what is wrong), as the kernel takes it for one target.
    per_output : bool
        Each entry of the setting belongs to an output of its own (the quantile levels): a
        target gets one output per entry, and ``validation_score`` reads one per output.
    link : callable
        The inverse of ``inverse_link``: raw outputs from predictions (probabilities are
        clipped away from 0 and 1, so that the raw outputs stay finite).
    """

    name: str
    task: str
    out_activation: str
    inverse_link: Callable
    validation_score: Callable
    score_name: str
    greater_is_better: bool = True
    smooth: bool = True
    centre_targets: bool = True
    check_targets: Callable | None = None
    exclusive: bool = False
    robust_targets: bool = False
    parameter: str | None = None
    read_parameter: Callable | None = None
    per_output: bool = False
    link: Callable = None

    @property
    def code(self):
        return LOSS_CODES[self.name]

    def setting(self, estimator):
        """The loss's setting for one target, read from ``estimator``'s parameter
        (float64, shape (0,) for a loss without one)."""
        if self.parameter is None:
            return np.zeros(0)
        return self.read_parameter(getattr(estimator, self.parameter))

    def outputs_per_target(self, setting):
        """Network outputs per target column under ``setting``."""
        return len(setting) if self.per_output else 1

    def kernel_parameters(self, setting, n_targets):
        """The kernels' loss parameters (float64): one per output (``setting`` for each
        target in turn, the outputs of a target being adjacent) or the setting itself."""
        return np.tile(setting, n_targets) if self.per_output else np.asarray(setting)

    def n_choices(self, n_outputs):
        """Choices per label, which label smoothing spreads its mass over."""
        return n_outputs if self.exclusive else 2

    def mean_of_members(self, raw, n_members):
        """Raw outputs of the members' mean prediction, ``link(mean of inverse_link)``.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_members * n_outputs)
            Each member's raw outputs, member after member (as the kernels give them for a
            shared-weight ensemble).
        n_members : int

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), the dtype of ``raw``
        """
        width = raw.shape[1] // n_members
        members = [
            self.inverse_link(np.array(raw[:, m * width : (m + 1) * width], dtype=np.float64))
            for m in range(n_members)
        ]
        return np.ascontiguousarray(self.link(np.mean(members, axis=0)), dtype=raw.dtype)

    def decisions(self, raw):
        """Indicator matrix of the predicted labels from raw outputs (one-hot of the best
        class for exclusive classes, each output's sign otherwise)."""
        if self.exclusive:
            indicator = np.zeros(raw.shape, dtype=int)
            indicator[np.arange(raw.shape[0]), raw.argmax(axis=1)] = 1
            return indicator
        return (raw > 0).astype(int)


def _identity(raw):
    return raw


def _clipped(p):
    """Probabilities kept off 0 and 1 (float64), so that their logarithms are finite."""
    eps = np.finfo(np.float64).eps
    return np.clip(p, eps, 1.0 - eps)


def _log_probabilities(proba):
    # softmax(log p) = p for rows of p that sum to 1.
    return np.log(_clipped(proba))


def _logit(proba):
    proba = _clipped(proba)
    return np.log(proba) - np.log1p(-proba)


def _r2_of(inverse_link):
    def score(raw, Y, sample_weight, parameters):
        return r2_score(Y, inverse_link(raw), sample_weight=sample_weight)

    return score


def _accuracy_of_best_class(raw, Y, sample_weight, parameters):
    return accuracy_score(Y.argmax(axis=1), raw.argmax(axis=1), sample_weight=sample_weight)


def _accuracy_of_signs(raw, Y, sample_weight, parameters):
    # A logistic output above 1/2 is a raw output above 0.
    return accuracy_score(Y > 0.5, raw > 0, sample_weight=sample_weight)


def _mean_over_outputs(per_entry, sample_weight):
    """Weighted mean over the rows, then mean over the outputs (scikit-learn's
    ``multioutput="uniform_average"``)."""
    return float(np.average(per_entry, axis=0, weights=sample_weight).mean())


def _mean_absolute_error(raw, Y, sample_weight, parameters):
    return _mean_over_outputs(np.abs(raw - Y), sample_weight)


def _mean_huber_loss(raw, Y, sample_weight, parameters):
    (delta,) = parameters
    r = np.abs(raw - Y)
    return _mean_over_outputs(
        np.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta)), sample_weight
    )


def _mean_pinball_loss(raw, Y, sample_weight, parameters):
    r = Y - raw
    levels = np.asarray(parameters)[None, :]
    return _mean_over_outputs(np.maximum(levels * r, (levels - 1.0) * r), sample_weight)


def _quantile_levels(value):
    """The ``quantile`` parameter as an array of levels (checked)."""
    if value is None:
        raise ValueError(
            "loss='quantile' needs the quantile to predict: set quantile to a level in (0, 1), "
            "such as 0.9, or to a sequence of levels such as [0.1, 0.5, 0.9]."
        )
    if isinstance(value, str) or not np.all(
        [
            isinstance(v, Real) and not isinstance(v, bool)
            for v in np.ravel(np.asarray(value, dtype=object))
        ]
    ):
        raise ValueError(
            f"quantile must be a number in (0, 1) or a sequence of them, got {value!r}."
        )
    levels = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(
            f"quantile must be a number in (0, 1) or a non-empty flat sequence of them, got "
            f"{value!r}."
        )
    if not ((levels > 0) & (levels < 1)).all():
        raise ValueError(
            f"Every quantile level must be in (0, 1) (0 and 1 excluded), got {value!r}."
        )
    if np.unique(levels).size != levels.size:
        raise ValueError(
            f"The quantile levels must differ from each other, got {value!r}: each level is "
            "an output of its own."
        )
    return levels


def _huber_threshold(value):
    return np.array([float(value)])


def _check_non_negative(Y):
    if (Y < 0).any():
        raise ValueError(
            "Some value(s) of y are negative which is not allowed for Poisson regression: "
            "loss='poisson' models counts and other non-negative targets. Use "
            "loss='squared_error' for targets that can be negative."
        )


LOSSES = {
    loss.name: loss
    for loss in (
        Loss(
            "squared_error",
            task="regression",
            out_activation="identity",
            inverse_link=_identity,
            link=_identity,
            validation_score=_r2_of(_identity),
            score_name="R²",
        ),
        Loss(
            "poisson",
            task="regression",
            out_activation="exp",
            inverse_link=np.exp,
            link=np.log,
            validation_score=_r2_of(np.exp),
            score_name="R²",
            centre_targets=False,
            check_targets=_check_non_negative,
        ),
        Loss(
            "absolute_error",
            task="regression",
            out_activation="identity",
            inverse_link=_identity,
            link=_identity,
            validation_score=_mean_absolute_error,
            score_name="mean absolute error",
            greater_is_better=False,
            smooth=False,
            robust_targets=True,
        ),
        Loss(
            "huber",
            task="regression",
            out_activation="identity",
            inverse_link=_identity,
            link=_identity,
            validation_score=_mean_huber_loss,
            score_name="Huber loss",
            greater_is_better=False,
            robust_targets=True,
            parameter="huber_epsilon",
            read_parameter=_huber_threshold,
        ),
        Loss(
            "quantile",
            task="regression",
            out_activation="identity",
            inverse_link=_identity,
            link=_identity,
            validation_score=_mean_pinball_loss,
            score_name="pinball loss",
            greater_is_better=False,
            smooth=False,
            robust_targets=True,
            parameter="quantile",
            read_parameter=_quantile_levels,
            per_output=True,
        ),
        Loss(
            "softmax_cross_entropy",
            task="classification",
            out_activation="softmax",
            inverse_link=softmax,
            link=_log_probabilities,
            validation_score=_accuracy_of_best_class,
            score_name="accuracy",
            exclusive=True,
        ),
        Loss(
            "sigmoid_cross_entropy",
            task="classification",
            out_activation="logistic",
            inverse_link=logistic,
            link=_logit,
            validation_score=_accuracy_of_signs,
            score_name="accuracy",
        ),
    )
}

# The regressor's ``loss`` options (the classifier picks its loss from the targets).
REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.task == "regression")


def target_standardization(loss, Y, sample_weight):
    """Mean and scale of each regression target column under ``loss``'s encoding.

    Parameters
    ----------
    loss : Loss
    Y : ndarray of shape (n_samples, n_targets), float64
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    mean, scale : ndarray of shape (n_targets,), float64
        Training targets are ``(Y - mean) / scale``. ``mean`` is 0 for a loss that does not
        centre; ``scale`` is 1 for a constant column (it has no spread to scale by). For a
        loss with ``robust_targets``, the weighted median and the inter-quartile range
        divided by 1.349 (the standard deviation of normal data), or the standard deviation
        where more than half the values are equal (the range is 0 there).
    """
    if loss.robust_targets:
        return _robust_standardization(Y, sample_weight)
    # Divide by the largest magnitude first so squares cannot overflow (|y| ~ 1e300).
    big = np.abs(Y).max(axis=0)
    big[big == 0] = 1.0
    mean = np.average(Y / big, axis=0, weights=sample_weight)
    if loss.centre_targets:
        var = np.average((Y / big - mean) ** 2, axis=0, weights=sample_weight)
        centre, scale = mean * big, np.sqrt(var) * big
    else:
        centre, scale = np.zeros_like(mean), mean * big
    return centre, np.where(scale > 0, scale, 1.0)


def _robust_standardization(Y, sample_weight):
    centre, scale = np.empty(Y.shape[1]), np.empty(Y.shape[1])
    for j in range(Y.shape[1]):
        low, centre[j], high = weighted_quantiles(Y[:, j], sample_weight, (0.25, 0.5, 0.75))
        scale[j] = (high - low) / 1.349
        if not scale[j] > 0:
            mean = np.average(Y[:, j], weights=sample_weight)
            scale[j] = np.sqrt(np.average((Y[:, j] - mean) ** 2, weights=sample_weight))
    return centre, np.where(scale > 0, scale, 1.0)


def weighted_quantiles(values, sample_weight, levels):
    """Weighted quantiles of ``values`` (the inverse of the weighted empirical distribution,
    averaged where it is flat, so that equal weights give the usual median).

    Parameters
    ----------
    values : ndarray of shape (n,)
    sample_weight : ndarray of shape (n,) or None
    levels : sequence of float in [0, 1]

    Returns
    -------
    ndarray of shape (len(levels),), float64
    """
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=np.float64)[order]
    w = np.ones(len(v)) if sample_weight is None else np.asarray(sample_weight, np.float64)[order]
    keep = w > 0
    v, w = v[keep], w[keep]
    cum = np.cumsum(w) / w.sum()
    out = np.empty(len(levels))
    for i, level in enumerate(levels):
        # The first value whose cumulative weight reaches the level, and the next one when
        # the level is reached exactly (between them, every value minimizes the loss).
        first = min(int(np.searchsorted(cum, level - 1e-12 * level)), len(v) - 1)
        exact = abs(cum[first] - level) <= 1e-12 and first + 1 < len(v)
        out[i] = 0.5 * (v[first] + v[first + 1]) if exact else v[first]
    return out
