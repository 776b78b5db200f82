"""The Python side of training: per-epoch decisions around the compiled epoch kernel.

The kernel runs every mini-batch of an epoch; this loop decides, once per epoch, about the
learning rate, convergence, early stopping, divergence, history and progress output.
"""

import sys
import threading
import time
import warnings

import numpy as np

# Loads the BLAS library that numba's np.dot calls, so that threadpoolctl sees it before the
# first fit (it can only limit libraries that are already loaded).
import scipy.linalg.cython_blas  # noqa: F401
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from ._kernels._epoch import FAN_OUT, run_epoch
from ._kernels._rng import make_state
from ._schedules import learning_rate_at

# Below this many output entries per matrix product (batch rows x widest layer), a second
# BLAS thread costs more than it saves: measured on digits, hidden (128, 128), batch 32,
# 50 epochs: 0.34 s with one thread, 0.45 s with two; W1's 256 x 256 products gain from two
# (0.185 s vs 0.275 s per epoch).
SINGLE_THREAD_BLAS_BELOW = 32768
# scikit-learn's "adaptive" schedule divides the rate by this on a plateau ...
_PLATEAU_FACTOR = 5.0
# ... and stops once the rate falls below this.
_MIN_ADAPTIVE_LR = 1e-6


class KernelState:
    """Arrays the epoch kernel updates in place, kept between ``partial_fit`` calls.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Flat parameters.
    bn_state : ndarray of shape (n_bn_state,)
        Batch-norm running statistics.
    seed : int
        Seed of the kernel's random generator (shuffling, dropout).
    """

    def __init__(self, theta, bn_state, seed):
        self.theta = theta
        self.bn_state = bn_state
        self.grad = np.zeros_like(theta)
        self.state1 = np.zeros_like(theta)
        self.state2 = np.zeros_like(theta)
        self.step = np.zeros(1, dtype=np.int64)
        self.rng = make_state(seed)

    def snapshot(self):
        """Copies of everything training changes: parameters, statistics, optimizer state."""
        return tuple(
            a.copy() for a in (self.theta, self.bn_state, self.state1, self.state2, self.step)
        )

    def restore(self, snapshot):
        """Put back a :meth:`snapshot` in place."""
        for target, saved in zip(
            (self.theta, self.bn_state, self.state1, self.state2, self.step), snapshot, strict=True
        ):
            target[:] = saved

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["grad"]  # scratch space, rebuilt on load
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.grad = np.zeros_like(self.theta)


def _current_lr(est, epoch, samples_seen):
    lr = learning_rate_at(
        est.learning_rate,
        float(est.learning_rate_init),
        epoch,
        samples_seen=samples_seen,
        max_epochs=est.max_iter,
        power_t=est.power_t,
        decay=est.lr_decay,
        step_size=est.lr_step_size,
        warmup_epochs=est.warmup_epochs,
    )
    return lr * est._plateau_scale


def _format_progress(row):
    parts = [f"Epoch {row['epoch']}", f"loss = {row['loss']:.6f}"]
    if "val_loss" in row:
        parts += [f"val_loss = {row['val_loss']:.6f}", f"val_score = {row['val_score']:.6f}"]
    parts += [f"lr = {row['learning_rate']:.3g}", f"{row['seconds']:.2f}s"]
    return ", ".join(parts)


def _warn_divergence(epoch, loss, lr):
    warnings.warn(
        f"Training diverged in epoch {epoch}: the loss became {loss}. The learning rate "
        f"({lr:g}) is probably too high for this data; lower learning_rate_init, set "
        "clip_norm, or standardize the features (StandardScaler). The weights (and optimizer "
        "state) with the lowest training loss so far were kept.",
        ConvergenceWarning,
        stacklevel=5,
    )


def _warn_end_of_fit(est, lr, stopped):
    """After a full fit: warn when the loss rose over the fit, or when max_iter cut it short."""
    curve = est.loss_curve_[len(est.loss_curve_) - est.n_iter_ :]
    if len(curve) >= 2 and curve[-1] > curve[0]:
        warnings.warn(
            f"Training loss rose from {curve[0]:.4g} after the first epoch to {curve[-1]:.4g} "
            f"after epoch {est.n_iter_}: the learning rate ({lr:g}) is probably too high for "
            "this data; lower learning_rate_init, set clip_norm, or standardize the features "
            "(StandardScaler).",
            ConvergenceWarning,
            stacklevel=5,
        )
    elif not stopped:
        warnings.warn(
            f"Stochastic optimizer: maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=5,
        )


def _record_epoch(est, loss, lr, validation, state, started):
    """Append the epoch to the history attributes (and print it when verbose)."""
    est.n_iter_ += 1
    est.loss_curve_.append(loss)
    row = {"epoch": len(est.loss_curve_), "loss": loss}
    if validation is not None:
        row["val_loss"], row["val_score"] = validation(state.theta, state.bn_state)
        if est.validation_scores_ is not None:
            est.validation_scores_.append(row["val_score"])
            est.best_validation_score_ = max(est.validation_scores_)
    row["learning_rate"] = lr
    row["seconds"] = time.perf_counter() - started
    est.history_.append(row)
    if est.verbose:
        print(_format_progress(row), flush=True, file=sys.stdout)
    return row


