"""The network description: layout table, parameter groups, codes, initialization, packing.

Plain Python and NumPy, no numba: the estimator side builds and reads networks with it, and
the numba kernels import its constants (layout columns and integer codes), so the description
lives in this one place.

The parameters of a network live in one flat vector ``theta`` and the batch-norm running
statistics in a second one, ``bn_state``. The **layout table** (int64, shape
``(n_layers, N_COLUMNS)``) tells the kernels where: row ``l`` describes dense layer ``l`` with
its ``FAN_IN`` and ``FAN_OUT`` and the offsets of its segments, ``W_OFF`` (weights, row-major
``(fan_in, fan_out)``), ``B_OFF`` (biases), ``GAMMA_OFF`` and ``BETA_OFF`` (batch-norm scale
and shift) in ``theta``, and ``MEAN_OFF`` and ``VAR_OFF`` (running statistics) in
``bn_state``; -1 marks a segment the layer does not have. Every hidden layer is
dense -> [batch norm] -> activation -> [dropout]; the last layer is dense.

Every segment of ``theta`` belongs to a **parameter group** (:data:`PARAMETER_GROUPS`) that
says whether penalties and weight decay apply to it and scales its learning rate. The
optimizer reads these as per-parameter vectors built once per fit
(:meth:`NetworkLayout.optimizer_vectors`), so a new kind of parameter needs an entry in
:data:`SEGMENTS` and :data:`PARAMETER_GROUPS`, a layout column, and its forward and backward
kernels, never a new optimizer loop.
"""

from typing import NamedTuple

import numpy as np

# ------------------------------------------------------------------------ name -> code tables

IDENTITY, RELU, LEAKY_RELU, ELU, TANH, LOGISTIC = range(6)
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "tanh": TANH,
    "logistic": LOGISTIC,
    "sigmoid": LOGISTIC,
}

SQUARED_ERROR, SOFTMAX_CROSS_ENTROPY, SIGMOID_CROSS_ENTROPY = range(3)
LOSS_CODES = {
    "squared_error": SQUARED_ERROR,
    "softmax_cross_entropy": SOFTMAX_CROSS_ENTROPY,
    "sigmoid_cross_entropy": SIGMOID_CROSS_ENTROPY,
}

SGD, ADAGRAD, RMSPROP, ADAM = range(4)
# "adamw" is Adam with decoupled weight decay: the same update loop.
SOLVER_CODES = {"sgd": SGD, "adagrad": ADAGRAD, "rmsprop": RMSPROP, "adam": ADAM, "adamw": ADAM}

# ------------------------------------------------------------------------------ layout table

FAN_IN, FAN_OUT, W_OFF, B_OFF, GAMMA_OFF, BETA_OFF, MEAN_OFF, VAR_OFF = range(8)
N_COLUMNS = 8
COLUMN_NAMES = (
    "fan_in",
    "fan_out",
    "w_off",
    "b_off",
    "gamma_off",
    "beta_off",
    "mean_off",
    "var_off",
)


class ParameterGroup(NamedTuple):
    """How the optimizer treats one kind of parameter.

    Attributes
    ----------
    role : str
        What the parameters are, for people reading the layout.
    penalized : bool
        Whether ``penalty`` (L1 / L2 / elastic net) applies.
    decayed : bool
        Whether decoupled ``weight_decay`` applies.
    lr_factor : float
        Multiplies the learning rate of these parameters (0 freezes them).
    """

    role: str
    penalized: bool
    decayed: bool
    lr_factor: float = 1.0


PARAMETER_GROUPS = {
    "weights": ParameterGroup("dense-layer weight matrices", True, True),
    "biases": ParameterGroup("dense-layer biases", False, False),
    "batch_norm": ParameterGroup("batch-norm scales and shifts", False, False),
}


class Segment(NamedTuple):
    """One kind of per-layer segment: its fitted attribute, layout column, vector and group.

    ``group`` is None for segments of ``bn_state`` (statistics, not trained by the optimizer).
    """

    attribute: str
    column: int
    vector: str
    group: str | None


