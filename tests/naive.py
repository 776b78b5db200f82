"""Plain-NumPy reference implementations of the numba kernels of :mod:`skdeep._kernels`.

Every function here is written from the semantics documented in the kernels' docstrings, not by
translating their loops: whole-array NumPy expressions where that is natural, float64
throughout (inputs of any dtype are converted first, so float32 kernels are compared with a
float64 computation on the same float32 inputs), and textbook formulations where there are
several (``expm1`` for ELU, ``logaddexp`` for the sigmoid cross-entropy, the step-by-step chain
rule for batch normalization). Nothing is modified in place; functions return new arrays.

Names replace the kernels' integer codes: activations ``"identity"``, ``"relu"``,
``"leaky_relu"``, ``"elu"``, ``"tanh"``, ``"logistic"``, ``"selu"``, ``"mish"``, ``"gelu"``,
``"silu"``; losses ``"squared_error"``, ``"softmax_cross_entropy"``,
``"sigmoid_cross_entropy"``, ``"poisson"``; solvers ``"sgd"``, ``"adagrad"``, ``"rmsprop"``,
``"adam"``.
"""

import math

import numpy as np
from scipy import special

# Column order of a row of the layer table and of the input table, as documented in
# skdeep._network.
(
    FAN_IN,
    FAN_OUT,
    W_OFF,
    B_OFF,
    GAMMA_OFF,
    BETA_OFF,
    MEAN_OFF,
    VAR_OFF,
    MIX_OFF,
    KIND,
    RATE,
    MEMBERS,
    MS_OFF,
    MB_OFF,
) = range(14)
# Layer kinds (the KIND column).
INPUT, DENSE, BATCH_NORM, ACTIVATION, DROPOUT, LOSS, REPLICATE, MEMBER_SCALE = range(8)
(
    IN_FEATURES,
    EMB_FEATURES,
    EMB_FREQS,
    EMB_DIM,
    FREQ_OFF,
    PHASE_OFF,
    EMB_W_OFF,
    EMB_B_OFF,
    SCALE_OFF,
    IN_WIDTH,
    CAT_FEATURES,
    CAT_DIM,
    CAT_OFF,
) = range(13)
N_INPUT_FIELDS = 13

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
BN_EPSILON = 1e-5

ACTIVATIONS = (
    "identity",
    "relu",
    "leaky_relu",
    "elu",
    "tanh",
    "logistic",
    "selu",
    "mish",
    "gelu",
    "silu",
)
LOSSES = (
    "squared_error",
    "softmax_cross_entropy",
    "sigmoid_cross_entropy",
    "poisson",
    "absolute_error",
    "huber",
    "quantile",
)
SOLVERS = ("sgd", "adagrad", "rmsprop", "adam")

_MASK64 = (1 << 64) - 1
_SPLITMIX_GAMMA = 0x9E3779B97F4A7C15
_SPLITMIX_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_MIX2 = np.uint64(0x94D049BB133111EB)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------------


class SplitMix64:
    """SplitMix64 generator producing blocks of draws with vectorized uint64 arithmetic.

    SplitMix64 is counter based: its ``k``-th output is a fixed bijective mix of
    ``seed + k * gamma`` (mod 2**64), so ``n`` draws are one array expression instead of a loop.
    NumPy's uint64 array arithmetic wraps modulo 2**64, exactly like the C reference.

    Parameters
    ----------
    state : int or ndarray of shape (1,), dtype uint64
        Initial state (the seed, or a copy of a kernel's state array).

    Attributes
    ----------
    state : int
        Current state as a Python integer in [0, 2**64).
    """

    def __init__(self, state):
        self.state = int(np.asarray(state, dtype=np.uint64).reshape(-1)[0])

    def next_u64(self, n):
        """Return the next ``n`` outputs and advance the state by ``n`` steps.

        Parameters
        ----------
        n : int

        Returns
        -------
        ndarray of shape (n,), dtype uint64
        """
        k = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(self.state) + k * np.uint64(_SPLITMIX_GAMMA)
        z = (z ^ (z >> np.uint64(30))) * _SPLITMIX_MIX1
        z = (z ^ (z >> np.uint64(27))) * _SPLITMIX_MIX2
        z = z ^ (z >> np.uint64(31))
        self.state = (self.state + n * _SPLITMIX_GAMMA) & _MASK64
        return z

    def state_array(self):
        """Return the state in the kernels' format, an ndarray of shape (1,), dtype uint64."""
        return np.array([self.state], dtype=np.uint64)


def shuffle(n, rng):
    """Fisher-Yates permutation of ``arange(n)`` drawing from ``rng`` like the kernel.

    For ``i = n - 1, ..., 1`` (in that order) one draw ``u`` picks ``j = u mod (i + 1)`` and
    positions ``i`` and ``j`` are swapped.

    Parameters
    ----------
    n : int
    rng : SplitMix64
        Advanced by ``n - 1`` draws.

    Returns
    -------
    ndarray of shape (n,), int64
    """
    perm = np.arange(n, dtype=np.int64)
    draws = rng.next_u64(max(n - 1, 0))
    for k, i in enumerate(range(n - 1, 0, -1)):
        j = int(draws[k]) % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


# --------------------------------------------------------------------------------------------
# Forward building blocks
# --------------------------------------------------------------------------------------------