def run_training(est, state, X, Y, sw, settings, validation, incremental):
    """:func:`train_epochs` with one BLAS thread when the matrix products are small.

    Only from the main thread: the BLAS thread count is process-wide, so fits running in
    several threads at once would undo each other's limits (and leave a wrong one behind).
    """
    widest = int(settings["layout"][:, FAN_OUT].max())
    small = settings["batch_size"] * widest < SINGLE_THREAD_BLAS_BELOW
    if not small or threading.current_thread() is not threading.main_thread():
        train_epochs(est, state, X, Y, sw, settings, validation, incremental)
        return
    with threadpool_limits(limits=1, user_api="blas"):
        train_epochs(est, state, X, Y, sw, settings, validation, incremental)


def train_epochs(est, state, X, Y, sw, settings, validation, incremental):
    """Train ``est`` for up to ``est.max_iter`` epochs (one epoch when ``incremental``).

    Parameters
    ----------
    est : _BaseRegularizedMLP
        The estimator; its history attributes (``history_``, ``loss_curve_``, ``loss_``,
        ``validation_scores_``, ``best_loss_``, ``best_validation_score_``, ``best_epoch_``,
        ``n_iter_``, ``t_``) are updated in place.
    state : KernelState
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,)
    settings : dict
        Keyword arguments of the epoch kernel other than the state arrays and ``lr``.
    validation : callable or None
        ``validation(theta, bn_state) -> (val_loss, val_score)`` on held-out data, or None.
    incremental : bool
        ``partial_fit``: a single epoch; progress is tracked but nothing stops.
    """
    n_samples = X.shape[0]
    max_epochs = 1 if incremental else est.max_iter
    # Schedules count the epochs (and samples) of this fit; partial_fit continues the count
    # over all its calls.
    first_epoch, first_sample = (len(est.loss_curve_), 0) if incremental else (0, est.t_)
    est.n_iter_ = 0
    patience = est.n_iter_no_change if est.patience is None else est.patience
    min_delta = est.tol if est.min_delta is None else est.min_delta
    on_validation = validation is not None and est.early_stopping
    best_weights = None
    # What divergence falls back to: the state at the start of the epoch with the lowest
    # training objective (the state at its end may already be on its way to overflow).
    fallback, fallback_loss = state.snapshot(), np.inf
    stopped = diverged = False
    lr = est.learning_rate_init
    for _ in range(max_epochs):
        started = time.perf_counter()
        lr = _current_lr(est, first_epoch + est.n_iter_, est.t_ - first_sample)
        epoch_start = state.snapshot()
        loss = run_epoch(
            X,
            Y,
            sw,
            state.theta,
            state.grad,
            state.state1,
            state.state2,
            state.bn_state,
            step=state.step,
            rng=state.rng,
            lr=lr,
            **settings,
        )
        if not (
            np.isfinite(loss)
            and np.isfinite(state.theta).all()
            and np.isfinite(state.bn_state).all()
        ):
            state.restore(fallback)
            _warn_divergence(len(est.loss_curve_) + 1, loss, lr)
            diverged = True
            break
        loss = float(loss)
        if loss < fallback_loss:
            fallback, fallback_loss = epoch_start, loss
        est.t_ += n_samples
        row = _record_epoch(est, loss, lr, validation, state, started)

        # Larger is better for the monitored quantity.
        if on_validation:
            value = -row["val_loss"] if est.monitor == "val_loss" else row["val_score"]
            best = est._best_monitored
        else:
            value, best = -loss, -est.best_loss_
        improved = value > best + min_delta
        if value > best:
            est.best_epoch_ = row["epoch"]
            if on_validation:
                est._best_monitored = value
                if est.restore_best_weights:
                    best_weights = (state.theta.copy(), state.bn_state.copy())
            else:
                est.best_loss_ = loss
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if incremental or est._no_improvement_count <= patience:
            continue
        if est.learning_rate == "adaptive" and lr > _MIN_ADAPTIVE_LR:
            est._plateau_scale /= _PLATEAU_FACTOR
            est._no_improvement_count = 0
            if est.verbose:
                print(f"Dividing the learning rate by {_PLATEAU_FACTOR:g}", flush=True)
            continue
        if est.verbose:
            what = f"Validation {est.monitor[4:]}" if on_validation else "Training loss"
            print(
                f"{what} did not improve more than {min_delta:g} for {patience} "
                "consecutive epochs. Stopping.",
                flush=True,
            )
        stopped = True
        break
    if not (incremental or diverged):
        _warn_end_of_fit(est, lr, stopped)
    if diverged and np.isfinite(fallback_loss):
        est.loss_ = fallback_loss
    else:
        est.loss_ = est.loss_curve_[-1] if est.loss_curve_ else None
    if best_weights is not None:
        state.theta[:] = best_weights[0]
        state.bn_state[:] = best_weights[1]
