"""Ensemble members (``n_ensembles > 1``): how they are made and what they predict.

Members are estimators of the estimator's own class with ``n_ensembles=1``, kept in its
``estimators_`` as scikit-learn's bagging estimators keep theirs:

- ``ensemble="independent"``: separate fits of clones, each with its own seed, in threads
  (the compiled training releases the GIL). When early stopping holds rows out, the rows are
  split into ``n_ensembles`` folds (stratified for class labels) and member ``i`` picks its
  best epoch on fold ``i``, as cross-validation bagging does; otherwise every member is given
  all rows (and applies the early-stopping rule of a single network to them).
- ``ensemble="snapshot"``: one training run that keeps copies of the parameters at the ends
  of the cycles of the ``"log_cosine"`` schedule (:func:`snapshot_epochs`); each member is a
  shallow copy of the fitted estimator holding one copy (the input encoding and the target
  encoding are shared, and a pickle holds them once).
"""

import copy
import functools

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import clone, is_classifier
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_sample_weight, _num_samples, check_is_fitted
from threadpoolctl import threadpool_limits

from ._callbacks import HAS_CALLBACKS, MemberTasks
from ._warnings import warn_at_user_line

__all__ = [
    "NO_MEMBERS",
    "SHARED_ENSEMBLES",
    "fit_independent",
    "member_outputs",
    "snapshot_epochs",
    "snapshot_members",
]

# The ensemble kinds whose members share one network's weights (its layout has the member
# axis; skdeep._network's n_members), trained and predicted as one network.
SHARED_ENSEMBLES = ("shared", "shared_mini")
NO_MEMBERS = (
    "{what} needs ensemble members, and this model is a single network. Fit it with "
    "n_ensembles > 1 (e.g. RegularizedMLPRegressor(n_ensembles=8)) to get their spread; "
    "for calibrated intervals, wrap the model in a conformal method (see the user guide's "
    "ensembles page)."
)
# What an ensemble of independent members shares with its members, for its own predict
# and score: the input's description, the classes and the target encoding's setting.
_SHARED_FITTED = (
    "n_features_in_",
    "feature_names_in_",
    "classes_",
    "n_outputs_",
    "_label_binarizer",
    "_loss",
    "_loss_parameters",
    "_outputs_per_target",
    "_levels_axis",
)
# The single network's fitted state, removed when an estimator becomes an ensemble of
# independent members (they hold their own).
_SINGLE_NETWORK_STATE = ("_training", "_inputs", "_network_spec")
# Fewer held-out rows per fold than this and early_stopping="auto" does not split the rows
# into folds (the estimators' own rule for a validation split).
MIN_FOLD_ROWS = 50


def snapshot_epochs(n_members, learning_rate, lr_cycles, max_iter, solver):
    """Epochs (1-based) after which ``ensemble="snapshot"`` keeps the parameters.

    The ``"log_cosine"`` schedule's cycle ``j`` (of ``lr_cycles``) ends at the training
    progress ``(2**j - 1) / (2**lr_cycles - 1)``; a member is kept at the epoch whose end is
    nearest the end of each of the last ``n_members - 1`` cycles before the last one (the
    last member is the fitted network).

    Parameters
    ----------
    n_members : int
    learning_rate : str
    lr_cycles : int
    max_iter : int
    solver : str

    Returns
    -------
    epochs : tuple of int
        Increasing, ``n_members - 1`` of them.
    """
    if solver == "lbfgs" or learning_rate != "log_cosine":
        what = 'solver="lbfgs"' if solver == "lbfgs" else f"learning_rate={learning_rate!r}"
        raise ValueError(
            f'ensemble="snapshot" keeps the network at the end of each cycle of the '
            f'learning-rate schedule, and {what} has no cycles. Use solver="adamw" (or another '
            'stochastic solver) with learning_rate="log_cosine", or ensemble="independent".'
        )
    if n_members > lr_cycles:
        raise ValueError(
            f'ensemble="snapshot" with n_ensembles={n_members} needs as many cycles of the '
            f"learning-rate schedule, and lr_cycles={lr_cycles}. Raise lr_cycles to "
            f"{n_members} or lower n_ensembles."
        )
    ends = [(2.0**j - 1.0) / (2.0**lr_cycles - 1.0) for j in range(1, lr_cycles)]
    epochs = tuple(max(1, round(t * max_iter)) for t in ends[lr_cycles - n_members :])
    if len(set(epochs)) < len(epochs) or (epochs and epochs[-1] >= max_iter):
        raise ValueError(
            f'ensemble="snapshot": max_iter={max_iter} epochs are too few to end each of the '
            f"last {n_members} of lr_cycles={lr_cycles} cycles in a different epoch. Raise "
            "max_iter or lower n_ensembles."
        )
    return epochs


