"""Learning-rate schedules: the learning rate of each epoch as a closed-form function.

``"adaptive"`` (reduce on plateau) is not closed-form: the training loop divides a running
factor by 5 on plateaus and multiplies it into the rate returned here.
"""

import math

SCHEDULES = ("constant", "step", "exponential", "cosine", "invscaling", "adaptive")
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
