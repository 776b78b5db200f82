"""Forward-pass building blocks: activations, batch normalization, dropout.

All functions work in place on C-contiguous 2-D arrays of shape (n_rows, n_units) and keep the
array's dtype (float32 or float64). Activations are identified by the integer codes of
:mod:`skdeep._network`, so that a single compiled kernel serves every activation.
"""

import math

import numpy as np

from .._network import ELU, GELU, IDENTITY, LEAKY_RELU, LOGISTIC, MISH, RELU, SELU, SILU, TANH
from ._config import kernel
from ._rng import GAMMA, mix

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
# SELU's constants (Klambauer et al., 2017), which make it self-normalizing.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
BN_EPSILON = 1e-5
_TWO_PI = 2.0 * math.pi
# sincos: pi / 2 split into three parts (the first two with 33 significant bits, so that
# n * part is exact for |n| < 2**20) for the range reduction t - n pi / 2.
_HALF_PI_1 = 1.5707963267341256
_HALF_PI_2 = 6.077100506303966e-11
_HALF_PI_3 = 2.0222662487959506e-21
_TWO_OVER_PI = 0.6366197723675814
# Taylor coefficients of sin(r) / r and cos(r) in r**2, to r**15 and r**16: on |r| <= pi / 4
# the first omitted terms are below 5e-17 and 2e-18.
_SIN = (
    1.0, -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0, -1.0 / 39916800.0,
    1.0 / 6227020800.0, -1.0 / 1307674368000.0,
)  # fmt: skip
_COS = (
    1.0, -0.5, 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0,
    1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0,
)  # fmt: skip
_LOW16 = np.uint64(0xFFFF)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_S48 = np.uint64(48)


@kernel(inline=True)
def copy_columns(src, dst, n_cols):
    """``dst[:, :n_cols] = src[:, :n_cols]`` for 2-D arrays with as many rows.

    A loop rather than slice assignment: numba's slice assignment compiles its shape-mismatch
    error message (string formatting), which costs about two seconds of a first fit.
    """
    for i in range(src.shape[0]):
        for j in range(n_cols):
            dst[i, j] = src[i, j]


@kernel
def activate(Z, deriv, code):
    """Apply activation ``code`` to ``Z`` in place and store its derivative in ``deriv``.

    One loop per activation, so that each inner loop is short and free of the choice of
    activation (the cheap ones vectorize).

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_units), float32 or float64
        Pre-activations on entry, activations on exit.
    deriv : ndarray of shape (n_rows, n_units), same dtype as ``Z``
        Receives d activation / d pre-activation, evaluated at the entry values.
    code : int
        An activation code of :mod:`skdeep._network`.
    """
    n, m = Z.shape
    if code == RELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] > 0:
                    deriv[i, j] = 1.0
                else:
                    Z[i, j] = 0.0
                    deriv[i, j] = 0.0
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                if z > 0:
                    deriv[i, j] = 1.0
                else:
                    Z[i, j] = LEAKY_SLOPE * z
                    deriv[i, j] = LEAKY_SLOPE
    elif code == ELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                if z > 0:
                    deriv[i, j] = 1.0
                else:
                    e = ELU_ALPHA * np.exp(z)
                    Z[i, j] = e - ELU_ALPHA
                    deriv[i, j] = e
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                t = np.tanh(Z[i, j])
                Z[i, j] = t
                deriv[i, j] = 1.0 - t * t
    elif code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                s = sigmoid(Z[i, j])
                Z[i, j] = s
                deriv[i, j] = s * (1.0 - s)
    elif code == SELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                if z > 0:
                    Z[i, j] = SELU_SCALE * z
                    deriv[i, j] = SELU_SCALE
                else:
                    e = SELU_SCALE * SELU_ALPHA * np.exp(z)
                    Z[i, j] = e - SELU_SCALE * SELU_ALPHA
                    deriv[i, j] = e
    elif code == MISH:
        for i in range(n):
            for j in range(m):
                value, slope = _mish(Z[i, j])
                Z[i, j] = value
                deriv[i, j] = slope
    elif code == GELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                cdf = 0.5 * (1.0 + math.erf(z * _INV_SQRT2))
                Z[i, j] = z * cdf
                deriv[i, j] = cdf + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    elif code == SILU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                s = sigmoid(z)
                Z[i, j] = z * s
                deriv[i, j] = s * (1.0 + z * (1.0 - s))
    else:
        for i in range(n):
            for j in range(m):
                deriv[i, j] = 1.0


@kernel(inline=True)
def _mish(z):
    """``z tanh(softplus(z))`` and its derivative from one exponential.

    With ``u = exp(z)`` and ``v = u (u + 2)``, ``tanh(log(1 + u)) = v / (v + 2)`` and its
    derivative is ``4 u (u + 1) / (v + 2)**2``. Beyond ``z = 20`` the tanh is 1 to double
    precision (and ``u**2`` could overflow float32).
    """
    if z > 20.0:
        return z, 1.0
    u = np.exp(z)
    v = u * (u + 2.0)
    t = v / (v + 2.0)
    return z * t, t + z * 4.0 * u * (u + 1.0) / ((v + 2.0) * (v + 2.0))


