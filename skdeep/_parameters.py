"""The parameter table: every constructor parameter of the estimators, once.

Each entry gives a parameter's default, its constraint (scikit-learn's declarative
``_parameter_constraints``), the value :meth:`like_sklearn` gives it (scikit-learn's
default, or the value that switches a technique scikit-learn's MLP lacks off), and whether it
changes the network's shape (so that ``warm_start`` and ``partial_fit`` cannot continue a
network after it changes); its docstring text, which both estimators share, is in
:mod:`skdeep._parameter_docs`. The estimators' constraints, ``like_sklearn``'s values, the
list of architecture parameters and the docstrings' ``Parameters`` sections come from here.
Their ``__init__`` signatures stay explicit (scikit-learn reads the parameter names from
them); ``tests/test_parameters.py`` checks that they match the table.

A new parameter is one entry here, its argument in both signatures (a test fails until it is
there), its text in :mod:`skdeep._parameter_docs` (a test fails until it is there) and its
use.
"""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ._losses import REGRESSION_LOSSES
from ._members import SHARED_ENSEMBLES
from ._network import ACTIVATION_CODES, INITIALIZERS, SOLVER_CODES
from ._parameter_docs import DOCS
from ._schedules import FACTOR_SCHEDULES, SCHEDULES

__all__ = [
    "ARCHITECTURE",
    "CLASSIFIER_PARAMETERS",
    "REGRESSOR_PARAMETERS",
    "SHARED_PARAMETERS",
    "SKLEARN_VALUES",
    "Parameter",
    "constraints",
    "parameters_section",
]

# like_sklearn leaves a parameter whose entry has this value at the estimator's default.
KEEP = object()


class Parameter(NamedTuple):
    """One constructor parameter.

    Attributes
    ----------
    name : str
    default : object
        The default (the classifier's, where the estimators differ).
    constraint : list
        Its entry of ``_parameter_constraints``.
    sklearn : object
        Its value under :meth:`like_sklearn`; :data:`KEEP` for the default.
    architecture : bool
        Whether it changes the network's shape.
    regressor : object
        The regressor's default where it differs from ``default``; :data:`KEEP` otherwise.
    """

    name: str
    default: object
    constraint: list
    sklearn: object = KEEP
    architecture: bool = False
    regressor: object = KEEP

    def default_of(self, estimator):
        """The default in the estimator ``"classifier"`` or ``"regressor"``."""
        if estimator == "regressor" and self.regressor is not KEEP:
            return self.regressor
        return self.default


