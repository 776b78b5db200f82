"""The network description: layout tables, parameter groups, codes, initialization, packing.

Plain Python and NumPy, no numba: the estimator side builds and reads networks with it, and
the numba kernels import its constants (layout columns and integer codes), so the description
lives in this one place.

The parameters of a network live in one flat vector ``theta`` and the batch-norm running
statistics in a second one, ``bn_state``. Two int64 tables tell the kernels where:

- The **input table** (shape ``(N_INPUT_FIELDS + EMB_FEATURES + CAT_FEATURES + 1,)``)
  describes what happens to the ``IN_FEATURES`` input columns before the first dense layer.
  The last ``CAT_FEATURES`` columns hold the integer codes of categorical features (stored as
  floats, exact up to 2**24 levels); each code picks a learned vector of ``CAT_DIM`` values
  from its feature's table (the tables are stacked from ``CAT_OFF``; the row where each
  feature's table starts follows the embedded column indices, with the total row count
  last). The other ``IN_FEATURES - CAT_FEATURES`` columns are values: optional periodic
  numeric embeddings of ``EMB_FEATURES`` of them (their column indices follow the fixed
  fields), each with ``EMB_FREQS`` frequencies mapped to ``EMB_DIM`` values (the offsets of
  the frequencies, phases, per-feature maps and their intercepts are ``FREQ_OFF``,
  ``PHASE_OFF``, ``EMB_W_OFF``, ``EMB_B_OFF``). The first dense layer sees the values, then
  the numeric embeddings, then the categorical vectors (the last row of each table is the
  code of the level "other": rare levels, and levels unseen in training), so
  ``IN_WIDTH = IN_FEATURES - CAT_FEATURES + EMB_FEATURES * EMB_DIM + CAT_FEATURES * CAT_DIM``
  inputs, through an optional learnable per-input scaling layer (``SCALE_OFF``, ``IN_WIDTH``
  factors).
- The **layer table** (shape ``(n_rows, N_COLUMNS)``) has one row per layer, in the order
  the forward pass runs them. Its ``KIND`` column (:data:`LAYER_KINDS`) says what the row
  is: the input block (described by the input table), a dense layer, batch normalization, an
  activation (parametric or not), dropout, the loss, and for a shared-weight ensemble of
  ``MEMBERS`` members the rows that replicate the batch once per member and the per-member
  scales (``MS_OFF``, shape ``(MEMBERS, FAN_OUT)``) and biases (``MB_OFF``) around dense
  layers (see :class:`NetworkLayout`'s ``n_members``). ``FAN_IN`` and ``FAN_OUT`` are the
  widths the row takes and gives; the other columns are the offsets of its segments,
  ``W_OFF`` (weights, row-major ``(fan_in, fan_out)``), ``B_OFF`` (biases), ``GAMMA_OFF`` and
  ``BETA_OFF`` (batch-norm scale and shift) and ``MIX_OFF`` (per-unit mix of a parametric
  activation) in ``theta``, ``MEAN_OFF`` and ``VAR_OFF`` (running statistics) in
  ``bn_state``, and for a dropout row ``RATE``, the index of its rate among the dropout
  rates (0 is the input's).

-1 marks a segment that is absent. The network is input -> (dense -> [batch norm] ->
activation -> dropout) per hidden layer -> dense -> loss; a dropout row is always there and
its rate (possibly 0) is a training setting, so the layout does not depend on it.

Every segment of ``theta`` belongs to a **parameter group** (:data:`PARAMETER_GROUPS`) that
says whether penalties and weight decay apply to it and scales its learning rate. The
optimizer reads these as per-parameter vectors built once per fit
(:meth:`NetworkLayout.optimizer_vectors`), so a new kind of parameter needs an entry in
:data:`SEGMENTS` and :data:`PARAMETER_GROUPS`, a table column, and its forward and backward
kernels, never a new optimizer loop.
"""

import math
from typing import NamedTuple

import numpy as np

# ------------------------------------------------------------------------ name -> code tables

