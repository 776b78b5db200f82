"""The types a skops file of a skdeep model holds, for loading it without trusting more."""

__all__ = ["skops_trusted_types"]

# skops names a type by the module that defines it: the estimators live in skdeep._mlp, the
# ensembles that skdeep tune saves in skdeep._ensemble_selection.
_TRUSTED = (
    "skdeep._mlp.RegularizedMLPClassifier",
    "skdeep._mlp.RegularizedMLPRegressor",
    "skdeep.preprocessing.RobustSmoothClipScaler",
    "skdeep._ensemble_selection.EnsembleClassifier",
    "skdeep._ensemble_selection.EnsembleRegressor",
)


def skops_trusted_types():
    """The skdeep types to trust when loading a skops file of a skdeep model.

    A fitted model keeps its state in arrays, numbers, strings and plain containers, so a
    :mod:`skops.io` file of it names only skdeep's own classes: the two estimators,
    :class:`~skdeep.preprocessing.RobustSmoothClipScaler` (the fitted ``input_scaler_``) and
    the weighted ensembles of networks that ``skdeep tune`` saves when an ensemble of
    several settings wins (:doc:`/command_line`).
    Loading such a file builds these objects and nothing else, unlike :mod:`pickle` and
    :mod:`joblib` files, which can run any code when they are loaded.

    Read more in the :doc:`User Guide </user_guide/persistence>`.

    Returns
    -------
    list of str
        Type names as :func:`skops.io.get_untrusted_types` reports them; pass them as
        ``trusted`` to :func:`skops.io.load`. Types that skops trusts by default (scikit-learn's
        estimators, NumPy arrays) need not be listed; anything else a file names (a user's own
        function in a ``FunctionTransformer``, say) is still reported by
        :func:`skops.io.get_untrusted_types`, for you to review.

    Examples
    --------
    >>> import skops.io as sio
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import RegularizedMLPClassifier, skops_trusted_types
    >>> X, y = load_iris(return_X_y=True)
    >>> model = RegularizedMLPClassifier(max_iter=10, random_state=0).fit(X, y)
    >>> data = sio.dumps(model)
    >>> unknown = set(sio.get_untrusted_types(data=data))
    >>> sorted(unknown - set(skops_trusted_types()))  # nothing else to review
    []
    >>> loaded = sio.loads(data, trusted=skops_trusted_types())
    >>> bool((loaded.predict_proba(X) == model.predict_proba(X)).all())
    True
    """
    return list(_TRUSTED)
