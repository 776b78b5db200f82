"""skdeep: regularized multilayer perceptrons for tabular data, scikit-learn compatible."""

from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._persistence import skops_trusted_types

__version__ = "0.1.0"

__all__ = [
    "RegularizedMLPClassifier",
    "RegularizedMLPRegressor",
    "__version__",
    "skops_trusted_types",
]
