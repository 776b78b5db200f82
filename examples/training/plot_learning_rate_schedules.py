"""
Learning-rate schedules
=======================

``learning_rate`` chooses how the step size changes over the epochs of a fit, starting
from ``learning_rate_init``; ``warmup_epochs`` ramps it up first. This example trains one
network on half of scikit-learn's digits with every schedule the estimators offer (and the
cosine schedule once more after a warm-up), draws the rate of every epoch as
``history_`` records it, and scores each network on the other half, at a moderate and at
a high initial rate. See :doc:`/user_guide/learning_rate`.
"""

# %%
# The data and the network
# ------------------------
# 898 digits for training, 899 held out. The network starts from scikit-learn's
# configuration (``like_sklearn``, Adam): two hidden layers of 64 ReLU units, mini-batches
# of 100 rows, 30 epochs; only the schedule differs.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities 0..16 to 0..1
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
network = dict(hidden_layer_sizes=(64, 64), batch_size=100, max_iter=30)
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# The schedules
# -------------
# ``n_iter_no_change=np.inf`` lets every fit run its 30 epochs. ``"adaptive"`` needs a
# finite one: it divides the rate by 5 whenever the training loss has not improved by
# ``tol`` for more than ``n_iter_no_change`` epochs (and stops only once the rate has
# fallen below 1e-6), so it gets 3.
schedules = {
    "constant": dict(learning_rate="constant"),
    "step (lr_step_size=10)": dict(learning_rate="step", lr_step_size=10),
    "exponential (lr_decay=0.9)": dict(
        learning_rate="exponential", lr_decay=0.9
    ),
    "cosine": dict(learning_rate="cosine"),
    "cosine, warmup_epochs=5": dict(learning_rate="cosine", warmup_epochs=5),
    "flat_cosine": dict(learning_rate="flat_cosine"),
    "log_cosine": dict(learning_rate="log_cosine"),
    "invscaling": dict(learning_rate="invscaling"),
    "adaptive (n_iter_no_change=3)": dict(
        learning_rate="adaptive", n_iter_no_change=3
    ),
}

# %%
# Two initial rates, three seeds each
# -----------------------------------
# A moderate rate for Adam, 0.01, and a high one, 0.05, at which the size of the last
# steps matters more. Each setting trains three networks (``random_state`` 0, 1 and 2) on
# the same rows, so that the table shows how much the held-out accuracy moves with the
# seed.
rates = [0.01, 0.05]
seeds = [0, 1, 2]
histories = {}  # the history of the first seed's network
scores = {}  # held-out accuracy of each seed's network
for name, schedule in schedules.items():
    for rate in rates:
        params = {
            "n_iter_no_change": np.inf,
            **schedule,
            "learning_rate_init": rate,
        }
        scores[name, rate] = []
        for seed in seeds:
            model = RegularizedMLPClassifier.like_sklearn(
                **network, **params, random_state=seed
            ).fit(X_train, y_train)
            scores[name, rate].append(model.score(X_test, y_test))
            histories.setdefault((name, rate), model.history_)

print("held-out accuracy, mean (min..max) of 3 seeds")
print(
    f"{'learning_rate':>30}"
    + "".join(f"   learning_rate_init={rate:<5g}" for rate in rates)
)
for name in schedules:
    cells = [
        f"{np.mean(scores[name, rate]):.3f} "
        f"({min(scores[name, rate]):.3f}..{max(scores[name, rate]):.3f})"
        for rate in rates
    ]
    print(f"{name:>30}" + "".join(f"   {cell:>24}" for cell in cells))

# %%
# The rate of every epoch, from ``history_``
# ------------------------------------------
# ``history_`` records the rate of each epoch (for the per-step ``"log_cosine"`` and
# ``"flat_cosine"``, the epoch's mean). The left panel draws them for the high initial
# rate and the first seed, on a log scale; the right one has the held-out accuracy of
# every schedule at both initial rates.
fig, (ax, ax_score) = plt.subplots(
    1, 2, figsize=(10, 5.2), layout="constrained"
)
for i, name in enumerate(schedules):
    history = histories[name, rates[-1]]
    ax.plot(
        [row["epoch"] for row in history],
        [row["learning_rate"] for row in history],
        color=f"C{i}",
        label=name,
    )
ax.set(
    yscale="log",
    xlabel="epoch",
    ylabel="learning rate",
    title=f"learning_rate_init={rates[-1]:g}",
)
ax.grid(alpha=0.3)
handles, labels = ax.get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower left", ncol=3, fontsize="small")

positions = np.arange(len(schedules))
for offset, rate, marker in zip((-0.15, 0.15), rates, "os", strict=True):
    table = np.array([scores[name, rate] for name in schedules])
    mean = table.mean(axis=1)
    ax_score.errorbar(
        mean,
        positions + offset,
        xerr=[mean - table.min(axis=1), table.max(axis=1) - mean],
        fmt=marker,
        capsize=3,
        label=f"learning_rate_init={rate:g}",
    )
ax_score.set_yticks(positions, list(schedules))
ax_score.invert_yaxis()
ax_score.set(xlabel="held-out accuracy (mean, min..max of 3 seeds)")
ax_score.grid(alpha=0.3)
ax_score.legend(loc="lower left", fontsize="small")
plt.show()

# %%
# At the moderate rate the schedules score alike, except ``"invscaling"``: it counts
# training samples, not epochs, so after the first epoch it runs at a small fraction of
# the initial rate, and the network learns far less in its 30 epochs. At the high
# rate the constant schedule is the worst of the rest: its last steps are as large as its
# first, while every schedule that lowers the rate towards the end lets the network settle.
# Which decaying schedule is best is within the spread over the seeds here.
