"""The layer kinds: one forward and one backward kernel per kind of the layer table.

Each row of the layer table (:mod:`skdeep._network`) has a kind; the whole-network kernels of
:mod:`._epoch` walk the rows and call the kernel pair of each row's kind. A forward kernel
takes the row's input and, in training, returns what its backward kernel needs (the cache);
at inference (``training`` false) it keeps nothing. Batch normalization, the activations and
dropout work in place on their input; the input block and dense layers make new arrays.

- input block: :func:`input_forward`, :func:`input_backward` (values, periodic numeric
  embeddings, categorical vectors, the scaling layer, input dropout; sparse rows pass through
  to the first dense layer, which reads them);
- dense: :func:`dense_forward`, :func:`dense_backward`;
- batch normalization: :func:`batch_norm_forward`, :func:`._backward.batch_norm_backward`;
- activation, parametric or not: :func:`activation_forward`, :func:`activation_backward`;
- dropout: :func:`dropout_forward`; its mask is folded into the stored derivatives of the
  activation before it, so that the activation's backward kernel applies it and dropout has
  no backward step;
- loss: :func:`._losses.loss_and_delta` turns the raw outputs into their gradient in place,
  so the backward pass starts from there (:func:`members_loss` for the members of a
  shared-weight ensemble: the mean of their losses);
- replicate (shared-weight ensembles): :func:`replicate_forward`, :func:`replicate_backward`;
- member scale: :func:`member_scale_forward`, :func:`member_scale_backward`.
"""

import numpy as np

from .._network import (
    CAT_DIM,
    CAT_FEATURES,
    CAT_OFF,
    EMB_B_OFF,
    EMB_DIM,
    EMB_FEATURES,
    EMB_FREQS,
    EMB_W_OFF,
    FREQ_OFF,
    IN_FEATURES,
    IN_WIDTH,
    N_INPUT_FIELDS,
    PHASE_OFF,
    SCALE_OFF,
)
from ._backward import (
    column_dot,
    embed_backward,
    embed_categories_backward,
)
from ._backward import dense_backward as dense_gradients
from ._config import kernel
from ._forward import (
    activate,
    activate_inference,
    activate_mixed,
    add_bias,
    batch_norm_inference,
    batch_norm_train,
    copy_columns,
    dropout,
    embed,
    embed_categories,
    scale_columns,
)
from ._losses import loss_and_delta
from ._sparse import csr_dense_backward, csr_dot

# ------------------------------------------------------------------------------ input block


@kernel(inline=True)
def _embedding_parameters(vector, inputs):
    """Views of the frequencies, phases, maps and intercepts of the numeric embeddings in
    ``vector`` (theta or its gradient)."""
    f = inputs[EMB_FEATURES]
    k = inputs[EMB_FREQS]
    d = inputs[EMB_DIM]
    freq = vector[inputs[FREQ_OFF] : inputs[FREQ_OFF] + f * k].reshape((f, k))
    phase = vector[inputs[PHASE_OFF] : inputs[PHASE_OFF] + f * k].reshape((f, k))
    coefs = vector[inputs[EMB_W_OFF] : inputs[EMB_W_OFF] + f * k * d].reshape((f, k, d))
    intercepts = vector[inputs[EMB_B_OFF] : inputs[EMB_B_OFF] + f * d].reshape((f, d))
    return freq, phase, coefs, intercepts


@kernel(inline=True)
def _category_tables(vector, inputs):
    """``(starts, vectors)``: where each categorical feature's table starts (rows, the total
    last), and the stacked tables of ``vector`` (theta or its gradient), shape (rows, d)."""
    first = N_INPUT_FIELDS + inputs[EMB_FEATURES]
    starts = inputs[first : first + inputs[CAT_FEATURES] + 1]
    off = inputs[CAT_OFF]
    d = inputs[CAT_DIM]
    return starts, vector[off : off + starts[-1] * d].reshape((starts[-1], d))


