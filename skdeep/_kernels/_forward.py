"""Forward-pass building blocks: activations, batch normalization, dropout.

All functions work in place on C-contiguous 2-D arrays of shape (n_rows, n_units) and keep the
array's dtype (float32 or float64). Activations are identified by small integer codes so that a
single compiled kernel serves every activation.
"""

import numpy as np
from numba import njit

from ._config import JIT_OPTIONS
from ._rng import next_uniform

IDENTITY = 0
RELU = 1
LEAKY_RELU = 2
ELU = 3
TANH = 4
LOGISTIC = 5

ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "tanh": TANH,
    "logistic": LOGISTIC,
    "sigmoid": LOGISTIC,
}

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
BN_EPSILON = 1e-5


@njit(**JIT_OPTIONS)
def activate(Z, deriv, code):
    """Apply activation ``code`` to ``Z`` in place and store its derivative in ``deriv``.

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_units), float32 or float64
        Pre-activations on entry, activations on exit.
    deriv : ndarray of shape (n_rows, n_units), same dtype as ``Z``
        Receives d activation / d pre-activation, evaluated at the entry values.
    code : int
        One of the activation codes of this module.
    """
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            z = Z[i, j]
            if code == RELU:
                if z > 0:
                    deriv[i, j] = 1.0
                else:
                    Z[i, j] = 0.0
                    deriv[i, j] = 0.0
            elif code == LEAKY_RELU:
                if z > 0:
                    deriv[i, j] = 1.0
                else:
                    Z[i, j] = LEAKY_SLOPE * z
                    deriv[i, j] = LEAKY_SLOPE
            elif code == ELU:
                if z > 0:
                    deriv[i, j] = 1.0
                else:
                    e = ELU_ALPHA * np.exp(z)
                    Z[i, j] = e - ELU_ALPHA
                    deriv[i, j] = e
            elif code == TANH:
                t = np.tanh(z)
                Z[i, j] = t
                deriv[i, j] = 1.0 - t * t
            elif code == LOGISTIC:
                s = _sigmoid(z)
                Z[i, j] = s
                deriv[i, j] = s * (1.0 - s)
            else:
                deriv[i, j] = 1.0


@njit(**JIT_OPTIONS)
def activate_inference(Z, code):
    """Apply activation ``code`` to ``Z`` (shape (n_rows, n_units)) in place, no derivative."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            z = Z[i, j]
            if code == RELU:
                if z < 0:
                    Z[i, j] = 0.0
            elif code == LEAKY_RELU:
                if z < 0:
                    Z[i, j] = LEAKY_SLOPE * z
            elif code == ELU:
                if z < 0:
                    Z[i, j] = ELU_ALPHA * (np.exp(z) - 1.0)
            elif code == TANH:
                Z[i, j] = np.tanh(z)
            elif code == LOGISTIC:
                Z[i, j] = _sigmoid(z)


@njit(**JIT_OPTIONS)
def _sigmoid(z):
    # Two branches keep exp() from overflowing for large |z|.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(**JIT_OPTIONS)
def add_bias(Z, b):
    """Add the bias ``b`` (shape (n_units,)) to every row of ``Z`` in place."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@njit(**JIT_OPTIONS)
def batch_norm_train(Z, gamma, beta, xhat, inv_std, running_mean, running_var, momentum, update):
    """Batch-normalize ``Z`` with its own batch statistics, in place.

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_units)
        Dense-layer outputs on entry, ``gamma * xhat + beta`` on exit.
    gamma, beta : ndarray of shape (n_units,)
        Learnable scale and shift.
    xhat : ndarray of shape (n_rows, n_units)
        Receives the normalized values (kept for the backward pass).
    inv_std : ndarray of shape (n_units,)
        Receives ``1 / sqrt(var + eps)`` of the batch (kept for the backward pass).
    running_mean, running_var : ndarray of shape (n_units,)
        Updated as ``momentum * running + (1 - momentum) * batch`` when ``update`` is true.
    momentum : float
    update : bool
    """
    n, m = Z.shape
    mean = np.zeros(m, dtype=np.float64)
    var = np.zeros(m, dtype=np.float64)
    for i in range(n):
        for j in range(m):
            mean[j] += Z[i, j]
    for j in range(m):
        mean[j] /= n
    for i in range(n):
        for j in range(m):
            d = Z[i, j] - mean[j]
            var[j] += d * d
    for j in range(m):
        var[j] /= n
        inv_std[j] = 1.0 / np.sqrt(var[j] + BN_EPSILON)
    for i in range(n):
        for j in range(m):
            h = (Z[i, j] - mean[j]) * inv_std[j]
            xhat[i, j] = h
            Z[i, j] = gamma[j] * h + beta[j]
    if update:
        for j in range(m):
            running_mean[j] = momentum * running_mean[j] + (1.0 - momentum) * mean[j]
            running_var[j] = momentum * running_var[j] + (1.0 - momentum) * var[j]


@njit(**JIT_OPTIONS)
def batch_norm_inference(Z, gamma, beta, running_mean, running_var):
    """Normalize ``Z`` (shape (n_rows, n_units)) in place with the running statistics."""
    n, m = Z.shape
    scale = np.empty(m, dtype=np.float64)
    shift = np.empty(m, dtype=np.float64)
    for j in range(m):
        scale[j] = gamma[j] / np.sqrt(running_var[j] + BN_EPSILON)
        shift[j] = beta[j] - running_mean[j] * scale[j]
    for i in range(n):
        for j in range(m):
            Z[i, j] = Z[i, j] * scale[j] + shift[j]


@njit(**JIT_OPTIONS)
def dropout(A, deriv, rate, state):
    """Inverted dropout on ``A`` in place; the mask is folded into ``deriv``.

    Each unit is kept with probability ``1 - rate`` and scaled by ``1 / (1 - rate)``, so that
    inference uses every unit with no rescaling.

    Parameters
    ----------
    A : ndarray of shape (n_rows, n_units)
        Activations, masked in place.
    deriv : ndarray of shape (n_rows, n_units) or shape (0, 0)
        Activation derivative, multiplied by the same mask (skipped when empty).
    rate : float
        Drop probability in [0, 1).
    state : ndarray of shape (1,), uint64
        Random generator state, advanced in place.
    """
    keep = 1.0 - rate
    scale = 1.0 / keep
    n, m = A.shape
    has_deriv = deriv.shape[0] > 0
    for i in range(n):
        for j in range(m):
            if next_uniform(state) < keep:
                A[i, j] *= scale
                if has_deriv:
                    deriv[i, j] *= scale
            else:
                A[i, j] = 0.0
                if has_deriv:
                    deriv[i, j] = 0.0
