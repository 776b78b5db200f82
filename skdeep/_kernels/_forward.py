"""Forward-pass building blocks: activations, batch normalization, dropout.

All functions work in place on C-contiguous 2-D arrays of shape (n_rows, n_units) and keep the
array's dtype (float32 or float64). Activations are identified by the integer codes of
:mod:`skdeep._network`, so that a single compiled kernel serves every activation.
"""

import numpy as np

from .._network import ELU, LEAKY_RELU, LOGISTIC, RELU, TANH
from ._config import kernel
from ._rng import GAMMA, mix

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
BN_EPSILON = 1e-5
_LOW16 = np.uint64(0xFFFF)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_S48 = np.uint64(48)


@kernel
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
                s = sigmoid(z)
                Z[i, j] = s
                deriv[i, j] = s * (1.0 - s)
            else:
                deriv[i, j] = 1.0


@kernel
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
                Z[i, j] = sigmoid(z)


@kernel
def sigmoid(z):
    """The logistic function of a scalar, without overflow for large ``|z|``."""
    # Two branches keep exp() from overflowing for large |z|.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@kernel
def add_bias(Z, b):
    """Add the bias ``b`` (shape (n_units,)) to every row of ``Z`` in place."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@kernel
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


@kernel
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


@kernel
def dropout(A, deriv, rate, state):
    """Inverted dropout on ``A`` in place; the mask is folded into ``deriv``.

    Each unit is kept with probability ``1 - rate`` and scaled by ``1 / (1 - rate)``, so that
    inference uses every unit with no rescaling. One 64-bit draw serves four units: unit ``k``
    (row-major order) uses bits ``16 * (k % 4)`` to ``16 * (k % 4) + 15`` of draw ``k // 4``
    and is kept when that 16-bit number is below ``round((1 - rate) * 65536)``, so the keep
    probability is exact to within 2**-17.

    Parameters
    ----------
    A : ndarray of shape (n_rows, n_units)
        Activations, masked in place.
    deriv : ndarray of shape (n_rows, n_units) or shape (0, 0)
        Activation derivative, multiplied by the same mask (skipped when empty).
    rate : float
        Drop probability in [0, 1).
    state : ndarray of shape (1,), uint64
        Random generator state, advanced by ``ceil(n_rows * n_units / 4)`` draws.
    """
    keep = 1.0 - rate
    scale = A.dtype.type(1.0 / keep)
    zero = A.dtype.type(0.0)
    threshold = np.uint64(int(round(keep * 65536.0)))
    size = A.size
    flat_a = A.reshape(size)
    # Input dropout has no derivative to mask: a scratch buffer keeps a single loop body.
    flat_d = deriv.reshape(deriv.size) if deriv.size > 0 else np.zeros(size, A.dtype)
    start = state[0]
    n_draws = (size + 3) // 4
    # SplitMix64 is counter-based: draw g is mix(start + (g + 1) * GAMMA). Computing each draw
    # from the counter (not from the previous draw) and taking the four 16-bit fields
    # branch-free keeps this loop free of dependencies and mispredictions.
    for g in range(size // 4):
        word = mix(start + np.uint64(g + 1) * GAMMA)
        k = 4 * g
        f0 = scale if (word & _LOW16) < threshold else zero
        f1 = scale if ((word >> _S16) & _LOW16) < threshold else zero
        f2 = scale if ((word >> _S32) & _LOW16) < threshold else zero
        f3 = scale if (word >> _S48) < threshold else zero
        flat_a[k] *= f0
        flat_a[k + 1] *= f1
        flat_a[k + 2] *= f2
        flat_a[k + 3] *= f3
        flat_d[k] *= f0
        flat_d[k + 1] *= f1
        flat_d[k + 2] *= f2
        flat_d[k + 3] *= f3
    if size % 4:
        word = mix(start + np.uint64(n_draws) * GAMMA)
        for k in range(size - size % 4, size):
            f = scale if (word & _LOW16) < threshold else zero
            word >>= _S16
            flat_a[k] *= f
            flat_d[k] *= f
    state[0] = start + np.uint64(n_draws) * GAMMA
