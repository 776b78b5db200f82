"""The network's outputs for new rows: raw outputs block by block, and probabilities."""

import numpy as np
import scipy.sparse as sp

from ._kernels._epoch import PREDICT_BLOCK, predict_raw
from ._kernels._forward import activate_inference
from ._network import ACTIVATION_CODES, LOGISTIC


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
    ndarray of shape (n_samples, n_outputs), same dtype as ``X``
    """
    code = ACTIVATION_CODES[activation]
    tables = layout.kernel_tables
    if sp.issparse(X):
        placeholder, Xsparse = kernel_rows(X)
        return predict_raw(placeholder, theta, bn_state, *tables, code, Xsparse)
    if X.flags.writeable:
        return predict_raw(X, theta, bn_state, *tables, code, None)
    # Read-only input would need its own compiled specialization; writable copies of one
    # block at a time keep memory bounded.
    return np.vstack(
        [
            predict_raw(np.array(X[i : i + PREDICT_BLOCK]), theta, bn_state, *tables, code, None)
            for i in range(0, X.shape[0], PREDICT_BLOCK)
        ]
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