@kernel(inline=True)
def activate_mixed(Z, deriv, gap, mix, code):
    """The parametric activation ``z + a * (f(z) - z)`` of ``Z`` in place, per-unit ``a``.

    Parameters
    ----------
    Z : ndarray of shape (n_rows, n_units), float32 or float64
        Pre-activations on entry, activations on exit.
    deriv : ndarray of shape (n_rows, n_units), same dtype
        Receives ``1 - a + a * f'(z)``, the derivative with respect to ``z``.
    gap : ndarray of shape (n_rows, n_units), same dtype
        Receives ``f(z) - z``, the derivative with respect to ``a``.
    mix : ndarray of shape (n_units,), same dtype
        The per-unit ``a``.
    code : int
        Activation code of ``f``.
    """
    n, m = Z.shape
    copy_columns(Z, gap, m)
    activate(gap, deriv, code)  # gap holds f(z), deriv f'(z)
    for i in range(n):
        for j in range(m):
            z = Z[i, j]
            a = mix[j]
            f = gap[i, j]
            Z[i, j] = z + a * (f - z)
            deriv[i, j] = 1.0 - a + a * deriv[i, j]
            gap[i, j] = f - z


@kernel(inline=True)
def activate_inference(Z, mix, code):
    """Apply activation ``code`` to ``Z`` (shape (n_rows, n_units)) in place, no derivative.

    ``mix`` (shape (n_units,)) holds the per-unit ``a`` of a parametric activation, or is
    empty (shape (0,)) for the plain one.
    """
    n, m = Z.shape
    if mix.shape[0] > 0:
        f = Z.copy()
        activate(f, np.empty_like(Z), code)
        for i in range(n):
            for j in range(m):
                Z[i, j] = Z[i, j] + mix[j] * (f[i, j] - Z[i, j])
    elif code == RELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] < 0:
                    Z[i, j] = 0.0
    elif code == LEAKY_RELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] < 0:
                    Z[i, j] = LEAKY_SLOPE * Z[i, j]
    elif code == ELU:
        for i in range(n):
            for j in range(m):
                if Z[i, j] < 0:
                    Z[i, j] = ELU_ALPHA * (np.exp(Z[i, j]) - 1.0)
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                Z[i, j] = np.tanh(Z[i, j])
    elif code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                Z[i, j] = sigmoid(Z[i, j])
    elif code != IDENTITY:
        # The smooth activations share the training kernel's arithmetic (its derivative is
        # scratch here).
        activate(Z, np.empty_like(Z), code)


# Compiled on its own, not inlined: inlined, the sigmoid cross-entropy loop around it sums in
# another order (its loss moves by rounding).
@kernel
def sigmoid(z):
    """The logistic function of a scalar, without overflow for large ``|z|``."""
    # Two branches keep exp() from overflowing for large |z|.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@kernel(inline=True)
def add_bias(Z, b):
    """Add the bias ``b`` (shape (n_units,)) to every row of ``Z`` in place."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


# The batch-norm kernels are compiled on their own, not inlined: inlined into the forward and
# backward passes, their loops made W1's regularized epoch about 7% slower.
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
def dropout(A, deriv, gap, rate, state):
    """Inverted dropout on ``A`` in place; the mask is folded into ``deriv`` and ``gap``.

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
    gap : ndarray of shape (n_rows, n_units) or shape (0, 0)
        ``f(z) - z`` of a parametric activation, multiplied by the same mask (skipped when
        empty).
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
    with_gap = gap.size > 0
    flat_g = gap.reshape(gap.size)
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
        if with_gap:
            flat_g[k] *= f0
            flat_g[k + 1] *= f1
            flat_g[k + 2] *= f2
            flat_g[k + 3] *= f3
    if size % 4:
        word = mix(start + np.uint64(n_draws) * GAMMA)
        for k in range(size - size % 4, size):
            f = scale if (word & _LOW16) < threshold else zero
            word >>= _S16
            flat_a[k] *= f
            flat_d[k] *= f
            if with_gap:
                flat_g[k] *= f
    state[0] = start + np.uint64(n_draws) * GAMMA


