"""
Initialization and activation in a deep network
===============================================

In a deep network, the scale of the initial weights decides whether the signal, and the
gradient flowing back, survives the trip through all the layers; the right scale depends on
the activation. This example trains a network of eight hidden layers on half of
scikit-learn's digits with four pairs of ``activation`` and ``weight_init``: ReLU with He
initialization, ReLU with the textbooks' small random numbers (standard deviation 0.01),
tanh with Glorot initialization and SELU with LeCun normal initialization. It shows the
training loss of every epoch and the accuracy on the other half. See
:doc:`/user_guide/initialization` and :doc:`/user_guide/activations`.
"""

# %%
# The data and the network
# ------------------------
# 898 digits for training, 899 held out. The network starts from scikit-learn's
# configuration (``like_sklearn``, Adam at a rate of 0.001): eight hidden layers of 48
# units, mini-batches of 100 rows, 30 epochs; only the activation and the initializer
# differ.
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
    hidden_layer_sizes=(48,) * 8,
    batch_size=100,
    max_iter=30,
    # Every epoch runs, so that the curves are comparable.
    n_iter_no_change=np.inf,
)
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# Four pairs, three seeds each
# ----------------------------
# He initialization (variance :math:`2 / n_\text{in}`) makes up for ReLU zeroing half of
# its inputs; Glorot's keeps the variance of a symmetric activation such as tanh; LeCun
# normal (variance :math:`1 / n_\text{in}`) is what SELU's self-normalization assumes.
# ``"random_normal"`` draws every weight with standard deviation 0.01, whatever the width.
# Each pair trains three networks (``random_state`` 0, 1 and 2) on the same rows.
pairs = [
    ("relu", "he_uniform"),
    ("relu", "random_normal"),
    ("tanh", "glorot_uniform"),
    ("selu", "lecun_normal"),
]
seeds = [0, 1, 2]
results = {}
for activation, weight_init in pairs:
    results[activation, weight_init] = [
        RegularizedMLPClassifier.like_sklearn(
            **network,
            activation=activation,
            weight_init=weight_init,
            random_state=seed,
        ).fit(X_train, y_train)
        for seed in seeds
    ]

# Printed: the means over the seeds of the last epoch's training loss, of the
# standard deviation of the first layer's weights after training, and of the
# training accuracy, and the held-out accuracy (mean, min..max).
print(
    "activation  weight_init     last loss  first-layer std  train acc  "
    "held-out acc"
)
for (activation, weight_init), models in results.items():
    loss = np.mean([m.loss_ for m in models])
    std = np.mean([m.coefs_[0].std() for m in models])
    train = np.mean([m.score(X_train, y_train) for m in models])
    test = [m.score(X_test, y_test) for m in models]
    print(
        f"{activation:<10}  {weight_init:<14}  {loss:9.4f}  {std:15.4f}  "
        f"{train:9.3f}  "
        f"{np.mean(test):.3f} ({min(test):.3f}..{max(test):.3f})"
    )

# %%
# The training loss of every epoch
# --------------------------------
# ``loss_curve_`` of every network: one colour per pair, one line per seed. The dotted
# line is :math:`\ln 10`, the loss of guessing uniformly among the ten digits.
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for i, ((activation, weight_init), models) in enumerate(results.items()):
    for seed, model in zip(seeds, models, strict=True):
        ax.plot(
            range(1, model.n_iter_ + 1),
            model.loss_curve_,
            color=f"C{i}",
            alpha=0.8,
            label=f"{activation} + {weight_init}"
            if seed == seeds[0]
            else None,
        )
ax.axhline(np.log(10), color="0.5", linestyle=":")
ax.set(yscale="log", xlabel="epoch", ylabel="training loss")
ax.grid(alpha=0.3)
ax.legend(loc="lower left")
plt.show()

# %%
# With weights of standard deviation 0.01, every layer shrinks the signal, and after eight
# layers the network's output hardly depends on its input: the loss stays at that of
# guessing and the accuracy at chance, whatever the seed. The gradient of the loss that
# reaches the first layers is then too small even for Adam, which rescales small
# gradients; what moves those weights is ``like_sklearn``'s small L2 penalty
# (``alpha=0.0001``), which shrinks them further towards zero, as the first layer's
# standard deviation shows. The three pairs whose initial scale suits their activation
# all train, and the differences between them, in how fast the loss falls and in the
# held-out accuracy, are small next to their difference from the small random numbers; a
# lower training loss need not mean a better held-out accuracy (compare the figure with
# the table). The ``"auto"`` initializer picks the matching scale for every activation
# (see :doc:`/user_guide/initialization`), and :doc:`/user_guide/batch_normalization`
# makes the network far less sensitive to it.