@kernel(inline=True)
def input_factors(vector, inputs):
    """The scaling layer's factors in ``vector`` (theta or its gradient), shape (in_width,),
    or an empty array when there is no scaling layer."""
    off = inputs[SCALE_OFF]
    if off < 0:
        return vector[:0]
    return vector[off : off + inputs[IN_WIDTH]]


@kernel(inline=True)
def input_has_parameters(inputs):
    """Whether the input block has parameters (embeddings, a scaling layer, categorical
    vectors), so that the backward pass must reach it."""
    return inputs[EMB_FREQS] > 0 or inputs[SCALE_OFF] >= 0 or inputs[CAT_FEATURES] > 0


@kernel(inline=True)
def input_forward(X, batch, theta, inputs, input_rate, rng, training):
    """The input block: what the first dense layer takes.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float32 or float64
        The rows; with input dropout in training, their values (not categorical codes) are
        dropped in place. Shape (n_rows, 0) when ``batch`` gives the rows.
    batch : tuple of (data, indices, indptr) or None
        The rows as CSR arrays; their stored values are dropped in place by input dropout,
        and they pass through to the first dense layer (:func:`dense_forward`), which reads
        them with the scaling layer's factors.
    theta : ndarray of shape (n_params,), same dtype
    inputs : ndarray of shape (N_INPUT_FIELDS + ...,), int64
        The input table.
    input_rate : float
        Input dropout rate (used in training).
    rng : ndarray of shape (1,), uint64
    training : bool

    Returns
    -------
    out : ndarray of shape (n_rows, in_width), or (0, 0) for sparse rows
        The scaled (and embedded) inputs.
    cache : tuple of (embedded, cosines, sines)
        The inputs before the scaling layer (shape (n_rows, in_width); ``X`` itself when
        nothing changes them) and the cosines and sines of the numeric embeddings (shape
        (n_rows, n_embedded, k); empty at inference), for :func:`input_backward`.
    """
    nb = X.shape[0]
    dtype = X.dtype
    empty2 = np.empty((0, 0), dtype)
    k = inputs[EMB_FREQS]
    kept = nb if training else 0
    cosines = np.empty((kept, inputs[EMB_FEATURES], k), dtype)
    sines = np.empty((kept, inputs[EMB_FEATURES], k), dtype)
    drop = training and input_rate > 0.0
    if batch is not None:
        if drop:
            # Dropping a stored value drops the input; the zeros have nothing to drop.
            values = batch[0]
            dropout(values.reshape((1, values.shape[0])), empty2, empty2, input_rate, rng)
        return empty2, (empty2, cosines, sines)
    n_cat = inputs[CAT_FEATURES]
    n_values = inputs[IN_FEATURES] - n_cat
    if drop and n_cat == 0:
        dropout(X, empty2, empty2, input_rate, rng)
    elif drop:
        # Input dropout drops values, never categorical codes (a code is an index).
        values = np.ascontiguousarray(X[:, :n_values])
        dropout(values, empty2, empty2, input_rate, rng)
        copy_columns(values, X, n_values)
    embedded = X
    if k > 0 or n_cat > 0:
        embedded = np.empty((nb, inputs[IN_WIDTH]), dtype)
    if k > 0:
        freq, phase, coefs, intercepts = _embedding_parameters(theta, inputs)
        columns = inputs[N_INPUT_FIELDS : N_INPUT_FIELDS + inputs[EMB_FEATURES]]
        embed(X, n_values, columns, freq, phase, coefs, intercepts, embedded, cosines, sines)
    elif n_cat > 0:
        copy_columns(X, embedded, n_values)
    if n_cat > 0:
        starts, vectors = _category_tables(theta, inputs)
        base = inputs[IN_WIDTH] - n_cat * inputs[CAT_DIM]
        embed_categories(X, n_values, starts, vectors, embedded, base)
    scaled = embedded
    if inputs[SCALE_OFF] >= 0:
        scaled = np.empty_like(embedded)
        scale_columns(embedded, input_factors(theta, inputs), scaled)
    return scaled, (embedded, cosines, sines)


