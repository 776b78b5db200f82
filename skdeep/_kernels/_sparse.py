"""The first dense layer on sparse (CSR) rows: its product and its gradients.

Only the stored entries are visited, so a mini-batch of one-hot or text rows costs its
number of stored values times the layer's width, whatever the number of columns. An optional
per-column factor (the scaling layer) multiplies each value on the way in.
"""

from ._config import kernel


@kernel(inline=True)
def csr_dot(data, indices, indptr, factors, W, Z):
    """``Z = (X * factors) @ W`` for the CSR rows ``X``.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        Stored values of the rows.
    indices : ndarray of shape (nnz,), int32 or int64
        Their columns.
    indptr : ndarray of shape (n_rows + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]`` to ``indptr[i + 1] - 1``.
    factors : ndarray of shape (n_columns,) or (0,), same dtype as ``data``
        Per-column factors; empty for none.
    W : ndarray of shape (n_columns, fan_out), same dtype
    Z : ndarray of shape (n_rows, fan_out), same dtype
        Overwritten with the product.
    """
    n = indptr.shape[0] - 1
    m = W.shape[1]
    scaled = factors.shape[0] > 0
    for i in range(n):
        for j in range(m):
            Z[i, j] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            c = indices[p]
            v = data[p] * factors[c] if scaled else data[p]
            for j in range(m):
                Z[i, j] += v * W[c, j]


@kernel(inline=True)
def csr_dense_backward(data, indices, indptr, factors, dZ, W, gW, gb, g_factors):
    """Gradients of ``Z = (X * factors) @ W + b`` for the CSR rows ``X``.

    Parameters
    ----------
    data, indices, indptr, factors, W
        As in :func:`csr_dot`.
    dZ : ndarray of shape (n_rows, fan_out)
        Gradient of the loss with respect to ``Z``.
    gW : ndarray of shape (n_columns, fan_out)
        Overwritten with ``(X * factors).T @ dZ`` (zero in the rows of unused columns).
    gb : ndarray of shape (fan_out,)
        Overwritten with the column sums of ``dZ``.
    g_factors : ndarray of shape (n_columns,) or (0,)
        Overwritten with the gradient with respect to ``factors`` (when they are given):
        ``sum_i X_ic * (dZ_i . W_c)``.
    """
    n, m = dZ.shape
    scaled = factors.shape[0] > 0
    gW[:] = 0.0
    g_factors[:] = 0.0
    for j in range(m):
        gb[j] = 0.0
    for i in range(n):
        for j in range(m):
            gb[j] += dZ[i, j]
        for p in range(indptr[i], indptr[i + 1]):
            c = indices[p]
            v = data[p]
            if scaled:
                dot = 0.0
                for j in range(m):
                    dot += dZ[i, j] * W[c, j]
                g_factors[c] += v * dot
                v = v * factors[c]
            for j in range(m):
                gW[c, j] += v * dZ[i, j]
