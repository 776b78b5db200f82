"""
The training history of an early-stopped network
================================================

Every fitted network keeps one row per epoch in ``history_``: the training loss, the loss
and score on the validation data, the learning rate and the time the epoch took.
:meth:`TrainingHistoryDisplay.from_estimator
<skdeep.inspection.TrainingHistoryDisplay.from_estimator>` draws it. This example fits a
network with early stopping on half of scikit-learn's breast-cancer data, once watching
the validation accuracy and once the validation loss, and uses the history to see why the
two stop at different epochs. See :doc:`/user_guide/training_history` and
:doc:`/user_guide/early_stopping`.
"""

# %%
# The data and the networks
# -------------------------
# 284 rows for training, 285 held out. The network starts from scikit-learn's
# configuration (``like_sklearn``): two hidden layers of 128 ReLU units, Adam. With
# ``early_stopping=True``, a fifth of the training rows (57) is set aside for validation,
# training stops once the watched value (``monitor``) has not improved for more than
# ``n_iter_no_change`` epochs, and the weights of the best epoch are kept.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier
from skdeep.inspection import TrainingHistoryDisplay

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

network = dict(
    hidden_layer_sizes=(128, 128),
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    max_iter=200,
)
models = {}
for monitor in ("val_score", "val_loss"):
    model = RegularizedMLPClassifier.like_sklearn(
        **network, monitor=monitor, random_state=0
    )
    models[monitor] = model.fit(X_train, y_train)
for monitor, model in models.items():
    print(
        f"monitor={monitor!r}: {model.n_iter_} epochs run, weights of epoch "
        f"{model.best_epoch_} kept; "
        f"train accuracy {model.score(X_train, y_train):.3f}, "
        f"held-out accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# The history as a table
# ----------------------
# ``pandas.DataFrame(model.history_)`` has one row per epoch; here the first and the last
# epochs of the network that watches the validation accuracy. (In a fresh Python process,
# the first epoch also loads the compiled training kernels, which shows in its time.)
history = pd.DataFrame(models["val_score"].history_)
rows = pd.concat([history.head(5), history.tail(3)]).drop_duplicates("epoch")
print(rows.round(4).to_string(index=False))

# %%
# The learning curves
# -------------------
# The training and validation loss against the left axis, the validation accuracy against
# the right one, and a dotted line at ``best_epoch_``.
# Both panels share their axes' ranges.
lowest = min(min(model.validation_scores_) for model in models.values())
fig, axes = plt.subplots(
    1, 2, figsize=(10, 3.8), sharey=True, layout="constrained"
)
for ax, (monitor, model) in zip(axes, models.items(), strict=True):
    display = TrainingHistoryDisplay.from_estimator(
        model, ax=ax, name=f"monitor={monitor!r}"
    )
    display.score_ax_.set_ylim(np.floor(lowest * 20) / 20, 1.0)
    ax.grid(alpha=0.3)
plt.show()

# %%
# Is it the seed?
# ---------------
# The same two networks with four more seeds (``random_state`` 1 to 4), each with its own
# validation rows.
print(
    "random_state   held-out accuracy: "
    "monitor='val_score'   monitor='val_loss'"
)
for seed in range(1, 5):
    scores = [
        RegularizedMLPClassifier.like_sklearn(
            **network, monitor=monitor, random_state=seed
        )
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for monitor in models
    ]
    print(f"{seed:12d}   {scores[0]:36.3f}   {scores[1]:18.3f}")

# %%
# On 57 validation rows the accuracy moves in steps of one row, so it soon stops
# improving, while the validation loss, which also measures how confident the right
# answers are, still falls: the network that watches the accuracy stops earlier, and with
# ``restore_best_weights=True`` (scikit-learn's way, used by ``like_sklearn``) it keeps
# the *first* of several equally accurate epochs. The history makes this visible, and the
# other seeds point the same way. Watching the loss (``monitor="val_loss"``) avoids
# stopping on a plateau of a coarse score; keeping the last of equally good epochs
# (``restore_best_weights="last"``, the estimators' default) at least keeps the end of
# such a plateau rather than its start.
