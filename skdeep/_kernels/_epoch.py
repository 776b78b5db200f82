"""Whole-network kernels: one training epoch, one batch's loss and gradient, and inference.

The network is described by the two tables of :mod:`skdeep._network`: the input table
``inputs`` (numeric embeddings and scaling layer in front of the first dense layer) and the
layer table ``layout`` (per dense layer its fan-in and fan-out and the offsets of its segments
in the flat parameter vector ``theta`` and in the running statistics ``bn_state``).
"""

import numpy as np

from .._network import (
    B_OFF,
    BETA_OFF,
    CAT_DIM,
    CAT_FEATURES,
    CAT_OFF,
    EMB_B_OFF,
    EMB_DIM,
    EMB_FEATURES,
    EMB_FREQS,
    EMB_W_OFF,
    FAN_IN,
    FAN_OUT,
    FREQ_OFF,
    GAMMA_OFF,
    HP_ACTIVATION,
    HP_BATCH_SIZE,
    HP_BN_MOMENTUM,
    HP_CLIP_NORM,
    HP_DROPOUT,
    HP_LOSS,
    HP_SHUFFLE,
    IN_FEATURES,
    IN_WIDTH,
    MEAN_OFF,
    MIX_OFF,
    N_INPUT_FIELDS,
    PHASE_OFF,
    SCALE_OFF,
    VAR_OFF,
    W_OFF,
)
from ._backward import (
    batch_norm_backward,
    column_dot,
    dense_backward,
    embed_backward,
    embed_categories_backward,
)
from ._config import kernel
from ._forward import (
    activate,
    activate_inference,
    activate_mixed,
    add_bias,
    batch_norm_inference,
    batch_norm_train,
    dropout,
    embed,
    embed_categories,
    scale_columns,
)
from ._losses import loss_and_delta, penalty_and_grad
from ._optimizers import clip_by_global_norm, update
from ._rng import shuffle_inplace
from ._sparse import csr_dense_backward, csr_dot

# Rows per block when predicting, so memory stays bounded for any number of rows.
PREDICT_BLOCK = 4096
# Columns of a row of the per-batch schedule of run_epoch.
LR, WEIGHT_DECAY, DROPOUT_FACTOR = range(3)


@kernel
def _weights(theta, layout, layer):
    fi = layout[layer, FAN_IN]
    fo = layout[layer, FAN_OUT]
    off = layout[layer, W_OFF]
    return theta[off : off + fi * fo].reshape((fi, fo))


@kernel
def _segment(theta, layout, layer, col):
    off = layout[layer, col]
    return theta[off : off + layout[layer, FAN_OUT]]


@kernel
def _embedding_parameters(theta, inputs):
    """Views of the frequencies, phases, maps and intercepts of the numeric embeddings."""
    f = inputs[EMB_FEATURES]
    k = inputs[EMB_FREQS]
    d = inputs[EMB_DIM]
    freq = theta[inputs[FREQ_OFF] : inputs[FREQ_OFF] + f * k].reshape((f, k))
    phase = theta[inputs[PHASE_OFF] : inputs[PHASE_OFF] + f * k].reshape((f, k))
    coefs = theta[inputs[EMB_W_OFF] : inputs[EMB_W_OFF] + f * k * d].reshape((f, k, d))
    intercepts = theta[inputs[EMB_B_OFF] : inputs[EMB_B_OFF] + f * d].reshape((f, d))
    return freq, phase, coefs, intercepts


@kernel
def _embedded_columns(inputs):
    """Column indices of the numerically embedded features."""
    return inputs[N_INPUT_FIELDS : N_INPUT_FIELDS + inputs[EMB_FEATURES]]


@kernel
def _category_tables(vector, inputs):
    """``(starts, vectors)``: where each categorical feature's table starts (rows, the total
    last), and the stacked tables of ``vector`` (theta or its gradient), shape (rows, d)."""
    first = N_INPUT_FIELDS + inputs[EMB_FEATURES]
    starts = inputs[first : first + inputs[CAT_FEATURES] + 1]
    off = inputs[CAT_OFF]
    d = inputs[CAT_DIM]
    return starts, vector[off : off + starts[-1] * d].reshape((starts[-1], d))