SEGMENTS = (
    Segment("coefs_", W_OFF, "theta", "weights"),
    Segment("intercepts_", B_OFF, "theta", "biases"),
    Segment("batch_norm_gamma_", GAMMA_OFF, "theta", "batch_norm"),
    Segment("batch_norm_beta_", BETA_OFF, "theta", "batch_norm"),
    Segment("batch_norm_running_mean_", MEAN_OFF, "bn_state", None),
    Segment("batch_norm_running_var_", VAR_OFF, "bn_state", None),
)
# The fitted attributes that hold the network's parameters and statistics.
FITTED_ATTRIBUTES = tuple(s.attribute for s in SEGMENTS)

# ---------------------------------------------------------------------------- initialization

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


# ------------------------------------------------------------------------------------ layout


class NetworkLayout:
    """Where every parameter and statistic of a network lives in the flat vectors.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    batch_norm : bool
        Whether hidden layers carry batch-norm scale/shift and running statistics.

    Attributes
    ----------
    table : ndarray of shape (n_layers, N_COLUMNS), int64
        The layout table the kernels read (see the module docstring).
    n_params : int
        Length of ``theta``.
    n_bn_state : int
        Length of ``bn_state``.
    """

    def __init__(self, layer_sizes, batch_norm):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.batch_norm = bool(batch_norm)
        n_layers = len(self.layer_sizes) - 1
        table = np.full((n_layers, N_COLUMNS), -1, dtype=np.int64)
        offset = 0
        bn_offset = 0
        for layer in range(n_layers):
            fan_in, fan_out = self.layer_sizes[layer], self.layer_sizes[layer + 1]
            table[layer, FAN_IN] = fan_in
            table[layer, FAN_OUT] = fan_out
            table[layer, W_OFF] = offset
            offset += fan_in * fan_out
            table[layer, B_OFF] = offset
            offset += fan_out
            if self.batch_norm and layer < n_layers - 1:
                table[layer, GAMMA_OFF] = offset
                table[layer, BETA_OFF] = offset + fan_out
                offset += 2 * fan_out
                table[layer, MEAN_OFF] = bn_offset
                table[layer, VAR_OFF] = bn_offset + fan_out
                bn_offset += 2 * fan_out
        self.table = table
        self.n_params = offset
        self.n_bn_state = bn_offset

    @classmethod
    def from_fitted(cls, n_features, coefs, batch_norm_gamma):
        """The layout of a fitted network, from its ``coefs_`` and ``batch_norm_gamma_``."""
        return cls([n_features, *(c.shape[1] for c in coefs)], len(batch_norm_gamma) > 0)

    @property
    def n_layers(self):
        """Number of dense layers."""
        return self.table.shape[0]

    @property
    def widest(self):
        """Largest layer output width."""
        return int(self.table[:, FAN_OUT].max())

    def spans(self, segment):
        """``(layer, start, stop, shape)`` of every layer that has ``segment``.

        Parameters
        ----------
        segment : Segment

        Returns
        -------
        list of tuple
        """
        spans = []
        for layer, row in enumerate(self.table):
            start = int(row[segment.column])
            if start < 0:
                continue
            if segment.column == W_OFF:
                shape = (int(row[FAN_IN]), int(row[FAN_OUT]))
            else:
                shape = (int(row[FAN_OUT]),)
            spans.append((layer, start, start + int(np.prod(shape)), shape))
        return spans

    def optimizer_vectors(self, dtype, lr_factors=None):
        """Per-parameter learning-rate factors and penalty / decay masks.

        Parameters
        ----------
        dtype : numpy dtype
            dtype of ``theta``.
        lr_factors : dict of str to float, default=None
            Learning-rate factors that replace those of :data:`PARAMETER_GROUPS`, by group.

        Returns
        -------
        lr_scale : ndarray of shape (n_params,), ``dtype``
            Factor applied to the learning rate of each parameter.
        penalty_mask, decay_mask : ndarray of shape (n_params,), uint8
            1 where the penalty (weight decay) applies.
        """
        lr_factors = dict(lr_factors or {})
        unknown = set(lr_factors) - set(PARAMETER_GROUPS)
        if unknown:
            raise ValueError(
                f"Unknown parameter groups {sorted(unknown)}; the groups are "
                f"{sorted(PARAMETER_GROUPS)}."
            )
        lr_scale = np.zeros(self.n_params, dtype=dtype)
        penalty_mask = np.zeros(self.n_params, dtype=np.uint8)
        decay_mask = np.zeros(self.n_params, dtype=np.uint8)
        for segment in SEGMENTS:
            if segment.group is None:
                continue
            group = PARAMETER_GROUPS[segment.group]
            factor = lr_factors.get(segment.group, group.lr_factor)
            for _, start, stop, _ in self.spans(segment):
                lr_scale[start:stop] = factor
                penalty_mask[start:stop] = group.penalized
                decay_mask[start:stop] = group.decayed
        return lr_scale, penalty_mask, decay_mask

    def initialize(self, initializer, activation, dtype, rng):
        """Draw initial parameters and running statistics.

        Weights follow ``initializer``; ``"auto"`` picks He for the ReLU family and Glorot
        otherwise (the output layer always uses Glorot under ``"auto"``). Biases and
        batch-norm shifts start at 0, batch-norm scales and running variances at 1.

        Parameters
        ----------
        initializer, activation : str
        dtype : numpy dtype
        rng : numpy.random.RandomState

        Returns
        -------
        theta : ndarray of shape (n_params,), ``dtype``
        bn_state : ndarray of shape (n_bn_state,), ``dtype``
        """
        theta = np.zeros(self.n_params, dtype=dtype)
        bn_state = np.zeros(self.n_bn_state, dtype=dtype)
        for layer, row in enumerate(self.table):
            fan_in, fan_out = row[FAN_IN], row[FAN_OUT]
            name = _initializer_for(initializer, activation, layer == self.n_layers - 1)
            theta[row[W_OFF] : row[W_OFF] + fan_in * fan_out] = _draw_weights(
                name, fan_in, fan_out, rng
            ).ravel()
            if row[GAMMA_OFF] >= 0:
                theta[row[GAMMA_OFF] : row[GAMMA_OFF] + fan_out] = 1.0
                bn_state[row[VAR_OFF] : row[VAR_OFF] + fan_out] = 1.0
        return theta, bn_state

    def unpack(self, theta, bn_state):
        """Per-layer views of every segment, by fitted-attribute name.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        bn_state : ndarray of shape (n_bn_state,)

        Returns
        -------
        dict of str to list of ndarray
            Views (not copies) into ``theta`` and ``bn_state``; layers without a segment are
            left out of its list.
        """
        vectors = {"theta": theta, "bn_state": bn_state}
        views = {}
        for segment in SEGMENTS:
            vector = vectors[segment.vector]
            views[segment.attribute] = [
                vector[start:stop].reshape(shape) for _, start, stop, shape in self.spans(segment)
            ]
        return views

    def pack(self, fitted, dtype):
        """Flat vectors from per-layer arrays, the inverse of :meth:`unpack`.

        Parameters
        ----------
        fitted : object
            Has the attributes of :data:`FITTED_ATTRIBUTES` (lists of per-layer arrays).
        dtype : numpy dtype

        Returns
        -------
        theta : ndarray of shape (n_params,), ``dtype``
        bn_state : ndarray of shape (n_bn_state,), ``dtype``
        """
        theta = np.empty(self.n_params, dtype=dtype)
        bn_state = np.empty(self.n_bn_state, dtype=dtype)
        for name, views in self.unpack(theta, bn_state).items():
            for view, value in zip(views, getattr(fitted, name), strict=True):
                view[...] = value
        return theta, bn_state