@kernel(inline=True)
def input_backward(d_in, X, theta, grad, inputs, cache):
    """Gradients of the input block's parameters (dense rows only; for sparse rows the first
    dense layer's backward kernel gives the scaling layer's).

    Parameters
    ----------
    d_in : ndarray of shape (n_rows, in_width), float32 or float64
        Gradient with respect to the block's output; overwritten.
    X : ndarray of shape (n_rows, n_features), same dtype
        The rows as :func:`input_forward` left them.
    theta, grad : ndarray of shape (n_params,), same dtype
        Parameters, and the gradient whose input-block segments are overwritten.
    inputs : ndarray, int64
        The input table.
    cache : tuple
        What :func:`input_forward` returned with the output.
    """
    embedded, cosines, sines = cache
    if inputs[SCALE_OFF] >= 0:
        column_dot(d_in, embedded, input_factors(grad, inputs))
        d_in *= input_factors(theta, inputs)
    n_cat = inputs[CAT_FEATURES]
    n_values = inputs[IN_FEATURES] - n_cat
    if inputs[EMB_FREQS] > 0:
        freq, _, coefs, _ = _embedding_parameters(theta, inputs)
        g_freq, g_phase, g_coefs, g_int = _embedding_parameters(grad, inputs)
        columns = inputs[N_INPUT_FIELDS : N_INPUT_FIELDS + inputs[EMB_FEATURES]]
        embed_backward(
            d_in, X, n_values, columns, freq, coefs, cosines, sines,
            g_freq, g_phase, g_coefs, g_int,
        )  # fmt: skip
    if n_cat > 0:
        starts, _ = _category_tables(theta, inputs)
        _, g_vectors = _category_tables(grad, inputs)
        base = inputs[IN_WIDTH] - n_cat * inputs[CAT_DIM]
        embed_categories_backward(d_in, X, n_values, starts, base, g_vectors)


# ------------------------------------------------------------------------------------ dense


@kernel(inline=True)
def dense_forward(A, batch, first, W, b, factors):
    """``A @ W + b``, or for sparse rows ``batch`` (CSR arrays) ``(X * factors) @ W + b``.

    Parameters
    ----------
    A : ndarray of shape (n_rows, fan_in), float32 or float64
        The layer's input (unused when ``batch`` is read).
    batch : tuple of (data, indices, indptr) or None
        Sparse rows, the input of the first dense layer.
    first : bool
        Whether this is the first dense layer (which reads ``batch`` when it is given).
    W : ndarray of shape (fan_in, fan_out), same dtype
    b : ndarray of shape (fan_out,), same dtype
    factors : ndarray of shape (fan_in,) or (0,), same dtype
        The scaling layer's factors for sparse rows (empty for none).

    Returns
    -------
    ndarray of shape (n_rows, fan_out)
    """
    if batch is not None and first:
        Z = np.empty((batch[2].shape[0] - 1, W.shape[1]), W.dtype)
        csr_dot(batch[0], batch[1], batch[2], factors, W, Z)
    else:
        Z = np.dot(A, W)
    add_bias(Z, b)
    return Z


