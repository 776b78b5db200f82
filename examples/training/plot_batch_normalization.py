"""
Batch normalization in a deep network
=====================================

``batch_normalization=True`` normalizes the output of every hidden dense layer with the
statistics of its mini-batch before the activation, so every layer gets inputs on the same
scale whatever the weights before it do. This example trains a network of six hidden layers
on half of scikit-learn's digits, with and without batch normalization, at three learning
rates of Adam, and shows the training loss of every epoch and the accuracy on the other
half. See :doc:`/user_guide/batch_normalization`.
"""

# %%
# The data and the network
# ------------------------
# 898 digits for training, 899 held out. The network starts from scikit-learn's
# configuration (``like_sklearn``): Adam, ReLU, scikit-learn's initialization; six hidden
# layers of 64 units, mini-batches of 100 rows, 30 epochs. The batch size matters with
# batch normalization: 898 rows in batches of 100 leave a last batch of 98 rows, while a
# last batch of a row or two would be normalized with the statistics of almost no data
# (see the user guide).
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
network = dict(
    hidden_layer_sizes=(64,) * 6,
    batch_size=100,
    max_iter=30,
    # Every epoch runs, so that the curves are comparable.
    n_iter_no_change=np.inf,
)
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# Three learning rates, with and without batch normalization
# ----------------------------------------------------------
# Each setting trains three networks (``random_state`` 0, 1 and 2) on the same rows, so
# that the table shows how much the held-out accuracy moves with the seed alone.
rates = [0.001, 0.01, 0.1]
seeds = [0, 1, 2]
results = {}
for rate in rates:
    for batch_norm in (False, True):
        models = [
            RegularizedMLPClassifier.like_sklearn(
                **network,
                learning_rate_init=rate,
                batch_normalization=batch_norm,
                random_state=seed,
            ).fit(X_train, y_train)
            for seed in seeds
        ]
        results[rate, batch_norm] = models

print(
    "learning_rate_init  batch norm   train acc (mean)   "
    "held-out acc (mean, min..max)"
)
for (rate, batch_norm), models in results.items():
    train = np.mean([m.score(X_train, y_train) for m in models])
    test = [m.score(X_test, y_test) for m in models]
    print(
        f"{rate:>18g}  {'yes' if batch_norm else 'no':>10}   {train:16.3f}   "
        f"{np.mean(test):.3f}, {min(test):.3f}..{max(test):.3f}"
    )

# %%
# The training loss of every epoch
# --------------------------------
# ``loss_curve_`` holds the training loss of each epoch (of the first seed's network,
# drawn here). The dotted line is :math:`\ln 10`, the loss of guessing uniformly among the
# ten digits.
fig, axes = plt.subplots(
    1, 3, figsize=(10, 3.6), sharey=True, layout="constrained"
)
for ax, rate in zip(axes, rates, strict=True):
    for batch_norm, color in ((False, "C0"), (True, "C1")):
        curve = results[rate, batch_norm][0].loss_curve_
        label = (
            "batch normalization" if batch_norm else "no batch normalization"
        )
        ax.plot(range(1, len(curve) + 1), curve, color=color, label=label)
    ax.axhline(np.log(10), color="0.5", linestyle=":")
    ax.set(yscale="log", xlabel="epoch", title=f"learning_rate_init={rate:g}")
    ax.grid(alpha=0.3)
axes[0].set(ylabel="training loss")
axes[0].legend(loc="lower left")
plt.show()

# %%
# Where the network without batch normalization trains at all, batch normalization makes
# its loss fall faster in the first epochs, though not always to a lower loss at the end:
# the statistics of each mini-batch add noise to every step. At the highest rate the
# network without it stays at the loss of guessing, while the normalized one still learns.
# At the lower rates the held-out accuracies of the two are close, and their difference is
# of the size of the spread over the seeds; what batch normalization buys here is a wider
# range of learning rates that work (and of initializations, see
# :doc:`/user_guide/initialization`), not a better network at a rate that already works.
