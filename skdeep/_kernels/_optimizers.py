"""Fused optimizer updates over the flat parameter vector.

One loop per solver walks every coordinate once: it adds the L2 penalty gradient, applies the
solver's update, decoupled weight decay and the L1 proximal (soft-threshold) step. Penalties
and decay touch only coordinates flagged in ``weight_mask`` (dense-layer weights).
"""

import numpy as np
from numba import njit

from ._config import JIT_OPTIONS

SGD = 0
ADAGRAD = 1
RMSPROP = 2
ADAM = 3


@njit(**JIT_OPTIONS)
def _soft_threshold(w, thresh):
    if w > thresh:
        return w - thresh
    if w < -thresh:
        return w + thresh
    return 0.0 * w


@njit(**JIT_OPTIONS)
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


@njit(**JIT_OPTIONS)
def update(
    theta,
    grad,
    state1,
    state2,
    weight_mask,
    solver,
    lr,
    step,
    momentum,
    nesterov,
    beta_1,
    beta_2,
    epsilon,
    rho,
    l2,
    l1,
    weight_decay,
):
    """One optimizer step on ``theta`` in place; return the penalty value before the step.

    Parameters
    ----------
    theta : ndarray of shape (n_params,), float32 or float64
        Parameters, updated in place.
    grad : ndarray of shape (n_params,)
        Gradient of the data loss (without penalty).
    state1, state2 : ndarray of shape (n_params,)
        Optimizer state: velocity (SGD), squared-gradient accumulator (AdaGrad, RMSProp),
        first and second moments (Adam).
    weight_mask : ndarray of shape (n_params,), uint8
        1 for coordinates that penalties and weight decay apply to.
    solver : int
        ``SGD``, ``ADAGRAD``, ``RMSPROP`` or ``ADAM``.
    lr : float
        Learning rate of this step.
    step : int
        1-based count of updates, for Adam's bias correction.
    momentum : float
    nesterov : bool
    beta_1, beta_2, epsilon, rho : float
    l2, l1 : float
        Penalty coefficients already divided by the batch weight.
    weight_decay : float
        Decoupled decay: weights are multiplied by ``1 - lr * weight_decay`` before the
        gradient step (PyTorch's AdamW convention).

    Returns
    -------
    float
        ``l1 * sum |w| + 0.5 * l2 * sum w**2`` at the parameters before the step.
    """
    penalty = 0.0
    decay = 1.0 - lr * weight_decay
    if solver == ADAM:
        lr_t = lr * np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
    else:
        lr_t = lr
    for i in range(theta.shape[0]):
        w = theta[i]
        g = grad[i]
        is_weight = weight_mask[i] != 0
        if is_weight:
            penalty += l1 * abs(w) + 0.5 * l2 * w * w
            g += l2 * w
        if solver == SGD:
            v = momentum * state1[i] - lr * g
            state1[i] = v
            if nesterov:
                delta = momentum * v - lr * g
            else:
                delta = v
            step_size = lr
        elif solver == ADAGRAD:
            acc = state1[i] + g * g
            state1[i] = acc
            step_size = lr / (np.sqrt(acc) + epsilon)
            delta = -step_size * g
        elif solver == RMSPROP:
            acc = rho * state1[i] + (1.0 - rho) * g * g
            state1[i] = acc
            step_size = lr / (np.sqrt(acc) + epsilon)
            delta = -step_size * g
        else:
            m = beta_1 * state1[i] + (1.0 - beta_1) * g
            v2 = beta_2 * state2[i] + (1.0 - beta_2) * g * g
            state1[i] = m
            state2[i] = v2
            step_size = lr_t / (np.sqrt(v2) + epsilon)
            delta = -step_size * m
        if is_weight:
            w = w * decay + delta
            if l1 > 0.0:
                # Proximal step in the solver's own per-coordinate metric: exact zeros for L1.
                w = _soft_threshold(w, step_size * l1)
        else:
            w = w + delta
        theta[i] = w
    return penalty
