"""Backward-pass building blocks: dense layers, batch normalization, numeric embeddings.

The layer kinds' backward kernels (:mod:`._layers`) call them. Activations and dropout need
none here: the forward pass stores ``activation'(z) * dropout_mask`` per unit, and the
activation's backward kernel multiplies by it.
"""

import math

import numpy as np

from ._config import kernel

_TWO_PI = 2.0 * math.pi


@kernel(inline=True)
def dense_backward(A_prev, dZ, gW, gb):
    """Gradients of a dense layer ``Z = A_prev @ W + b``.

    Parameters
    ----------
    A_prev : ndarray of shape (n_rows, fan_in), float32 or float64
        Layer input.
    dZ : ndarray of shape (n_rows, fan_out)
        Gradient of the loss with respect to ``Z``.
    gW : ndarray of shape (fan_in, fan_out)
        Overwritten with ``A_prev.T @ dZ``.
    gb : ndarray of shape (fan_out,)
        Overwritten with the column sums of ``dZ``.
    """
    np.dot(A_prev.T, dZ, gW)
    n, m = dZ.shape
    for j in range(m):
        gb[j] = 0.0
    for i in range(n):
        for j in range(m):
            gb[j] += dZ[i, j]


@kernel
def batch_norm_backward(dS, xhat, inv_std, gamma, dgamma, dbeta):
    """Backward pass of training-mode batch normalization ``S = gamma * xhat + beta``.

    Parameters
    ----------
    dS : ndarray of shape (n_rows, n_units), float32 or float64
        Gradient with respect to the normalized-and-scaled output; overwritten with the
        gradient with respect to the layer's input (the batch statistics depend on it too).
    xhat : ndarray of shape (n_rows, n_units)
        Normalized values saved by the forward pass.
    inv_std : ndarray of shape (n_units,)
        ``1 / sqrt(var + eps)`` saved by the forward pass.
    gamma : ndarray of shape (n_units,)
    dgamma, dbeta : ndarray of shape (n_units,)
        Overwritten with the gradients of ``gamma`` and ``beta``.
    """
    n, m = dS.shape
    for j in range(m):
        dgamma[j] = 0.0
        dbeta[j] = 0.0
    for i in range(n):
        for j in range(m):
            dbeta[j] += dS[i, j]
            dgamma[j] += dS[i, j] * xhat[i, j]
    for i in range(n):
        for j in range(m):
            dS[i, j] = (gamma[j] * inv_std[j] / n) * (
                n * dS[i, j] - dbeta[j] - xhat[i, j] * dgamma[j]
            )


@kernel(inline=True)
def column_dot(A, B, out):
    """``out[j] = sum_i A[i, j] * B[i, j]``: the gradient of per-column factors.

    Parameters
    ----------
    A, B : ndarray of shape (n_rows, n_cols), float32 or float64
    out : ndarray of shape (n_cols,), same dtype
        Overwritten.
    """
    n, m = A.shape
    for j in range(m):
        out[j] = 0.0
    for i in range(n):
        for j in range(m):
            out[j] += A[i, j] * B[i, j]


@kernel(inline=True)
def embed_backward(
    d_out, X, n_values, columns, frequencies, coefs, cosines, sines, g_freq, g_phase, g_coefs,
    g_int,
):  # fmt: skip
    """Gradients of the periodic numeric embeddings (:func:`._forward.embed`).

    Parameters
    ----------
    d_out : ndarray of shape (n_rows, >= n_values + n_embedded * d), float32 or float64
        Gradient with respect to the embedded rows (the raw-value columns are not used: the
        inputs are data, not parameters).
    X : ndarray of shape (n_rows, n_features), same dtype
    n_values : int
        Number of leading value columns of ``X``.
    columns : ndarray of shape (n_embedded,), int64
    frequencies : ndarray of shape (n_embedded, k), same dtype
    coefs : ndarray of shape (n_embedded, k, d), same dtype
    cosines, sines : ndarray of shape (n_rows, n_embedded, k), same dtype
        Saved by the forward pass.
    g_freq, g_phase : ndarray of shape (n_embedded, k), same dtype
        Overwritten with the gradients of the frequencies and phases.
    g_coefs : ndarray of shape (n_embedded, k, d), same dtype
        Overwritten with the gradient of the per-feature maps.
    g_int : ndarray of shape (n_embedded, d), same dtype
        Overwritten with the gradient of their intercepts.
    """
    n = X.shape[0]
    f = n_values
    n_embedded, k = frequencies.shape
    d = g_int.shape[1]
    g_freq[:] = 0.0
    g_phase[:] = 0.0
    g_int[:] = 0.0
    # The maps and their gradient with the frequencies last, so that the loops over the
    # frequencies below are contiguous and vectorize; each sum still runs over the rows in
    # order.
    coefs_t = np.empty((n_embedded, d, k), coefs.dtype)
    g_coefs_t = np.zeros((n_embedded, d, k), g_coefs.dtype)
    for e in range(n_embedded):
        for q in range(k):
            for m in range(d):
                coefs_t[e, m, q] = coefs[e, q, m]
    d_cos = np.empty(k)
    for i in range(n):
        for e in range(n_embedded):
            base = f + e * d
            x = X[i, columns[e]]
            d_cos[:] = 0.0
            for m in range(d):
                g = d_out[i, base + m]
                g_int[e, m] += g
                for q in range(k):
                    g_coefs_t[e, m, q] += cosines[i, e, q] * g
                    d_cos[q] += coefs_t[e, m, q] * g
            for q in range(k):
                # d cos(t) / dt = -sin(t); t = 2 pi w x + b
                d_t = -sines[i, e, q] * d_cos[q]
                g_phase[e, q] += d_t
                g_freq[e, q] += d_t * _TWO_PI * x
    for e in range(n_embedded):
        for q in range(k):
            for m in range(d):
                g_coefs[e, q, m] = g_coefs_t[e, m, q]


@kernel(inline=True)
def embed_categories_backward(d_out, X, n_values, starts, base, g_vectors):
    """Gradient of the learned vectors of categorical levels
    (:func:`._forward.embed_categories`).

    Parameters
    ----------
    d_out : ndarray of shape (n_rows, >= base + n_categorical * d), float32 or float64
        Gradient with respect to the first dense layer's input.
    X : ndarray of shape (n_rows, n_values + n_categorical), same dtype
    n_values : int
    starts : ndarray of shape (n_categorical + 1,), int64
    base : int
    g_vectors : ndarray of shape (starts[-1], d), same dtype
        Overwritten with the gradient: each row sums ``d_out`` over the rows whose code
        picked it (rows no batch row picked get 0).
    """
    n = X.shape[0]
    n_cat = starts.shape[0] - 1
    d = g_vectors.shape[1]
    g_vectors[:] = 0.0
    for i in range(n):
        for c in range(n_cat):
            row = starts[c] + np.int64(X[i, n_values + c])
            col = base + c * d
            for m in range(d):
                g_vectors[row, m] += d_out[i, col + m]
