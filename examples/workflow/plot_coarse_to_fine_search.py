"""
Coarse-to-fine search of the penalty and the learning rate
==========================================================

:class:`~skdeep.model_selection.CoarseToFineSearchCV` is a random search in rounds: the
first round samples the whole space, and every later round samples a narrower region around
the best candidate found so far. This example tunes the L2 penalty ``alpha`` and
``learning_rate_init`` of an overfitting network on 221 rows of scikit-learn's diabetes data
by 3-fold cross-validation, draws every candidate with the region its round sampled, and
scores the chosen network on 221 rows the search never saw. See
:doc:`/user_guide/tuning`.
"""

# %%
# The data, the network and the space
# -----------------------------------
# Half of the 442 rows for the search, half held out. The network starts from
# scikit-learn's configuration (``like_sklearn``): two hidden layers of 64 ReLU units,
# Adam, 100 epochs. Both parameters act multiplicatively, so both are searched on a log
# scale, over wide ranges.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPRegressor
from skdeep.model_selection import CoarseToFineSearchCV

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
# Running all max_iter epochs is the plan, so "maximum iterations reached" says
# nothing new.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

network = RegularizedMLPRegressor.like_sklearn(
    hidden_layer_sizes=(64, 64),
    batch_size=32,
    max_iter=100,
    n_iter_no_change=np.inf,
    random_state=0,
)
space = {
    "alpha": loguniform(1e-3, 1e2),
    "learning_rate_init": loguniform(1e-4, 1e-1),
}

# %%
# The search
# ----------
# 15 candidates in 3 rounds of 5; every round scores its candidates on the same three
# folds. After each round, each range shrinks to half its width (in log space, so a factor
# of :math:`10^5` becomes one of about :math:`10^{2.5}`) and centres on the best candidate
# so far.
search = CoarseToFineSearchCV(
    network,
    space,
    n_iter=15,
    n_rounds=3,
    cv=KFold(n_splits=3, shuffle=True, random_state=0),
    random_state=0,
).fit(X_train, y_train)

results = search.cv_results_
rounds = results["round"]
alphas = results["param_alpha"].astype(float)
rates = results["param_learning_rate_init"].astype(float)
cv_scores = results["mean_test_score"]
for r, distributions in enumerate(search.param_distributions_):
    (a_low, a_high), (lr_low, lr_high) = (
        distributions[name].support()
        for name in ("alpha", "learning_rate_init")
    )
    print(
        f"round {r}: alpha in [{a_low:.3g}, {a_high:.3g}], "
        f"learning_rate_init in [{lr_low:.3g}, {lr_high:.3g}], "
        f"best CV R2 of the round {cv_scores[rounds == r].max():.3f}"
    )
best = ", ".join(
    f"{name}={value:.3g}" for name, value in search.best_params_.items()
)
spread = results["std_test_score"][search.best_index_]
print(
    f"best: {best} (round {rounds[search.best_index_]}), "
    f"CV R2 {search.best_score_:.3f} (std over the 3 folds {spread:.3f})"
)

# %%
# The chosen network on the held-out rows
# ---------------------------------------
# ``best_estimator_`` is the best candidate refitted on all 221 search rows. For
# comparison, the network as it was given to the search, untuned: at scikit-learn's values
# ``alpha=0.0001`` and ``learning_rate_init=0.001``.
untuned = clone(network).fit(X_train, y_train)
for name, model in [("tuned", search.best_estimator_), ("untuned", untuned)]:
    print(
        f"{name:>8}: train R2 {model.score(X_train, y_train):.3f}, "
        f"held-out R2 {model.score(X_test, y_test):.3f}"
    )

# %%
# Every candidate and the region of its round
# -------------------------------------------
# Left: the candidates in the plane of the two parameters, with the rectangle each round
# sampled from (from ``param_distributions_``); the star is the best candidate. Right:
# the cross-validated R² of every candidate, in the order they were tried.
fig, (ax, ax_score) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for r, distributions in enumerate(search.param_distributions_):
    (a_low, a_high), (lr_low, lr_high) = (
        distributions[name].support()
        for name in ("alpha", "learning_rate_init")
    )
    ax.add_patch(
        Rectangle(
            (a_low, lr_low),
            a_high - a_low,
            lr_high - lr_low,
            fill=False,
            edgecolor=f"C{r}",
            linestyle="--",
        )
    )
    mine = rounds == r
    ax.scatter(alphas[mine], rates[mine], color=f"C{r}", label=f"round {r}")
    ax_score.scatter(np.flatnonzero(mine) + 1, cv_scores[mine], color=f"C{r}")
ax.scatter(
    alphas[search.best_index_],
    rates[search.best_index_],
    marker="*",
    s=250,
    facecolor="none",
    edgecolor="k",
    label="best",
)
ax.set(xscale="log", yscale="log", xlabel="alpha", ylabel="learning_rate_init")
ax.legend(loc="lower left", fontsize="small")
ax_score.plot(
    np.arange(1, len(cv_scores) + 1),
    np.maximum.accumulate(cv_scores),
    color="0.4",
    linestyle=":",
    label="best so far",
)
ax_score.set(xlabel="candidate", ylabel="mean CV R²")
ax_score.legend(loc="lower right", fontsize="small")
for a in (ax, ax_score):
    a.grid(alpha=0.3)
plt.show()

# %%
# The later rounds spend their candidates around the best of the earlier ones, where most
# of them score well, instead of in corners of the space that the first round already
# found poor. On data this small, the cross-validated scores are noisy, and the best of
# them, taken over all candidates, is optimistic: the held-out R² of the chosen network is
# the number to trust, and the gain of the later rounds over the best of the first one is
# small next to the spread of the scores over the folds. Tuning itself matters here: at
# scikit-learn's values the network fits its training rows far better than the held-out
# ones. Good settings do not form one small region either (a strong penalty and a small
# learning rate both keep the network from overfitting in its 100 epochs), so the
# search's own ``random_state`` decides which of them the later rounds zoom in on.