@kernel
def _input_block(X, theta, inputs, cosines, sines):
    """The first dense layer's input: ``X`` embedded and scaled as the input table says.

    ``cosines`` and ``sines`` (shape (n_rows, n_embedded, k), or empty at inference) receive
    what the embedding's backward pass needs. Returns ``(embedded, scaled)``; either is ``X``
    itself when that step is absent.
    """
    embedded = X
    n_cat = inputs[CAT_FEATURES]
    n_values = inputs[IN_FEATURES] - n_cat
    if inputs[EMB_FREQS] > 0 or n_cat > 0:
        embedded = np.empty((X.shape[0], inputs[IN_WIDTH]), X.dtype)
    if inputs[EMB_FREQS] > 0:
        freq, phase, coefs, intercepts = _embedding_parameters(theta, inputs)
        columns = _embedded_columns(inputs)
        embed(X, n_values, columns, freq, phase, coefs, intercepts, embedded, cosines, sines)
    elif n_cat > 0:
        embedded[:, :n_values] = X[:, :n_values]
    if n_cat > 0:
        starts, vectors = _category_tables(theta, inputs)
        base = inputs[IN_WIDTH] - n_cat * inputs[CAT_DIM]
        embed_categories(X, n_values, starts, vectors, embedded, base)
    scaled = embedded
    if inputs[SCALE_OFF] >= 0:
        factors = theta[inputs[SCALE_OFF] : inputs[SCALE_OFF] + inputs[IN_WIDTH]]
        scaled = np.empty_like(embedded)
        scale_columns(embedded, factors, scaled)
    return embedded, scaled


@kernel
def _gather_rows(data, indices, indptr, rows):
    """The CSR arrays of ``rows`` (in that order) of the CSR matrix ``(data, indices,
    indptr)``."""
    counts = np.empty(rows.shape[0] + 1, indptr.dtype)
    counts[0] = 0
    for r in range(rows.shape[0]):
        counts[r + 1] = counts[r] + indptr[rows[r] + 1] - indptr[rows[r]]
    out_data = np.empty(counts[-1], data.dtype)
    out_indices = np.empty(counts[-1], indices.dtype)
    for r in range(rows.shape[0]):
        src = indptr[rows[r]]
        for p in range(counts[r + 1] - counts[r]):
            out_data[counts[r] + p] = data[src + p]
            out_indices[counts[r] + p] = indices[src + p]
    return out_data, out_indices, counts


