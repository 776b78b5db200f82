"""The network's outputs for new rows: raw outputs block by block, and probabilities."""

import numpy as np
import scipy.sparse as sp

from ._kernels._epoch import forward
from ._kernels._forward import activate_inference
from ._network import ACTIVATION_CODES, FAN_OUT, KIND, LOGISTIC, MEMBERS, REPLICATE

# Rows per block when predicting, so memory stays bounded for any number of rows.
PREDICT_BLOCK = 4096


def kernel_rows(X):
    """``X`` as the kernels take it: a dense array, or for a CSR matrix a placeholder of
    shape (n_samples, 0) and the CSR arrays ``(data, indices, indptr)``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or (n_samples, 0)
    Xsparse : tuple of ndarray or None
    """
    if not sp.issparse(X):
        return X, None
    placeholder = np.empty((X.shape[0], 0), X.dtype)
    return placeholder, (np.ascontiguousarray(X.data), X.indices, X.indptr)


def raw_output(X, layout, theta, bn_state, activation):
    """Inference-mode outputs of the last dense layer (before softmax / logistic).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C-contiguous, or CSR
        Possibly read-only (a memory map, say).
    layout : NetworkLayout
    theta : ndarray of shape (n_params,), same dtype as ``X``
    bn_state : ndarray of shape (n_bn_state,), same dtype
    activation : str
        Hidden activation name.

    Returns
    -------
    ndarray of shape (n_samples, k * n_outputs), same dtype as ``X``
        For the ``k`` members of a shared-weight ensemble (1 otherwise), member ``m``'s
        outputs in columns ``m * n_outputs`` to ``(m + 1) * n_outputs``.
    """
    X, Xsparse = kernel_rows(X)
    return network_outputs(
        X, Xsparse, theta, bn_state, layout.kernel_tables, ACTIVATION_CODES[activation]
    )


def network_outputs(X, Xsparse, theta, bn_state, tables, code):
    """Inference-mode outputs of the layer table's last row, block by block.

    Each block of rows runs the compiled forward pass in inference mode (dropout off, batch
    norms on their running statistics), so each row's output depends on that row alone and
    memory stays bounded. The forward pass is called from here, with its arguments typed as
    the training kernel types them: a process that has trained a network in a dtype predicts
    in that dtype without compiling anything more (a compiled kernel looping over the blocks
    would be one more compilation of the whole pass).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C-contiguous
        Possibly read-only; shape (n_samples, 0) when ``Xsparse`` gives the rows.
    Xsparse : tuple of (data, indices, indptr) or None
        The rows as CSR arrays.
    theta : ndarray of shape (n_params,), same dtype as ``X``
    bn_state : ndarray of shape (n_bn_state,), same dtype
    tables : tuple
        ``NetworkLayout.kernel_tables``, possibly with the layer table cut after any row (its
        last row's outputs are returned).
    code : int
        Hidden activation code.

    Returns
    -------
    ndarray of shape (n_samples, k * n_outputs), same dtype as ``X``
        As :func:`raw_output`.
    """
    table = tables[0]
    n, dtype = X.shape[0], X.dtype
    k = int(table[table[:, KIND] == REPLICATE, MEMBERS].max(initial=1))
    n_out = int(table[-1, FAN_OUT])
    # What the forward pass reads only in training, typed as the training kernel types it.
    context = (
        np.int64(code), (np.int64(0), np.zeros(0)), np.empty((0, 0), dtype), np.empty(0, dtype),
        np.zeros(1), np.float64(0.0), np.False_, np.zeros(1, np.uint64),
    )  # fmt: skip
    out = np.empty((n, k * n_out), dtype)
    for start in range(0, n, PREDICT_BLOCK):
        stop = min(start + PREDICT_BLOCK, n)
        # Writable C-contiguous copies where needed: read-only rows would need a compiled
        # version of their own.
        rows = X[start:stop] if X.flags.writeable else np.array(X[start:stop])
        batch = None if Xsparse is None else _csr_block(*Xsparse, start, stop)
        _, A, _ = forward(rows, batch, theta, bn_state, *tables, context, np.False_)
        # Member m's rows m * nb ... (m + 1) * nb side by side.
        out[start:stop] = (
            A.reshape(k, stop - start, n_out).transpose(1, 0, 2).reshape(-1, k * n_out)
        )
    return out


def _csr_block(data, indices, indptr, start, stop):
    """The CSR arrays of rows ``start`` to ``stop``, as new arrays of the same dtypes."""
    first, last = indptr[start], indptr[stop]
    return (
        np.array(data[first:last]),
        np.array(indices[first:last]),
        (indptr[start : stop + 1] - first).astype(indptr.dtype),
    )


def logistic(raw):
    """The logistic function of ``raw`` (C-contiguous, shape (n_samples, n_outputs)), in
    place; returns ``raw``."""
    activate_inference(raw, np.zeros(0, raw.dtype), LOGISTIC)
    return raw


def softmax(raw):
    """Row-wise softmax of ``raw`` (shape (n_samples, n_classes)), in place; returns ``raw``."""
    raw -= raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw
