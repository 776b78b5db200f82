"""The loss table: what each training loss means to the estimators.

scikit-learn's MLP keeps a ``LOSS_FUNCTIONS`` lookup table; here each entry also says how the
targets are encoded, how raw network outputs become predictions, how a validation set is
scored, and which solvers can take the loss. The estimators look a loss up by name and
compare no names themselves; the kernels know a loss by its code only
(:data:`skdeep._network.LOSS_CODES`).

A new loss is one :class:`Loss` entry here, one code in ``LOSS_CODES`` and its branch in the
kernels' loss function (``skdeep._kernels._losses.loss_and_delta``).
"""

from collections.abc import Callable
from dataclasses import dataclass

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
    check_targets : callable or None
        ``check_targets(Y)`` raises a ValueError for targets the loss cannot model.
    exclusive : bool
        Classification: the classes exclude each other (softmax over the outputs); else each
        output is a yes/no choice of its own (sigmoid units).
    outputs_per_target : int
        Network outputs per target column (1 for every loss so far; a loss with several, such
        as a set of quantiles, multiplies the output layer's width by it).
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
    outputs_per_target: int = 1

    @property
    def code(self):
        return LOSS_CODES[self.name]

    def n_choices(self, n_outputs):
        """Choices per label, which label smoothing spreads its mass over."""
        return n_outputs if self.exclusive else 2

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


def _r2_of(inverse_link):
    def score(raw, Y, sample_weight):
        return r2_score(Y, inverse_link(raw), sample_weight=sample_weight)

    return score


def _accuracy_of_best_class(raw, Y, sample_weight):
    return accuracy_score(Y.argmax(axis=1), raw.argmax(axis=1), sample_weight=sample_weight)


def _accuracy_of_signs(raw, Y, sample_weight):
    # A logistic output above 1/2 is a raw output above 0.
    return accuracy_score(Y > 0.5, raw > 0, sample_weight=sample_weight)


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
            validation_score=_r2_of(_identity),
            score_name="R²",
        ),
        Loss(
            "poisson",
            task="regression",
            out_activation="exp",
            inverse_link=np.exp,
            validation_score=_r2_of(np.exp),
            score_name="R²",
            centre_targets=False,
            check_targets=_check_non_negative,
        ),
        Loss(
            "softmax_cross_entropy",
            task="classification",
            out_activation="softmax",
            inverse_link=softmax,
            validation_score=_accuracy_of_best_class,
            score_name="accuracy",
            exclusive=True,
        ),
        Loss(
            "sigmoid_cross_entropy",
            task="classification",
            out_activation="logistic",
            inverse_link=logistic,
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
        centre; ``scale`` is 1 for a constant column (it has no spread to scale by).
    """
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