@kernel
def forward_backward(
    Xb,
    Yb,
    swb,
    theta,
    grad,
    bn_state,
    layout,
    inputs,
    activation,
    loss_kind,
    dropout_rates,
    bn_momentum,
    update_running,
    rng,
    Xsparse=None,
    rows=None,
):
    """Training-mode forward and backward pass of one batch.

    Parameters
    ----------
    Xb : ndarray of shape (n_rows, n_features), float32 or float64
        Batch inputs; overwritten when input dropout is on.
    Yb : ndarray of shape (n_rows, n_outputs), same dtype
        Batch targets.
    swb : ndarray of shape (n_rows,), same dtype
        Sample weights of the batch.
    theta : ndarray of shape (n_params,), same dtype
        Flat parameters.
    grad : ndarray of shape (n_params,), same dtype
        Overwritten with the gradient of the weighted mean batch loss (no penalty).
    bn_state : ndarray of shape (n_bn_state,), same dtype
        Running means and variances of batch-normalized layers.
    layout : ndarray of shape (n_layers, N_COLUMNS), int64
    inputs : ndarray of shape (N_INPUT_FIELDS,), int64
    activation : int
        Hidden activation code.
    loss_kind : int
        Loss code of :mod:`skdeep._network`.
    dropout_rates : ndarray of shape (n_layers,), float64
        Entry 0 is the input dropout rate, entry ``l`` the rate after hidden layer ``l``.
    bn_momentum : float
    update_running : bool
        Whether to update the batch-norm running statistics.
    rng : ndarray of shape (1,), uint64
        Random state for dropout masks, advanced in place.
    Xsparse : tuple of (data, indices, indptr) or None
        A CSR matrix whose rows ``rows`` (ndarray of int64) are the batch, gathered here
        (so the matrix is never modified); ``Xb`` then only gives the number of rows (shape
        (n_rows, 0)). The input block may have a scaling layer, not embeddings.
    rows : ndarray of shape (n_rows,), int64, or None

    Returns
    -------
    float
        The weighted mean batch loss.
    """
    n_layers = layout.shape[0]
    nb = Xb.shape[0]
    dtype = Xb.dtype
    empty2 = np.empty((0, 0), dtype)
    empty1 = np.empty(0, dtype)
    k = inputs[EMB_FREQS]
    cosines = np.empty((nb, inputs[EMB_FEATURES], k), dtype)
    sines = np.empty((nb, inputs[EMB_FEATURES], k), dtype)
    factors = empty1
    if inputs[SCALE_OFF] >= 0:
        factors = theta[inputs[SCALE_OFF] : inputs[SCALE_OFF] + inputs[IN_WIDTH]]
    n_cat = inputs[CAT_FEATURES]
    n_values = inputs[IN_FEATURES] - n_cat
    if Xsparse is None:
        if dropout_rates[0] > 0.0 and n_cat == 0:
            dropout(Xb, empty2, empty2, dropout_rates[0], rng)
        elif dropout_rates[0] > 0.0:
            # Input dropout drops values, never categorical codes (a code is an index).
            values = np.ascontiguousarray(Xb[:, :n_values])
            dropout(values, empty2, empty2, dropout_rates[0], rng)
            Xb[:, :n_values] = values
        embedded, A = _input_block(Xb, theta, inputs, cosines, sines)
    else:
        batch = _gather_rows(Xsparse[0], Xsparse[1], Xsparse[2], rows)
        if dropout_rates[0] > 0.0:
            # Dropping a stored value drops the input; the zeros have nothing to drop.
            values = batch[0]
            dropout(values.reshape((1, values.shape[0])), empty2, empty2, dropout_rates[0], rng)
        embedded = A = empty2
    acts = [A]
    derivs = [empty2]
    gaps = [empty2]
    xhats = [empty2]
    inv_stds = [empty1]
    for layer in range(n_layers):
        if layer == 0 and Xsparse is not None:
            Z = np.empty((nb, layout[0, FAN_OUT]), dtype)
            csr_dot(batch[0], batch[1], batch[2], factors, _weights(theta, layout, 0), Z)
        else:
            Z = np.dot(A, _weights(theta, layout, layer))
        add_bias(Z, _segment(theta, layout, layer, B_OFF))
        if layer == n_layers - 1:
            A = Z
            break
        fo = layout[layer, FAN_OUT]
        if layout[layer, GAMMA_OFF] >= 0:
            xhat = np.empty((nb, fo), dtype)
            inv_std = np.empty(fo, dtype)
            batch_norm_train(
                Z,
                _segment(theta, layout, layer, GAMMA_OFF),
                _segment(theta, layout, layer, BETA_OFF),
                xhat,
                inv_std,
                _segment(bn_state, layout, layer, MEAN_OFF),
                _segment(bn_state, layout, layer, VAR_OFF),
                bn_momentum,
                update_running,
            )
        else:
            xhat = empty2
            inv_std = empty1
        deriv = np.empty((nb, fo), dtype)
        if layout[layer, MIX_OFF] >= 0:
            gap = np.empty((nb, fo), dtype)
            activate_mixed(Z, deriv, gap, _segment(theta, layout, layer, MIX_OFF), activation)
        else:
            gap = empty2
            activate(Z, deriv, activation)
        if dropout_rates[layer + 1] > 0.0:
            dropout(Z, deriv, gap, dropout_rates[layer + 1], rng)
        acts.append(Z)
        derivs.append(deriv)
        gaps.append(gap)
        xhats.append(xhat)
        inv_stds.append(inv_std)
        A = Z
    loss = loss_and_delta(A, Yb, swb, swb.sum(), loss_kind)
    dZ = A
    for layer in range(n_layers - 1, -1, -1):
        W = _weights(theta, layout, layer)
        gb = _segment(grad, layout, layer, B_OFF)
        if layer == 0 and Xsparse is not None:
            g_factors = empty1
            if inputs[SCALE_OFF] >= 0:
                g_factors = grad[inputs[SCALE_OFF] : inputs[SCALE_OFF] + inputs[IN_WIDTH]]
            csr_dense_backward(
                batch[0], batch[1], batch[2], factors, dZ, W,
                _weights(grad, layout, 0), gb, g_factors,
            )  # fmt: skip
        else:
            dense_backward(acts[layer], dZ, _weights(grad, layout, layer), gb)
        if layout[layer, GAMMA_OFF] >= 0:
            # Batch norm subtracts the batch mean, so this bias has no effect and a true
            # gradient of 0; what dense_backward summed is rounding noise, which adaptive
            # solvers would scale up to learning-rate-sized random steps.
            gb[:] = 0.0
        if layer == 0:
            break
        dA = np.dot(dZ, W.T)
        if layout[layer - 1, MIX_OFF] >= 0:
            # d loss / d a_j = sum_i dA_ij * (f(z_ij) - z_ij) (dropout mask included).
            column_dot(dA, gaps[layer], _segment(grad, layout, layer - 1, MIX_OFF))
        dA *= derivs[layer]
        if layout[layer - 1, GAMMA_OFF] >= 0:
            batch_norm_backward(
                dA,
                xhats[layer],
                inv_stds[layer],
                _segment(theta, layout, layer - 1, GAMMA_OFF),
                _segment(grad, layout, layer - 1, GAMMA_OFF),
                _segment(grad, layout, layer - 1, BETA_OFF),
            )
        dZ = dA
    if Xsparse is None and (k > 0 or inputs[SCALE_OFF] >= 0 or n_cat > 0):
        # The input block has parameters: its gradient needs the first layer's input gradient.
        d_in = np.dot(dZ, _weights(theta, layout, 0).T)
        if inputs[SCALE_OFF] >= 0:
            off = inputs[SCALE_OFF]
            width = inputs[IN_WIDTH]
            column_dot(d_in, embedded, grad[off : off + width])
            d_in *= theta[off : off + width]
        if k > 0:
            freq, _, coefs, _ = _embedding_parameters(theta, inputs)
            g_freq, g_phase, g_coefs, g_int = _embedding_parameters(grad, inputs)
            embed_backward(
                d_in, Xb, n_values, _embedded_columns(inputs), freq, coefs, cosines, sines,
                g_freq, g_phase, g_coefs, g_int,
            )  # fmt: skip
        if n_cat > 0:
            starts, _ = _category_tables(theta, inputs)
            _, g_vectors = _category_tables(grad, inputs)
            base = inputs[IN_WIDTH] - n_cat * inputs[CAT_DIM]
            embed_categories_backward(d_in, Xb, n_values, starts, base, g_vectors)
    return loss