def activation(z, name):
    """Activation and its derivative, elementwise.

    At ``z == 0`` the piecewise activations use their left piece's derivative (0 for relu,
    ``LEAKY_SLOPE`` for leaky_relu, ``ELU_ALPHA`` for elu, which is continuous there).

    Parameters
    ----------
    z : array_like
        Pre-activations.
    name : str
        One of :data:`ACTIVATIONS`.

    Returns
    -------
    a : ndarray, float64
        Activations, same shape as ``z``.
    da : ndarray, float64
        Derivative d a / d z at ``z``.
    """
    z = _f64(z)
    pos = z > 0
    if name == "identity":
        return z.copy(), np.ones_like(z)
    if name == "relu":
        return np.where(pos, z, 0.0), pos.astype(np.float64)
    if name == "leaky_relu":
        return np.where(pos, z, LEAKY_SLOPE * z), np.where(pos, 1.0, LEAKY_SLOPE)
    if name == "elu":
        # expm1 on the clipped input: accurate near 0 and no overflow for large positive z.
        neg = ELU_ALPHA * np.expm1(np.minimum(z, 0.0))
        return np.where(pos, z, neg), np.where(pos, 1.0, neg + ELU_ALPHA)
    if name == "tanh":
        with np.errstate(over="ignore"):
            # 1 / cosh(z)**2 rather than 1 - tanh(z)**2, an independent formulation.
            return np.tanh(z), 1.0 / np.cosh(z) ** 2
    if name == "logistic":
        # Both branches of the stable sigmoid from e = exp(-|z|) <= 1: no overflow.
        e = np.exp(-np.abs(z))
        s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return s, e / (1.0 + e) ** 2
    if name == "selu":
        neg = SELU_SCALE * SELU_ALPHA * np.expm1(np.minimum(z, 0.0))
        slope = SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(z, 0.0))
        return np.where(pos, SELU_SCALE * z, neg), np.where(pos, SELU_SCALE, slope)
    if name == "mish":
        softplus = np.logaddexp(0.0, z)
        t = np.tanh(softplus)
        with np.errstate(over="ignore"):  # cosh(700)**2 is inf: its term is then 0
            # d/dz z tanh(softplus(z)) = tanh(softplus) + z sech(softplus)**2 sigmoid(z)
            return z * t, t + z * sigmoid(z) / np.cosh(softplus) ** 2
    if name == "gelu":
        cdf = special.ndtr(z)  # the standard normal CDF
        return z * cdf, cdf + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    if name == "silu":
        s = sigmoid(z)
        return z * s, s + z * s * (1.0 - s)
    raise ValueError(f"unknown activation {name!r}")


def mixed_activation(z, a, name):
    """The parametric activation ``z + a (f(z) - z)`` with per-unit ``a``.

    Parameters
    ----------
    z : array_like of shape (n_rows, n_units)
    a : array_like of shape (n_units,)
    name : str

    Returns
    -------
    out : ndarray of shape (n_rows, n_units), float64
    d_dz : ndarray of shape (n_rows, n_units), float64
        ``1 - a + a f'(z)``.
    d_da : ndarray of shape (n_rows, n_units), float64
        ``f(z) - z``.
    """
    z, a = _f64(z), _f64(a)
    f, df = activation(z, name)
    return (1.0 - a) * z + a * f, (1.0 - a) + a * df, f - z


def embed(X, columns, frequencies, phases, coefs, intercepts):
    """Periodic numeric embeddings of some columns, after all the raw values.

    Parameters
    ----------
    X : array_like of shape (n_rows, n_features)
    columns : array_like of shape (n_embedded,)
        The embedded columns.
    frequencies, phases : array_like of shape (n_embedded, k)
    coefs : array_like of shape (n_embedded, k, d)
    intercepts : array_like of shape (n_embedded, d)

    Returns
    -------
    ndarray of shape (n_rows, n_features + n_embedded * d), float64
        ``X``, then per embedded column ``j``:
        ``intercepts[e] + cos(2 pi x_j w_e + b_e) @ coefs[e]``.
    """
    X = _f64(X)
    x = X[:, np.asarray(columns, dtype=int)]
    angles = 2.0 * np.pi * x[:, :, None] * _f64(frequencies) + _f64(phases)
    values = np.einsum("nek,ekd->ned", np.cos(angles), _f64(coefs)) + _f64(intercepts)
    return np.concatenate([X, values.reshape(X.shape[0], -1)], axis=1)


def embed_backward(d_out, X, columns, frequencies, phases, coefs):
    """Gradients of :func:`embed` with respect to its parameters.

    Parameters
    ----------
    d_out : array_like of shape (n_rows, n_features + n_embedded * d)
    X, columns, frequencies, phases, coefs
        As in :func:`embed`.

    Returns
    -------
    g_freq, g_phase : ndarray of shape (n_embedded, k)
    g_coefs : ndarray of shape (n_embedded, k, d)
    g_intercepts : ndarray of shape (n_embedded, d)
    """
    X = _f64(X)
    x = X[:, np.asarray(columns, dtype=int)]
    n, f = X.shape
    n_embedded, _, d = _f64(coefs).shape
    g = _f64(d_out)[:, f:].reshape(n, n_embedded, d)  # the raw values have no parameters
    angles = 2.0 * np.pi * x[:, :, None] * _f64(frequencies) + _f64(phases)
    g_coefs = np.einsum("nek,ned->ekd", np.cos(angles), g)
    d_cos = np.einsum("ned,ekd->nek", g, _f64(coefs))
    d_angle = -np.sin(angles) * d_cos
    return (
        (d_angle * 2.0 * np.pi * x[:, :, None]).sum(axis=0),
        d_angle.sum(axis=0),
        g_coefs,
        g.sum(axis=0),
    )


def sigmoid(z):
    """Numerically stable logistic function, float64."""
    return activation(z, "logistic")[0]


def dense(A, W, b):
    """Dense layer ``A @ W + b``.

    Parameters
    ----------
    A : array_like of shape (n_rows, fan_in)
    W : array_like of shape (fan_in, fan_out)
    b : array_like of shape (fan_out,)

    Returns
    -------
    ndarray of shape (n_rows, fan_out), float64
    """
    return _f64(A) @ _f64(W) + _f64(b)


def batch_norm_train(Z, gamma, beta, running_mean, running_var, momentum):
    """Training-mode batch normalization with the batch's own statistics.

    Parameters
    ----------
    Z : array_like of shape (n_rows, n_units)
    gamma, beta : array_like of shape (n_units,)
    running_mean, running_var : array_like of shape (n_units,)
    momentum : float

    Returns
    -------
    out : ndarray of shape (n_rows, n_units)
        ``gamma * xhat + beta``.
    xhat : ndarray of shape (n_rows, n_units)
        ``(Z - mean) / sqrt(var + eps)`` with the biased batch variance.
    inv_std : ndarray of shape (n_units,)
    new_mean, new_var : ndarray of shape (n_units,)
        ``momentum * running + (1 - momentum) * batch``.
    """
    Z = _f64(Z)
    mean = Z.mean(axis=0)
    var = Z.var(axis=0)  # ddof=0: the biased variance
    inv_std = 1.0 / np.sqrt(var + BN_EPSILON)
    xhat = (Z - mean) * inv_std
    out = _f64(gamma) * xhat + _f64(beta)
    new_mean = momentum * _f64(running_mean) + (1.0 - momentum) * mean
    new_var = momentum * _f64(running_var) + (1.0 - momentum) * var
    return out, xhat, inv_std, new_mean, new_var


