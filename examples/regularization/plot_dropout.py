"""
Dropout against its rate
========================

Dropout sets a random share of the hidden units to zero in every training step (and scales
the others up), so that no unit can rely on a few others. This example trains one
overfitting network on 221 rows of the diabetes data at a range of dropout rates and scores
it on its training rows and on 221 held-out rows. See :doc:`/user_guide/dropout`.
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

rates = [0.0, 0.1, 0.3, 0.5, 0.7, 0.85]
rows = []
for rate in rates:
    model = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(128, 128),
        dropout=rate,
        batch_size=32,
        max_iter=200,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X_train, y_train)
    # score() predicts with every unit (no dropout at inference).
    rows.append(
        (rate, model.score(X_train, y_train), model.score(X_test, y_test))
    )

print("dropout   train R2   test R2")
for rate, train, test in rows:
    print(f"{rate:7.2f}   {train:8.3f}  {test:8.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
ax.plot(rates, [r[1] for r in rows], "o-", label="training rows")
ax.plot(rates, [r[2] for r in rows], "o-", label="held-out rows")
ax.set(
    xlabel="dropout rate after each hidden layer",
    ylabel="R²",
    ylim=(-0.1, 1.05),
)
ax.grid(alpha=0.3)
ax.legend(loc="lower left")
plt.show()

# %%
# The training score falls as the rate grows, and the held-out score rises while the
# network still has units enough to fit the signal.
