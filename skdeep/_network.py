"""Network layout: where each layer's parameters live in the flat vector, and initialization."""

import numpy as np

from ._kernels._epoch import (
    B_OFF,
    BETA_OFF,
    FAN_IN,
    FAN_OUT,
    GAMMA_OFF,
    MEAN_OFF,
    VAR_OFF,
    W_OFF,
)

INITIALIZERS = (
    "auto",
    "random_normal",
    "glorot_uniform",
    "glorot_normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
)
_RELU_FAMILY = {"relu", "leaky_relu", "elu"}
_ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal"}
# Standard deviation of the "small random" initializer of the textbooks.
RANDOM_NORMAL_STD = 0.01


def build_layout(layer_sizes, batch_norm):
    """Place every layer's parameters in one flat vector.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    batch_norm : bool
        Whether hidden layers carry batch-norm scale/shift and running statistics.

    Returns
    -------
    layout : ndarray of shape (n_layers, 8), int64
        Rows as documented in :mod:`skdeep._kernels._epoch`.
    n_params : int
        Length of the parameter vector.
    n_bn_state : int
        Length of the running-statistics vector.
    """
    n_layers = len(layer_sizes) - 1
    layout = np.full((n_layers, 8), -1, dtype=np.int64)
    offset = 0
    bn_offset = 0
    for layer in range(n_layers):
        fan_in, fan_out = int(layer_sizes[layer]), int(layer_sizes[layer + 1])
        layout[layer, FAN_IN] = fan_in
        layout[layer, FAN_OUT] = fan_out
        layout[layer, W_OFF] = offset
        offset += fan_in * fan_out
        layout[layer, B_OFF] = offset
        offset += fan_out
        if batch_norm and layer < n_layers - 1:
            layout[layer, GAMMA_OFF] = offset
            layout[layer, BETA_OFF] = offset + fan_out
            offset += 2 * fan_out
            layout[layer, MEAN_OFF] = bn_offset
            layout[layer, VAR_OFF] = bn_offset + fan_out
            bn_offset += 2 * fan_out
    return layout, offset, bn_offset


def weight_mask(layout, n_params):
    """Return a uint8 array of shape (n_params,), 1 on dense-layer weights, 0 elsewhere."""
    mask = np.zeros(n_params, dtype=np.uint8)
    for row in layout:
        mask[row[W_OFF] : row[W_OFF] + row[FAN_IN] * row[FAN_OUT]] = 1
    return mask


def _initializer_for(name, activation, is_output):
    name = _ALIASES.get(name, name)
    if name != "auto":
        return name
    if not is_output and activation in _RELU_FAMILY:
        return "he_uniform"
    return "glorot_uniform"


def _draw_weights(name, fan_in, fan_out, rng):
    if name == "random_normal":
        return rng.normal(0.0, RANDOM_NORMAL_STD, (fan_in, fan_out))
    family, dist = name.rsplit("_", 1)
    if family == "glorot":
        var = 2.0 / (fan_in + fan_out)
    elif family == "he":
        var = 2.0 / fan_in
    else:  # lecun
        var = 1.0 / fan_in
    if dist == "normal":
        return rng.normal(0.0, np.sqrt(var), (fan_in, fan_out))
    limit = np.sqrt(3.0 * var)
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def initialize(layout, n_params, n_bn_state, initializer, activation, dtype, rng):
    """Draw initial parameters and running statistics.

    Weights follow ``initializer``; ``"auto"`` picks He for the ReLU family and Glorot
    otherwise (the output layer always uses Glorot under ``"auto"``). Biases and batch-norm
    shifts start at 0, batch-norm scales and running variances at 1.

    Parameters
    ----------
    layout : ndarray of shape (n_layers, 8), int64
    n_params, n_bn_state : int
    initializer, activation : str
    dtype : numpy dtype
    rng : numpy.random.RandomState

    Returns
    -------
    theta : ndarray of shape (n_params,), ``dtype``
    bn_state : ndarray of shape (n_bn_state,), ``dtype``
    """
    theta = np.zeros(n_params, dtype=dtype)
    bn_state = np.zeros(n_bn_state, dtype=dtype)
    n_layers = layout.shape[0]
    for layer, row in enumerate(layout):
        fan_in, fan_out = row[FAN_IN], row[FAN_OUT]
        name = _initializer_for(initializer, activation, layer == n_layers - 1)
        theta[row[W_OFF] : row[W_OFF] + fan_in * fan_out] = _draw_weights(
            name, fan_in, fan_out, rng
        ).ravel()
        if row[GAMMA_OFF] >= 0:
            theta[row[GAMMA_OFF] : row[GAMMA_OFF] + fan_out] = 1.0
            bn_state[row[VAR_OFF] : row[VAR_OFF] + fan_out] = 1.0
    return theta, bn_state


def segment_views(vector, layout, col):
    """Per-layer views of one kind of segment of ``vector``.

    Parameters
    ----------
    vector : ndarray of shape (n,)
        ``theta`` or ``bn_state``.
    layout : ndarray of shape (n_layers, 8), int64
    col : int
        Layout column of the segment's offset; ``W_OFF`` gives 2-D (fan_in, fan_out) views,
        any other column 1-D views of length fan_out. Layers without the segment are skipped.

    Returns
    -------
    list of ndarray
    """
    views = []
    for row in layout:
        off = row[col]
        if off < 0:
            continue
        if col == W_OFF:
            views.append(vector[off : off + row[FAN_IN] * row[FAN_OUT]].reshape(row[FAN_IN], -1))
        else:
            views.append(vector[off : off + row[FAN_OUT]])
    return views
