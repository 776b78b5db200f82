"""Whole-network kernels: one training epoch, one batch's loss and gradient, and inference.

The network is the layer table of :mod:`skdeep._network` (one row per layer, its ``KIND``
column saying which kernel pair of :mod:`._layers` runs it) and the input table that
describes the input block. :func:`forward` runs the rows in order, for training (keeping what
the backward pass needs, drawing dropout masks, computing the loss) or for inference;
:func:`backward` runs them in reverse. Training (:func:`forward_backward`, :func:`run_epoch`)
and prediction share that one forward pass: :func:`skdeep._inference.network_outputs` calls it
from Python, block by block, with the arguments typed as in training, so that predicting in
the dtype a network trained in compiles nothing more.
"""

import numpy as np

from .._network import (
    ACTIVATION,
    B_OFF,
    BATCH_NORM,
    BETA_OFF,
    DENSE,
    DROPOUT,
    FAN_IN,
    FAN_OUT,
    GAMMA_OFF,
    HP_ACTIVATION,
    HP_BATCH_SIZE,
    HP_BN_MOMENTUM,
    HP_CLIP_NORM,
    HP_DROPOUT,
    HP_EVEN_BATCHES,
    HP_LOSS,
    HP_LOSS_PARAMETERS,
    HP_SHUFFLE,
    INPUT,
    KIND,
    LOSS,
    MB_OFF,
    MEAN_OFF,
    MEMBER_SCALE,
    MEMBERS,
    MIX_OFF,
    MS_OFF,
    RATE,
    REPLICATE,
    VAR_OFF,
    W_OFF,
)
from ._backward import batch_norm_backward
from ._config import kernel
from ._layers import (
    activation_backward,
    activation_forward,
    batch_norm_forward,
    dense_backward,
    dense_forward,
    dropout_forward,
    input_backward,
    input_factors,
    input_forward,
    input_has_parameters,
    member_scale_backward,
    member_scale_forward,
    members_loss,
    replicate_backward,
    replicate_forward,
)
from ._losses import loss_and_delta, penalty_and_grad
from ._optimizers import clip_by_global_norm, update
from ._rng import shuffle_inplace

# Columns of a row of the per-batch schedule of run_epoch.
LR, WEIGHT_DECAY, DROPOUT_FACTOR = range(3)


@kernel(inline=True)
def _weights(vector, layout, row):
    """The weight matrix of dense row ``row`` in ``vector``, shape (fan_in, fan_out)."""
    fi = layout[row, FAN_IN]
    fo = layout[row, FAN_OUT]
    off = layout[row, W_OFF]
    return vector[off : off + fi * fo].reshape((fi, fo))


@kernel(inline=True)
def _units(vector, layout, row, column):
    """The per-unit segment (``FAN_OUT`` values) of row ``row`` whose offset is in
    ``column``, or an empty array where the row has none."""
    off = layout[row, column]
    if off < 0:
        return vector[:0]
    return vector[off : off + layout[row, FAN_OUT]]


@kernel(inline=True)
def _member_units(vector, layout, row, column):
    """The per-member segment (shape (MEMBERS, FAN_OUT)) of row ``row`` whose offset is in
    ``column``, or an empty (0, FAN_OUT) array where the row has none."""
    off = layout[row, column]
    fo = layout[row, FAN_OUT]
    if off < 0:
        return vector[:0].reshape((0, fo))
    k = layout[row, MEMBERS]
    return vector[off : off + k * fo].reshape((k, fo))


@kernel(inline=True)
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
def _sparse_rows(Xsparse, rows):
    """The CSR arrays of ``rows`` of ``Xsparse``, or None for dense rows (``Xsparse`` None)."""
    # isinstance is decided when compiling: "is None" would leave an optional tuple.
    if isinstance(Xsparse, tuple):
        return _gather_rows(Xsparse[0], Xsparse[1], Xsparse[2], rows)
    return None


@kernel(inline=True)
def _check_no_optional_kinds(layout):
    """Raise if the layer table has a row of an optional kind (the kernels were given the
    switch for none)."""
    for r in range(layout.shape[0]):
        kind = layout[r, KIND]
        if kind == BATCH_NORM or kind == REPLICATE or kind == MEMBER_SCALE:
            raise ValueError("the layer table has optional kinds, but their switch is None")