IDENTITY, RELU, LEAKY_RELU, ELU, TANH, LOGISTIC, SELU, MISH, GELU, SILU = range(10)
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "tanh": TANH,
    "logistic": LOGISTIC,
    "sigmoid": LOGISTIC,
    "selu": SELU,
    "mish": MISH,
    "gelu": GELU,
    "silu": SILU,
}

(
    SQUARED_ERROR,
    SOFTMAX_CROSS_ENTROPY,
    SIGMOID_CROSS_ENTROPY,
    POISSON,
    ABSOLUTE_ERROR,
    HUBER,
    QUANTILE,
) = range(7)
LOSS_CODES = {
    "squared_error": SQUARED_ERROR,
    "softmax_cross_entropy": SOFTMAX_CROSS_ENTROPY,
    "sigmoid_cross_entropy": SIGMOID_CROSS_ENTROPY,
    "poisson": POISSON,
    "absolute_error": ABSOLUTE_ERROR,
    "huber": HUBER,
    "quantile": QUANTILE,
}

SGD, ADAGRAD, RMSPROP, ADAM = range(4)
# "adamw" is Adam with decoupled weight decay: the same update loop.
SOLVER_CODES = {"sgd": SGD, "adagrad": ADAGRAD, "rmsprop": RMSPROP, "adam": ADAM, "adamw": ADAM}

# ------------------------------------------------------------------------------ the tables

# Columns of the layer table. KIND says what a row does (a code of LAYER_KINDS); the others
# are -1 where that kind of layer has no such thing.
(
    FAN_IN,
    FAN_OUT,
    W_OFF,
    B_OFF,
    GAMMA_OFF,
    BETA_OFF,
    MEAN_OFF,
    VAR_OFF,
    MIX_OFF,
    KIND,
    RATE,
    MEMBERS,
    MS_OFF,
    MB_OFF,
) = range(14)
N_COLUMNS = MB_OFF + 1

# Layer kinds: each has one forward and one backward kernel (``_kernels/_layers.py``), and
# the whole-network kernels call them row by row in the order of the layer table.
INPUT, DENSE, BATCH_NORM, ACTIVATION, DROPOUT, LOSS, REPLICATE, MEMBER_SCALE = range(8)
LAYER_KINDS = {
    "input": INPUT,
    "dense": DENSE,
    "batch_norm": BATCH_NORM,
    "activation": ACTIVATION,
    "dropout": DROPOUT,
    "loss": LOSS,
    "replicate": REPLICATE,
    "member_scale": MEMBER_SCALE,
}
# The kinds few networks use. The whole-network kernels take a switch that is None when a
# table has none of them, and compiled for None they leave these kinds' branches out: a
# fresh machine's first fit compiles less.
OPTIONAL_KINDS = (BATCH_NORM, REPLICATE, MEMBER_SCALE)


def optional_kinds(table):
    """The whole-network kernels' switch for :data:`OPTIONAL_KINDS`.

    Parameters
    ----------
    table : ndarray of shape (n_rows, N_COLUMNS), int64
        A layer table.

    Returns
    -------
    None or numpy.bool_
        None when ``table`` has no row of an optional kind, else ``np.True_``. Its type, not
        its value, decides what the kernels compile.
    """
    return np.True_ if np.isin(table[:, KIND], OPTIONAL_KINDS).any() else None


# How much of a shared-weight ensemble is per member: adapters around every dense layer, or
# only before the first one and after the output layer.
MEMBER_ADAPTERS = ("all", "mini")

(
    IN_FEATURES,
    EMB_FEATURES,
    EMB_FREQS,
    EMB_DIM,
    FREQ_OFF,
    PHASE_OFF,
    EMB_W_OFF,
    EMB_B_OFF,
    SCALE_OFF,
    IN_WIDTH,
    CAT_FEATURES,
    CAT_DIM,
    CAT_OFF,
) = range(13)
N_INPUT_FIELDS = CAT_OFF + 1

