"""skdeep: regularized multilayer perceptrons for tabular data, scikit-learn compatible."""

from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor

__version__ = "0.1.0"

__all__ = ["RegularizedMLPClassifier", "RegularizedMLPRegressor", "__version__"]
