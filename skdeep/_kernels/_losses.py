"""Output losses with their gradients, and the weight penalties.

Losses take the raw outputs of the last dense layer (logits for classification) so that the
softmax / sigmoid and the cross-entropy are fused into one numerically stable step.
"""

import numpy as np

from .._network import (
    ABSOLUTE_ERROR,
    HUBER,
    POISSON,
    QUANTILE,
    SIGMOID_CROSS_ENTROPY,
    SOFTMAX_CROSS_ENTROPY,
)
from ._config import kernel
from ._forward import sigmoid


@kernel
def loss_and_delta(Z, Y, sw, sw_sum, loss):
    """Weighted mean loss of a batch; ``Z`` is overwritten with d loss / d Z.

    Per-sample losses are ``0.5 * sum_k (z_k - y_k)**2`` (squared error),
    ``-sum_k y_k log softmax(z)_k`` (softmax cross-entropy),
    ``sum_k -y_k log s(z_k) - (1 - y_k) log(1 - s(z_k))`` (sigmoid cross-entropy),
    ``sum_k y_k log y_k - y_k - y_k z_k + exp(z_k)`` (half the Poisson deviance of the
    prediction ``exp(z_k)``, log link; ``0 log 0 = 0``), ``sum_k |z_k - y_k|`` (absolute
    error), ``sum_k h(z_k - y_k)`` with ``h(r) = r**2 / 2`` for ``|r| <= delta`` and
    ``delta * (|r| - delta / 2)`` beyond (Huber) and ``sum_k max(t_k r_k, (t_k - 1) r_k)``
    with ``r_k = y_k - z_k`` (the pinball loss of quantile level ``t_k``), averaged with
    weights ``sw / sw_sum``.

    The absolute error and the pinball loss have a kink where ``z_k = y_k``; there the
    gradient entry is 0, a subgradient of both.

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_outputs), float32 or float64
        Raw outputs on entry, gradient of the batch loss with respect to them on exit.
    Y : ndarray of shape (n_rows, n_outputs), same dtype
        Targets (one-hot or indicator rows for classification).
    sw : ndarray of shape (n_rows,), same dtype
        Sample weights.
    sw_sum : float
        Sum of ``sw``.
    loss : tuple of (int, ndarray of float64)
        A loss code of :mod:`skdeep._network` (``SQUARED_ERROR``, ``SOFTMAX_CROSS_ENTROPY``,
        ``SIGMOID_CROSS_ENTROPY``, ``POISSON``, ``ABSOLUTE_ERROR``, ``HUBER``, ``QUANTILE``)
        and its parameters: ``delta`` for Huber (shape (1,)), the level ``t_k`` of each output
        for the pinball loss (shape (n_outputs,)), none (shape (0,)) for the others.

    Returns
    -------
    float
        The weighted mean loss.
    """
    kind, parameters = loss
    n, k = Z.shape
    total = 0.0
    for i in range(n):
        w = sw[i] / sw_sum
        li = 0.0
        if kind == SOFTMAX_CROSS_ENTROPY:
            zmax = Z[i, 0]
            for j in range(1, k):
                if Z[i, j] > zmax:
                    zmax = Z[i, j]
            s = 0.0
            for j in range(k):
                s += np.exp(Z[i, j] - zmax)
            lse = zmax + np.log(s)
            ysum = 0.0
            for j in range(k):
                li -= Y[i, j] * (Z[i, j] - lse)
                ysum += Y[i, j]
            for j in range(k):
                # d/dz of -sum y log softmax(z) is softmax(z) * sum(y) - y
                Z[i, j] = w * (np.exp(Z[i, j] - lse) * ysum - Y[i, j])
        elif kind == SIGMOID_CROSS_ENTROPY:
            for j in range(k):
                z = Z[i, j]
                y = Y[i, j]
                li += max(z, 0.0) - z * y + np.log1p(np.exp(-abs(z)))
                Z[i, j] = w * (sigmoid(z) - y)
        elif kind == POISSON:
            for j in range(k):
                z = Z[i, j]
                y = Y[i, j]
                mu = np.exp(z)
                # y log y - y makes a perfect prediction's loss 0 (scikit-learn's value).
                if y > 0:
                    li += y * np.log(y) - y
                li += mu - y * z
                Z[i, j] = w * (mu - y)
        elif kind == ABSOLUTE_ERROR:
            for j in range(k):
                d = Z[i, j] - Y[i, j]
                li += abs(d)
                Z[i, j] = w * np.sign(d)
        elif kind == HUBER:
            delta = parameters[0]
            for j in range(k):
                d = Z[i, j] - Y[i, j]
                if abs(d) <= delta:
                    li += 0.5 * d * d
                    Z[i, j] = w * d
                else:
                    li += delta * (abs(d) - 0.5 * delta)
                    Z[i, j] = w * delta * np.sign(d)
        elif kind == QUANTILE:
            for j in range(k):
                level = parameters[j]
                r = Y[i, j] - Z[i, j]
                if r > 0:
                    li += level * r
                    Z[i, j] = -w * level
                elif r < 0:
                    li += (level - 1.0) * r
                    Z[i, j] = w * (1.0 - level)
                else:
                    Z[i, j] = 0.0
        else:
            for j in range(k):
                d = Z[i, j] - Y[i, j]
                li += 0.5 * d * d
                Z[i, j] = w * d
        total += w * li
    return total


# Compiled on its own, not inlined into the optimizer step: inlined, its sums take another
# order (the reported penalty moves by rounding).
@kernel
def penalty_value(theta, penalty_mask, l2, l1):
    """Elastic-net penalty ``l1 * sum |w| + 0.5 * l2 * sum w**2`` over the weight coordinates.

    Parameters
    ----------
    theta : ndarray of shape (n_params,), float32 or float64
    penalty_mask : ndarray of shape (n_params,), uint8
        1 on the penalized coordinates (the parameter groups that take penalties: dense-layer
        weights, never biases or batch-norm parameters).
    l2, l1 : float

    Returns
    -------
    float
    """
    penalty_l1 = 0.0
    penalty_l2 = 0.0
    for i in range(theta.shape[0]):
        w = theta[i] * penalty_mask[i]
        penalty_l1 += abs(w)
        penalty_l2 += w * w
    return l1 * penalty_l1 + 0.5 * l2 * penalty_l2


@kernel
def penalty_and_grad(theta, grad, penalty_mask, l2, l1):
    """Elastic-net penalty of the weight coordinates, with its (sub)gradient added to ``grad``.

    The penalty is ``l1 * sum |w| + 0.5 * l2 * sum w**2`` over coordinates where
    ``penalty_mask`` is 1 (dense-layer weights; never biases or batch-norm parameters). The L1
    part contributes ``l1 * sign(w)``, its subgradient (0 at 0). Mini-batch training applies
    L1 through a proximal step in the optimizer instead; this function completes the
    full-batch objective of ``solver="lbfgs"`` (which takes no L1) and of the gradient checks.

    Parameters
    ----------
    theta, grad : ndarray of shape (n_params,), float32 or float64
    penalty_mask : ndarray of shape (n_params,), uint8
    l2, l1 : float

    Returns
    -------
    float
        The penalty value.
    """
    for i in range(theta.shape[0]):
        if penalty_mask[i]:
            w = theta[i]
            g = l2 * w
            if w > 0:
                g += l1
            elif w < 0:
                g -= l1
            grad[i] += g
    return penalty_value(theta, penalty_mask, l2, l1)