@kernel
def loss_and_grad(
    X,
    Y,
    sw,
    theta,
    grad,
    bn_state,
    layout,
    inputs,
    penalty_mask,
    activation,
    loss_kind,
    dropout_rates,
    l2,
    l1,
    rng,
    Xsparse=None,
):
    """Full objective of one batch and its gradient, penalty included.

    The objective of the full-batch solver (``solver="lbfgs"``, the whole training set as one
    batch) and of the gradient checks. Same parameters as :func:`forward_backward`, plus
    ``penalty_mask`` (uint8, shape (n_params,)) and the penalty coefficients ``l2`` and
    ``l1``, divided by the summed sample weight as in training. ``X`` is not modified but must
    be writable (with input dropout it is copied, and the copy and ``X`` share one compiled
    type); running statistics are not updated. ``Xsparse`` (CSR ``(data, indices, indptr)``,
    with ``X`` of shape (n_rows, 0)) gives sparse rows instead. Dropout masks come from
    ``rng``, so passing copies of one state gives the same masks on every call.

    Returns
    -------
    float
        Weighted mean loss plus ``(l1 * sum |w| + 0.5 * l2 * sum w**2) / sum(sw)``.
    """
    sw_sum = sw.sum()
    # forward_backward writes to its input only for input dropout.
    Xb = X.copy() if dropout_rates[0] > 0.0 else X
    loss = forward_backward(
        Xb,
        Y,
        sw,
        theta,
        grad,
        bn_state,
        layout,
        inputs,
        activation,
        loss_kind,
        dropout_rates,
        0.0,
        False,
        rng,
        Xsparse,
        np.arange(X.shape[0]),
    )
    return loss + penalty_and_grad(theta, grad, penalty_mask, l2 / sw_sum, l1 / sw_sum)


