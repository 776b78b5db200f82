"""scikit-learn's callback protocol (:mod:`sklearn.callback`) for the estimators.

A fit is one task whose subtasks are its epochs (L-BFGS iterations with
``solver="lbfgs"``; a ``partial_fit`` call is a task of one epoch), so that
:class:`sklearn.callback.ProgressBar` counts epochs and
:class:`sklearn.callback.ScoringMonitor` scores the network after each of them. On
scikit-learn versions without :mod:`sklearn.callback` (before 1.9) the estimators have no
``set_callbacks`` and fit exactly as before. An ensemble of independent members is a task
whose subtasks are its members, each member's fit merged into its subtask
(:class:`MemberTasks`).
"""

try:
    from sklearn.callback import AutoPropagatedCallback, CallbackSupportMixin

    HAS_CALLBACKS = True
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stands in for scikit-learn's mixin where it does not exist: no callbacks."""

    AutoPropagatedCallback = None
    HAS_CALLBACKS = False


class EpochTasks:
    """The callback tasks of one fit: the fit itself and one subtask per epoch.

    Built by ``fit`` once the data are validated and the network initialized (which sets the
    callbacks up and begins the fit task, as scikit-learn's estimators do after validation),
    and handed to the training loop, which calls :meth:`begin` and :meth:`end` around each
    epoch. The training loop only sees these two methods and a flat parameter vector; the
    estimator layer owns everything scikit-learn's protocol needs.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted (it inherits scikit-learn's ``CallbackSupportMixin``).
    X, y : array-like
        The data given to ``fit``, handed to the hooks (a scoring callback scores on them).
    sample_weight : array-like or None
        Handed to the hooks as metadata.
    max_epochs : int
        Most subtasks (epochs or iterations) this fit can run.
    task_name : str
        Name of the subtasks: ``"epoch"``, or ``"iteration"`` for L-BFGS.
    attributes : callable
        ``attributes(theta, bn_state) -> dict``: the fitted attributes of a network with
        these parameters; copies of them make a model that predicts as if the fit had
        stopped there (the hooks' ``fitted_estimator``), built only when a callback asks.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs, task_name, attributes):
        self._estimator = estimator
        self._task_name = task_name
        self._X = X
        self._y = y
        self._metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._attributes = attributes
        self._fit = estimator._init_callback_context(max_subtasks=max_epochs)
        self._fit.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=self._metadata)
        self._epoch = None

    @property
    def active(self):
        """Whether any callback listens to this fit's epochs (else nothing calls them)."""
        return bool(getattr(self._estimator, "_skl_callbacks", None))

    def _hook_arguments(self, theta, bn_state):
        return {
            "estimator": self._estimator,
            "X": self._X,
            "y": self._y,
            "metadata": self._metadata,
            # Called (if a callback asks for the model) inside the hook, before the training
            # loop goes on updating theta in place; the copies keep this moment's network.
            "reconstruction_attributes": lambda: self._attributes(theta.copy(), bn_state.copy()),
        }

    def begin(self, theta, bn_state):
        """Begin the next epoch's task (``theta``, ``bn_state``: the network before it)."""
        self._epoch = self._fit.subcontext(task_name=self._task_name)
        self._epoch.call_on_fit_task_begin(**self._hook_arguments(theta, bn_state))

    def end(self, theta, bn_state):
        """End the current epoch's task; True when a callback asks training to stop."""
        epoch, self._epoch = self._epoch, None
        return epoch.call_on_fit_task_end(**self._hook_arguments(theta, bn_state))

    def abandon(self):
        """End a begun epoch that never ran (L-BFGS's last), as an empty task."""
        if self._epoch is not None:
            epoch, self._epoch = self._epoch, None
            epoch.call_on_fit_task_end(estimator=self._estimator)

    def finish(self):
        """End the fit task (the estimator now holds the fitted model)."""
        self._fit.call_on_fit_task_end(
            estimator=self._estimator,
            X=self._X,
            y=self._y,
            metadata=self._metadata,
            reconstruction_attributes={},
        )


class MemberTasks:
    """The callback tasks of a fit of independent ensemble members.

    The ensemble's fit is a task with one subtask per member, and each member's own fit task
    (with its epochs) is merged into its subtask, as scikit-learn's searches merge each
    candidate's fit into theirs: the callbacks that propagate (a progress bar, say) follow
    every member's epochs. The others (a scoring monitor, say) stay on the ensemble, which
    they see begin and end, and go on the members as ``clone`` carries them, scoring each
    member after each of its epochs.

    Parameters
    ----------
    estimator : estimator instance
        The ensemble being fitted.
    X, y : array-like
        The data given to ``fit``, handed to the hooks.
    sample_weight : array-like or None
        Handed to the hooks as metadata.
    n_members : int
        The number of members (subtasks).
    """

    def __init__(self, estimator, X, y, sample_weight, n_members):
        self._estimator = estimator
        self._data = {
            "X": X,
            "y": y,
            "metadata": None if sample_weight is None else {"sample_weight": sample_weight},
        }
        self._fit = estimator._init_callback_context(
            max_subtasks=n_members, sequential_subtasks=False
        )
        self._fit.call_on_fit_task_begin(estimator=estimator, **self._data)
        # Made here, before the members fit (in threads, or in other processes with another
        # joblib backend).
        self._members = [
            self._fit.subcontext(task_name="member", task_id=i) for i in range(n_members)
        ]

    def member_callbacks(self):
        """The callbacks a member carries itself: those that do not propagate (a member that
        holds one that does cannot take the ensemble's)."""
        return [
            callback
            for callback in getattr(self._estimator, "_skl_callbacks", [])
            if not isinstance(callback, AutoPropagatedCallback)
        ]

    def fit_member(self, i, member, fit):
        """``fit()`` (which fits ``member`` and returns it) as member ``i``'s subtask."""
        context = self._members[i]
        with context.propagate_callback_context(member):
            context.call_on_fit_task_begin(estimator=self._estimator, **self._data)
            member = fit()
        context.call_on_fit_task_end(estimator=self._estimator, **self._data)
        return member

    def finish(self):
        """End the fit task (the estimator now holds the fitted ensemble)."""
        self._fit.call_on_fit_task_end(
            estimator=self._estimator, reconstruction_attributes={}, **self._data
        )