def snapshot_members(estimator, layout, snapshots, epochs, wanted):
    """The members of a snapshot ensemble: one per snapshot, then the fitted network.

    Parameters
    ----------
    estimator : estimator instance
        Just fitted, with the final network set.
    layout : NetworkLayout
    snapshots : list of tuple
        ``(theta, bn_state)`` of the cycle ends the fit reached.
    epochs : tuple of int
        The epochs (of this call, 1-based) the snapshots were asked for.
    wanted : int
        The number of members asked for (fewer when early stopping ended the fit before
        some cycle ends, which is warned about).

    Returns
    -------
    list of estimator instances
    """
    # Not the callbacks' state of the fit in progress (scikit-learn removes it from the
    # estimator when fit returns; the members are copies made before that).
    state = {
        k: v
        for k, v in estimator.__dict__.items()
        if k != "estimators_" and not k.startswith(("_callback", "_skl_callbacks"))
    }
    members = []
    for parameters, epoch in [*zip(snapshots, epochs, strict=False), (None, None)]:
        member = copy.copy(estimator)
        # The training state stays with the estimator: members only predict.
        member.__dict__ = dict(state, n_ensembles=1, warm_start=False, _training=None)
        if parameters is not None:
            member._set_network(layout, *parameters)
            # Its records end at its epoch (this call's epochs follow the earlier calls').
            end = len(estimator.loss_curve_) - estimator.n_iter_ + epoch
            member.n_iter_ = epoch
            member.loss_curve_ = estimator.loss_curve_[:end]
            member.history_ = estimator.history_[:end]
            if estimator.validation_scores_ is not None:
                member.validation_scores_ = estimator.validation_scores_[:epoch]
            member.best_epoch_ = member.best_validation_score_ = None
        members.append(member)
    if len(members) < wanted:
        warn_at_user_line(
            f'ensemble="snapshot" has {len(members)} of n_ensembles={wanted} members: the '
            f"fit ended after {estimator.n_iter_} epochs (early stopping, a callback or a "
            "divergence), before the end of every cycle of the learning-rate schedule. Raise "
            "patience, or set early_stopping=False, to keep them all.",
            UserWarning,
        )
    return members


def _folds(estimator, X, y, X_val, random_state):
    """The (train, held-out) row indices of each member, or None for every member when the
    members train on all rows."""
    k = estimator.n_ensembles
    n_samples = _num_samples(X)
    if X_val is not None or estimator.solver == "lbfgs" or not estimator.early_stopping:
        return [None] * k
    if estimator.early_stopping == "auto" and n_samples // k < MIN_FOLD_ROWS:
        return [None] * k
    if n_samples < 2 * k:
        raise ValueError(
            f"early_stopping=True with n_ensembles={k} independent members holds out one of "
            f"{k} folds per member, and there are {n_samples} samples (at least {2 * k} "
            "needed). Lower n_ensembles, pass X_val and y_val, or set early_stopping=False."
        )
    splitter = KFold(k, shuffle=True, random_state=random_state)
    if is_classifier(estimator) and type_of_target(y) in ("binary", "multiclass"):
        _, counts = np.unique(np.asarray(y), return_counts=True)
        if counts.min() < k:
            # Some member would not see every class: all members see all rows instead.
            return [None] * k
        splitter = StratifiedKFold(k, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros((n_samples, 1)), y))