@kernel
def forward(X, batch, theta, bn_state, layout, inputs, optional, context, training):
    """The forward pass of the layer table's rows, in order.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float32 or float64
        The rows (input dropout in training overwrites their values); shape (n_rows, 0)
        when ``batch`` gives them.
    batch : tuple of (data, indices, indptr) or None
        The rows as CSR arrays (see :func:`._layers.input_forward`).
    theta : ndarray of shape (n_params,), same dtype
    bn_state : ndarray of shape (n_bn_state,), same dtype
        Running statistics, moved in training when ``context`` says so.
    layout : ndarray of shape (n_table_rows, N_COLUMNS), int64
        The layer table, possibly cut after any row (its last row's output is returned).
    inputs : ndarray, int64
        The input table.
    optional : None or bool
        The switch of the optional kinds (:func:`skdeep._network.optional_kinds`): compiled
        for None, their branches are left out, and a table with such a row raises.
    context : tuple
        ``(activation, loss, Y, sw, rates, bn_momentum, update_running, rng)``: the
        hidden activation code, the loss (its code and parameters, as
        :func:`._losses.loss_and_delta` takes it) with the targets (shape (n_rows, n_outputs))
        and sample weights (shape (n_rows,)) of the rows, the dropout rates (float64, entry
        0 the input's, then the ``RATE`` of each dropout row), the momentum of the running
        statistics and whether to move them, and the random state of dropout masks
        (shape (1,), uint64, advanced in place). At inference only the activation is read.
    training : bool

    Returns
    -------
    loss : float
        The weighted mean loss (training; 0 at inference or when the table has no loss row).
    out : ndarray of shape (n_rows, n_outputs)
        The last row's output; after the loss row (training), its gradient with respect to
        the raw outputs.
    cache : tuple
        ``(outputs, derivs, gaps, inv_stds, input_cache)``, per table row its output (the
        same array as the next row's for in-place kinds), the stored derivatives of
        activations and normalized values of batch norms, the parametric activations'
        ``f(z) - z``, the batch norms' inverse standard deviations, and the input block's
        cache: what :func:`backward` needs.
    """
    activation, loss, Y, sw, rates, bn_momentum, update_running, rng = context
    n_rows = layout.shape[0]
    if optional is None:
        _check_no_optional_kinds(layout)
    empty2 = np.empty((0, 0), X.dtype)
    empty1 = np.empty(0, X.dtype)
    outputs = [empty2 for _ in range(n_rows)]
    derivs = [empty2 for _ in range(n_rows)]
    gaps = [empty2 for _ in range(n_rows)]
    inv_stds = [empty1 for _ in range(n_rows)]
    A = empty2
    input_cache = (empty2, np.empty((0, 0, 0), X.dtype), np.empty((0, 0, 0), X.dtype))
    value = 0.0
    for r in range(n_rows):
        kind = layout[r, KIND]
        if kind == INPUT:
            rate = rates[0] if training else 0.0
            A, input_cache = input_forward(X, batch, theta, inputs, rate, rng, training)
        elif kind == DENSE:
            A = dense_forward(
                A, batch, layout[r - 1, KIND] == INPUT, _weights(theta, layout, r),
                _units(theta, layout, r, B_OFF), input_factors(theta, inputs),
            )  # fmt: skip
        elif kind == BATCH_NORM and optional is not None:
            derivs[r], inv_stds[r] = batch_norm_forward(
                A,
                _units(theta, layout, r, GAMMA_OFF),
                _units(theta, layout, r, BETA_OFF),
                _units(bn_state, layout, r, MEAN_OFF),
                _units(bn_state, layout, r, VAR_OFF),
                bn_momentum,
                update_running,
                training,
            )
        elif kind == ACTIVATION:
            mix = _units(theta, layout, r, MIX_OFF)
            derivs[r], gaps[r] = activation_forward(A, mix, activation, training)
        elif kind == DROPOUT and training:
            dropout_forward(A, derivs[r - 1], gaps[r - 1], rates[layout[r, RATE]], rng)
        elif kind == REPLICATE and optional is not None:
            A = replicate_forward(A, layout[r, MEMBERS])
        elif kind == MEMBER_SCALE and optional is not None:
            A = member_scale_forward(
                A, _member_units(theta, layout, r, MS_OFF), _member_units(theta, layout, r, MB_OFF)
            )
        elif kind == LOSS and training and optional is not None:
            value = members_loss(A, Y, sw, loss)
        elif kind == LOSS and training:
            value = loss_and_delta(A, Y, sw, sw.sum(), loss)
        outputs[r] = A
    return value, A, (outputs, derivs, gaps, inv_stds, input_cache)


