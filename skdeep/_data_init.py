"""Data-aware initialization: each layer's scale and offsets set from the training data."""

import numpy as np
import scipy.sparse as sp

from ._inference import kernel_rows, network_outputs
from ._network import ACTIVATION_CODES, B_OFF, DENSE, W_OFF

# Rows of the training data that set the scales (a random sample of them when there are more).
INIT_ROWS = 1024
# Data points whose convex combination each bias hyperplane passes through.
POINTS_PER_BIAS = 5


def data_aware_init(layout, theta, bn_state, X, activation, rng):
    """Rescale every dense layer to unit-variance pre-activations and place its biases.

    Layer by layer, from the first to the output layer: the pre-activations ``x W`` of a
    random sample of the training rows (propagated through the layers already initialized)
    give each unit's standard deviation, which its weights are divided by, so that every
    unit starts with unit variance on the data whatever the scale of the inputs. Each unit's
    bias is then ``-sum_s c_s (x_s W)_j`` for a random convex combination (weights from an
    exponential distribution, normalized) of ``POINTS_PER_BIAS`` random sample rows: its
    hyperplane passes through the data, so every unit starts out separating data points.
    This is the "std" weight and "he+5" bias initialization of the RealMLP recipe
    (Holzmüller et al., 2024).

    Parameters
    ----------
    layout : NetworkLayout
    theta : ndarray of shape (n_params,)
        Randomly initialized parameters (:meth:`NetworkLayout.initialize`), changed in place.
    bn_state : ndarray of shape (n_bn_state,)
    X : ndarray of shape (n_samples, n_features), or CSR matrix
        Training inputs, as the network sees them.
    activation : str
    rng : numpy.random.RandomState
    """
    code = ACTIVATION_CODES[activation]
    _, inputs, optional = layout.kernel_tables
    rows = X
    if X.shape[0] > INIT_ROWS:
        rows = X[np.sort(rng.choice(X.shape[0], INIT_ROWS, replace=False))]
    # (Sparse rows stay sparse: kernel_rows hands the kernels their CSR arrays.)
    placeholder, Xsparse = kernel_rows(rows if sp.issparse(rows) else np.ascontiguousarray(rows))
    for row in layout.rows(DENSE):
        weights = layout.view(theta, row, W_OFF)
        bias = layout.view(theta, row, B_OFF)
        bias[:] = 0.0
        # The network up to this layer ends with this layer's dense output: x W.
        tables = (layout.table[: row + 1], inputs, optional)
        pre = network_outputs(placeholder, Xsparse, theta, bn_state, tables, code)
        # The members of a shared-weight ensemble (their outputs side by side) as more rows.
        pre = pre.astype(np.float64).reshape(-1, bias.shape[0])
        std = pre.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        weights /= std.astype(weights.dtype)
        pre /= std
        fan_out = bias.shape[0]
        picks = rng.randint(0, pre.shape[0], size=(fan_out, POINTS_PER_BIAS))
        mixing = rng.exponential(1.0, size=(fan_out, POINTS_PER_BIAS))
        mixing /= mixing.sum(axis=1, keepdims=True)
        chosen = pre[picks, np.arange(fan_out)[:, None]]
        bias[:] = -(mixing * chosen).sum(axis=1)
