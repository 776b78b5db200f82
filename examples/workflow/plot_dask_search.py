"""
A search on a dask cluster
==========================

A search runs one independent fit per candidate and fold; joblib's ``"dask"`` backend sends
them to the workers of a dask cluster without any change to the search. This example starts
a local cluster of two workers in this process (the training kernels release the GIL, so
they train side by side; on a real cluster, connect the ``Client`` to its scheduler
instead, ``Client("tcp://scheduler-host:8786")``), runs the same
:class:`~skdeep.model_selection.CoarseToFineSearchCV` serially and on the cluster, and
checks that both find the same candidates with the same scores, since every fit is seeded.
See :doc:`/user_guide/dask`.
"""

# %%
import time
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdeep import RegularizedMLPClassifier
from skdeep.model_selection import CoarseToFineSearchCV

X, y = load_digits(return_X_y=True)
X = X / 16.0
# Short fits: "maximum iterations reached" is expected.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def make_search():
    return CoarseToFineSearchCV(
        RegularizedMLPClassifier.like_sklearn(
            hidden_layer_sizes=(64,),
            batch_size=32,
            max_iter=10,
            random_state=0,
        ),
        {
            "alpha": loguniform(1e-5, 1e1),
            "learning_rate_init": loguniform(1e-4, 1e-1),
        },
        n_iter=12,
        n_rounds=2,
        cv=3,
        random_state=0,
    )


started = time.perf_counter()
serial = make_search().fit(X, y)
serial_seconds = time.perf_counter() - started

# %%
# The same search on the cluster
# ------------------------------
# The workers are threads of this process, which share its BLAS thread pool: one BLAS
# thread per fit keeps two fits from oversubscribing two cores (see the user guide).
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)
started = time.perf_counter()
with (
    threadpool_limits(limits=1, user_api="blas"),
    joblib.parallel_backend("dask"),
):
    on_cluster = make_search().fit(X, y)
cluster_seconds = time.perf_counter() - started
client.close()
cluster.close()

same = np.array_equal(
    serial.cv_results_["mean_test_score"],
    on_cluster.cv_results_["mean_test_score"],
)
print(
    f"serial: {serial_seconds:.1f} s, "
    f"on 2 dask workers: {cluster_seconds:.1f} s"
)
print(f"the same scores for every candidate: {same}")
best = ", ".join(
    f"{name}={value:.3g}" for name, value in on_cluster.best_params_.items()
)
print(f"best: {best}, CV accuracy {on_cluster.best_score_:.3f}")

# %%
# The candidates of both runs
# ---------------------------
fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
for search, marker, label in (
    (serial, "o", "serial"),
    (on_cluster, "x", "dask"),
):
    ax.scatter(
        search.cv_results_["param_alpha"].astype(float),
        search.cv_results_["mean_test_score"],
        marker=marker,
        label=label,
        s=60 if marker == "o" else 30,
        facecolors="none" if marker == "o" else None,
        edgecolors="C0" if marker == "o" else None,
        color=None if marker == "o" else "C1",
    )
ax.set(xscale="log", xlabel="alpha", ylabel="mean CV accuracy")
ax.grid(alpha=0.3)
ax.legend(loc="lower left")
plt.show()

# %%
# On two cores and with fits this short, the cluster's overhead takes a good share of the
# time; the backend pays off with more workers and longer fits.