@kernel
def backward(dZ, X, batch, theta, grad, layout, inputs, optional, cache):
    """The backward pass: the layer table's rows in reverse, after :func:`forward` in
    training.

    Parameters
    ----------
    dZ : ndarray of shape (n_rows, n_outputs)
        Gradient of the loss with respect to the raw outputs (what :func:`forward` returned
        after the loss row); overwritten.
    X, batch, theta, layout, inputs, optional
        As given to :func:`forward`.
    grad : ndarray of shape (n_params,), same dtype
        Overwritten with the gradient (every segment of the table's rows and of the input
        block).
    cache : tuple
        What :func:`forward` returned.
    """
    outputs, derivs, gaps, inv_stds, input_cache = cache
    reach_input = batch is None and input_has_parameters(inputs)
    for r in range(layout.shape[0] - 1, -1, -1):
        kind = layout[r, KIND]
        if kind == DENSE:
            first = layout[r - 1, KIND] == INPUT
            dZ = dense_backward(
                outputs[r - 1],
                batch,
                first,
                dZ,
                _weights(theta, layout, r),
                _weights(grad, layout, r),
                _units(grad, layout, r, B_OFF),
                input_factors(theta, inputs),
                input_factors(grad, inputs),
                r + 1 < layout.shape[0] and layout[r + 1, KIND] == BATCH_NORM,
                not first or reach_input,
            )
        elif kind == BATCH_NORM and optional is not None:
            batch_norm_backward(
                dZ,
                derivs[r],
                inv_stds[r],
                _units(theta, layout, r, GAMMA_OFF),
                _units(grad, layout, r, GAMMA_OFF),
                _units(grad, layout, r, BETA_OFF),
            )
        elif kind == ACTIVATION:
            activation_backward(dZ, derivs[r], gaps[r], _units(grad, layout, r, MIX_OFF))
        elif kind == MEMBER_SCALE and optional is not None:
            member_scale_backward(
                dZ,
                outputs[r - 1],
                _member_units(theta, layout, r, MS_OFF),
                _member_units(grad, layout, r, MS_OFF),
                _member_units(grad, layout, r, MB_OFF),
            )
        elif kind == REPLICATE and reach_input and optional is not None:
            dZ = replicate_backward(dZ, layout[r, MEMBERS])
        elif kind == INPUT and reach_input:
            input_backward(dZ, X, theta, grad, inputs, input_cache)


@kernel(inline=True)
def forward_backward(
    Xb,
    Yb,
    swb,
    theta,
    grad,
    bn_state,
    layout,
    inputs,
    optional,
    activation,
    loss,
    dropout_rates,
    bn_momentum,
    update_running,
    rng,
    Xsparse,
    rows,
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
    layout : ndarray of shape (n_table_rows, N_COLUMNS), int64
    inputs : ndarray of shape (N_INPUT_FIELDS + ...,), int64
    optional : None or bool
        The switch of the optional kinds (see :func:`forward`).
    activation : int
        Hidden activation code.
    loss : tuple of (int, ndarray of float64)
        Loss code of :mod:`skdeep._network` and the loss's parameters (see
        :func:`._losses.loss_and_delta`).
    dropout_rates : ndarray of shape (n_dense_layers,), float64
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
    batch = _sparse_rows(Xsparse, rows)
    context = (activation, loss, Yb, swb, dropout_rates, bn_momentum, update_running, rng)
    # np.bool_: a literal True would compile a forward pass of its own.
    training = np.bool_(True)
    value, dZ, cache = forward(
        Xb, batch, theta, bn_state, layout, inputs, optional, context, training
    )
    backward(dZ, Xb, batch, theta, grad, layout, inputs, optional, cache)
    return value


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
    optional,
    penalty_mask,
    activation,
    loss,
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
    value = forward_backward(
        Xb,
        Y,
        sw,
        theta,
        grad,
        bn_state,
        layout,
        inputs,
        optional,
        activation,
        loss,
        dropout_rates,
        np.float64(0.0),
        np.bool_(False),
        rng,
        Xsparse,
        np.arange(X.shape[0]),
    )
    return value + penalty_and_grad(theta, grad, penalty_mask, l2 / sw_sum, l1 / sw_sum)