def _fit_member(member, X, y, sample_weight, fold, validation):
    if fold is None:
        X_val, y_val, sw_val = validation
        return member.fit(X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    train, held_out = fold
    sw = None if sample_weight is None else np.asarray(sample_weight)
    return member.fit(
        _safe_indexing(X, train),
        _safe_indexing(y, train),
        None if sw is None else sw[train],
        X_val=_safe_indexing(X, held_out),
        y_val=_safe_indexing(y, held_out),
        sample_weight_val=None if sw is None else sw[held_out],
    )


def _check_continuable(estimator):
    """With ``warm_start``: the fitted members to continue, or None to start anew."""
    if not estimator.warm_start:
        return None
    members = getattr(estimator, "estimators_", None)
    fitted_kind = getattr(estimator, "_ensemble_fitted", None)
    if members is None and not hasattr(estimator, "coefs_"):
        return None
    if fitted_kind != ("independent", estimator.n_ensembles):
        raise ValueError(
            "warm_start continues the fitted model, which is "
            + (
                "a single network"
                if fitted_kind is None
                else f'an ensemble="{fitted_kind[0]}" of {fitted_kind[1]} members'
            )
            + f', not ensemble="independent" with n_ensembles={estimator.n_ensembles}. Set '
            "warm_start=False to fit the new ensemble."
        )
    return members


def fit_independent(estimator, X, y, sample_weight, validation):
    """Fit ``estimator.n_ensembles`` independent members into ``estimator.estimators_``.

    Parameters
    ----------
    estimator : estimator instance
        With ``ensemble="independent"``; its fitted attributes are set here.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,) or None
    validation : tuple
        ``(X_val, y_val, sample_weight_val)`` as given to ``fit`` (all None when not).

    Returns
    -------
    estimator
    """
    members = _check_continuable(estimator)
    random_state = check_random_state(estimator.random_state)
    seeds = random_state.randint(np.iinfo(np.int32).max, size=estimator.n_ensembles)
    if members is None:
        members = [
            clone(estimator).set_params(n_ensembles=1, n_jobs=None, random_state=int(seed))
            for seed in seeds
        ]
    else:
        # Continued members train with the ensemble's parameters as they are now (each
        # keeps its own seed).
        params = estimator.get_params(deep=False)
        for name in ("n_ensembles", "n_jobs", "random_state"):
            params.pop(name)
        for member in members:
            member.set_params(**params)
    if sample_weight is not None:
        # Checked here, before the folds slice it (a number means that weight for every row).
        sample_weight = _check_sample_weight(sample_weight, X)
    folds = _folds(estimator, X, y, validation[0], random_state)
    fits = [
        functools.partial(_fit_member, member, X, y, sample_weight, fold, validation)
        for member, fold in zip(members, folds, strict=True)
    ]
    tasks = MemberTasks(estimator, X, y, sample_weight, len(members)) if HAS_CALLBACKS else None
    if tasks is not None:
        for member in members:
            member.set_callbacks(*tasks.member_callbacks())
        fits = [
            functools.partial(tasks.fit_member, i, member, fit)
            for i, (member, fit) in enumerate(zip(members, fits, strict=True))
        ]
    # Members in threads at once each get one BLAS thread (the count is process-wide, and
    # only the main thread's fits set it themselves).
    limits = 1 if effective_n_jobs(estimator.n_jobs) > 1 else None
    with threadpool_limits(limits=limits, user_api="blas"):
        members = Parallel(n_jobs=estimator.n_jobs, prefer="threads")(
            delayed(fit)() for fit in fits
        )
    for name in (*_SINGLE_NETWORK_STATE, *(n for n in vars(estimator) if _is_fitted_name(n))):
        estimator.__dict__.pop(name, None)
    for name in _SHARED_FITTED:
        if hasattr(members[0], name):
            setattr(estimator, name, getattr(members[0], name))
    estimator.estimators_ = members
    estimator.n_iter_ = np.array([member.n_iter_ for member in members])
    estimator._ensemble_fitted = ("independent", len(members))
    if tasks is not None:
        tasks.finish()
    return estimator


def _is_fitted_name(name):
    return name.endswith("_") and not name.startswith("__")


def member_outputs(estimator, X, method, what):
    """Each member's ``method(X)``, stacked: shape ``(n_members, *output shape)``.

    Raises a ValueError saying how to get members when ``estimator`` has none.
    """
    check_is_fitted(estimator)
    members = getattr(estimator, "estimators_", None)
    if members is None:
        raise ValueError(NO_MEMBERS.format(what=what))
    return np.stack([getattr(member, method)(X) for member in members])
