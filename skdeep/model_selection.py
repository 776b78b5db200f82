"""Hyper-parameter search for the regularized MLPs: a ready search space and zoom search.

- :func:`mlp_search_space` returns the parameter distributions of a random search over the
  settings that matter most for a regularized MLP.
- :class:`CoarseToFineSearchCV` runs random search in rounds, zooming in on the best region
  after each round.

Both work with scikit-learn's own searches and cross-validation tools, and in a
:class:`~sklearn.pipeline.Pipeline`.
"""

from numbers import Integral

from scipy import stats

from ._network import ACTIVATION_CODES
from ._search import CoarseToFineSearchCV

__all__ = ["CoarseToFineSearchCV", "mlp_search_space"]


def _check_range(name, bounds, positive):
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a (low, high) pair of numbers or None, got {bounds!r}."
        ) from None
    if not low < high or (positive and low <= 0):
        need = "0 < low < high" if positive else "low < high"
        raise ValueError(f"{name} must be a (low, high) pair with {need}, got {bounds!r}.")
    return low, high


def mlp_search_space(
    prefix="",
    *,
    learning_rate_init=(1e-4, 1e-1),
    alpha=(1e-6, 1e-1),
    weight_decay=(1e-5, 1e-1),
    dropout=(0.0, 0.5),
    depths=(1, 2, 3),
    widths=(32, 64, 128, 256),
    activations=None,
):
    """Parameter distributions for a random search over a regularized MLP.

    The result plugs into :class:`~sklearn.model_selection.RandomizedSearchCV`,
    :class:`~sklearn.model_selection.HalvingRandomSearchCV` and
    :class:`CoarseToFineSearchCV` as ``param_distributions``.

    Practitioners' advice built into it:

    - **Sample at random rather than on a grid.** Usually only a few hyper-parameters
      matter much for a given problem, and nobody knows in advance which. A grid of
      ``k`` values per parameter tries only ``k`` distinct values of the important
      one, however many combinations it evaluates; ``n`` random candidates try ``n``
      distinct values of every parameter (Bergstra and Bengio, 2012). With the same
      budget, random search finds settings as good as grid search or better, and its
      budget can be stopped or extended at any point.
    - **Search scale-type parameters on a log scale.** The learning rate, the penalty
      ``alpha`` and ``weight_decay`` act multiplicatively: going from 0.001 to 0.01
      matters as much as from 0.01 to 0.1. A uniform distribution on ``[1e-4, 1e-1]``
      would put 90 % of its samples in ``[1e-2, 1e-1]``; ``scipy.stats.loguniform``
      spreads them evenly over the orders of magnitude.
    - **Search rates and sizes on their natural scale.** The dropout rate is a
      probability, sampled uniformly; depth, width and activation are few discrete
      choices.
    - **Start wide, then zoom in.** Use generous ranges first; when the best candidates
      gather in one region, search again there (by hand, or with
      :class:`CoarseToFineSearchCV`). A best value at the edge of a range means the
      range should be extended.
    - **Keep ``max_iter`` out of the space**: use early stopping, or let
      :class:`~sklearn.model_selection.HalvingRandomSearchCV` allot epochs as its
      resource.

    Parameters
    ----------
    prefix : str, default=""
        Prepended to every parameter name, for a network inside a
        :class:`~sklearn.pipeline.Pipeline`: ``"mlp__"`` or ``"mlp"`` (the ``"__"`` is
        added) for a step named ``"mlp"``.
    learning_rate_init : (float, float) or None, default=(1e-4, 1e-1)
        Bounds of the log-uniform initial learning rate. None leaves the parameter out of
        the space (the estimator's own value is used); likewise for the other ranges.
    alpha : (float, float) or None, default=(1e-6, 1e-1)
        Bounds of the log-uniform penalty strength.
    weight_decay : (float, float) or None, default=(1e-5, 1e-1)
        Bounds of the log-uniform decoupled weight decay.
    dropout : (float, float) or None, default=(0.0, 0.5)
        Bounds of the uniform dropout rate (one rate for every hidden layer).
    depths : sequence of int or None, default=(1, 2, 3)
        Numbers of hidden layers to try.
    widths : sequence of int or None, default=(32, 64, 128, 256)
        Widths to try; every hidden layer of a network has the same width. Together with
        ``depths`` this gives the ``hidden_layer_sizes`` choices, all tuples; None for
        either leaves ``hidden_layer_sizes`` out of the space.
    activations : sequence of str or None, default=None
        Hidden activations to try, e.g. ``("relu", "tanh", "elu")``; None leaves
        ``activation`` out of the space. With the default ``weight_init="auto"`` each
        activation gets its matching initializer. On the mixed-type tables of skdeep's
        accuracy benchmark, ``"tanh"`` and ``"elu"`` often beat the default ``"relu"``.

    Returns
    -------
    param_distributions : dict
        Parameter names mapped to ``scipy.stats`` distributions (``loguniform`` for the
        scale-type ranges, ``uniform`` for ``dropout``), to a list of tuples for
        ``hidden_layer_sizes`` and to a list of names for ``activation``.

    See Also
    --------
    CoarseToFineSearchCV : Random search in rounds that zoom in on the best region.

    References
    ----------
    J. Bergstra and Y. Bengio, "Random Search for Hyper-Parameter Optimization", Journal
    of Machine Learning Research 13, 2012.

    Examples
    --------
    >>> from skdeep.model_selection import mlp_search_space
    >>> space = mlp_search_space("mlp__", depths=(1, 2), widths=(64, 128))
    >>> sorted(space)  # doctest: +NORMALIZE_WHITESPACE
    ['mlp__alpha', 'mlp__dropout', 'mlp__hidden_layer_sizes', 'mlp__learning_rate_init',
     'mlp__weight_decay']
    >>> space["mlp__hidden_layer_sizes"]
    [(64,), (128,), (64, 64), (128, 128)]
    >>> [float(b) for b in space["mlp__learning_rate_init"].support()]
    [0.0001, 0.1]
    """
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be a string such as 'mlp__', got {prefix!r}.")
    if prefix and not prefix.endswith("__"):
        prefix += "__"
    space = {}
    for name, bounds in (
        ("alpha", alpha),
        ("learning_rate_init", learning_rate_init),
        ("weight_decay", weight_decay),
    ):
        if bounds is not None:
            space[prefix + name] = stats.loguniform(*_check_range(name, bounds, True))
    if dropout is not None:
        low, high = _check_range("dropout", dropout, False)
        if low < 0 or high >= 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}.")
        space[prefix + "dropout"] = stats.uniform(low, high - low)
    if depths is not None and widths is not None:
        for name, values in (("depths", depths), ("widths", widths)):
            if (
                not isinstance(values, (list, tuple))
                or not values
                or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in values)
                or min(values) < 1
            ):
                raise ValueError(
                    f"{name} must be a non-empty sequence of positive integers, got {values!r}."
                )
        space[prefix + "hidden_layer_sizes"] = [
            (int(width),) * int(depth) for depth in depths for width in widths
        ]
    if activations is not None:
        if (
            not isinstance(activations, (list, tuple))
            or not activations
            or not all(isinstance(a, str) and a in ACTIVATION_CODES for a in activations)
        ):
            raise ValueError(
                "activations must be a non-empty sequence of activation names from "
                f"{sorted(ACTIVATION_CODES)}, got {activations!r}."
            )
        space[prefix + "activation"] = list(dict.fromkeys(activations))
    return dict(sorted(space.items()))