@kernel
def run_epoch(
    X,
    Y,
    sw,
    theta,
    grad,
    state1,
    state2,
    bn_state,
    layout,
    inputs,
    groups,
    step,
    rng,
    hp,
    schedule,
    Xsparse=None,
):
    """One epoch of mini-batch training: shuffle, then forward, backward and update per batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C-contiguous
    Y : ndarray of shape (n_samples, n_outputs), same dtype
    sw : ndarray of shape (n_samples,), same dtype
        Sample weights (ones when the user gives none).
    theta, grad, state1, state2 : ndarray of shape (n_params,), same dtype
        Parameters (updated in place), gradient buffer, optimizer state.
    bn_state : ndarray of shape (n_bn_state,), same dtype
    layout : ndarray of shape (n_layers, N_COLUMNS), int64
    inputs : ndarray of shape (N_INPUT_FIELDS,), int64
    groups : tuple of (lr_scale, penalty_mask, decay_scale)
        The per-parameter vectors of the parameter groups (see
        :func:`skdeep._kernels._optimizers.update`).
    step : ndarray of shape (1,), int64
        Number of optimizer updates so far, advanced in place.
    rng : ndarray of shape (1,), uint64
        Random state for shuffling and dropout, advanced in place.
    hp : ndarray of shape (HP_DROPOUT + n_layers,), float64
        The hyperparameter vector (:mod:`skdeep._network`'s ``HP_*`` indices): the activation
        and loss codes, the batch size, whether to shuffle, the momentum of the batch-norm
        running statistics for a full batch (a batch of ``nb`` rows uses
        ``bn_momentum ** (nb / batch_size)`` and a single-row batch does not update them),
        the solver's settings (see :func:`~skdeep._kernels._optimizers.update`), the penalty
        strengths (each batch divides them by its summed sample weight), the gradient clipping
        norm (when positive, each batch's loss gradient is rescaled to at most this global L2
        norm; penalty gradients are not clipped), and from ``HP_DROPOUT`` on the layers' base
        dropout rates (batch ``b`` uses them times ``schedule[b, DROPOUT_FACTOR]``).
    schedule : ndarray of shape (n_batches, 3), float64
        Per batch: the learning rate (column ``LR``), the decoupled weight decay
        (``WEIGHT_DECAY``) and the factor of the dropout rates (``DROPOUT_FACTOR``).
    Xsparse : tuple of (data, indices, indptr) or None
        The samples as CSR rows, with ``X`` of shape (n_samples, 0): each mini-batch gathers
        its rows' stored values only (memory bounded by the batch).

    Returns
    -------
    float
        Mean over the epoch's samples of the batch objective (loss plus penalty). Batches
        whose sample weights sum to zero are skipped: no update and no share of the mean.
    """
    activation = np.int64(hp[HP_ACTIVATION])
    loss_kind = np.int64(hp[HP_LOSS])
    batch_size = np.int64(hp[HP_BATCH_SIZE])
    bn_momentum = hp[HP_BN_MOMENTUM]
    clip_norm = hp[HP_CLIP_NORM]
    dropout_rates = hp[HP_DROPOUT:]
    n = X.shape[0]
    n_features = X.shape[1]
    n_outputs = Y.shape[1]
    perm = np.arange(n)
    if hp[HP_SHUFFLE] != 0.0:
        shuffle_inplace(perm, rng)
    total = 0.0
    counted = 0
    rates = np.empty_like(dropout_rates)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        nb = stop - start
        Xb = np.empty((nb, n_features), X.dtype)
        Yb = np.empty((nb, n_outputs), X.dtype)
        swb = np.empty(nb, X.dtype)
        for r in range(nb):
            src = perm[start + r]
            Xb[r] = X[src]
            Yb[r] = Y[src]
            swb[r] = sw[src]
        sw_sum = swb.sum()
        if not sw_sum > 0.0:
            continue
        batch = start // batch_size
        for layer in range(dropout_rates.shape[0]):
            rates[layer] = dropout_rates[layer] * schedule[batch, DROPOUT_FACTOR]
        # A short last batch moves the running statistics by its share of a full batch, and a
        # single sample (variance 0) not at all.
        loss = forward_backward(
            Xb,
            Yb,
            swb,
            theta,
            grad,
            bn_state,
            layout,
            inputs,
            activation,
            loss_kind,
            rates,
            bn_momentum ** (nb / batch_size),
            nb > 1,
            rng,
            Xsparse,
            perm[start:stop],
        )
        if clip_norm > 0.0:
            clip_by_global_norm(grad, clip_norm)
        step[0] += 1
        penalty = update(
            theta,
            grad,
            state1,
            state2,
            groups,
            hp,
            schedule[batch, LR],
            step[0],
            schedule[batch, WEIGHT_DECAY],
            sw_sum,
        )
        total += (loss + penalty) * nb
        counted += nb
    return total / max(counted, 1)


