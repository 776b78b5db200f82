"""Fresh process: train and predict at one data size; print time and peak memory as JSON.

``python benchmarks/fresh/scale.py --library {skdeep,sklearn} --rows N [--epochs E]``

The data have W1's shape (100 float32 features, 30 of them informative, 5 classes) but are
generated block by block straight into one float32 array, so that generating them costs no
memory beyond the data themselves (``make_classification`` would build a float64 copy). The
network is W1's: hidden (256, 256), ReLU, Adam 1e-3, batch 256.

Memory is the resident set size (RSS) read from ``/proc/self/status``: its high-water mark is
reset (``/proc/self/clear_refs``) after the imports and a warm-up fit, so "extra" memory is what
the data, the fit and the predict added above that baseline. Where the reset is not possible,
the lifetime peak from ``resource.getrusage`` is used and the method is reported.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from benchmarks._util import current_rss_mb, peak_rss_mb, reset_peak_rss  # noqa: E402

N_FEATURES, N_INFORMATIVE, N_CLASSES, HIDDEN, BATCH = 100, 30, 5, (256, 256), 256
MIB = 1024**2


def w1_like(n_rows, seed=0, block=100_000):
    """W1-shaped classification data, generated block by block in float32.

    Parameters
    ----------
    n_rows : int
    seed : int, default=0
    block : int, default=100_000
        Rows generated at a time.

    Returns
    -------
    X : ndarray of shape (n_rows, 100), float32
    y : ndarray of shape (n_rows,), int64
        The class whose random linear score of the 30 informative features (plus noise) is
        largest.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((N_INFORMATIVE, N_CLASSES)).astype(np.float32)
    X = np.empty((n_rows, N_FEATURES), dtype=np.float32)
    y = np.empty(n_rows, dtype=np.int64)
    for start in range(0, n_rows, block):
        part = X[start : start + block]
        rng.standard_normal(dtype=np.float32, out=part)
        scores = part[:, :N_INFORMATIVE] @ weights
        scores += rng.standard_normal(scores.shape, dtype=np.float32)
        y[start : start + block] = scores.argmax(axis=1)
    return X, y


def make(library, epochs):
    """The W1 network of ``library``, training exactly ``epochs`` epochs."""
    common = dict(
        hidden_layer_sizes=HIDDEN,
        batch_size=BATCH,
        learning_rate_init=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    if library == "skdeep":
        from skdeep import RegularizedMLPClassifier

        # scikit-learn's configuration (He weights for ReLU), not the recipe defaults.
        return RegularizedMLPClassifier.like_sklearn(weight_init="auto", **common)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(**common)


def main():
    """Measure one size and print the JSON answer."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["skdeep", "sklearn"], required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    X_warm, y_warm = w1_like(512, seed=1)
    make(args.library, 1).fit(X_warm, y_warm).predict(X_warm)
    del X_warm, y_warm

    baseline = current_rss_mb()
    resettable = reset_peak_rss()
    X, y = w1_like(args.rows)
    data_mb = (X.nbytes + y.nbytes) / MIB

    estimator = make(args.library, args.epochs)
    start = time.perf_counter()
    estimator.fit(X, y)
    fit_s = time.perf_counter() - start
    fit_peak = peak_rss_mb()
    n_params = sum(c.size for c in estimator.coefs_) + sum(b.size for b in estimator.intercepts_)
    # Parameters, their gradient and Adam's two moment vectors.
    model_mb = 4 * n_params * estimator.coefs_[0].itemsize / MIB

    predict_base = current_rss_mb()
    reset_peak_rss()
    start = time.perf_counter()
    labels = estimator.predict(X)
    predict_s = time.perf_counter() - start
    predict_peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "library": args.library,
                "rows": args.rows,
                "epochs": args.epochs,
                "fit_s": fit_s,
                "epoch_s": fit_s / args.epochs,
                "train_accuracy": float((labels == y).mean()),
                "baseline_mb": baseline,
                "data_mb": data_mb,
                "model_mb": model_mb,
                "fit_peak_mb": fit_peak,
                "fit_extra_mb": fit_peak - baseline,
                "predict_s": predict_s,
                "predict_extra_mb": predict_peak - predict_base,
                "x_mb": X.nbytes / MIB,
                "peak_method": "VmHWM reset per phase" if resettable else "lifetime ru_maxrss",
            }
        )
    )


if __name__ == "__main__":
    main()