@kernel(inline=True)
def sincos(t):
    """``(sin(t), cos(t))`` of a float64 ``t``, without branches or calls, so that loops
    over many angles vectorize (numba's ``np.sin`` and ``np.cos`` call the scalar C library
    once per value, which made them most of a training epoch with numeric embeddings).

    ``t`` is reduced to ``r = t - n pi / 2`` with ``|r| <= pi / 4`` (``pi / 2`` in three
    parts, so ``r`` is as exact as ``t`` itself), then ``sin(r)`` and ``cos(r)`` are Taylor
    polynomials whose truncation error is below 5e-17; the quadrant ``n mod 4`` swaps and
    negates them. Measured against ``np.sin`` / ``np.cos`` on two million angles up to
    ``|t| <= 1e6``: at most 2.3e-16 apart, one unit in the last place near 1
    (``tests/test_kernels.py::test_sincos_matches_numpy``); NaN and infinity give NaN.
    """
    n = np.floor(t * _TWO_OVER_PI + 0.5)
    r = ((t - n * _HALF_PI_1) - n * _HALF_PI_2) - n * _HALF_PI_3
    r2 = r * r
    s = _SIN[7]
    s = s * r2 + _SIN[6]
    s = s * r2 + _SIN[5]
    s = s * r2 + _SIN[4]
    s = s * r2 + _SIN[3]
    s = s * r2 + _SIN[2]
    s = s * r2 + _SIN[1]
    s = (s * r2 + _SIN[0]) * r
    c = _COS[8]
    c = c * r2 + _COS[7]
    c = c * r2 + _COS[6]
    c = c * r2 + _COS[5]
    c = c * r2 + _COS[4]
    c = c * r2 + _COS[3]
    c = c * r2 + _COS[2]
    c = c * r2 + _COS[1]
    c = c * r2 + _COS[0]
    quadrant = n - 4.0 * np.floor(n * 0.25)
    odd = quadrant == 1.0 or quadrant == 3.0
    sin_t = c if odd else s
    cos_t = s if odd else c
    if quadrant >= 2.0:
        sin_t = -sin_t
    if quadrant == 1.0 or quadrant == 2.0:
        cos_t = -cos_t
    return sin_t, cos_t


@kernel(inline=True)
def embed(X, n_values, columns, frequencies, phases, coefs, intercepts, out, cosines, sines):
    """Periodic numeric embeddings of some features, after all the raw values.

    Row ``i`` of ``out`` starts with the value columns ``X[i, :n_values]`` followed, for
    each embedded feature ``e`` (column ``j = columns[e]``), by its ``d`` values
    ``c_em + sum_q cos(t_q) W_eqm`` with ``t_q = 2 pi w_eq x_ij + b_eq`` for each of its
    ``k`` frequencies. Columns of ``out`` beyond those are left alone.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float32 or float64
    n_values : int
        Number of leading value columns of ``X`` (the rest are categorical codes).
    columns : ndarray of shape (n_embedded,), int64
        Column of ``X`` of each embedded feature.
    frequencies, phases : ndarray of shape (n_embedded, k), same dtype
        ``w`` and ``b``.
    coefs : ndarray of shape (n_embedded, k, d), same dtype
        ``W``: each embedded feature's map from its ``k`` cosines to its ``d`` values.
    intercepts : ndarray of shape (n_embedded, d), same dtype
        ``c``.
    out : ndarray of shape (n_rows, >= n_values + n_embedded * d), same dtype
        Receives the embedded rows.
    cosines, sines : ndarray of shape (n_rows, n_embedded, k), same dtype, or (0, 0, 0)
        Receive ``cos(t)`` and ``sin(t)`` for the backward pass (skipped when empty).
    """
    n = X.shape[0]
    f = n_values
    n_embedded, k = frequencies.shape
    d = intercepts.shape[1]
    keep = cosines.size > 0
    c = np.empty(k, dtype=X.dtype)
    s = np.empty(k, dtype=X.dtype)
    for i in range(n):
        for j in range(f):
            out[i, j] = X[i, j]
        for e in range(n_embedded):
            x = X[i, columns[e]]
            # Branch-free and call-free: this loop vectorizes.
            for q in range(k):
                s[q], c[q] = sincos(_TWO_PI * frequencies[e, q] * x + phases[e, q])
            if keep:
                for q in range(k):
                    cosines[i, e, q] = c[q]
                    sines[i, e, q] = s[q]
            base = f + e * d
            for m in range(d):
                acc = intercepts[e, m]
                for q in range(k):
                    acc += c[q] * coefs[e, q, m]
                out[i, base + m] = acc


@kernel(inline=True)
def scale_columns(A, factors, out):
    """``out = A * factors`` (the scaling layer): ``A`` and ``out`` of shape (n_rows, n_cols),
    ``factors`` of shape (n_cols,)."""
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = A[i, j] * factors[j]


@kernel(inline=True)
def embed_categories(X, n_values, starts, vectors, out, base):
    """The learned vectors of categorical levels, written into ``out`` from column ``base``.

    Row ``i`` of ``out`` gets, for each categorical feature ``c``, the ``d`` values of row
    ``starts[c] + X[i, n_values + c]`` of ``vectors`` at columns ``base + c d`` to
    ``base + (c + 1) d - 1``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_values + n_categorical), float32 or float64
        The last ``n_categorical`` columns hold integer codes (as floats), each in
        ``[0, starts[c + 1] - starts[c])``.
    n_values : int
    starts : ndarray of shape (n_categorical + 1,), int64
        Row of ``vectors`` where each feature's table starts (the total row count last).
    vectors : ndarray of shape (starts[-1], d), same dtype as ``X``
    out : ndarray of shape (n_rows, >= base + n_categorical * d), same dtype
    base : int
    """
    n = X.shape[0]
    n_cat = starts.shape[0] - 1
    d = vectors.shape[1]
    for i in range(n):
        for c in range(n_cat):
            row = starts[c] + np.int64(X[i, n_values + c])
            col = base + c * d
            for m in range(d):
                out[i, col + m] = vectors[row, m]
