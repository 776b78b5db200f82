"""Plots of how a network trained.

:class:`TrainingHistoryDisplay` draws the learning curves of a fitted
:class:`~skdeep.RegularizedMLPClassifier` or :class:`~skdeep.RegularizedMLPRegressor`
(or of scikit-learn's MLPs) and follows scikit-learn's ``*Display`` API.

Plotting needs matplotlib, an optional dependency: ``pip install "skdeep[plot]"``.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._losses import LOSSES

__all__ = ["TrainingHistoryDisplay"]


def _import_pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "TrainingHistoryDisplay needs matplotlib, an optional dependency of skdeep. "
            'Install it with: pip install "skdeep[plot]" (or: pip install matplotlib).'
        ) from exc
    return plt


def _final_estimator(estimator):
    """The network itself: the estimator, or the last step of a pipeline."""
    if not hasattr(estimator, "loss_curve_") and hasattr(estimator, "steps"):
        return estimator.steps[-1][1]
    return estimator


def _column(rows, key):
    """Values of ``key`` in the history rows, NaN where an epoch has none."""
    values = np.array([row.get(key, np.nan) for row in rows], dtype=float)
    return values if np.isfinite(values).any() else None


class TrainingHistoryDisplay:
    """Learning curves of a fitted network: loss per epoch, validation loss and score.

    The training loss is drawn against the left axis together with the validation loss
    (when the network had validation data); the validation score (accuracy, or R² for
    regression) is drawn against a second axis on the right, and a vertical line marks
    ``best_epoch_``, the epoch with the best monitored value (with early stopping and
    ``restore_best_weights=True``, the epoch whose weights the network kept).

    Create it with :meth:`from_estimator`; the constructor takes the data of the curves
    directly, for histories that do not come from an estimator.

    Parameters
    ----------
    epoch : array-like of shape (n_epochs,)
        Epoch numbers.
    loss : array-like of shape (n_epochs,)
        Training loss of each epoch.
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch (NaN for epochs without validation data).
    val_score : array-like of shape (n_epochs,), default=None
        Validation score of each epoch (NaN for epochs without validation data).
    best_epoch : int, default=None
        Epoch to mark.
    score_name : str, default="validation score"
        Label of the score axis.
    estimator_name : str, default=None
        Name used as the title of the plot.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The training-loss curve.
    val_loss_line_ : matplotlib.lines.Line2D or None
        The validation-loss curve.
    val_score_line_ : matplotlib.lines.Line2D or None
        The validation-score curve.
    best_epoch_line_ : matplotlib.lines.Line2D or None
        The vertical line at the best epoch.
    ax_ : matplotlib.axes.Axes
        Axes of the loss curves.
    score_ax_ : matplotlib.axes.Axes or None
        Axes of the score curve (sharing the x axis of ``ax_``).
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.

    See Also
    --------
    TrainingHistoryDisplay.from_estimator : Plot the history of a fitted network.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import RegularizedMLPClassifier
    >>> from skdeep.inspection import TrainingHistoryDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    >>> clf = RegularizedMLPClassifier(
    ...     hidden_layer_sizes=(32,), max_iter=20, random_state=0
    ... )
    >>> clf = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    >>> display = TrainingHistoryDisplay.from_estimator(clf)
    >>> len(display.line_.get_xdata()) == clf.n_iter_
    True
    >>> display.val_score_line_.get_label()
    'validation accuracy'
    """

    def __init__(
        self,
        *,
        epoch,
        loss,
        val_loss=None,
        val_score=None,
        best_epoch=None,
        score_name="validation score",
        estimator_name=None,
    ):
        self.epoch = epoch
        self.loss = loss
        self.val_loss = val_loss
        self.val_score = val_score
        self.best_epoch = best_epoch
        self.score_name = score_name
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        show_val_loss=True,
        show_val_score=True,
        show_best_epoch=True,
        **kwargs,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw the loss curves on; a new figure is created when None. The score
            curve gets a twin axis of ``ax``.
        name : str, default=None
            Title of the plot; ``estimator_name`` when None.
        show_val_loss : bool, default=True
            Draw the validation loss, when there is one.
        show_val_score : bool, default=True
            Draw the validation score, when there is one.
        show_best_epoch : bool, default=True
            Mark the best epoch, when there is one.
        **kwargs : dict
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot` for the training-loss
            line.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the computed values.
        """
        plt = _import_pyplot()
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots()
        epoch = np.asarray(self.epoch)
        handles = []
        self.line_ = ax.plot(epoch, self.loss, **{"label": "training loss", **kwargs})[0]
        handles.append(self.line_)

        self.val_loss_line_ = None
        if show_val_loss and self.val_loss is not None:
            self.val_loss_line_ = ax.plot(
                epoch, self.val_loss, color="C1", label="validation loss"
            )[0]
            handles.append(self.val_loss_line_)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        # Epochs are whole numbers; without this, short histories get ticks like 2.5.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        self.score_ax_ = None
        self.val_score_line_ = None
        if show_val_score and self.val_score is not None:
            self.score_ax_ = ax.twinx()
            self.val_score_line_ = self.score_ax_.plot(
                epoch, self.val_score, color="C2", linestyle="--", label=self.score_name
            )[0]
            self.score_ax_.set_ylabel(self.score_name)
            handles.append(self.val_score_line_)

        self.best_epoch_line_ = None
        if show_best_epoch and self.best_epoch is not None:
            self.best_epoch_line_ = ax.axvline(
                self.best_epoch,
                color="0.4",
                linestyle=":",
                label=f"best epoch ({self.best_epoch})",
            )
            handles.append(self.best_epoch_line_)

        # One legend for both axes, on the upper one so that no curve hides it. Losses
        # usually fall and scores rise, which leaves the right side's middle (or, without a
        # score, its top) free.
        top = self.score_ax_ if self.score_ax_ is not None else ax
        top.legend(
            handles,
            [h.get_label() for h in handles],
            loc="upper right" if self.score_ax_ is None else "center right",
        )
        title = self.estimator_name if name is None else name
        if title:
            ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the training history of a fitted network.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~skdeep.RegularizedMLPClassifier` or
            :class:`~skdeep.RegularizedMLPRegressor`, or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending in one. Its ``history_`` provides
            the curves and ``best_epoch_`` the marked epoch. scikit-learn's
            :class:`~sklearn.neural_network.MLPClassifier` and
            :class:`~sklearn.neural_network.MLPRegressor` work too: their ``loss_curve_``
            and (with early stopping) ``validation_scores_`` are drawn.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created when None.
        name : str, default=None
            Title of the plot; none when None.
        **kwargs : dict
            Passed to :meth:`plot`: ``show_val_loss``, ``show_val_score``,
            ``show_best_epoch`` and keyword arguments of the training-loss line.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the computed values.
        """
        _import_pyplot()
        net = _final_estimator(estimator)
        check_is_fitted(net, "loss_curve_")
        loss = LOSSES.get(getattr(net, "_loss", None))
        if loss is not None:
            score_name = f"validation {loss.score_name}"
            if not loss.greater_is_better:
                # What is recorded is negated, larger is better (as neg_* scorers).
                score_name = f"{score_name}, negated"
        else:  # not a skdeep estimator
            score_name = "validation accuracy" if is_classifier(net) else "validation R²"
        history = getattr(net, "history_", None)
        if history is not None:
            display = cls(
                epoch=[row["epoch"] for row in history],
                loss=[row["loss"] for row in history],
                val_loss=_column(history, "val_loss"),
                val_score=_column(history, "val_score"),
                best_epoch=getattr(net, "best_epoch_", None),
                score_name=score_name,
                estimator_name=name,
            )
        else:  # scikit-learn's MLPs keep only the loss and the early-stopping scores.
            scores = getattr(net, "validation_scores_", None)
            display = cls(
                epoch=np.arange(1, len(net.loss_curve_) + 1),
                loss=list(net.loss_curve_),
                val_score=None if not scores else list(scores),
                score_name=score_name,
                estimator_name=name,
            )
        return display.plot(ax=ax, **kwargs)