def batch_norm_inference(Z, gamma, beta, running_mean, running_var):
    """Inference-mode batch normalization with the running statistics.

    Parameters
    ----------
    Z : array_like of shape (n_rows, n_units)
    gamma, beta, running_mean, running_var : array_like of shape (n_units,)

    Returns
    -------
    ndarray of shape (n_rows, n_units), float64
    """
    xhat = (_f64(Z) - _f64(running_mean)) / np.sqrt(_f64(running_var) + BN_EPSILON)
    return _f64(gamma) * xhat + _f64(beta)


def dropout_mask(shape, rate, rng):
    """Inverted-dropout multipliers: ``1 / (1 - rate)`` for kept units, 0 for dropped ones.

    Units in row-major order take 16 bits each from consecutive 64-bit draws, lowest bits
    first; a unit is kept when its 16-bit number is below ``round((1 - rate) * 65536)``.

    Parameters
    ----------
    shape : tuple of int
        ``(n_rows, n_units)``.
    rate : float
    rng : SplitMix64
        Advanced by ``ceil(n_rows * n_units / 4)`` draws.

    Returns
    -------
    ndarray of shape ``shape``, float64
    """
    keep = 1.0 - rate
    n_units = int(np.prod(shape))
    words = rng.next_u64(-(-n_units // 4))
    chunks = (words[:, None] >> (np.arange(4, dtype=np.uint64) * np.uint64(16))) & np.uint64(
        0xFFFF
    )
    bits = chunks.ravel()[:n_units].reshape(shape)
    return np.where(bits < round(keep * 65536), 1.0 / keep, 0.0)


def sparse_first_layer_input(X, rows, input_rate, rng):
    """What the first layer sees of the CSR rows ``rows`` of ``X``: a dense copy, with input
    dropout on the stored values (row-major order of the gathered rows) and none on the zeros.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n_samples, n_features)
    rows : array_like of int
    input_rate : float
    rng : SplitMix64
        Advanced by the input mask's draws (when ``input_rate > 0``).

    Returns
    -------
    ndarray of shape (len(rows), n_features), float64
    """
    batch = X[np.asarray(rows)].astype(np.float64)
    if input_rate > 0.0:
        batch.data = batch.data * dropout_mask((1, batch.nnz), input_rate, rng).ravel()
    return batch.toarray()


# --------------------------------------------------------------------------------------------
# Losses and penalties
# --------------------------------------------------------------------------------------------


def loss(Z, Y, sw, sw_sum, kind):
    """Weighted mean loss of raw outputs and its gradient with respect to them.

    Parameters
    ----------
    Z : array_like of shape (n_rows, n_outputs)
        Raw outputs (logits for the cross-entropies).
    Y : array_like of shape (n_rows, n_outputs)
    sw : array_like of shape (n_rows,)
    sw_sum : float
    kind : str or tuple of (str, array_like)
        One of :data:`LOSSES`, or one with its parameters: ``("huber", [delta])``,
        ``("quantile", levels)`` with a level per output.

    Returns
    -------
    value : float
        ``sum_i sw_i * loss_i / sw_sum``.
    dZ : ndarray of shape (n_rows, n_outputs), float64
    """
    kind, parameters = kind if isinstance(kind, tuple) else (kind, ())
    Z, Y = _f64(Z), _f64(Y)
    w = _f64(sw) / float(sw_sum)
    if kind == "squared_error":
        per_sample = 0.5 * ((Z - Y) ** 2).sum(axis=1)
        dZ = Z - Y
    elif kind == "softmax_cross_entropy":
        shifted = Z - Z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        per_sample = -(Y * log_p).sum(axis=1)
        # d/dz of -sum_k y_k log softmax_k(z) = softmax(z) * sum_k y_k - y.
        dZ = np.exp(log_p) * Y.sum(axis=1, keepdims=True) - Y
    elif kind == "sigmoid_cross_entropy":
        # -log s(z) = log(1 + exp(-z)) and -log(1 - s(z)) = log(1 + exp(z)).
        per_sample = (Y * np.logaddexp(0.0, -Z) + (1.0 - Y) * np.logaddexp(0.0, Z)).sum(axis=1)
        dZ = sigmoid(Z) - Y
    elif kind == "poisson":
        # Half the Poisson deviance of exp(z): y log(y / exp(z)) - y + exp(z).
        per_sample = (special.xlogy(Y, Y) - Y * Z - Y + np.exp(Z)).sum(axis=1)
        dZ = np.exp(Z) - Y
    elif kind == "absolute_error":
        per_sample = np.abs(Z - Y).sum(axis=1)
        dZ = np.sign(Z - Y)  # 0 at the kink: a subgradient
    elif kind == "huber":
        (delta,) = parameters
        r = Z - Y
        inside = np.abs(r) <= delta
        per_sample = np.where(inside, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum(axis=1)
        dZ = np.where(inside, r, delta * np.sign(r))
    elif kind == "quantile":
        levels = np.asarray(parameters, dtype=np.float64)[None, :]
        r = Y - Z
        per_sample = np.maximum(levels * r, (levels - 1.0) * r).sum(axis=1)
        # d/dz: -level where y > z, 1 - level where y < z, 0 (a subgradient) where equal.
        dZ = np.where(r > 0, -levels, np.where(r < 0, 1.0 - levels, 0.0))
    else:
        raise ValueError(f"unknown loss {kind!r}")
    return float(w @ per_sample), w[:, None] * dZ


def penalty(theta, penalty_mask, l2, l1):
    """Elastic-net penalty on the masked coordinates and its (sub)gradient.

    Parameters
    ----------
    theta : array_like of shape (n_params,)
    penalty_mask : array_like of shape (n_params,)
        Nonzero on the penalized coordinates.
    l2, l1 : float

    Returns
    -------
    value : float
        ``l1 * sum |w| + 0.5 * l2 * sum w**2`` over masked ``w``.
    grad : ndarray of shape (n_params,), float64
        ``l2 * w + l1 * sign(w)`` on masked coordinates (``sign(0) = 0``), 0 elsewhere.
    """
    w = np.where(np.asarray(penalty_mask) != 0, _f64(theta), 0.0)
    value = l1 * np.abs(w).sum() + 0.5 * l2 * (w**2).sum()
    return float(value), l2 * w + l1 * np.sign(w)


# --------------------------------------------------------------------------------------------
# Backward building blocks
# --------------------------------------------------------------------------------------------


def dense_backward(A_prev, dZ, W):
    """Gradients of ``Z = A_prev @ W + b``.

    Parameters
    ----------
    A_prev : array_like of shape (n_rows, fan_in)
    dZ : array_like of shape (n_rows, fan_out)
    W : array_like of shape (fan_in, fan_out)

    Returns
    -------
    gW : ndarray of shape (fan_in, fan_out)
    gb : ndarray of shape (fan_out,)
    dA_prev : ndarray of shape (n_rows, fan_in)
    """
    A_prev, dZ = _f64(A_prev), _f64(dZ)
    return A_prev.T @ dZ, dZ.sum(axis=0), dZ @ _f64(W).T


def batch_norm_backward(dS, Z, gamma):
    """Backward pass of training-mode batch normalization, by the step-by-step chain rule.

    The forward graph is ``mu = mean(Z)``, ``var = mean((Z - mu)**2)``,
    ``xhat = (Z - mu) / sqrt(var + eps)``, ``S = gamma * xhat + beta``; the gradient flows
    back through ``xhat``, ``var`` and ``mu`` separately (no closed-form simplification).

    Parameters
    ----------
    dS : array_like of shape (n_rows, n_units)
        Gradient with respect to ``S``.
    Z : array_like of shape (n_rows, n_units)
        Input of the normalization.
    gamma : array_like of shape (n_units,)

    Returns
    -------
    dZ : ndarray of shape (n_rows, n_units)
    dgamma, dbeta : ndarray of shape (n_units,)
    """
    dS, Z, gamma = _f64(dS), _f64(Z), _f64(gamma)
    n = Z.shape[0]
    mu = Z.mean(axis=0)
    xc = Z - mu
    var = (xc**2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + BN_EPSILON)
    xhat = xc * inv_std
    dbeta = dS.sum(axis=0)
    dgamma = (dS * xhat).sum(axis=0)
    dxhat = dS * gamma
    dvar = (dxhat * xc).sum(axis=0) * -0.5 * inv_std**3
    dmu = -(dxhat * inv_std).sum(axis=0) + dvar * (-2.0 * xc.mean(axis=0))
    dZ = dxhat * inv_std + dvar * 2.0 * xc / n + dmu / n
    return dZ, dgamma, dbeta


# --------------------------------------------------------------------------------------------
# Optimizer
# --------------------------------------------------------------------------------------------


def optimizer_update(
    theta,
    grad,
    state1,
    state2,
    lr_scale,
    penalty_mask,
    decay_scale,
    solver,
    lr,
    step,
    momentum=0.9,
    nesterov=False,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    rho=0.9,
    l2=0.0,
    l1=0.0,
    weight_decay=0.0,
):
    """One optimizer step with L2 gradient, decoupled weight decay and L1 proximal step.

    Each coordinate has its own learning rate ``lr_i = lr * lr_scale``. On penalized
    coordinates (``penalty_mask`` nonzero) the gradient gets ``l2 * w``; then, with ``delta``
    the solver's step and ``eta`` its per-coordinate step size,
    ``w <- soft_threshold(w * (1 - lr * weight_decay * d) + delta, eta * l1 * p)`` where
    ``d`` is the coordinate's ``decay_scale`` and ``p`` is 1 on penalized coordinates and 0
    elsewhere. Steps:

    - sgd: ``v <- momentum * v - lr_i * g``; ``delta = v``, or ``momentum * v - lr_i * g``
      with Nesterov; ``eta = lr_i``.
    - adagrad: ``a <- a + g**2``; ``eta = lr_i / (sqrt(a) + epsilon)``; ``delta = -eta * g``.
    - rmsprop: ``a <- rho * a + (1 - rho) * g**2``; as adagrad otherwise.
    - adam: ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 - beta_2) g**2``; bias
      correction folded into the rate as in Kingma & Ba (2015, end of section 2) and
      scikit-learn: ``eta = lr_i * sqrt(1 - beta_2**step) / (1 - beta_1**step) /
      (sqrt(v) + epsilon)``, ``delta = -eta * m``.

    Parameters
    ----------
    theta, grad, state1, state2 : array_like of shape (n_params,)
    lr_scale, decay_scale : array_like of shape (n_params,)
    penalty_mask : array_like of shape (n_params,)
    solver : str
        One of :data:`SOLVERS`.
    lr : float
    step : int
        1-based update count.
    momentum, beta_1, beta_2, epsilon, rho : float
        The solver's settings (the kernel reads them from its hyperparameter vector).
    nesterov : bool
    l2, l1 : float
        Penalty strengths, already divided by the batch's summed sample weight (the kernel
        divides them itself, by its ``batch_weight``).
    weight_decay : float
        Decoupled decay of this step.

    Returns
    -------
    theta, state1, state2 : ndarray of shape (n_params,), float64
        Values after the step (``state2`` unchanged except for adam).
    penalty_value : float
        ``l1 * sum |w| + 0.5 * l2 * sum w**2`` at the parameters before the step.
    """
    w = _f64(theta)
    s1, s2 = _f64(state1).copy(), _f64(state2).copy()
    lr_i = lr * _f64(lr_scale)
    penalized = (np.asarray(penalty_mask) != 0).astype(np.float64)
    decayed = _f64(decay_scale)
    penalty_value, _ = penalty(w, penalty_mask, l2, l1)
    g = _f64(grad) + penalized * l2 * w
    if solver == "sgd":
        s1 = momentum * s1 - lr_i * g
        delta = momentum * s1 - lr_i * g if nesterov else s1
        eta = lr_i
    elif solver in ("adagrad", "rmsprop"):
        s1 = s1 + g**2 if solver == "adagrad" else rho * s1 + (1.0 - rho) * g**2
        eta = lr_i / (np.sqrt(s1) + epsilon)
        delta = -eta * g
    elif solver == "adam":
        s1 = beta_1 * s1 + (1.0 - beta_1) * g
        s2 = beta_2 * s2 + (1.0 - beta_2) * g**2
        correction = np.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        eta = lr_i * correction / (np.sqrt(s2) + epsilon)
        delta = -eta * s1
    else:
        raise ValueError(f"unknown solver {solver!r}")
    new_w = w * (1.0 - lr * weight_decay * decayed) + delta
    thresh = eta * l1 * penalized
    new_w = np.sign(new_w) * np.maximum(np.abs(new_w) - thresh, 0.0)
    return new_w, s1, s2, float(penalty_value)


def clip_by_global_norm(grad, max_norm):
    """Rescale ``grad`` to L2 norm ``max_norm`` when its norm exceeds it.

    Parameters
    ----------
    grad : array_like of shape (n_params,)
    max_norm : float

    Returns
    -------
    clipped : ndarray of shape (n_params,), float64
    norm : float
        The norm before clipping.
    """
    grad = _f64(grad)
    norm = float(np.linalg.norm(grad))
    return (grad * (max_norm / norm) if norm > max_norm else grad.copy()), norm


# --------------------------------------------------------------------------------------------
# Whole network
# --------------------------------------------------------------------------------------------


def dense_layers(layout):
    """The layer table read per dense layer: for each dense row, its fan-in, fan-out and the
    offsets (columns ``W_OFF`` to ``MIX_OFF``) of its segments and of the rows that follow it
    up to the next dense row (a hidden layer's batch norm and activation).

    Returns
    -------
    list of list of int
        ``[fan_in, fan_out, *offsets]`` per dense layer, -1 where a segment is absent.
    """
    layers = []
    for row in np.asarray(layout).tolist():
        if row[KIND] == DENSE:
            layers.append(row[: MIX_OFF + 1])
        elif layers:
            for col in range(W_OFF, MIX_OFF + 1):
                if row[col] >= 0:
                    layers[-1][col] = row[col]
    return layers


def unpack(vector, layout, col):
    """Per-dense-layer float64 copies of one kind of segment of a flat vector (None where
    absent).

    Parameters
    ----------
    vector : array_like of shape (n,)
        ``theta``, a gradient or ``bn_state``.
    layout : ndarray of shape (n_table_rows, 11), int64
        The layer table (see :func:`dense_layers`).
    col : int
        Layout column of the segment offset; ``W_OFF`` gives (fan_in, fan_out) matrices.

    Returns
    -------
    list of ndarray or None
    """
    vector = _f64(vector)
    out = []
    for fan_in, fan_out, *offsets in dense_layers(layout):
        off = offsets[col - W_OFF]
        if off < 0:
            out.append(None)
        elif col == W_OFF:
            out.append(vector[off : off + fan_in * fan_out].reshape(fan_in, fan_out))
        else:
            out.append(vector[off : off + fan_out].copy())
    return out


def _scatter(vector, layout, col, values):
    """Write per-layer segments ``values`` (None to skip) into the flat ``vector`` in place."""
    for (fan_in, fan_out, *offsets), v in zip(dense_layers(layout), values, strict=True):
        off = offsets[col - W_OFF]
        if v is None or off < 0:
            continue
        size = fan_in * fan_out if col == W_OFF else fan_out
        vector[off : off + size] = np.ravel(v)


def input_parameters(vector, inputs):
    """The input-block segments of a flat vector, float64 copies (None where absent).

    Returns
    -------
    dict
        ``frequencies``, ``phases`` (n_embedded, k), ``coefs`` (n_embedded, k, d),
        ``intercepts`` (n_embedded, d) and ``scale`` (in_width,), and the embedded
        ``columns``.
    """
    vector = _f64(vector)
    f, k, d = (int(inputs[i]) for i in (EMB_FEATURES, EMB_FREQS, EMB_DIM))
    shapes = {
        "frequencies": (FREQ_OFF, (f, k)),
        "phases": (PHASE_OFF, (f, k)),
        "coefs": (EMB_W_OFF, (f, k, d)),
        "intercepts": (EMB_B_OFF, (f, d)),
        "scale": (SCALE_OFF, (int(inputs[IN_WIDTH]),)),
    }
    out = {}
    for name, (field, shape) in shapes.items():
        off = int(inputs[field])
        size = int(np.prod(shape))
        out[name] = None if off < 0 else vector[off : off + size].reshape(shape).copy()
    n_embedded = int(inputs[EMB_FEATURES])
    out["columns"] = np.asarray(inputs[N_INPUT_FIELDS : N_INPUT_FIELDS + n_embedded], dtype=int)
    out["starts"] = np.asarray(inputs[N_INPUT_FIELDS + n_embedded :], dtype=int)
    out["n_values"] = int(inputs[IN_FEATURES] - inputs[CAT_FEATURES])
    rows, d = out["starts"][-1], int(inputs[CAT_DIM])
    off = int(inputs[CAT_OFF])
    out["categories"] = None if off < 0 else vector[off : off + rows * d].reshape(rows, d).copy()
    return out


def category_vectors(codes, starts, vectors):
    """The learned vectors the categorical codes pick, side by side.

    Parameters
    ----------
    codes : array_like of shape (n_rows, n_categorical)
        Integer codes (possibly stored as floats).
    starts : array_like of shape (n_categorical + 1,)
        Row of ``vectors`` where each feature's table starts.
    vectors : array_like of shape (n_rows_total, d)

    Returns
    -------
    ndarray of shape (n_rows, n_categorical * d), float64
    """
    rows = np.asarray(codes).astype(int) + np.asarray(starts)[:-1]
    return _f64(vectors)[rows].reshape(rows.shape[0], -1)


def member_adapters(vector, layout):
    """The members of a shared-weight ensemble and their adapters around each dense layer.

    Returns
    -------
    k : int
        Members (1 without a ``REPLICATE`` row).
    adapters : list of dict
        Per dense layer: ``"before"`` (the offset of the scales that multiply its input,
        shape (k, fan_in)) and ``"after"`` (the offset of the scales and of the biases of its
        output, each shape (k, fan_out)), None where absent, and float64 copies of those
        arrays under ``"r"``, ``"s"`` and ``"b"``.
    """
    vector = _f64(vector)
    k, pending, adapters = 1, None, []
    for row in np.asarray(layout).tolist():
        if row[KIND] == REPLICATE:
            k = row[MEMBERS]
        elif row[KIND] == MEMBER_SCALE:
            size = k * row[FAN_OUT]
            scales = vector[row[MS_OFF] : row[MS_OFF] + size].reshape(k, row[FAN_OUT])
            if row[MB_OFF] < 0:
                pending = (row[MS_OFF], scales)
            else:
                biases = vector[row[MB_OFF] : row[MB_OFF] + size].reshape(k, row[FAN_OUT])
                adapters[-1].update(after=(row[MS_OFF], row[MB_OFF]), s=scales, b=biases)
        elif row[KIND] == DENSE:
            before, r = pending if pending else (None, None)
            adapters.append(dict(before=before, r=r, after=None, s=None, b=None))
            pending = None
    return k, adapters


def _per_member(values, k):
    """Rows of ``values`` (k * n_rows of them, member-major) summed per member: (k, width)."""
    return values.reshape(k, -1, values.shape[1]).sum(axis=1)


def _member_rows(values, n_rows):
    """Per-member rows ``values`` (shape (k, width)) repeated for each member's n_rows rows."""
    return np.repeat(values, n_rows, axis=0)


def input_block(X, theta, inputs):
    """The first dense layer's input: the value columns of ``X``, then their numeric
    embeddings (when the network has them), then the vectors of the categorical codes (the
    last columns, when there are any), all scaled when there is a scaling layer. Returns
    ``(embedded, scaled)``, float64."""
    p = input_parameters(theta, inputs)
    X = _f64(X)
    embedded = X[:, : p["n_values"]]
    if p["frequencies"] is not None:
        embedded = embed(
            embedded, p["columns"], p["frequencies"], p["phases"], p["coefs"], p["intercepts"]
        )
    if p["categories"] is not None:
        vectors = category_vectors(X[:, p["n_values"] :], p["starts"], p["categories"])
        embedded = np.concatenate([embedded, vectors], axis=1)
    scaled = embedded if p["scale"] is None else embedded * p["scale"]
    return embedded, scaled


def forward_backward(
    X,
    Y,
    sw,
    theta,
    bn_state,
    layout,
    inputs,
    activation_name,
    loss_kind,
    dropout_rates,
    bn_momentum,
    update_running,
    rng,
):
    """Training-mode forward and backward pass of one batch through the whole network.

    The input block (numeric embeddings, scaling layer) comes first; hidden layers are dense
    -> [batch norm] -> activation (parametric when the layer has a mix) -> [dropout], the last
    layer is dense and feeds the loss. A shared-weight ensemble of ``k`` members stacks ``k``
    copies of the input block's rows; a dense layer's input is multiplied by each member's
    scales and its output by each member's scales plus biases (where the layer table has
    them), and the loss is the mean of the members' losses. Dropout masks come from one
    stream: the input mask first (when ``dropout_rates[0] > 0``), then the mask of each
    hidden layer after its activation.

    Parameters
    ----------
    X : array_like of shape (n_rows, n_features)
    Y : array_like of shape (n_rows, n_outputs)
    sw : array_like of shape (n_rows,)
    theta : array_like of shape (n_params,)
    bn_state : array_like of shape (n_bn_state,)
    layout : ndarray of shape (n_table_rows, 11), int64
    inputs : ndarray of shape (13 + n_embedded + n_categorical + 1,), int64
    activation_name : str
    loss_kind : str
    dropout_rates : array_like of shape (n_layers,)
    bn_momentum : float
    update_running : bool
    rng : SplitMix64
        Advanced by the dropout draws.

    Returns
    -------
    loss_value : float
        Weighted mean batch loss (no penalty).
    grad : ndarray of shape (n_params,), float64
    bn_state : ndarray of shape (n_bn_state,), float64
        Running statistics after the batch (unchanged unless ``update_running``).
    X_dropped : ndarray of shape (n_rows, n_features), float64
        The input after input dropout (``X`` itself when the rate is 0).
    """
    X = _f64(X)
    n_layers = len(dense_layers(layout))
    Ws = unpack(theta, layout, W_OFF)
    bs = unpack(theta, layout, B_OFF)
    gammas = unpack(theta, layout, GAMMA_OFF)
    betas = unpack(theta, layout, BETA_OFF)
    mixes = unpack(theta, layout, MIX_OFF)
    means = unpack(bn_state, layout, MEAN_OFF)
    variances = unpack(bn_state, layout, VAR_OFF)
    if dropout_rates[0] > 0:
        # Values only: categorical codes (the last columns) are indices.
        n_values = int(inputs[IN_FEATURES] - inputs[CAT_FEATURES])
        X = X.copy()
        X[:, :n_values] *= dropout_mask((X.shape[0], n_values), dropout_rates[0], rng)
    embedded, first_input = input_block(X, theta, inputs)
    k, adapters = member_adapters(theta, layout)
    n_rows = X.shape[0]
    # A shared-weight ensemble: every member's copy of the rows, member-major.
    acts = [np.tile(first_input, (k, 1))]  # inputs of each dense layer
    scaled_inputs, dense_outputs = [], []  # with members: the dense layers' own in- and outputs
    pre_bn = []  # dense outputs entering batch norm (None without it)
    local_derivs = []  # activation derivative times dropout mask, per hidden layer
    mix_derivs = []  # d activation / d mix times dropout mask (None without a mix)

    def dense_with_adapters(layer):
        a = adapters[layer]
        A = acts[layer]
        if a["r"] is not None:
            A = A * _member_rows(a["r"], n_rows)
        scaled_inputs.append(A)
        Z = dense(A, Ws[layer], bs[layer])
        dense_outputs.append(Z)
        if a["s"] is not None:
            Z = Z * _member_rows(a["s"], n_rows) + _member_rows(a["b"], n_rows)
        return Z

    for layer in range(n_layers - 1):
        Z = dense_with_adapters(layer)
        if gammas[layer] is not None:
            pre_bn.append(Z)
            Z, _, _, new_mean, new_var = batch_norm_train(
                Z, gammas[layer], betas[layer], means[layer], variances[layer], bn_momentum
            )
            if update_running:
                means[layer], variances[layer] = new_mean, new_var
        else:
            pre_bn.append(None)
        if mixes[layer] is not None:
            A, dA_dZ, dA_dmix = mixed_activation(Z, mixes[layer], activation_name)
        else:
            (A, dA_dZ), dA_dmix = activation(Z, activation_name), None
        if dropout_rates[layer + 1] > 0:
            mask = dropout_mask(A.shape, dropout_rates[layer + 1], rng)
            A, dA_dZ = A * mask, dA_dZ * mask
            dA_dmix = None if dA_dmix is None else dA_dmix * mask
        acts.append(A)
        local_derivs.append(dA_dZ)
        mix_derivs.append(dA_dmix)
    out = dense_with_adapters(n_layers - 1)
    # The mean over the members of their weighted mean losses.
    value, deltas = 0.0, []
    for block in np.split(out, k):
        member_value, member_delta = loss(block, Y, sw, _f64(sw).sum() * k, loss_kind)
        value += member_value
        deltas.append(member_delta)
    dZ = np.concatenate(deltas)

    gWs, gbs, gmixes = [None] * n_layers, [None] * n_layers, [None] * n_layers
    dgammas, dbetas = [None] * n_layers, [None] * n_layers
    member_grads = {}  # offset -> gradient of a member segment
    for layer in range(n_layers - 1, -1, -1):
        a = adapters[layer]
        if a["s"] is not None:
            member_grads[a["after"][0]] = _per_member(dZ * dense_outputs[layer], k)
            member_grads[a["after"][1]] = _per_member(dZ, k)
            dZ = dZ * _member_rows(a["s"], n_rows)
        gWs[layer], gbs[layer], dA = dense_backward(scaled_inputs[layer], dZ, Ws[layer])
        if a["r"] is not None:
            member_grads[a["before"]] = _per_member(dA * acts[layer], k)
            dA = dA * _member_rows(a["r"], n_rows)
        if layer == 0:
            dA = dA.reshape(k, n_rows, -1).sum(axis=0)  # the members' copies of the rows
            break
        if mix_derivs[layer - 1] is not None:
            gmixes[layer - 1] = (dA * mix_derivs[layer - 1]).sum(axis=0)
        dZ = dA * local_derivs[layer - 1]
        if pre_bn[layer - 1] is not None:
            dZ, dgammas[layer - 1], dbetas[layer - 1] = batch_norm_backward(
                dZ, pre_bn[layer - 1], gammas[layer - 1]
            )
    grad = np.zeros(np.asarray(theta).shape[0])
    for col, values in (
        (W_OFF, gWs),
        (B_OFF, gbs),
        (GAMMA_OFF, dgammas),
        (BETA_OFF, dbetas),
        (MIX_OFF, gmixes),
    ):
        _scatter(grad, layout, col, values)
    for off, g in member_grads.items():
        grad[off : off + g.size] = g.ravel()
    # The input block: dA is the gradient with respect to the first dense layer's input.
    p = input_parameters(theta, inputs)
    d_embedded = dA
    if p["scale"] is not None:
        off = int(inputs[SCALE_OFF])
        grad[off : off + p["scale"].size] = (dA * embedded).sum(axis=0)
        d_embedded = dA * p["scale"]
    if p["frequencies"] is not None:
        values = X[:, : p["n_values"]]
        width = values.shape[1] + p["coefs"].shape[0] * p["coefs"].shape[2]
        grads = embed_backward(
            d_embedded[:, :width], values, p["columns"], p["frequencies"], p["phases"], p["coefs"]
        )
        for field, g in zip((FREQ_OFF, PHASE_OFF, EMB_W_OFF, EMB_B_OFF), grads, strict=True):
            off = int(inputs[field])
            grad[off : off + g.size] = g.ravel()
    if p["categories"] is not None:
        n_cat, d = len(p["starts"]) - 1, p["categories"].shape[1]
        rows = X[:, p["n_values"] :].astype(int) + p["starts"][:-1]
        g_vectors = np.zeros_like(p["categories"])
        d_vectors = d_embedded[:, d_embedded.shape[1] - n_cat * d :].reshape(-1, n_cat, d)
        np.add.at(g_vectors, rows, d_vectors)
        off = int(inputs[CAT_OFF])
        grad[off : off + g_vectors.size] = g_vectors.ravel()
    new_bn = _f64(bn_state).copy()
    _scatter(new_bn, layout, MEAN_OFF, means)
    _scatter(new_bn, layout, VAR_OFF, variances)
    return value, grad, new_bn, X


def loss_and_grad(
    X,
    Y,
    sw,
    theta,
    bn_state,
    layout,
    inputs,
    penalty_mask,
    activation_name,
    loss_kind,
    dropout_rates,
    l2,
    l1,
    rng,
):
    """Batch objective (loss plus penalty / sum of weights) and its gradient.

    Parameters
    ----------
    X, Y, sw, theta, bn_state, layout, inputs, activation_name, loss_kind, dropout_rates, rng
        As in :func:`forward_backward`.
    penalty_mask : array_like of shape (n_params,)
    l2, l1 : float
        Penalty strengths, divided by ``sum(sw)`` here.

    Returns
    -------
    value : float
    grad : ndarray of shape (n_params,), float64
    """
    value, grad, _, _ = forward_backward(
        X,
        Y,
        sw,
        theta,
        bn_state,
        layout,
        inputs,
        activation_name,
        loss_kind,
        dropout_rates,
        0.0,
        False,
        rng,
    )
    sw_sum = _f64(sw).sum()
    pen, pen_grad = penalty(theta, penalty_mask, l2 / sw_sum, l1 / sw_sum)
    return value + pen, grad + pen_grad


def predict_raw(X, theta, bn_state, layout, inputs, activation_name):
    """Inference-mode raw outputs: no dropout, batch norm with the running statistics.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    theta : array_like of shape (n_params,)
    bn_state : array_like of shape (n_bn_state,)
    layout : ndarray of shape (n_table_rows, 11), int64
    inputs : ndarray of shape (13 + n_embedded + n_categorical + 1,), int64
    activation_name : str

    Returns
    -------
    ndarray of shape (n_samples, k * n_outputs), float64
        The outputs of each of the ``k`` members of a shared-weight ensemble (1 otherwise),
        member after member.
    """
    Ws, bs = unpack(theta, layout, W_OFF), unpack(theta, layout, B_OFF)
    gammas, betas = unpack(theta, layout, GAMMA_OFF), unpack(theta, layout, BETA_OFF)
    means, variances = unpack(bn_state, layout, MEAN_OFF), unpack(bn_state, layout, VAR_OFF)
    mixes = unpack(theta, layout, MIX_OFF)
    k, adapters = member_adapters(theta, layout)
    n_rows = np.asarray(X).shape[0]
    _, A = input_block(X, theta, inputs)
    A = np.tile(A, (k, 1))

    def dense_with_adapters(A, layer):
        a = adapters[layer]
        if a["r"] is not None:
            A = A * _member_rows(a["r"], n_rows)
        Z = dense(A, Ws[layer], bs[layer])
        if a["s"] is not None:
            Z = Z * _member_rows(a["s"], n_rows) + _member_rows(a["b"], n_rows)
        return Z

    for layer in range(len(dense_layers(layout)) - 1):
        Z = dense_with_adapters(A, layer)
        if gammas[layer] is not None:
            Z = batch_norm_inference(
                Z, gammas[layer], betas[layer], means[layer], variances[layer]
            )
        if mixes[layer] is not None:
            A = mixed_activation(Z, mixes[layer], activation_name)[0]
        else:
            A = activation(Z, activation_name)[0]
    out = dense_with_adapters(A, len(Ws) - 1)
    # Member m's outputs in columns m * n_outputs to (m + 1) * n_outputs.
    return np.concatenate(np.split(out, k), axis=1)


def run_epoch(
    X,
    Y,
    sw,
    theta,
    state1,
    state2,
    bn_state,
    layout,
    inputs,
    lr_scale,
    penalty_mask,
    decay_scale,
    step,
    rng,
    activation_name,
    loss_kind,
    batch_size,
    shuffle_rows,
    dropout_rates,
    bn_momentum,
    solver,
    schedule,
    momentum=0.9,
    nesterov=False,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    rho=0.9,
    l2=0.0,
    l1=0.0,
    clip_norm=0.0,
    even_batches=False,
):
    """One epoch of mini-batch training.

    The rows are permuted by :func:`shuffle` (when ``shuffle_rows``) with the same stream that
    then supplies the dropout masks; batches of ``batch_size`` consecutive permuted rows (the
    last one possibly smaller; with ``even_batches``, ``ceil(n / batch_size)`` batches of
    consecutive permuted rows whose sizes differ by at most one, batch ``b`` ending at row
    ``(b + 1) * n // n_batches``) each get a :func:`forward_backward` pass, their loss gradient
    clipped to global norm ``clip_norm`` (when positive), and an :func:`optimizer_update` with
    ``l2`` and ``l1`` divided by the batch's summed sample weight. Batch ``b`` (counting the
    skipped ones) uses the learning rate ``schedule[b, 0]``, the weight decay
    ``schedule[b, 1]`` and the dropout rates times ``schedule[b, 2]``.
    A batch whose sample weights sum to zero is skipped entirely (no dropout draws, no update,
    no share of the epoch loss). A batch of ``rows`` samples updates the running statistics
    with momentum ``bn_momentum ** (rows / batch_size)``, so a short last batch counts for
    its share of a full one; a single-sample batch leaves them alone (its variance is 0).

    Parameters
    ----------
    X, Y, sw
        Training data, as in :func:`forward_backward`.
    theta, state1, state2 : array_like of shape (n_params,)
    bn_state : array_like of shape (n_bn_state,)
    layout : ndarray of shape (n_table_rows, 11), int64
    inputs : ndarray of shape (13 + n_embedded + n_categorical + 1,), int64
    lr_scale, penalty_mask, decay_scale : array_like of shape (n_params,)
    step : int
        Number of updates before this epoch.
    rng : SplitMix64
        Advanced in place.
    activation_name, loss_kind : str
    batch_size : int
    shuffle_rows : bool
    dropout_rates : array_like of shape (n_layers,)
    bn_momentum : float
    solver : str
    schedule : array_like of shape (n_batches, 3)
    momentum, nesterov, beta_1, beta_2, epsilon, rho
        As in :func:`optimizer_update`.
    l2, l1 : float
        Penalty strengths; each batch divides them by its summed sample weight.
    clip_norm : float
    even_batches : bool

    Returns
    -------
    epoch_loss : float
        ``sum over batches of (loss + penalty) * batch_rows / n_rows``, over the batches
        that were not skipped (``n_rows`` their total number of rows; 0 gives 0).
    theta, state1, state2, bn_state : ndarray, float64
        Values after the epoch.
    step : int
        Number of updates after the epoch.
    """
    X, Y, sw = _f64(X), _f64(Y), _f64(sw)
    theta, state1, state2 = _f64(theta), _f64(state1), _f64(state2)
    bn_state = _f64(bn_state)
    n = X.shape[0]
    perm = shuffle(n, rng) if shuffle_rows else np.arange(n)
    total = 0.0
    counted = 0
    schedule = _f64(schedule)
    n_batches = -(-n // batch_size)
    if even_batches:
        bounds = [(b * n // n_batches, (b + 1) * n // n_batches) for b in range(n_batches)]
    else:
        bounds = [(b * batch_size, min((b + 1) * batch_size, n)) for b in range(n_batches)]
    for batch, (start, stop) in enumerate(bounds):
        rows = perm[start:stop]
        lr, weight_decay, dropout_factor = schedule[batch]
        batch_weight = sw[rows].sum()
        if not batch_weight > 0:
            continue
        value, grad, bn_state, _ = forward_backward(
            X[rows],
            Y[rows],
            sw[rows],
            theta,
            bn_state,
            layout,
            inputs,
            activation_name,
            loss_kind,
            _f64(dropout_rates) * dropout_factor,
            bn_momentum ** (len(rows) / batch_size),
            len(rows) > 1,
            rng,
        )
        if clip_norm > 0:
            grad, _ = clip_by_global_norm(grad, clip_norm)
        step += 1
        theta, state1, state2, pen = optimizer_update(
            theta,
            grad,
            state1,
            state2,
            lr_scale,
            penalty_mask,
            decay_scale,
            solver,
            lr,
            step,
            momentum,
            nesterov,
            beta_1,
            beta_2,
            epsilon,
            rho,
            l2 / batch_weight,
            l1 / batch_weight,
            weight_decay,
        )
        total += (value + pen) * len(rows)
        counted += len(rows)
    return total / max(counted, 1), theta, state1, state2, bn_state, step
