"""
Early stopping: the validation curve and the kept epoch
=======================================================

With ``early_stopping=True`` a fifth of the training rows (``validation_fraction``) is held
out; after every epoch the network is scored on it, training stops once the validation
score has not improved for ``n_iter_no_change`` epochs, and the weights of the best epoch
are kept. This example compares it with the same network trained for all its epochs, on
221 rows of the diabetes data and 221 rows neither of them trains on. See
:doc:`/user_guide/early_stopping`.
"""

# %%
import warnings

import matplotlib.pyplot as plt
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
# The network without stopping runs all its epochs by design.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

network = dict(
    hidden_layer_sizes=(128, 128), batch_size=32, max_iter=200, random_state=0
)
stopped = RegularizedMLPRegressor.like_sklearn(
    **network, early_stopping=True, n_iter_no_change=20
).fit(X_train, y_train)
full = RegularizedMLPRegressor.like_sklearn(
    **network, n_iter_no_change=200
).fit(X_train, y_train)

print(
    f"early stopping: {stopped.n_iter_} epochs run, "
    f"weights of epoch {stopped.best_epoch_} kept"
)
for name, model in [("early stopping", stopped), ("all 200 epochs", full)]:
    print(
        f"{name:>15}: train R2 {model.score(X_train, y_train):.3f}, "
        f"held-out R2 {model.score(X_test, y_test):.3f}"
    )

# %%
# The validation score of every epoch, from ``history_``
# ------------------------------------------------------
epochs = [row["epoch"] for row in stopped.history_]
fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
ax.plot(
    epochs,
    [row["val_score"] for row in stopped.history_],
    label="validation R²",
)
ax.axvline(stopped.best_epoch_, color="0.3", linestyle=":", label="kept epoch")
ax.set(xlabel="epoch", ylabel="R² on the validation fifth", ylim=(-0.5, 1))
ax.grid(alpha=0.3)
ax.legend(loc="lower right")
plt.show()

# %%
# The stopped network trains on four fifths of the rows, so early stopping trades data
# for the right number of epochs; :func:`~skdeep.inspection.TrainingHistoryDisplay` draws
# the same curves with the training loss.
