"""The Python side of training: per-epoch decisions around the compiled epoch kernel.

The kernel runs every mini-batch of an epoch; this module decides, once per epoch, about the
learning rate, convergence, early stopping, divergence, history and progress output. It owns
the training state that lasts from one ``fit`` / ``partial_fit`` call to the next
(:class:`TrainingState`: the kernel's arrays, the monitor, the records); the estimator hands
it a :class:`TrainingConfig` made of its parameters and copies the outcome to its public
attributes (:meth:`TrainingState.fitted_attributes`).
"""

import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

# Loads the BLAS library that numba's np.dot calls, so that threadpoolctl sees it before the
# first fit (it can only limit libraries that are already loaded).
import scipy.linalg.cython_blas  # noqa: F401
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from ._inference import kernel_rows, raw_output
from ._kernels._epoch import (
    DROPOUT_FACTOR,
    LR,
    WEIGHT_DECAY,
    forward_backward,
    loss_and_grad,
    run_epoch,
)
from ._kernels._losses import loss_and_delta
from ._kernels._rng import make_state
from ._losses import LOSSES
from ._network import (
    ACTIVATION_CODES,
    HP_ACTIVATION,
    HP_BATCH_SIZE,
    HP_BETA_1,
    HP_BETA_2,
    HP_BN_MOMENTUM,
    HP_CLIP_NORM,
    HP_DROPOUT,
    HP_EPSILON,
    HP_EVEN_BATCHES,
    HP_L1,
    HP_L2,
    HP_LOSS,
    HP_LOSS_PARAMETERS,
    HP_MOMENTUM,
    HP_NESTEROV,
    HP_RHO,
    HP_SHUFFLE,
    HP_SOLVER,
    LOSS_CODES,
    SOLVER_CODES,
)
from ._schedules import STEP_SCHEDULES, learning_rate_at, schedule_factor
from ._warnings import warn_at_user_line

# Below this many output entries per matrix product (batch rows x widest layer), a second
# BLAS thread costs more than it saves: measured on digits, hidden (128, 128), batch 32,
# 50 epochs: 0.34 s with one thread, 0.45 s with two; W1's 256 x 256 products gain from two
# (0.185 s vs 0.275 s per epoch).
SINGLE_THREAD_BLAS_BELOW = 32768
# scikit-learn's "adaptive" schedule divides the rate by this on a plateau ...
_PLATEAU_FACTOR = 5.0
# ... and stops once the rate falls below this.
_MIN_ADAPTIVE_LR = 1e-6