@kernel(inline=True)
def dense_backward(A, batch, first, dZ, W, gW, gb, factors, g_factors, zero_bias, propagate):
    """Gradients of :func:`dense_forward`, and the gradient with respect to its input.

    Parameters
    ----------
    A, batch, first, W, factors
        As given to :func:`dense_forward`.
    dZ : ndarray of shape (n_rows, fan_out)
        Gradient with respect to the layer's output.
    gW : ndarray of shape (fan_in, fan_out)
    gb : ndarray of shape (fan_out,)
        Overwritten with the gradients of the weights and biases.
    g_factors : ndarray of shape (fan_in,) or (0,)
        Overwritten with the gradient of ``factors`` (sparse rows only).
    zero_bias : bool
        Batch normalization follows: it subtracts the batch mean, so the bias has no effect
        and a true gradient of 0; what the column sums give is rounding noise, which adaptive
        solvers would scale up to learning-rate-sized random steps.
    propagate : bool
        Whether to return the gradient with respect to ``A``.

    Returns
    -------
    ndarray of shape (n_rows, fan_in), or ``dZ`` when ``propagate`` is false
    """
    if batch is not None and first:
        csr_dense_backward(batch[0], batch[1], batch[2], factors, dZ, W, gW, gb, g_factors)
    else:
        dense_gradients(A, dZ, gW, gb)
    if zero_bias:
        gb[:] = 0.0
    if not propagate:
        return dZ
    return np.dot(dZ, W.T)


# ------------------------------------------------------------------- normalization, units


@kernel(inline=True)
def batch_norm_forward(Z, gamma, beta, running_mean, running_var, momentum, update, training):
    """Batch normalization of ``Z`` (shape (n_rows, n_units)) in place.

    In training the batch's own statistics, with the running statistics moved towards them
    when ``update`` is true (see :func:`._forward.batch_norm_train`); at inference the running
    statistics.

    Returns
    -------
    xhat : ndarray of shape (n_rows, n_units), or (0, 0) at inference
    inv_std : ndarray of shape (n_units,), or (0,) at inference
    """
    if not training:
        batch_norm_inference(Z, gamma, beta, running_mean, running_var)
        return np.empty((0, 0), Z.dtype), np.empty(0, Z.dtype)
    xhat = np.empty_like(Z)
    inv_std = np.empty(Z.shape[1], Z.dtype)
    batch_norm_train(Z, gamma, beta, xhat, inv_std, running_mean, running_var, momentum, update)
    return xhat, inv_std


@kernel(inline=True)
def activation_forward(Z, mix, code, training):
    """Activation ``code`` of ``Z`` (shape (n_rows, n_units)) in place; parametric
    (``z + a * (f(z) - z)``, per-unit ``a`` in ``mix``) when ``mix`` is not empty.

    Returns
    -------
    deriv : ndarray of shape (n_rows, n_units), or (0, 0) at inference
        d output / d input.
    gap : ndarray of shape (n_rows, n_units), or (0, 0) at inference or when not parametric
        ``f(z) - z``, d output / d ``a``.
    """
    empty2 = np.empty((0, 0), Z.dtype)
    if not training:
        activate_inference(Z, mix, code)
        return empty2, empty2
    deriv = np.empty_like(Z)
    if mix.shape[0] > 0:
        gap = np.empty_like(Z)
        activate_mixed(Z, deriv, gap, mix, code)
        return deriv, gap
    activate(Z, deriv, code)
    return deriv, empty2


@kernel(inline=True)
def activation_backward(dA, deriv, gap, g_mix):
    """Backward pass of :func:`activation_forward`: ``g_mix`` (shape (n_units,), or (0,)
    when not parametric) is overwritten with the gradient of the mix, and ``dA`` multiplied
    by the derivative in place."""
    if g_mix.shape[0] > 0:
        # d loss / d a_j = sum_i dA_ij * (f(z_ij) - z_ij) (dropout mask included).
        column_dot(dA, gap, g_mix)
    dA *= deriv


@kernel(inline=True)
def dropout_forward(A, deriv, gap, rate, rng):
    """Inverted dropout of ``A`` in place at ``rate`` (nothing when it is 0), the mask folded
    into ``deriv`` and ``gap`` of the activation before it (see :func:`._forward.dropout`)."""
    if rate > 0.0:
        dropout(A, deriv, gap, rate, rng)


# ------------------------------------------------------------------ shared-weight ensembles