@kernel
def run_epoch(
    X,
    Y,
    sw,
    theta,
    grad,
    moments,
    bn_state,
    layout,
    inputs,
    optional,
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
    theta, grad : ndarray of shape (n_params,), same dtype
        Parameters (updated in place) and gradient buffer.
    moments : tuple of two ndarray of shape (n_params,), same dtype
        The optimizer's state (see :func:`skdeep._kernels._optimizers.update`).
    bn_state : ndarray of shape (n_bn_state,), same dtype
    layout : ndarray of shape (n_layers, N_COLUMNS), int64
    inputs : ndarray of shape (N_INPUT_FIELDS,), int64
    optional : None or bool
        The switch of the optional kinds (see :func:`forward`).
    groups : tuple of (lr_scale, penalty_mask, decay_scale)
        The per-parameter vectors of the parameter groups (see
        :func:`skdeep._kernels._optimizers.update`).
    step : ndarray of shape (1,), int64
        Number of optimizer updates so far, advanced in place.
    rng : ndarray of shape (1,), uint64
        Random state for shuffling and dropout, advanced in place.
    hp : ndarray of shape (HP_DROPOUT + n_layers + n_loss_parameters,), float64
        The hyperparameter vector (:mod:`skdeep._network`'s ``HP_*`` indices): the activation
        and loss codes, the batch size, whether to shuffle, whether to split the rows into
        batches of sizes within one row of each other (else full batches and the remainder
        last), the momentum of the batch-norm
        running statistics for a full batch (a batch of ``nb`` rows uses
        ``bn_momentum ** (nb / batch_size)`` and a single-row batch does not update them),
        the solver's settings (see :func:`~skdeep._kernels._optimizers.update`), the penalty
        strengths (each batch divides them by its summed sample weight), the gradient clipping
        norm (when positive, each batch's loss gradient is rescaled to at most this global L2
        norm; penalty gradients are not clipped), from ``HP_DROPOUT`` on the layers' base
        dropout rates (batch ``b`` uses them times ``schedule[b, DROPOUT_FACTOR]``), and from
        the index ``hp[HP_LOSS_PARAMETERS]`` on the loss's parameters.
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
    loss_parameters = np.int64(hp[HP_LOSS_PARAMETERS])
    loss = (np.int64(hp[HP_LOSS]), hp[loss_parameters:])
    batch_size = np.int64(hp[HP_BATCH_SIZE])
    bn_momentum = hp[HP_BN_MOMENTUM]
    clip_norm = hp[HP_CLIP_NORM]
    dropout_rates = hp[HP_DROPOUT:loss_parameters]
    n = X.shape[0]
    n_features = X.shape[1]
    n_outputs = Y.shape[1]
    perm = np.arange(n)
    if hp[HP_SHUFFLE] != 0.0:
        shuffle_inplace(perm, rng)
    total = 0.0
    counted = 0
    rates = np.empty_like(dropout_rates)
    n_batches = -(-n // batch_size)
    even = hp[HP_EVEN_BATCHES] != 0.0
    for batch in range(n_batches):
        if even:
            start = batch * n // n_batches
            stop = (batch + 1) * n // n_batches
        else:
            start = batch * batch_size
            stop = min(start + batch_size, n)
        nb = stop - start
        Xb = np.empty((nb, n_features), X.dtype)
        Yb = np.empty((nb, n_outputs), X.dtype)
        swb = np.empty(nb, X.dtype)
        for r in range(nb):
            src = perm[start + r]
            for j in range(n_features):
                Xb[r, j] = X[src, j]
            for j in range(n_outputs):
                Yb[r, j] = Y[src, j]
            swb[r] = sw[src]
        sw_sum = swb.sum()
        if not sw_sum > 0.0:
            continue
        for layer in range(dropout_rates.shape[0]):
            rates[layer] = dropout_rates[layer] * schedule[batch, DROPOUT_FACTOR]
        # A short last batch moves the running statistics by its share of a full batch, and a
        # single sample (variance 0) not at all.
        value = forward_backward(
            Xb, Yb, swb, theta, grad, bn_state, layout, inputs, optional, activation, loss, rates,
            bn_momentum ** (nb / batch_size), nb > 1, rng, Xsparse, perm[start:stop],
        )  # fmt: skip
        if clip_norm > 0.0:
            clip_by_global_norm(grad, clip_norm)
        step[0] += 1
        penalty = update(
            theta, grad, moments, groups, hp, schedule[batch, LR], step[0],
            schedule[batch, WEIGHT_DECAY], sw_sum,
        )  # fmt: skip
        total += (value + penalty) * nb
        counted += nb
    return total / max(counted, 1)
