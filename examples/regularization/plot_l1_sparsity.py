"""
The L1 penalty: held-out score and exact zeros
==============================================

``penalty="l1"`` adds ``alpha * |w|_1`` to the loss and applies it with a soft-threshold
step, so weights become exactly zero rather than merely small. This example trains one
overfitting network on 221 rows of the diabetes data at a range of ``alpha`` and shows, for
each strength, the training and held-out R² and the share of the dense-layer weights that
are exactly zero. See :doc:`/user_guide/penalties`.
"""

# %%
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
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rows = []
for alpha in [0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]:
    model = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(128, 128),
        penalty="l1",
        alpha=alpha,
        batch_size=32,
        max_iter=200,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X_train, y_train)
    weights = np.concatenate([w.ravel() for w in model.coefs_])
    zeros = np.mean(weights == 0)
    rows.append(
        (
            alpha,
            model.score(X_train, y_train),
            model.score(X_test, y_test),
            zeros,
        )
    )

print("   alpha   train R2   test R2   zero weights")
for alpha, train, test, zeros in rows:
    print(f"{alpha:8g}   {train:8.3f}  {test:8.3f}   {zeros:12.1%}")

# %%
# The held-out score and the sparsity against ``alpha``
# -----------------------------------------------------
alphas = [
    max(a, 0.001) for a, *_ in rows
]  # 0 drawn at the left edge of the log axis
fig, (ax, ax_zero) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
ax.plot(alphas, [r[1] for r in rows], "o-", label="training rows")
ax.plot(alphas, [r[2] for r in rows], "o-", label="held-out rows")
ax.set(
    xscale="log",
    xlabel="alpha (leftmost point: 0)",
    ylabel="R²",
    ylim=(-0.1, 1.05),
)
ax.legend(loc="lower left")
ax_zero.plot(alphas, [r[3] for r in rows], "o-", color="C2")
ax_zero.set(
    xscale="log",
    xlabel="alpha (leftmost point: 0)",
    ylabel="share of weights = 0",
)
for a in (ax, ax_zero):
    a.grid(alpha=0.3)
plt.show()

# %%
# Unlike an L2 penalty, L1 switches weights off entirely. Past the strength where the
# held-out score peaks, more zeros only take capacity away.