@kernel(inline=True)
def replicate_forward(A, k):
    """The rows of ``A`` (shape (n_rows, width)) stacked ``k`` times, one copy per member.

    Returns
    -------
    ndarray of shape (k * n_rows, width)
        Member ``m``'s copy in rows ``m * n_rows`` to ``(m + 1) * n_rows``.
    """
    nb, width = A.shape
    out = np.empty((k * nb, width), A.dtype)
    for m in range(k):
        for i in range(nb):
            for j in range(width):
                out[m * nb + i, j] = A[i, j]
    return out


@kernel(inline=True)
def replicate_backward(dA, k):
    """Backward pass of :func:`replicate_forward`: the members' gradients (shape
    (k * n_rows, width)) summed per row, shape (n_rows, width)."""
    n, width = dA.shape
    nb = n // k
    out = np.zeros((nb, width), dA.dtype)
    for m in range(k):
        for i in range(nb):
            for j in range(width):
                out[i, j] += dA[m * nb + i, j]
    return out


@kernel(inline=True)
def member_scale_forward(A, scales, biases):
    """Each member's rows of ``A`` times its scales, plus its biases.

    Parameters
    ----------
    A : ndarray of shape (k * n_rows, width), float32 or float64
        Member ``m``'s rows are rows ``m * n_rows`` to ``(m + 1) * n_rows``.
    scales : ndarray of shape (k, width), same dtype
    biases : ndarray of shape (k, width) or (0, width), same dtype
        None when empty.

    Returns
    -------
    ndarray of shape (k * n_rows, width)
        A new array (``A`` stays: the backward pass reads it).
    """
    k, width = scales.shape
    nb = A.shape[0] // k
    out = np.empty_like(A)
    for m in range(k):
        for i in range(nb):
            row = m * nb + i
            for j in range(width):
                out[row, j] = A[row, j] * scales[m, j]
            if biases.shape[0] > 0:
                for j in range(width):
                    out[row, j] += biases[m, j]
    return out


@kernel(inline=True)
def member_scale_backward(dZ, A, scales, g_scales, g_biases):
    """Backward pass of :func:`member_scale_forward`.

    ``g_scales`` (shape (k, width)) and ``g_biases`` (shape (k, width), or (0, width) for
    none) are overwritten with the gradients of the scales and biases, and ``dZ`` (shape
    (k * n_rows, width)) with the gradient with respect to ``A``.
    """
    k, width = scales.shape
    nb = dZ.shape[0] // k
    has_bias = g_biases.shape[0] > 0
    sums = np.empty(width, np.float64)
    bias_sums = np.empty(width, np.float64)
    for m in range(k):
        sums[:] = 0.0
        bias_sums[:] = 0.0
        for i in range(nb):
            row = m * nb + i
            for j in range(width):
                d = dZ[row, j]
                sums[j] += d * A[row, j]
                bias_sums[j] += d
                dZ[row, j] = d * scales[m, j]
        for j in range(width):
            g_scales[m, j] = sums[j]
            if has_bias:
                g_biases[m, j] = bias_sums[j]


@kernel(inline=True)
def members_loss(Z, Y, sw, loss):
    """The loss of a batch: for ``k`` members (``Z`` has ``k`` times the rows of ``Y``), the
    mean of the members' weighted mean losses, each member's rows overwritten with the
    gradient of that mean (see :func:`._losses.loss_and_delta`)."""
    nb = Y.shape[0]
    k = Z.shape[0] // max(nb, 1)
    if k <= 1:
        return loss_and_delta(Z, Y, sw, sw.sum(), loss)
    # The members' summed weight in the rows' dtype, as loss_and_delta takes it.
    total = np.empty(1, sw.dtype)
    total[0] = sw.sum() * k
    Z3 = Z.reshape((k, nb, Z.shape[1]))
    value = 0.0
    for m in range(k):
        value += loss_and_delta(Z3[m], Y, sw, total[0], loss)
    return value
