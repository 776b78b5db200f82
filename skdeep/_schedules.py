"""Schedules: the learning rate of each epoch, and factors that change within the training run.

The classic learning-rate schedules (``learning_rate_at``) give one rate per epoch.
``"adaptive"`` (reduce on plateau) is not closed-form: the training loop divides a running
factor by 5 on plateaus and multiplies it into the rate returned here. The tabular-recipe
schedules (``schedule_factor``) change from one mini-batch to the next: their factor is a
function of the training progress ``t`` in [0, 1], the share of the run's mini-batch steps
done before a step.
"""

import math

import numpy as np

# Schedules of the learning rate.
SCHEDULES = (
    "constant",
    "step",
    "exponential",
    "cosine",
    "invscaling",
    "adaptive",
    "log_cosine",
    "flat_cosine",
)
# The learning-rate schedules evaluated per mini-batch step rather than per epoch.
STEP_SCHEDULES = ("log_cosine", "flat_cosine")
# Schedules of the dropout rate and of the weight-decay strength.
FACTOR_SCHEDULES = ("constant", "flat_cosine")
# Decay factor used when ``lr_decay`` is None.
DEFAULT_DECAY = {"step": 0.5, "exponential": 0.95}


def learning_rate_at(
    schedule,
    lr_init,
    epoch,
    *,
    samples_seen=0,
    max_epochs=1,
    power_t=0.5,
    decay=None,
    step_size=10,
    warmup_epochs=0,
):
    """Learning rate for the 0-based ``epoch``.

    Parameters
    ----------
    schedule : str
        ``"constant"`` and ``"adaptive"``: ``lr_init``. ``"step"``:
        ``lr_init * decay ** (epoch // step_size)`` (the textbooks' staircase).
        ``"exponential"``: ``lr_init * decay ** epoch``. ``"cosine"``: half a cosine from
        ``lr_init`` to 0 over the epochs after warm-up. ``"invscaling"``: scikit-learn's
        ``lr_init / (samples_seen + 1) ** power_t``.
    lr_init : float
        Base learning rate.
    epoch : int
        Number of epochs completed before this one.
    samples_seen : int, default=0
        Training samples processed before this epoch (``"invscaling"``).
    max_epochs : int, default=1
        Length of the cosine cycle, warm-up included.
    power_t : float, default=0.5
    decay : float or None, default=None
        Decay factor; None uses 0.5 for ``"step"`` and 0.95 for ``"exponential"``.
    step_size : int, default=10
        Epochs per stair of ``"step"``.
    warmup_epochs : int, default=0
        Epochs of linear warm-up (from ``lr_init / warmup_epochs`` to ``lr_init``) before any
        schedule.

    Returns
    -------
    float
    """
    if epoch < warmup_epochs:
        return lr_init * (epoch + 1) / warmup_epochs
    if decay is None:
        decay = DEFAULT_DECAY.get(schedule, 1.0)
    if schedule == "step":
        return lr_init * decay ** ((epoch - warmup_epochs) // step_size)
    if schedule == "exponential":
        return lr_init * decay ** (epoch - warmup_epochs)
    if schedule == "cosine":
        span = max(max_epochs - warmup_epochs, 1)
        progress = min((epoch - warmup_epochs) / span, 1.0)
        return 0.5 * lr_init * (1.0 + math.cos(math.pi * progress))
    if schedule == "invscaling":
        return lr_init / (samples_seen + 1) ** power_t
    return lr_init


def schedule_factor(name, t, cycles=4):
    """Factor of a per-step schedule at the training progress ``t``.

    Parameters
    ----------
    name : {"constant", "flat_cosine", "log_cosine"}
        ``"constant"``: 1. ``"flat_cosine"``: 1 for the first half of the run, then half a
        cosine down to 0. ``"log_cosine"``: ``0.5 * (1 - cos(2 pi log2(1 + (2**cycles - 1) t)))``,
        ``cycles`` warm restarts whose lengths double (each starts and ends at 0 and peaks at 1;
        the "coslog" schedule of RealMLP).
    t : ndarray of float
        Training progress in [0, 1].
    cycles : int, default=4
        Cycles of ``"log_cosine"``.

    Returns
    -------
    ndarray of float, the shape of ``t``
    """
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if name == "flat_cosine":
        return np.where(t < 0.5, 1.0, 0.5 * (1.0 + np.cos(np.pi * (2.0 * t - 1.0))))
    if name == "log_cosine":
        return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.log2(1.0 + (2.0**cycles - 1.0) * t)))
    return np.ones_like(t)
