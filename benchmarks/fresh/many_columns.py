"""The defaults on a table of thousands of numeric columns: time, memory, what was embedded.

``python benchmarks/fresh/many_columns.py``: 2,000 training and 500 test rows of 5,000 float32
columns, a regression target on columns 7, 10-19 and 4,000 (the rest is noise), the
regressor's defaults after a small warm-up fit (the kernels compile there). Prints the fit
time, the embedded columns (at most ``max_embedded_features``), the first layer's shape, the
test R² and the process's peak resident memory.
"""

import resource
import time
import warnings

import numpy as np

from skdeep import RegularizedMLPRegressor


def main():
    """Fit once and print one line."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2500, 5000)).astype(np.float32)
    y = np.cos(2 * X[:, 7]) + X[:, 4000] + 0.5 * X[:, 10:20].sum(axis=1)
    y += 0.1 * rng.normal(size=2500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        RegularizedMLPRegressor(max_iter=1).fit(X[:300], y[:300])
        start = time.perf_counter()
        reg = RegularizedMLPRegressor(random_state=0).fit(X[:2000], y[:2000])
        fit_s = time.perf_counter() - start
    embedded = [int(j) for j in reg.embedded_features_]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"fit {fit_s:.1f} s, {len(embedded)} embedded columns {embedded}, first layer "
        f"{reg.coefs_[0].shape}, test R² {reg.score(X[2000:], y[2000:]):.3f}, peak resident "
        f"memory {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
