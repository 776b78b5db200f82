"""Fused optimizer updates over the flat parameter vector.

One loop per solver walks every coordinate once: it adds the L2 penalty gradient, applies the
solver's update, decoupled weight decay and the L1 proximal (soft-threshold) step. Three
per-parameter vectors, built once per fit from the parameter groups of the network layout
(:meth:`skdeep._network.NetworkLayout.optimizer_vectors`), carry everything that differs
between kinds of parameters: ``lr_scale`` multiplies the learning rate, ``penalty_mask``
selects the coordinates that penalties touch, and ``decay_scale`` sets the strength of the
decoupled weight decay per coordinate (0 where it does not apply). They arrive as one tuple
(``groups``), and the solver's scalar settings in the hyperparameter vector ``hp``
(:mod:`skdeep._network`'s ``HP_*`` indices).
"""

import numpy as np

from .._network import (
    ADAGRAD,
    HP_BETA_1,
    HP_BETA_2,
    HP_EPSILON,
    HP_L1,
    HP_L2,
    HP_MOMENTUM,
    HP_NESTEROV,
    HP_RHO,
    HP_SOLVER,
    RMSPROP,
    SGD,
)
from ._config import kernel
from ._losses import penalty_value


@kernel(inline=True)
def clip_by_global_norm(grad, max_norm):
    """Rescale ``grad`` (shape (n_params,)) in place so its L2 norm is at most ``max_norm``.

    Returns
    -------
    float
        The norm before clipping.
    """
    total = 0.0
    for i in range(grad.shape[0]):
        total += grad[i] * grad[i]
    norm = np.sqrt(total)
    if norm > max_norm:
        scale = max_norm / norm
        for i in range(grad.shape[0]):
            grad[i] *= scale
    return norm


@kernel(inline=True)
def update(theta, grad, moments, groups, hp, lr, step, weight_decay, batch_weight):
    """One optimizer step on ``theta`` in place; return the penalty value before the step.

    Parameters
    ----------
    theta : ndarray of shape (n_params,), float32 or float64
        Parameters, updated in place.
    grad : ndarray of shape (n_params,)
        Gradient of the data loss (without penalty); not modified.
    moments : tuple of (state1, state2), ndarray of shape (n_params,) each
        Optimizer state, updated in place: velocity (SGD), squared-gradient accumulator
        (AdaGrad, RMSProp), first and second moments (Adam).
    groups : tuple of (lr_scale, penalty_mask, decay_scale)
        The per-parameter vectors of the parameter groups, shape (n_params,) each:
        ``lr_scale`` (same dtype as ``theta``) the factor of each coordinate's learning rate
        (0 freezes it), ``penalty_mask`` (uint8) 1 for coordinates that penalties apply to,
        ``decay_scale`` (same dtype as ``theta``) the factor of each coordinate's decoupled
        weight decay (its group's learning-rate factor where decay applies, 0 elsewhere).
    hp : ndarray of shape (n_hyperparameters,), float64
        The hyperparameter vector (:mod:`skdeep._network`'s ``HP_*`` indices): this reads the
        solver code (``SGD``, ``ADAGRAD``, ``RMSPROP`` or ``ADAM``), momentum, Nesterov's
        flag, beta_1, beta_2, epsilon, rho and the penalty strengths l2 and l1.
    lr : float
        Learning rate of this step, before ``lr_scale``.
    step : int
        1-based count of updates, for Adam's bias correction.
    weight_decay : float
        Decoupled decay: parameters are multiplied by ``1 - lr * decay_scale * weight_decay``
        before the gradient step (PyTorch's AdamW convention, with the group's rate).
    batch_weight : float
        The batch's summed sample weight, which the penalty strengths are divided by.

    Returns
    -------
    float
        ``l1 * sum |w| + 0.5 * l2 * sum w**2`` at the parameters before the step (l1 and l2
        divided by ``batch_weight``).
    """
    lr_scale, penalty_mask, decay_scale = groups
    state1, state2 = moments
    solver = np.int64(hp[HP_SOLVER])
    momentum = hp[HP_MOMENTUM]
    nesterov = hp[HP_NESTEROV] != 0.0
    beta_1 = hp[HP_BETA_1]
    beta_2 = hp[HP_BETA_2]
    epsilon = hp[HP_EPSILON]
    rho = hp[HP_RHO]
    l2 = hp[HP_L2] / batch_weight
    l1 = hp[HP_L1] / batch_weight
    penalty = penalty_value(theta, penalty_mask, l2, l1)
    dt = theta.dtype.type
    # Scalars in the parameters' dtype keep float32 arithmetic in float32, so it vectorizes.
    one = dt(1.0)
    lr_ = dt(lr)
    lr_wd = dt(lr * weight_decay)
    l1_ = dt(l1)
    l2_ = dt(l2)
    eps = dt(epsilon)
    if solver == SGD:
        mom = dt(momentum)
        for i in range(theta.shape[0]):
            f = lr_scale[i]
            pm = dt(penalty_mask[i])
            lr_i = lr_ * f
            g = grad[i] + l2_ * pm * theta[i]
            v = mom * state1[i] - lr_i * g
            state1[i] = v
            delta = mom * v - lr_i * g if nesterov else v
            theta[i] = _apply(theta[i], delta, one - lr_wd * decay_scale[i], lr_i * l1_ * pm)
    elif solver == ADAGRAD or solver == RMSPROP:
        keep = dt(1.0) if solver == ADAGRAD else dt(rho)
        new = dt(1.0) if solver == ADAGRAD else dt(1.0 - rho)
        for i in range(theta.shape[0]):
            f = lr_scale[i]
            pm = dt(penalty_mask[i])
            g = grad[i] + l2_ * pm * theta[i]
            acc = keep * state1[i] + new * g * g
            state1[i] = acc
            step_size = lr_ * f / (np.sqrt(acc) + eps)
            theta[i] = _apply(
                theta[i], -step_size * g, one - lr_wd * decay_scale[i], step_size * l1_ * pm
            )
    else:
        b1 = dt(beta_1)
        b2 = dt(beta_2)
        # 1 - beta in float64 first: in float32, 1 - float32(0.999) is off by 1e-5 relative.
        c1 = dt(1.0 - beta_1)
        c2 = dt(1.0 - beta_2)
        lr_t = dt(lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step))
        for i in range(theta.shape[0]):
            f = lr_scale[i]
            pm = dt(penalty_mask[i])
            g = grad[i] + l2_ * pm * theta[i]
            m = b1 * state1[i] + c1 * g
            v = b2 * state2[i] + c2 * g * g
            state1[i] = m
            state2[i] = v
            step_size = lr_t * f / (np.sqrt(v) + eps)
            theta[i] = _apply(
                theta[i], -step_size * m, one - lr_wd * decay_scale[i], step_size * l1_ * pm
            )
    return penalty


@kernel(inline=True)
def _apply(w, delta, decay, threshold):
    """New value of one coordinate: decoupled decay, the solver's step, then the L1 prox.

    ``decay`` is ``1 - lr * weight_decay`` on decayed coordinates and 1 elsewhere;
    ``threshold`` is the soft-threshold ``step_size * l1`` on penalized coordinates and 0
    elsewhere: the proximal step in the
    solver's own per-coordinate metric, which sets weights exactly to zero. No data-dependent
    branches, so the solver loops vectorize.
    """
    w = w * decay + delta
    return w - min(max(w, -threshold), threshold)