# The hyperparameter vector: the scalar settings of one training call reach the epoch kernel
# as one float64 vector, read by these indices (codes and counts as exact whole numbers, flags
# as 0 or 1). ``TrainingConfig.hyperparameters`` fills it; the dropout rates of the layers
# (the input's first) follow the fixed entries, from ``HP_DROPOUT`` on, and the loss's
# parameters (a quantile level per output, the Huber threshold) follow them, from the index
# that ``HP_LOSS_PARAMETERS`` holds on. A new knob is one index here, one line that fills it,
# and its use in a kernel.
(
    HP_ACTIVATION,
    HP_LOSS,
    HP_SOLVER,
    HP_BATCH_SIZE,
    HP_SHUFFLE,
    HP_EVEN_BATCHES,
    HP_BN_MOMENTUM,
    HP_MOMENTUM,
    HP_NESTEROV,
    HP_BETA_1,
    HP_BETA_2,
    HP_EPSILON,
    HP_RHO,
    HP_L2,
    HP_L1,
    HP_CLIP_NORM,
    HP_LOSS_PARAMETERS,
    HP_DROPOUT,
) = range(18)


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
        Multiplies the learning rate of these parameters (0 freezes them), and with it the
        decoupled weight decay (whose step is ``lr * weight_decay``).
    """

    role: str
    penalized: bool
    decayed: bool
    lr_factor: float = 1.0


PARAMETER_GROUPS = {
    "weights": ParameterGroup("dense-layer weight matrices", True, True),
    "biases": ParameterGroup("dense-layer biases", False, False),
    "batch_norm": ParameterGroup("batch-norm scales and shifts", False, False),
    "activation": ParameterGroup("per-unit mixes of parametric activations", False, False),
    "scaling": ParameterGroup("per-input factors of the scaling layer", False, False),
    "embeddings": ParameterGroup(
        "frequencies, phases and maps of the numeric embeddings", False, True
    ),
    "categories": ParameterGroup(
        "learned vectors of the levels of categorical features", False, True
    ),
    "members": ParameterGroup(
        "per-member scales and biases of a shared-weight ensemble", False, False
    ),
}


class Segment(NamedTuple):
    """One kind of segment: its fitted attribute, table column, vector, group and shape.

    ``table`` is ``"layers"`` for per-layer segments (the fitted attribute is a list with one
    array per layer that has the segment) or ``"inputs"`` for the input block (the fitted
    attribute is one array, empty when the network has no such segment). ``group`` is None
    for segments of ``bn_state`` (statistics, not trained by the optimizer). ``shape`` names
    the layer-table columns that hold a per-layer segment's shape.
    """

    attribute: str
    table: str
    column: int
    vector: str
    group: str | None
    shape: tuple = (FAN_OUT,)


SEGMENTS = (
    Segment("coefs_", "layers", W_OFF, "theta", "weights", (FAN_IN, FAN_OUT)),
    Segment("intercepts_", "layers", B_OFF, "theta", "biases"),
    Segment("batch_norm_gamma_", "layers", GAMMA_OFF, "theta", "batch_norm"),
    Segment("batch_norm_beta_", "layers", BETA_OFF, "theta", "batch_norm"),
    Segment("batch_norm_running_mean_", "layers", MEAN_OFF, "bn_state", None),
    Segment("batch_norm_running_var_", "layers", VAR_OFF, "bn_state", None),
    Segment("activation_mix_", "layers", MIX_OFF, "theta", "activation"),
    Segment("member_scales_", "layers", MS_OFF, "theta", "members", (MEMBERS, FAN_OUT)),
    Segment("member_intercepts_", "layers", MB_OFF, "theta", "members", (MEMBERS, FAN_OUT)),
    Segment("input_scale_", "inputs", SCALE_OFF, "theta", "scaling"),
    Segment("embedding_frequencies_", "inputs", FREQ_OFF, "theta", "embeddings"),
    Segment("embedding_phases_", "inputs", PHASE_OFF, "theta", "embeddings"),
    Segment("embedding_coefs_", "inputs", EMB_W_OFF, "theta", "embeddings"),
    Segment("embedding_intercepts_", "inputs", EMB_B_OFF, "theta", "embeddings"),
    Segment("category_embeddings_", "inputs", CAT_OFF, "theta", "categories"),
)
# The fitted attributes that hold the network's parameters and statistics.
FITTED_ATTRIBUTES = tuple(s.attribute for s in SEGMENTS)
_LAYER_SEGMENTS = {s.column: s for s in SEGMENTS if s.table == "layers"}

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
    "sklearn",
)
_RELU_FAMILY = {"relu", "leaky_relu", "elu", "gelu", "silu", "mish"}
_ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal"}
# Standard deviation of the "small random" initializer of the textbooks.
RANDOM_NORMAL_STD = 0.01


def _initializer_for(name, activation, is_output):
    name = _ALIASES.get(name, name)
    if name != "auto":
        return name
    if not is_output and activation in _RELU_FAMILY:
        return "he_uniform"
    if not is_output and activation == "selu":
        return "lecun_normal"  # SELU's self-normalization assumes it
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


def _row(kind, fan_in, fan_out, columns=None):
    """One row of the layer table: ``columns`` maps column indices to values, the rest -1."""
    row = [-1] * N_COLUMNS
    row[KIND], row[FAN_IN], row[FAN_OUT] = kind, fan_in, fan_out
    for column, value in (columns or {}).items():
        row[column] = value
    return row


class NetworkLayout:
    """Where every parameter and statistic of a network lives in the flat vectors.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    batch_norm : bool
        Whether hidden layers carry batch-norm scale/shift and running statistics.
    n_frequencies : int, default=0
        Frequencies of the periodic numeric embedding of each embedded feature (0: no
        embeddings).
    embedding_dim : int, default=0
        Values each embedded feature's embedding maps its frequencies to.
    embedded_features : sequence of int or None, default=None
        Column indices of the features to embed; None embeds every value column.
    scaling_layer : bool, default=False
        Whether a learnable factor multiplies each input of the first dense layer.
    parametric_activation : bool, default=False
        Whether each hidden unit mixes its activation with the identity through a learnable
        ``a``: ``z + a * (f(z) - z)``.
    category_levels : sequence of int, default=()
        Number of codes (rows of its table) of each categorical feature; these features are
        the last ``len(category_levels)`` of the ``n_features`` input columns.
    category_dim : int, default=0
        Values of each categorical feature's learned vectors.
    n_members : int, default=1
        Members of a shared-weight ensemble (BatchEnsemble, as TabM uses it): with more than
        one, a ``REPLICATE`` row after the input block stacks the batch once per member
        (member ``m``'s copy in rows ``m * n_rows`` to ``(m + 1) * n_rows``), and
        ``MEMBER_SCALE`` rows multiply each member's rows by its own scales (and add its
        own biases): every dense layer's weights are shared, and the outputs hold each
        member's raw outputs.
    member_adapters : {"all", "mini"}, default="all"
        With ``"all"``, a scale before and a scale and bias after every dense layer; with
        ``"mini"``, a scale before the first dense layer and a scale and bias after the
        output layer only.

    Attributes
    ----------
    table : ndarray of shape (n_layers, N_COLUMNS), int64
        The layer table the kernels read (see the module docstring).
    inputs : ndarray of shape (N_INPUT_FIELDS,), int64
        The input table.
    n_params : int
        Length of ``theta``.
    n_bn_state : int
        Length of ``bn_state``.
    """

    def __init__(
        self,
        layer_sizes,
        batch_norm,
        *,
        n_frequencies=0,
        embedding_dim=0,
        embedded_features=None,
        scaling_layer=False,
        parametric_activation=False,
        category_levels=(),
        category_dim=0,
        n_members=1,
        member_adapters="all",
    ):
        self.n_members = int(n_members)
        if self.n_members < 1 or member_adapters not in MEMBER_ADAPTERS:
            raise ValueError(f"n_members={n_members}, member_adapters={member_adapters!r}")
        self.member_adapters = member_adapters if self.n_members > 1 else "all"
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.batch_norm = bool(batch_norm)
        n_features = self.layer_sizes[0]
        self.category_levels = tuple(int(n) for n in category_levels)
        n_cat = len(self.category_levels)
        self.category_dim = int(category_dim) if n_cat else 0
        if n_cat and (self.category_dim < 1 or min(self.category_levels) < 1):
            raise ValueError("categorical features need category_dim >= 1 and >= 1 level each")
        n_values = n_features - n_cat
        if n_values < 0:
            raise ValueError(f"{n_cat} categorical features but only {n_features} columns")
        if embedded_features is None:
            embedded_features = range(n_values)
        embedded = tuple(int(j) for j in embedded_features) if n_frequencies else ()
        if any(not 0 <= j < n_values for j in embedded):
            raise ValueError(f"embedded_features {embedded} outside 0..{n_values - 1}")
        self.embedded_features = embedded
        self.n_frequencies = int(n_frequencies) if embedded else 0
        self.embedding_dim = int(embedding_dim) if embedded else 0
        self.scaling_layer = bool(scaling_layer)
        self.parametric_activation = bool(parametric_activation)
        n_embedded = len(embedded)
        in_width = n_values + n_embedded * self.embedding_dim + n_cat * self.category_dim
        inputs = np.full(N_INPUT_FIELDS + n_embedded + n_cat + 1, -1, dtype=np.int64)
        inputs[IN_FEATURES] = n_features
        inputs[EMB_FEATURES] = n_embedded
        inputs[EMB_FREQS] = self.n_frequencies
        inputs[EMB_DIM] = self.embedding_dim
        inputs[IN_WIDTH] = in_width
        inputs[CAT_FEATURES] = n_cat
        inputs[CAT_DIM] = self.category_dim
        inputs[N_INPUT_FIELDS : N_INPUT_FIELDS + n_embedded] = embedded
        inputs[N_INPUT_FIELDS + n_embedded :] = np.cumsum((0, *self.category_levels))
        # Dense layers (and their batch norm) first, in the order of the forward pass, then
        # the other segments: a network without the newer parts keeps the offsets it always
        # had.
        table, offset, bn_offset = self._layer_table(in_width)
        if self.n_frequencies:
            k, d = self.n_frequencies, self.embedding_dim
            for field, size in (
                (FREQ_OFF, n_embedded * k),
                (PHASE_OFF, n_embedded * k),
                (EMB_W_OFF, n_embedded * k * d),
                (EMB_B_OFF, n_embedded * d),
            ):
                inputs[field] = offset
                offset += size
        if self.scaling_layer:
            inputs[SCALE_OFF] = offset
            offset += in_width
        if n_cat:
            inputs[CAT_OFF] = offset
            offset += sum(self.category_levels) * self.category_dim
        for r in np.flatnonzero(table[:, KIND] == MEMBER_SCALE):
            size = self.n_members * int(table[r, FAN_OUT])
            table[r, MS_OFF] = offset
            offset += size
            if table[r, MB_OFF] == 0:  # marked by _layer_table: this row has biases
                table[r, MB_OFF] = offset
                offset += size
        self.table = table
        self.inputs = inputs
        self.n_params = offset
        self.n_bn_state = bn_offset

    def _layer_table(self, in_width):
        """The layer table, with the offsets of the dense layers, their batch norms and
        parametric activations; returns ``(table, n_theta_used, n_bn_state)``."""
        n_dense = len(self.layer_sizes) - 1
        k = self.n_members
        rows = [_row(INPUT, self.layer_sizes[0], in_width)]
        if k > 1:
            rows.append(_row(REPLICATE, in_width, in_width, {MEMBERS: k}))
        offset = 0
        bn_offset = 0
        for layer in range(n_dense):
            fan_in = in_width if layer == 0 else self.layer_sizes[layer]
            fan_out = self.layer_sizes[layer + 1]
            last = layer == n_dense - 1
            adapters = k > 1 and self.member_adapters == "all"
            if k > 1 and (adapters or layer == 0):
                # Offsets of member segments are set after every other segment's (so that
                # a network without members keeps the offsets it always had).
                rows.append(_row(MEMBER_SCALE, fan_in, fan_in, {MEMBERS: k}))
            rows.append(
                _row(DENSE, fan_in, fan_out, {W_OFF: offset, B_OFF: offset + fan_in * fan_out})
            )
            offset += (fan_in + 1) * fan_out
            if k > 1 and (adapters or last):
                rows.append(_row(MEMBER_SCALE, fan_out, fan_out, {MEMBERS: k, MB_OFF: 0}))
            if last:
                rows.append(_row(LOSS, fan_out, fan_out))
                break
            if self.batch_norm:
                segments = {GAMMA_OFF: offset, BETA_OFF: offset + fan_out}
                segments.update({MEAN_OFF: bn_offset, VAR_OFF: bn_offset + fan_out})
                rows.append(_row(BATCH_NORM, fan_out, fan_out, segments))
                offset += 2 * fan_out
                bn_offset += 2 * fan_out
            rows.append(_row(ACTIVATION, fan_out, fan_out))
            rows.append(_row(DROPOUT, fan_out, fan_out, {RATE: layer + 1}))
        table = np.array(rows, dtype=np.int64)
        if self.parametric_activation:
            for r in np.flatnonzero(table[:, KIND] == ACTIVATION):
                table[r, MIX_OFF] = offset
                offset += table[r, FAN_OUT]
        return table, offset, bn_offset

    def spec(self):
        """The constructor arguments, as a dict (to store with a fitted model)."""
        return dict(
            layer_sizes=self.layer_sizes,
            batch_norm=self.batch_norm,
            n_frequencies=self.n_frequencies,
            embedding_dim=self.embedding_dim,
            embedded_features=self.embedded_features,
            scaling_layer=self.scaling_layer,
            parametric_activation=self.parametric_activation,
            category_levels=self.category_levels,
            category_dim=self.category_dim,
            n_members=self.n_members,
            member_adapters=self.member_adapters,
        )

    @property
    def n_layers(self):
        """Number of dense layers."""
        return len(self.layer_sizes) - 1

    @property
    def kernel_tables(self):
        """``(table, inputs, optional)``: the layer table, the input table and the switch of
        the optional kinds (:func:`optional_kinds`), as the whole-network kernels take them."""
        return self.table, self.inputs, optional_kinds(self.table)

    def rows(self, kind):
        """Indices of the layer-table rows of ``kind`` (a code of :data:`LAYER_KINDS`), in
        order."""
        return np.flatnonzero(self.table[:, KIND] == kind)

    @property
    def n_features(self):
        """Number of input columns."""
        return self.layer_sizes[0]

    @property
    def in_width(self):
        """Number of inputs of the first dense layer."""
        return int(self.inputs[IN_WIDTH])

    @property
    def widest(self):
        """Largest dense-layer output width."""
        return int(self.table[self.rows(DENSE), FAN_OUT].max())

    def _input_shape(self, column):
        f, k, d = len(self.embedded_features), self.n_frequencies, self.embedding_dim
        return {
            FREQ_OFF: (f, k),
            PHASE_OFF: (f, k),
            EMB_W_OFF: (f, k, d),
            EMB_B_OFF: (f, d),
            SCALE_OFF: (self.in_width,),
            CAT_OFF: (sum(self.category_levels), self.category_dim),
        }[column]

    def spans(self, segment):
        """``(layer, start, stop, shape)`` of every place ``segment`` occupies.

        Parameters
        ----------
        segment : Segment

        Returns
        -------
        list of tuple
            One entry per layer-table row that has a per-layer segment (``layer`` is the row);
            for an input segment, one entry with layer None, or none when the network lacks
            it.
        """
        if segment.table == "inputs":
            start = int(self.inputs[segment.column])
            if start < 0:
                return []
            shape = self._input_shape(segment.column)
            return [(None, start, start + math.prod(shape), shape)]
        spans = []
        for layer, row in enumerate(self.table):
            start = int(row[segment.column])
            if start < 0:
                continue
            shape = tuple(int(row[column]) for column in segment.shape)
            spans.append((layer, start, start + math.prod(shape), shape))
        return spans

    def view(self, vector, row, column):
        """The segment of layer-table row ``row`` in column ``column`` of ``vector`` (``theta``,
        a gradient or ``bn_state``), a view in its shape."""
        start = int(self.table[row, column])
        shape = tuple(int(self.table[row, c]) for c in _LAYER_SEGMENTS[column].shape)
        return vector[start : start + math.prod(shape)].reshape(shape)

    def optimizer_vectors(self, dtype, lr_factors=None, fan_in_power=0.0):
        """Per-parameter learning-rate factors, penalty mask and weight-decay factors.

        Parameters
        ----------
        dtype : numpy dtype
            dtype of ``theta``.
        lr_factors : dict of str to float, default=None
            Learning-rate factors that replace those of :data:`PARAMETER_GROUPS`, by group.
        fan_in_power : float, default=0.0
            The weights of each dense layer also get the learning-rate factor
            ``fan_in ** -fan_in_power`` (the NTK parametrization's effective rates: 0.5 for
            Adam, RMSProp and AdaGrad, 1 for SGD); it does not scale their weight decay.

        Returns
        -------
        lr_scale : ndarray of shape (n_params,), ``dtype``
            Factor applied to the learning rate of each parameter.
        penalty_mask : ndarray of shape (n_params,), uint8
            1 where the penalty applies.
        decay_scale : ndarray of shape (n_params,), ``dtype``
            Factor of the decoupled weight decay of each parameter (0 where it does not
            apply, the group's learning-rate factor where it does).
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
        decay_scale = np.zeros(self.n_params, dtype=dtype)
        for segment in SEGMENTS:
            if segment.group is None:
                continue
            group = PARAMETER_GROUPS[segment.group]
            factor = lr_factors.get(segment.group, group.lr_factor)
            for layer, start, stop, _ in self.spans(segment):
                layer_factor = 1.0
                if segment.column == W_OFF and fan_in_power:
                    layer_factor = float(self.table[layer, FAN_IN]) ** -fan_in_power
                lr_scale[start:stop] = factor * layer_factor
                penalty_mask[start:stop] = group.penalized
                decay_scale[start:stop] = factor if group.decayed else 0.0
        return lr_scale, penalty_mask, decay_scale

    def initialize(self, initializer, activation, dtype, rng, frequency_scale=0.1):
        """Draw initial parameters and running statistics.

        Weights follow ``initializer``; ``"auto"`` picks He for the ReLU family (and GELU,
        SiLU, Mish), LeCun normal for SELU and Glorot otherwise (the output layer always uses
        Glorot under ``"auto"``). ``"sklearn"`` draws weights and biases exactly as
        scikit-learn's MLP does (Glorot-uniform bounds, ``sqrt(2 / (n_in + n_out))`` with the
        logistic activation). Otherwise biases and batch-norm shifts start at 0, batch-norm scales,
        running variances, activation mixes and input scales at 1. Embedding frequencies are
        drawn from ``N(0, frequency_scale**2)``, phases uniformly in ``[-pi, pi]``, and the
        per-feature maps and their intercepts uniformly in ``+-1 / sqrt(n_frequencies)``.
        The vectors of categorical levels are drawn from ``N(0, 1)``, except the last row of each
        feature's table (the code of the level "other") which starts at 0. The per-member scales
        of a shared-weight ensemble start at 1, except those before the first dense layer,
        drawn from {-1, 1}; their biases at 0. The random draws of the dense layers come first,
        so that a network without the newer parts starts exactly as it always did.

        Parameters
        ----------
        initializer, activation : str
        dtype : numpy dtype
        rng : numpy.random.RandomState
        frequency_scale : float, default=0.1

        Returns
        -------
        theta : ndarray of shape (n_params,), ``dtype``
        bn_state : ndarray of shape (n_bn_state,), ``dtype``
        """
        theta = np.zeros(self.n_params, dtype=dtype)
        bn_state = np.zeros(self.n_bn_state, dtype=dtype)
        dense_rows = self.rows(DENSE)
        for r in dense_rows:
            row = self.table[r]
            fan_in, fan_out = row[FAN_IN], row[FAN_OUT]
            weights = theta[row[W_OFF] : row[W_OFF] + fan_in * fan_out]
            if initializer == "sklearn":
                # scikit-learn's MLP draws, in its order: per layer the weights, then the
                # biases, from one uniform distribution (the same random state then starts
                # from the same network).
                factor = 2.0 if activation == "logistic" else 6.0
                bound = np.sqrt(factor / (fan_in + fan_out))
                weights[:] = rng.uniform(-bound, bound, (fan_in, fan_out)).ravel()
                theta[row[B_OFF] : row[B_OFF] + fan_out] = rng.uniform(-bound, bound, fan_out)
            else:
                name = _initializer_for(initializer, activation, r == dense_rows[-1])
                weights[:] = _draw_weights(name, fan_in, fan_out, rng).ravel()
        views = self.unpack(theta, bn_state)
        for name in ("batch_norm_gamma_", "batch_norm_running_var_", "activation_mix_"):
            for view in views[name]:
                view[...] = 1.0
        if self.n_frequencies:
            bound = 1.0 / math.sqrt(self.n_frequencies)
            for name in ("embedding_frequencies_", "embedding_phases_"):
                (view,) = views[name]
                if name == "embedding_frequencies_":
                    view[...] = rng.normal(0.0, frequency_scale, view.shape)
                else:
                    view[...] = rng.uniform(-np.pi, np.pi, view.shape)
            for name in ("embedding_coefs_", "embedding_intercepts_"):
                (view,) = views[name]
                view[...] = rng.uniform(-bound, bound, view.shape)
        if self.scaling_layer:
            views["input_scale_"][0][...] = 1.0
        if self.category_levels:
            # Unit-variance vectors, the scale of the robustly scaled values beside them. The
            # last row of each table is the level "other" (rare and unseen levels): it starts
            # at 0, no information, until rare levels in training move it.
            (vectors,) = views["category_embeddings_"]
            vectors[...] = rng.normal(0.0, 1.0, vectors.shape)
            vectors[np.cumsum(self.category_levels) - 1] = 0.0
        for i, r in enumerate(self.rows(MEMBER_SCALE)):
            # The first adapter's random signs make the members differ (TabM's "random
            # signs" initialization); the others start as the identity.
            scales = self.view(theta, r, MS_OFF)
            scales[...] = rng.choice((-1.0, 1.0), size=scales.shape) if i == 0 else 1.0
        return theta, bn_state

    def unpack(self, theta, bn_state):
        """Views of every segment, by fitted-attribute name.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        bn_state : ndarray of shape (n_bn_state,)

        Returns
        -------
        dict of str to list of ndarray
            Views (not copies) into ``theta`` and ``bn_state``: one per layer that has a
            per-layer segment, and a list of at most one for an input segment.
        """
        vectors = {"theta": theta, "bn_state": bn_state}
        views = {}
        for segment in SEGMENTS:
            vector = vectors[segment.vector]
            views[segment.attribute] = [
                vector[start:stop].reshape(shape) for _, start, stop, shape in self.spans(segment)
            ]
        return views

    def fitted_attributes(self, theta, bn_state):
        """The fitted attributes of a network: lists per layer, arrays for the input block.

        An input segment the network does not have is an empty array (shape (0,)).
        """
        dtype = theta.dtype
        attributes = {}
        all_views = self.unpack(theta, bn_state)
        for segment in SEGMENTS:
            views = all_views[segment.attribute]
            if segment.table == "inputs":
                views = views[0] if views else np.zeros(0, dtype=dtype)
            attributes[segment.attribute] = views
        return attributes

    def pack(self, fitted, dtype):
        """Flat vectors from the fitted attributes, the inverse of :meth:`fitted_attributes`.

        Parameters
        ----------
        fitted : object
            Has the attributes of :data:`FITTED_ATTRIBUTES`.
        dtype : numpy dtype

        Returns
        -------
        theta : ndarray of shape (n_params,), ``dtype``
        bn_state : ndarray of shape (n_bn_state,), ``dtype``
        """
        theta = np.empty(self.n_params, dtype=dtype)
        bn_state = np.empty(self.n_bn_state, dtype=dtype)
        tables = {s.attribute: s.table for s in SEGMENTS}
        for name, views in self.unpack(theta, bn_state).items():
            values = getattr(fitted, name, None)
            if tables[name] == "inputs":
                values = [values] if views else []
            elif values is None:
                values = []
            for view, value in zip(views, values, strict=True):
                view[...] = value
        return theta, bn_state
