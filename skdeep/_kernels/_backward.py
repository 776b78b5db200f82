"""Backward-pass building blocks: dense layers and batch normalization.

Activation and dropout gradients need no function of their own: the forward pass stores
``activation'(z) * dropout_mask`` per unit, so the backward pass multiplies by it.
"""

import numpy as np

from ._config import kernel


@kernel
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