@kernel
def predict_raw(X, theta, bn_state, layout, inputs, activation, Xsparse=None):
    """Inference-mode outputs of the last dense layer (before softmax / sigmoid).

    Dropout is off and batch normalization uses the running statistics, so each row's output
    depends on that row alone. Rows are processed in blocks to bound memory.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C-contiguous
    theta : ndarray of shape (n_params,), same dtype
    bn_state : ndarray of shape (n_bn_state,), same dtype
    layout : ndarray of shape (n_layers, N_COLUMNS), int64
    inputs : ndarray of shape (N_INPUT_FIELDS,), int64
    activation : int
    Xsparse : tuple of (data, indices, indptr) or None
        The rows as CSR, with ``X`` of shape (n_samples, 0).

    Returns
    -------
    ndarray of shape (n_samples, n_outputs), same dtype as ``X``
    """
    n = X.shape[0]
    n_layers = layout.shape[0]
    out = np.empty((n, layout[n_layers - 1, FAN_OUT]), X.dtype)
    no_store = np.empty((0, 0, 0), X.dtype)
    no_mix = np.empty(0, X.dtype)
    factors = no_mix
    if inputs[SCALE_OFF] >= 0:
        factors = theta[inputs[SCALE_OFF] : inputs[SCALE_OFF] + inputs[IN_WIDTH]]
    for start in range(0, n, PREDICT_BLOCK):
        stop = min(start + PREDICT_BLOCK, n)
        if Xsparse is None:
            _, A = _input_block(X[start:stop], theta, inputs, no_store, no_store)
        else:
            A = np.empty((0, 0), X.dtype)
        for layer in range(n_layers):
            if layer == 0 and Xsparse is not None:
                data, indices, indptr = Xsparse
                first, last = indptr[start], indptr[stop]
                Z = np.empty((stop - start, layout[0, FAN_OUT]), X.dtype)
                csr_dot(
                    data[first:last], indices[first:last], indptr[start : stop + 1] - first,
                    factors, _weights(theta, layout, 0), Z,
                )  # fmt: skip
            else:
                Z = np.dot(A, _weights(theta, layout, layer))
            add_bias(Z, _segment(theta, layout, layer, B_OFF))
            if layer < n_layers - 1:
                if layout[layer, GAMMA_OFF] >= 0:
                    batch_norm_inference(
                        Z,
                        _segment(theta, layout, layer, GAMMA_OFF),
                        _segment(theta, layout, layer, BETA_OFF),
                        _segment(bn_state, layout, layer, MEAN_OFF),
                        _segment(bn_state, layout, layer, VAR_OFF),
                    )
                if layout[layer, MIX_OFF] >= 0:
                    activate_inference(Z, _segment(theta, layout, layer, MIX_OFF), activation)
                else:
                    activate_inference(Z, no_mix, activation)
            A = Z
        out[start:stop] = A
    return out