@dataclass(frozen=True)
class TrainingConfig:
    """The settings of one ``fit`` / ``partial_fit`` call, in plain values.

    Network and loss: ``activation``, ``loss`` (names of :mod:`skdeep._network`),
    ``loss_parameters`` (float64: a quantile level per output, or the Huber threshold; see
    :func:`skdeep._kernels._losses.loss_and_delta`), ``dropout_rates`` (input rate first,
    then one per hidden layer), ``bn_momentum``.
    Optimizer: ``solver`` (name), ``momentum``, ``nesterov``, ``beta_1``, ``beta_2``,
    ``epsilon``, ``rho``, ``l2``, ``l1``, ``weight_decay``, ``clip_norm`` (0 for none),
    ``lr_factors`` (learning-rate factors by parameter group, None for the groups' own),
    ``fan_in_power`` (the NTK parametrization's per-layer rate ``fan_in ** -power``, 0 for
    none). Batches: ``batch_size``, ``shuffle``, ``even_batches``. Schedules: ``learning_rate``,
    ``learning_rate_init``, ``power_t``, ``lr_decay``, ``lr_step_size``, ``warmup_epochs``,
    ``lr_cycles``, ``max_iter``, ``dropout_schedule``, ``weight_decay_schedule``. Stopping:
    ``patience``, ``min_delta``, ``tol`` (the gradient tolerance of L-BFGS),
    ``early_stopping``, ``monitor``, ``restore_best_weights`` (True, False or ``"last"``).
    Output: ``verbose``, ``snapshot_epochs`` (epochs of the call, 1-based, after which
    copies of the parameters are kept in ``TrainingState.snapshots``).
    """

    activation: str
    loss: str
    dropout_rates: np.ndarray
    bn_momentum: float
    solver: str
    momentum: float
    nesterov: bool
    beta_1: float
    beta_2: float
    epsilon: float
    rho: float
    l2: float
    l1: float
    weight_decay: float
    clip_norm: float
    batch_size: int
    shuffle: bool
    learning_rate: str
    learning_rate_init: float
    power_t: float
    lr_decay: float | None
    lr_step_size: int
    warmup_epochs: int
    max_iter: int
    patience: float
    min_delta: float
    tol: float
    early_stopping: bool
    monitor: str
    restore_best_weights: bool | str
    verbose: bool
    lr_factors: dict | None = None
    fan_in_power: float = 0.0
    lr_cycles: int = 4
    dropout_schedule: str = "constant"
    weight_decay_schedule: str = "constant"
    loss_parameters: np.ndarray = field(default_factory=lambda: np.zeros(0))
    snapshot_epochs: tuple = ()
    even_batches: bool = False

    @property
    def kernel_loss(self):
        """The loss as the kernels take it: its code and its parameters."""
        return LOSS_CODES[self.loss], np.asarray(self.loss_parameters, dtype=np.float64)

    def kernel_settings(self, layout, dtype):
        """Keyword arguments of the epoch kernel that stay fixed during one call.

        Parameters
        ----------
        layout : NetworkLayout
        dtype : numpy dtype
            dtype of the parameters.

        Returns
        -------
        dict
        """
        groups = layout.optimizer_vectors(dtype, self.lr_factors, self.fan_in_power)
        table, inputs, optional = layout.kernel_tables
        return dict(
            layout=table,
            inputs=inputs,
            optional=optional,
            groups=groups,
            hp=self.hyperparameters(),
        )

    def hyperparameters(self):
        """The hyperparameter vector of the epoch kernel (the ``HP_*`` indices of
        :mod:`skdeep._network`), the one place that fills it.

        Returns
        -------
        ndarray of shape (HP_DROPOUT + n_layers + n_loss_parameters,), float64
        """
        n_rates = len(self.dropout_rates)
        # NaN: an index left out
        hp = np.full(HP_DROPOUT + n_rates + len(self.loss_parameters), np.nan)
        hp[HP_ACTIVATION] = ACTIVATION_CODES[self.activation]
        hp[HP_LOSS] = LOSS_CODES[self.loss]
        hp[HP_SOLVER] = SOLVER_CODES[self.solver]
        hp[HP_BATCH_SIZE] = self.batch_size
        hp[HP_SHUFFLE] = self.shuffle
        hp[HP_EVEN_BATCHES] = self.even_batches
        hp[HP_BN_MOMENTUM] = self.bn_momentum
        hp[HP_MOMENTUM] = self.momentum
        hp[HP_NESTEROV] = self.nesterov
        hp[HP_BETA_1] = self.beta_1
        hp[HP_BETA_2] = self.beta_2
        hp[HP_EPSILON] = self.epsilon
        hp[HP_RHO] = self.rho
        hp[HP_L2] = self.l2
        hp[HP_L1] = self.l1
        hp[HP_CLIP_NORM] = self.clip_norm
        hp[HP_LOSS_PARAMETERS] = HP_DROPOUT + n_rates
        hp[HP_DROPOUT : HP_DROPOUT + n_rates] = self.dropout_rates
        hp[HP_DROPOUT + n_rates :] = self.loss_parameters
        return hp


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

    def finite(self, loss):
        """Whether an epoch's ``loss``, the parameters and the running statistics are all
        finite (else the epoch diverged)."""
        return bool(
            np.isfinite(loss)
            and np.isfinite(self.theta).all()
            and np.isfinite(self.bn_state).all()
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


class Monitor:
    """What early stopping, convergence and the plateau schedule watch.

    Larger is better for the monitored value: the negative training loss, or (early stopping
    on a validation set) the validation score or the negative validation loss.

    Attributes
    ----------
    best_loss : float or None
        Lowest training objective (None while monitoring a validation set).
    best_value : float
        Best monitored validation value (-inf before the first epoch).
    best_epoch : int or None
        Epoch (1-based, counted over all calls) of the best monitored value.
    no_improvement : int
        Consecutive epochs that did not improve the monitored value by ``min_delta``.
    plateau_scale : float
        Factor of the ``"adaptive"`` schedule, divided on every plateau.
    validation_scores : list of float or None
        Validation score per epoch of this fit (only while monitoring a validation set).
    best_validation_score : float or None
    """

    def __init__(self):
        self.best_loss = np.inf
        self.best_value = -np.inf
        self.best_epoch = None
        self.no_improvement = 0
        self.plateau_scale = 1.0
        self.validation_scores = None
        self.best_validation_score = None

    def start(self, on_validation, incremental):
        """Reset what a new call starts afresh.

        A ``fit`` restarts the patience count and the plateau factor; ``partial_fit`` calls
        continue them. Monitoring a validation set starts its records anew in every ``fit``.
        """
        if not incremental:
            self.no_improvement = 0
            self.plateau_scale = 1.0
        self.validation_scores = None
        self.best_validation_score = None
        if on_validation:
            self.validation_scores = []
            self.best_validation_score = -np.inf
            self.best_loss = None
            self.best_value = -np.inf
        elif self.best_loss is None:
            self.best_loss = np.inf

    def record_score(self, score):
        """Add one epoch's validation score to the records (when monitoring them)."""
        if self.validation_scores is not None:
            self.validation_scores.append(score)
            # NaN (an overflowing epoch) is no score: never the best one.
            if score > self.best_validation_score:
                self.best_validation_score = score

    def update(self, value, epoch, loss, min_delta, on_validation, ties=False):
        """Take one epoch's monitored value; return ``(new_best, improved_by_min_delta)``.

        With ``ties``, an epoch that equals the best so far also becomes the best epoch (the
        last of equally good epochs is kept).
        """
        best = self.best_value if on_validation else -self.best_loss
        new_best = value > best or (ties and value == best)
        if new_best:
            self.best_epoch = epoch
            if on_validation:
                self.best_value = value
            else:
                self.best_loss = loss
        improved = value > best + min_delta
        self.no_improvement = 0 if improved else self.no_improvement + 1
        return new_best, improved


class TrainingState:
    """Everything training carries from one call to the next.

    Attributes
    ----------
    kernel : KernelState or None
        The arrays the epoch kernel updates.
    monitor : Monitor
    loss_curve : list of float
        Training objective per epoch, over all calls.
    history : list of dict
        One row per epoch, over all calls.
    t : int
        Training samples seen, over all calls.
    n_iter : int
        Epochs run by the last call.
    loss : float or None
        Training objective of the last epoch kept.
    snapshots : list of tuple
        ``(theta, bn_state)`` copies after each of the last call's ``snapshot_epochs`` that
        it reached, in order (taken, and emptied, by the estimator after the call).
    """

    def __init__(self):
        self.kernel = None
        self.monitor = Monitor()
        self.loss_curve = []
        self.history = []
        self.t = 0
        self.n_iter = 0
        self.loss = None
        self.snapshots = []

    def set_parameters(self, theta, bn_state, continue_optimizer, seed):
        """Train from ``theta`` and ``bn_state`` next.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        bn_state : ndarray of shape (n_bn_state,)
        continue_optimizer : bool
            Keep the optimizer state and random generator of the previous call
            (``partial_fit``) when the network has the same size.
        seed : callable
            Returns the seed of a new kernel random generator; called only when one is made.
        """
        kernel = self.kernel if continue_optimizer else None
        if kernel is None or kernel.theta.shape != theta.shape:
            self.kernel = KernelState(theta, bn_state, seed())
        else:
            kernel.theta, kernel.bn_state = theta, bn_state

    def to_plain(self):
        """This state as plain containers, numbers and arrays (see :meth:`from_plain`)."""
        state = dict(self.__dict__, monitor=dict(self.monitor.__dict__))
        if self.kernel is not None:
            state["kernel"] = self.kernel.__getstate__()
        return state

    @classmethod
    def from_plain(cls, state):
        """The training state of a :meth:`to_plain` state."""
        training = cls()
        training.__dict__.update(state)
        training.monitor = Monitor()
        training.monitor.__dict__.update(state["monitor"])
        if state["kernel"] is not None:
            training.kernel = KernelState.__new__(KernelState)
            training.kernel.__setstate__(state["kernel"])
        return training

    def fitted_attributes(self):
        """The public attributes that describe training, by name.

        The lists are the records themselves, not copies: a stream of ``partial_fit`` calls
        then costs the same per call however long its history, and a pickle holds each record
        once.
        """
        monitor = self.monitor
        return {
            "n_iter_": self.n_iter,
            "t_": self.t,
            "loss_": self.loss,
            "loss_curve_": self.loss_curve,
            "history_": self.history,
            "best_loss_": monitor.best_loss,
            "best_epoch_": monitor.best_epoch,
            "validation_scores_": monitor.validation_scores,
            "best_validation_score_": monitor.best_validation_score,
            # scikit-learn's MLP has it (under this private name): its tests read it.
            "_no_improvement_count": monitor.no_improvement,
        }


def validation_function(X_val, Y_val, sw_val, layout, config, score):
    """A callable scoring parameters on a validation set.

    Parameters
    ----------
    X_val : ndarray of shape (n_val, n_features)
    Y_val : ndarray of shape (n_val, n_outputs)
        Encoded targets, as trained on.
    sw_val : ndarray of shape (n_val,)
    layout : NetworkLayout
    config : TrainingConfig
    score : callable
        ``score(raw, Y_val, sw_val) -> float``, the estimator's validation metric on raw
        network outputs.

    Returns
    -------
    callable
        ``validation(theta, bn_state) -> (val_loss, val_score)``; ``(inf, nan)`` when the
        network's outputs overflow (scikit-learn's MLP records a NaN score then).
    """
    loss = config.kernel_loss
    # In the rows' dtype, as the training kernels sum them: one compiled loss kernel serves both.
    sw_sum = sw_val.dtype.type(sw_val.sum())

    def validation(theta, bn_state):
        raw = raw_output(X_val, layout, theta, bn_state, config.activation)
        if layout.n_members > 1:
            # A shared-weight ensemble is scored on its members' mean prediction.
            with np.errstate(over="ignore", invalid="ignore"):
                raw = LOSSES[config.loss].mean_of_members(raw, layout.n_members)
        if not np.isfinite(raw).all():
            # Finite weights whose outputs overflow (a fit on its way to diverging): no
            # score, never a best epoch (NaN compares false).
            return np.inf, np.nan
        with np.errstate(over="ignore", invalid="ignore"):
            value = score(raw, Y_val, sw_val)
        if not np.isfinite(value):
            value = np.nan  # squared errors that overflow: no score either
        # loss_and_delta overwrites its first argument with the gradient: raw is scratch.
        return float(loss_and_delta(raw, Y_val, sw_val, sw_sum, loss)), float(value)

    return validation


def _format_progress(row):
    # scikit-learn's words and digits first ("Iteration N, loss = ..."), then what it lacks.
    parts = [f"Iteration {row['epoch']}", f"loss = {row['loss']:.8f}"]
    if "val_loss" in row:
        parts += [f"val_loss = {row['val_loss']:.6f}", f"val_score = {row['val_score']:.6f}"]
    parts += [f"lr = {row['learning_rate']:.3g}", f"{row['seconds']:.2f}s"]
    return ", ".join(parts)


def _rate(lr, config):
    """The learning rate of a warning: the scheduled one, and the setting behind it."""
    if lr == config.learning_rate_init:
        return f"({lr:g})"
    return f"({lr:g} then, from learning_rate_init={config.learning_rate_init:g})"


def _warn_divergence(epoch, loss, lr, config):
    warn_at_user_line(
        f"Training diverged in epoch {epoch}: the loss became {loss}. The learning rate "
        f"{_rate(lr, config)} is probably too high for this data; lower learning_rate_init, set "
        "clip_norm, or standardize the features (StandardScaler). The weights (and optimizer "
        "state) with the lowest training loss so far were kept.",
        ConvergenceWarning,
    )


def _warn_end_of_fit(state, config, lr, stopped):
    """After a full fit: warn when the loss rose over the fit, or when max_iter cut it short."""
    curve = state.loss_curve[len(state.loss_curve) - state.n_iter :]
    if len(curve) >= 2 and curve[-1] > curve[0]:
        warn_at_user_line(
            f"Training loss rose from {curve[0]:.4g} after the first epoch to {curve[-1]:.4g} "
            f"after epoch {state.n_iter}: the learning rate {_rate(lr, config)} is probably too "
            "high for "
            "this data; lower learning_rate_init, set clip_norm, or standardize the features "
            "(StandardScaler).",
            ConvergenceWarning,
        )
    elif not stopped and (
        np.isfinite(config.patience) or config.learning_rate not in STEP_SCHEDULES
    ):
        # A schedule over the whole run (log_cosine, flat_cosine) with stopping switched off
        # (an infinite patience) runs its max_iter epochs by design: nothing was cut short.
        # Any other schedule can stop early on a plateau, as in scikit-learn (which warns
        # also when n_iter_no_change is infinite).
        warn_at_user_line(
            f"Stochastic optimizer: maximum iterations ({config.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
        )


def _batch_schedule(state, config, epoch, samples_seen, n_batches):
    """Learning rate, weight decay and dropout factor of each mini-batch of one epoch.

    Returns
    -------
    schedule : ndarray of shape (n_batches, 3), float64
        Rows as the epoch kernel reads them (columns ``LR``, ``WEIGHT_DECAY``,
        ``DROPOUT_FACTOR``).
    lr : float
        The epoch's learning rate for the records (the mean over its steps for the per-step
        schedules).
    """
    # Training progress of each step over the run of max_iter epochs.
    t = (epoch * n_batches + np.arange(n_batches)) / (config.max_iter * n_batches)
    schedule = np.empty((n_batches, 3), dtype=np.float64)
    scale = state.monitor.plateau_scale
    if config.learning_rate in STEP_SCHEDULES:
        factor = schedule_factor(config.learning_rate, t, config.lr_cycles)
        if epoch < config.warmup_epochs:
            factor = factor * (epoch + 1) / config.warmup_epochs
        schedule[:, LR] = config.learning_rate_init * factor * scale
        lr = float(schedule[:, LR].mean())
    else:
        lr = scale * learning_rate_at(
            config.learning_rate,
            config.learning_rate_init,
            epoch,
            samples_seen=samples_seen,
            max_epochs=config.max_iter,
            power_t=config.power_t,
            decay=config.lr_decay,
            step_size=config.lr_step_size,
            warmup_epochs=config.warmup_epochs,
        )
        schedule[:, LR] = lr
    schedule[:, WEIGHT_DECAY] = config.weight_decay * schedule_factor(
        config.weight_decay_schedule, t
    )
    schedule[:, DROPOUT_FACTOR] = schedule_factor(config.dropout_schedule, t)
    return schedule, lr


def _record_epoch(state, config, loss, lr, validation, started):
    """Append the epoch to the records (and print it when verbose)."""
    state.n_iter += 1
    state.loss_curve.append(loss)
    row = {"epoch": len(state.loss_curve), "loss": loss}
    if validation is not None:
        row["val_loss"], row["val_score"] = validation(state.kernel.theta, state.kernel.bn_state)
        state.monitor.record_score(row["val_score"])
    row["learning_rate"] = lr
    row["seconds"] = time.perf_counter() - started
    state.history.append(row)
    if config.verbose:
        print(_format_progress(row), flush=True, file=sys.stdout)
    return row


def train(state, layout, X, Y, sw, config, validation, incremental, epochs=None):
    """Train for up to ``config.max_iter`` epochs (one epoch when ``incremental``).

    With one BLAS thread when the matrix products are small, and only from the main thread:
    the BLAS thread count is process-wide, so fits running in several threads at once would
    undo each other's limits (and leave a wrong one behind).

    Parameters
    ----------
    state : TrainingState
        Its kernel arrays, monitor and records are updated in place.
    layout : NetworkLayout
    X : ndarray of shape (n_samples, n_features), or CSR matrix
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,)
    config : TrainingConfig
    validation : callable or None
        ``validation(theta, bn_state) -> (val_loss, val_score)`` on held-out data, or None.
    incremental : bool
        ``partial_fit``: a single epoch; progress is tracked but nothing stops.
    epochs : object or None
        Told about each epoch: ``epochs.begin(theta, bn_state)`` before it and
        ``epochs.end(theta, bn_state)`` after it, which returns True to stop training there
        (the estimator's callbacks); None when nothing listens.
    """
    small = config.batch_size * layout.widest < SINGLE_THREAD_BLAS_BELOW
    args = (state, layout, X, Y, sw, config, validation, incremental, epochs)
    if not small or threading.current_thread() is not threading.main_thread():
        train_epochs(*args)
        return
    with threadpool_limits(limits=1, user_api="blas"):
        train_epochs(*args)


def train_epochs(state, layout, X, Y, sw, config, validation, incremental, epochs=None):
    """The epoch loop of :func:`train` (same parameters)."""
    kernel = state.kernel
    monitor = state.monitor
    settings = config.kernel_settings(layout, kernel.theta.dtype)
    n_samples = X.shape[0]
    max_epochs = 1 if incremental else config.max_iter
    # Schedules count the epochs of this fit (partial_fit continues the count over all its
    # calls); "invscaling" counts the samples of all calls, as scikit-learn's does (a warm
    # start continues its decay).
    first_epoch = len(state.loss_curve) if incremental else 0
    if incremental:
        _warn_if_schedule_ended(config, first_epoch)
    state.n_iter = 0
    state.snapshots = []
    on_validation = validation is not None and config.early_stopping
    monitor.start(on_validation, incremental)
    best_weights = None
    # What divergence falls back to: the state at the start of the epoch with the lowest
    # training objective (the state at its end may already be on its way to overflow).
    fallback, fallback_loss = kernel.snapshot(), np.inf
    stopped = diverged = False
    lr = config.learning_rate_init
    n_batches = -(-n_samples // config.batch_size)
    X, Xsparse = kernel_rows(X)
    for _ in range(max_epochs):
        started = time.perf_counter()
        schedule, lr = _batch_schedule(
            state, config, first_epoch + state.n_iter, state.t, n_batches
        )
        epoch_start = kernel.snapshot()
        if epochs is not None:
            epochs.begin(kernel.theta, kernel.bn_state)
        loss = run_epoch(
            X, Y, sw, kernel.theta, kernel.grad, (kernel.state1, kernel.state2), kernel.bn_state,
            step=kernel.step, rng=kernel.rng, schedule=schedule, Xsparse=Xsparse, **settings,
        )  # fmt: skip
        if not kernel.finite(loss):
            kernel.restore(fallback)
            _diverged(state, config, loss, lr, incremental)
            diverged = True
            if epochs is not None:
                epochs.abandon()  # the epoch's parameters were thrown away
            break
        loss = float(loss)
        if loss < fallback_loss:
            fallback, fallback_loss = epoch_start, loss
        state.t += n_samples
        row = _record_epoch(state, config, loss, lr, validation, started)
        if on_validation:
            value = -row["val_loss"] if config.monitor == "val_loss" else row["val_score"]
        else:
            value = -loss
        new_best, _ = monitor.update(
            value,
            row["epoch"],
            loss,
            config.min_delta,
            on_validation,
            ties=config.restore_best_weights == "last",
        )
        if new_best and on_validation and config.restore_best_weights:
            best_weights = (kernel.theta.copy(), kernel.bn_state.copy())
        if state.n_iter in config.snapshot_epochs:
            state.snapshots.append((kernel.theta.copy(), kernel.bn_state.copy()))
        if epochs is not None and epochs.end(kernel.theta, kernel.bn_state):
            # A callback stopped the fit: as early stopping does, without a warning that
            # max_iter was reached (the best weights, if kept, are restored below).
            stopped = True
            break
        if not incremental and _patience_ran_out(monitor, config, lr, on_validation):
            stopped = True
            break
    if not (incremental or diverged):
        _warn_end_of_fit(state, config, lr, stopped)
    if diverged and np.isfinite(fallback_loss):
        state.loss = fallback_loss
    else:
        state.loss = state.loss_curve[-1] if state.loss_curve else None
    if diverged:
        # The fallback, not the best validation epoch (which can be one step from overflow),
        # is what the divergence warning says was kept.
        monitor.best_epoch = None
    elif best_weights is not None:
        kernel.theta[:] = best_weights[0]
        kernel.bn_state[:] = best_weights[1]


def _warn_if_schedule_ended(config, first_epoch):
    """partial_fit after a step schedule has run its max_iter epochs: say it no longer learns."""
    if config.learning_rate in STEP_SCHEDULES and first_epoch >= config.max_iter:
        # One message whatever the epoch, so that Python shows it once per calling line.
        warn_at_user_line(
            f"learning_rate={config.learning_rate!r} schedules the learning rate over the "
            f"max_iter={config.max_iter} epochs of a run, and they have all run: it is 0 now, "
            "so partial_fit no longer changes the weights. To keep training, use "
            "set_params(learning_rate='constant') (or raise max_iter) first.",
            UserWarning,
        )


def _diverged(state, config, loss, lr, incremental):
    """An epoch ended with non-finite values: an error when nothing was ever trained, else
    the divergence warning (the caller has restored the fallback state)."""
    if state.n_iter == 0 and not (incremental and state.loss_curve):
        # Nothing was ever trained (a fit's first epoch, or a first partial_fit): no model to
        # keep, so an error, as scikit-learn gives (a search then records the candidate as
        # failed instead of scoring an untrained network).
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain "
            "large values and need to be preprocessed (for example with "
            f"StandardScaler), or the learning rate {_rate(lr, config)} is too high: "
            f"the loss became {loss} in the first epoch."
        )
    _warn_divergence(len(state.loss_curve) + 1, loss, lr, config)


def _patience_ran_out(monitor, config, lr, on_validation):
    """Whether the fit stops after this epoch for lack of improvement.

    After ``patience`` epochs without improvement, ``learning_rate="adaptive"`` divides the
    learning rate (until it reaches its floor) instead of stopping.
    """
    if monitor.no_improvement <= config.patience:
        return False
    if config.learning_rate == "adaptive" and lr > _MIN_ADAPTIVE_LR:
        monitor.plateau_scale /= _PLATEAU_FACTOR
        monitor.no_improvement = 0
        if config.verbose:
            print(f"Dividing the learning rate by {_PLATEAU_FACTOR:g}", flush=True)
        return False
    if config.verbose:
        what = f"Validation {config.monitor[4:]}" if on_validation else "Training loss"
        print(
            f"{what} did not improve more than {config.min_delta:g} for "
            f"{config.patience} consecutive epochs. Stopping.",
            flush=True,
        )
    return True


def train_lbfgs(state, layout, X, Y, sw, config, validation, max_fun, epochs=None):
    """Full-batch L-BFGS (``solver="lbfgs"``) on the training objective, through scipy.

    The objective is the one mini-batch training minimizes with the whole training set as
    the single batch: the weighted mean loss plus the L2 penalty divided by the summed sample
    weight. scipy's L-BFGS-B runs for at most ``config.max_iter`` iterations and ``max_fun``
    evaluations, and stops when the largest gradient entry falls below ``config.tol`` (or
    the objective stops decreasing, scipy's other test), as in scikit-learn. Each iteration is
    one row of the records. With batch normalization the training set's own statistics
    normalize every evaluation, and they become the running statistics used at inference
    (also for the validation scores recorded after each iteration). The parameter groups'
    learning-rate factors do not apply: L-BFGS has no per-parameter step sizes; nor do the
    per-step rules of ``config`` (dropout, decoupled weight decay, clipping, the schedules,
    early stopping), which this function never reads.

    Parameters
    ----------
    state : TrainingState
    layout : NetworkLayout
    X : ndarray of shape (n_samples, n_features), or CSR matrix
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,)
    config : TrainingConfig
        Dropout rates must be 0 (the objective would be random).
    validation : callable or None
        As in :func:`train`; recorded each iteration.
    max_fun : int
        Most objective evaluations.
    epochs : object or None
        As in :func:`train`, told about each iteration. scipy reports an iteration when it
        has run, so the next one begins then; the one begun when scipy stops never runs and
        is ended empty (``epochs.abandon()``). A request to stop ends the iterations.
    """
    kernel = state.kernel
    monitor = state.monitor
    monitor.start(on_validation=False, incremental=False)
    state.n_iter = 0
    table, inputs, optional = layout.kernel_tables
    _, penalty_mask, _ = layout.optimizer_vectors(kernel.theta.dtype)
    activation = ACTIVATION_CODES[config.activation]
    kernel_loss = config.kernel_loss
    dropout_rates = np.zeros(layout.n_layers, dtype=np.float64)
    theta, grad = kernel.theta, kernel.grad
    X, Xsparse = kernel_rows(X)
    last = {"value": np.inf, "started": time.perf_counter()}

    def objective(x):
        theta[:] = x
        value = loss_and_grad(
            X, Y, sw, theta, grad, kernel.bn_state, table, inputs, optional, penalty_mask,
            activation, kernel_loss, dropout_rates, config.l2, config.l1, kernel.rng, Xsparse,
        )  # fmt: skip
        last["value"] = float(value)
        return float(value), grad.astype(np.float64)

    def set_running_statistics():
        # Momentum 0: the running statistics become the training set's statistics.
        forward_backward(
            X, Y, sw, theta, grad, kernel.bn_state, table, inputs, optional, activation,
            kernel_loss, dropout_rates, 0.0, True, kernel.rng, Xsparse, np.arange(X.shape[0]),
        )  # fmt: skip

    def iteration_done(xk):
        theta[:] = xk
        if (validation is not None or epochs is not None) and layout.n_bn_state:
            # What is scored after this iteration (the validation score, a callback's model)
            # predicts with the running statistics, which the objective does not update.
            set_running_statistics()
        loss = last["value"]
        state.t += X.shape[0]
        # L-BFGS has no learning rate: its step comes from a line search.
        row = _record_epoch(state, config, loss, np.nan, validation, last["started"])
        monitor.update(-loss, row["epoch"], loss, config.min_delta, on_validation=False)
        last["started"] = time.perf_counter()
        if epochs is not None:
            if epochs.end(theta, kernel.bn_state):
                last["stop"] = True
                raise StopIteration  # scipy ends the minimization at this iteration
            epochs.begin(theta, kernel.bn_state)

    if epochs is not None:
        epochs.begin(theta, kernel.bn_state)
    try:
        result = scipy.optimize.minimize(
            objective,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=iteration_done,
            options={"maxiter": config.max_iter, "maxfun": max_fun, "gtol": config.tol},
        )
    except StopIteration:
        # scipy < 1.11 lets a callback's StopIteration through: theta holds the iterate.
        result = scipy.optimize.OptimizeResult(
            x=theta.copy(), fun=last["value"], nit=state.n_iter, status=0, message=""
        )
    if epochs is not None:
        epochs.abandon()
    theta[:] = result.x
    if layout.n_bn_state and np.isfinite(theta).all():
        set_running_statistics()
    # Batch-norm statistics overflow (the variance of huge inputs) even when the weights are
    # finite; either way the model cannot predict.
    if not (np.isfinite(theta).all() and np.isfinite(kernel.bn_state).all()):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large "
            "values and need to be preprocessed (for example with StandardScaler)."
        )
    state.loss = float(result.fun)
    state.n_iter = min(int(result.nit), config.max_iter)
    if result.status != 0 and not last.get("stop"):
        message = result.message.decode() if isinstance(result.message, bytes) else result.message
        warn_at_user_line(
            f"lbfgs failed to converge after {state.n_iter} iteration(s) "
            f"(status={result.status}):\n{message}\n\nIncrease the number of iterations "
            "(max_iter) or the number of function evaluations (max_fun), or scale the data "
            "(for example with StandardScaler).",
            ConvergenceWarning,
        )