SHARED_PARAMETERS = (
    Parameter(
        "hidden_layer_sizes",
        (128, 128, 128),
        ["array-like", Interval(Integral, 1, None, closed="left")],
        sklearn=(100,),
        architecture=True,
    ),
    Parameter(
        "activation", "selu", [StrOptions(set(ACTIVATION_CODES))], sklearn="relu", regressor="mish"
    ),
    Parameter("solver", "adamw", [StrOptions({*SOLVER_CODES, "lbfgs"})], sklearn="adam"),
    Parameter("alpha", 0.0, [Interval(Real, 0, None, closed="left")], sklearn=0.0001),
    Parameter("penalty", "l2", [StrOptions({"l2", "l1", "elasticnet"}), None], sklearn="l2"),
    Parameter("l1_ratio", 0.15, [Interval(Real, 0, 1, closed="both")]),
    Parameter("weight_decay", 0.02, [Interval(Real, 0, None, closed="left"), None], sklearn=None),
    Parameter("dropout", 0.15, [Interval(Real, 0, 1, closed="left"), "array-like"], sklearn=0.0),
    Parameter("input_dropout", 0.0, [Interval(Real, 0, 1, closed="left")], sklearn=0.0),
    Parameter("batch_normalization", False, ["boolean"], sklearn=False, architecture=True),
    Parameter("batch_norm_momentum", 0.9, [Interval(Real, 0, 1, closed="left")]),
    Parameter(
        "weight_init", "data_aware", [StrOptions({*INITIALIZERS, "data_aware"})], sklearn="sklearn"
    ),
    Parameter(
        "batch_size",
        "auto",
        [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        sklearn="auto",
    ),
    Parameter("learning_rate", "log_cosine", [StrOptions(set(SCHEDULES))], sklearn="constant"),
    Parameter(
        "learning_rate_init",
        0.04,
        [Interval(Real, 0, None, closed="neither")],
        sklearn=0.001,
        regressor=0.2,
    ),
    Parameter("lr_decay", None, [Interval(Real, 0, 1, closed="right"), None]),
    Parameter("lr_step_size", 10, [Interval(Integral, 1, None, closed="left")]),
    Parameter("warmup_epochs", 0, [Interval(Integral, 0, None, closed="left")], sklearn=0),
    Parameter("power_t", 0.5, [Interval(Real, 0, None, closed="left")], sklearn=0.5),
    Parameter("max_iter", 64, [Interval(Integral, 1, None, closed="left")], sklearn=200),
    Parameter("shuffle", True, ["boolean"], sklearn=True),
    Parameter("even_batches", True, ["boolean"], sklearn=False),
    Parameter("random_state", None, ["random_state"]),
    Parameter("tol", 0.0001, [Interval(Real, 0, None, closed="left")], sklearn=0.0001),
    Parameter("verbose", False, ["verbose"]),
    Parameter("warm_start", False, ["boolean"]),
    Parameter("momentum", 0.9, [Interval(Real, 0, 1, closed="both")], sklearn=0.9),
    Parameter("nesterovs_momentum", True, ["boolean"], sklearn=True),
    Parameter("rho", 0.9, [Interval(Real, 0, 1, closed="left")]),
    Parameter("clip_norm", None, [Interval(Real, 0, None, closed="neither"), None], sklearn=None),
    Parameter("early_stopping", "auto", ["boolean", StrOptions({"auto"})], sklearn=False),
    Parameter("validation_fraction", 0.2, [Interval(Real, 0, 1, closed="left")], sklearn=0.1),
    Parameter(
        "monitor", "val_score", [StrOptions({"val_score", "val_loss"})], sklearn="val_score"
    ),
    Parameter("patience", None, [Interval(Integral, 1, None, closed="left"), None], sklearn=None),
    Parameter("min_delta", None, [Interval(Real, 0, None, closed="left"), None], sklearn=None),
    Parameter("restore_best_weights", "last", ["boolean", StrOptions({"last"})], sklearn=True),
    Parameter("beta_1", 0.9, [Interval(Real, 0, 1, closed="left")], sklearn=0.9),
    Parameter("beta_2", 0.95, [Interval(Real, 0, 1, closed="left")], sklearn=0.999),
    Parameter("epsilon", 1e-08, [Interval(Real, 0, None, closed="neither")], sklearn=1e-08),
    Parameter(
        "n_iter_no_change",
        np.inf,
        [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        sklearn=10,
    ),
    Parameter("max_fun", 15000, [Interval(Integral, 1, None, closed="left")], sklearn=15000),
    Parameter("input_scaling", "robust", [StrOptions({"robust"}), None], sklearn=None),
    Parameter(
        "numeric_embeddings",
        "auto",
        [StrOptions({"periodic", "auto"}), None],
        sklearn=None,
        architecture=True,
    ),
    # Read when a network is created, like the columns it picks: a warm start keeps them.
    Parameter("max_embedded_features", 32, [Interval(Integral, 1, None, closed="left"), None]),
    Parameter(
        "embedding_frequencies",
        16,
        [Interval(Integral, 1, None, closed="left")],
        architecture=True,
    ),
    Parameter("embedding_dim", 3, [Interval(Integral, 1, None, closed="left")], architecture=True),
    Parameter("embedding_frequency_scale", 0.1, [Interval(Real, 0, None, closed="neither")]),
    Parameter("scaling_layer", True, ["boolean"], sklearn=False, architecture=True),
    Parameter("parametric_activation", True, ["boolean"], sklearn=False, architecture=True),
    Parameter("parametrization", "ntk", [StrOptions({"standard", "ntk"})], sklearn="standard"),
    Parameter("bias_lr_factor", 0.1, [Interval(Real, 0, None, closed="left")], sklearn=1.0),
    Parameter("scaling_lr_factor", 6.0, [Interval(Real, 0, None, closed="left")], sklearn=1.0),
    Parameter("embedding_lr_factor", 0.1, [Interval(Real, 0, None, closed="left")], sklearn=1.0),
    Parameter("activation_lr_factor", 0.1, [Interval(Real, 0, None, closed="left")], sklearn=1.0),
    Parameter("lr_cycles", 4, [Interval(Integral, 1, None, closed="left")]),
    Parameter(
        "dropout_schedule", "flat_cosine", [StrOptions(set(FACTOR_SCHEDULES))], sklearn="constant"
    ),
    Parameter(
        "weight_decay_schedule",
        "flat_cosine",
        [StrOptions(set(FACTOR_SCHEDULES))],
        sklearn="constant",
    ),
    Parameter(
        "training_dtype", "float32", [StrOptions({"auto", "float32", "float64"})], sklearn="auto"
    ),
    Parameter(
        "categorical_features", "from_dtype", [StrOptions({"from_dtype"}), "array-like", None]
    ),
    Parameter("max_one_hot_levels", 9, [Interval(Integral, 0, None, closed="left")]),
    Parameter(
        "category_embedding_dim",
        8,
        [Interval(Integral, 1, None, closed="left")],
        architecture=True,
    ),
    Parameter("min_category_count", 1, [Interval(Integral, 1, None, closed="left")]),
    Parameter("missing_indicators", True, ["boolean"]),
    # Together (not alone) they change the network's shape: a shared-weight ensemble's
    # members are in its layout (see _mlp's _check_same_network).
    Parameter("n_ensembles", 1, [Interval(Integral, 1, None, closed="left")]),
    Parameter(
        "ensemble", "independent", [StrOptions({"independent", "snapshot", *SHARED_ENSEMBLES})]
    ),
    Parameter("n_jobs", None, [Integral, None]),
)

CLASSIFIER_PARAMETERS = SHARED_PARAMETERS + (
    Parameter("label_smoothing", 0.1, [Interval(Real, 0, 1, closed="left")], sklearn=0.0),
    Parameter("class_weight", None, [dict, StrOptions({"balanced"}), None]),
)
REGRESSOR_PARAMETERS = SHARED_PARAMETERS + (
    Parameter("loss", "squared_error", [StrOptions(set(REGRESSION_LOSSES))]),
    # Checked at fit by the loss table (a level or a sequence of levels).
    Parameter("quantile", None, [Real, "array-like", None]),
    Parameter("huber_epsilon", 1.35, [Interval(Real, 0, None, closed="neither")]),
)


def constraints(parameters):
    """``_parameter_constraints`` of ``parameters`` (a sequence of :class:`Parameter`)."""
    return {p.name: p.constraint for p in parameters}


# The values like_sklearn gives (and that models pickled before a parameter existed take).
SKLEARN_VALUES = {
    p.name: p.sklearn
    for p in (*CLASSIFIER_PARAMETERS, *REGRESSOR_PARAMETERS)
    if p.sklearn is not KEEP
}
# The parameters that change the network's shape.
ARCHITECTURE = tuple(p.name for p in SHARED_PARAMETERS if p.architecture)


def _default_text(value):
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and np.isinf(value):
        return "np.inf"
    return repr(value)


def parameters_section(parameters, estimator, names):
    """The numpydoc ``Parameters`` entries of an estimator's docstring.

    Parameters
    ----------
    parameters : sequence of Parameter
        The estimator's table.
    estimator : {"classifier", "regressor"}
        Whose defaults the entries state.
    names : sequence of str
        The parameters in the order of the signature.

    Returns
    -------
    str
        The entries, sections starting 4 spaces in, each line ending with a newline.
    """
    by_name = {p.name: p for p in parameters}
    entries = []
    for name in names:
        kind, description = DOCS[name].split("\n", 1)
        default = _default_text(by_name[name].default_of(estimator))
        entries.append(f"    {name} : {kind}, default={default}\n{description}")
    return "".join(entries)
