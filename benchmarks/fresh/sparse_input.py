"""Fresh process: train on a sparse one-hot table; print epoch time and peak memory as JSON.

``python benchmarks/fresh/sparse_input.py --library {skdeep,sklearn} [--rows N] [--epochs E]``

The data: ``N`` rows of 20 categorical columns with 1,000 levels each, one-hot encoded into a
CSR matrix of 20,000 float32 columns with exactly 20 stored ones per row (density 0.1 %).
The binary target is the sign of a sum of random per-level effects plus noise. The network is
scikit-learn's configuration (hidden (100,), ReLU, Adam 1e-3, batch 200) for both libraries.
Memory is the resident set size's high-water mark after the imports and a warm-up fit (as in
``scale.py``), so "extra" is what the data and the fit added.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from benchmarks._util import current_rss_mb, peak_rss_mb, reset_peak_rss  # noqa: E402

N_COLUMNS, N_LEVELS = 20, 1000
MIB = 1024**2


def one_hot_table(n_rows, seed=0):
    """The one-hot CSR matrix (float32) and binary target described in the module docstring."""
    import numpy as np
    import scipy.sparse as sp

    # One set of level effects for every sample of rows (train, test, warm-up).
    effects = np.random.default_rng(12345).standard_normal((N_COLUMNS, N_LEVELS))
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, N_LEVELS, size=(n_rows, N_COLUMNS))
    score = effects[np.arange(N_COLUMNS), codes].sum(axis=1)
    y = (score + rng.standard_normal(n_rows) > 0).astype(np.int64)
    columns = (codes + N_LEVELS * np.arange(N_COLUMNS)).ravel()
    indptr = np.arange(0, N_COLUMNS * n_rows + 1, N_COLUMNS)
    data = np.ones(N_COLUMNS * n_rows, dtype=np.float32)
    X = sp.csr_matrix((data, columns, indptr), shape=(n_rows, N_COLUMNS * N_LEVELS))
    return X, y


def make(library, epochs):
    """scikit-learn's MLP configuration in ``library``, training exactly ``epochs`` epochs."""
    common = dict(
        hidden_layer_sizes=(100,),
        learning_rate_init=0.01,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    if library == "skdeep":
        from skdeep import RegularizedMLPClassifier

        return RegularizedMLPClassifier.like_sklearn(**common)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(**common)


def main():
    """Measure one run and print the JSON answer."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["skdeep", "sklearn"], required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    X_warm, y_warm = one_hot_table(400, seed=1)
    make(args.library, 1).fit(X_warm, y_warm).predict(X_warm)
    del X_warm, y_warm

    X, y = one_hot_table(args.rows)
    X_test, y_test = one_hot_table(20_000, seed=2)
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes + y.nbytes) / MIB
    baseline = current_rss_mb()
    resettable = reset_peak_rss()
    estimator = make(args.library, args.epochs)
    start = time.perf_counter()
    estimator.fit(X, y)
    fit_s = time.perf_counter() - start
    fit_peak = peak_rss_mb()
    start = time.perf_counter()
    accuracy = float((estimator.predict(X_test) == y_test).mean())
    predict_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "library": args.library,
                "rows": args.rows,
                "columns": X.shape[1],
                "density": X.nnz / (X.shape[0] * X.shape[1]),
                "epochs": args.epochs,
                "fit_s": fit_s,
                "epoch_s": fit_s / args.epochs,
                "test_accuracy": accuracy,
                "predict_20k_s": predict_s,
                "data_mb": data_mb,
                "dense_x_mb": X.shape[0] * X.shape[1] * 4 / MIB,
                "fit_extra_mb": fit_peak - baseline,
                "peak_method": "VmHWM reset" if resettable else "lifetime ru_maxrss",
            }
        )
    )


if __name__ == "__main__":
    main()
