"""
Weight decay and the L2 penalty against their strength
======================================================

A wide network trained for many epochs on 221 rows of scikit-learn's diabetes data fits its
training rows almost perfectly and predicts new rows poorly. Decoupled ``weight_decay`` and
the L2 ``penalty`` (``alpha``) both pull the weights toward zero; this example trains the same
network at a range of strengths and scores every one on the training rows and on 221
held-out rows. See :doc:`/user_guide/weight_decay` and :doc:`/user_guide/penalties`.
"""

# %%
# The data and the network
# ------------------------
# Half of the 442 rows for training, half held out. The network starts from scikit-learn's
# configuration (``like_sklearn``): two hidden layers of 128 ReLU units, Adam, no stopping
# before ``max_iter``.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPRegressor

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

network = dict(
    hidden_layer_sizes=(128, 128),
    batch_size=32,
    max_iter=200,
    n_iter_no_change=np.inf,  # every epoch runs: the overfitting is the point
    random_state=0,
)
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# A sweep of each strength
# ------------------------
# ``weight_decay`` multiplies every weight by ``1 - learning_rate * weight_decay`` at each
# step; ``alpha`` adds ``alpha / 2 * |w|^2``, divided by the batch size, to each batch's loss.
sweeps = {
    "weight_decay": [0.0, 0.3, 3.0, 10.0, 30.0, 100.0],
    "alpha": [0.0, 0.1, 0.3, 1.0, 3.0, 10.0],
}
results = {}
for name, strengths in sweeps.items():
    rows = []
    for strength in strengths:
        model = RegularizedMLPRegressor.like_sklearn(
            **network, **{name: strength}
        )
        model.fit(X_train, y_train)
        rows.append(
            (
                strength,
                model.score(X_train, y_train),
                model.score(X_test, y_test),
            )
        )
    results[name] = rows
    print(f"{name:>12}   train R2   test R2")
    for strength, train, test in rows:
        print(f"{strength:>12g}   {train:8.3f}  {test:8.3f}")

# %%
# Train and held-out score against the strength
# ---------------------------------------------
# Where the two curves meet, the network no longer memorizes its training rows; the
# held-out score peaks before the penalty is so strong that the network underfits.
fig, axes = plt.subplots(
    1, 2, figsize=(9, 3.6), sharey=True, layout="constrained"
)
for ax, (name, rows) in zip(axes, results.items(), strict=True):
    strengths = [
        max(s, 0.03) for s, _, _ in rows
    ]  # 0 drawn at the left edge of the log axis
    ax.plot(
        strengths, [train for _, train, _ in rows], "o-", label="training rows"
    )
    ax.plot(
        strengths, [test for _, _, test in rows], "o-", label="held-out rows"
    )
    ax.set(xscale="log", xlabel=f"{name} (leftmost point: 0)", title=name)
    ax.grid(alpha=0.3)
axes[0].set(ylabel="R²", ylim=(-0.1, 1.05))
axes[0].legend(loc="lower left")
plt.show()

# %%
# The best strengths here were chosen by looking at the held-out rows, so their scores are
# optimistic; to choose a strength for a model you will use, search it by cross-validation
# on the training rows (:doc:`/user_guide/tuning`).
