"""Screen of settings for the quantile and absolute-error losses on W9's tables.

``python -m benchmarks.loss_screen`` (after ``python -m benchmarks.run --only W9``, whose
HistGradientBoosting numbers in ``benchmarks/RESULTS.json`` are the reference): for each
variant of skdeep's defaults, the W9 protocol (W9's 8 regression tables of the suite, a
75 / 25 split for seeds 0-2, the shared ``ColumnTransformer``) with ``loss="quantile",
quantile=0.9`` and ``loss="absolute_error"``, and per table the ratio of skdeep's held-out
pinball loss and mean absolute error (means over the seeds) to HistGradientBoosting's.
Prints one line per variant: the mean and largest ratio of each loss, then the per-table
ratios (pinball / MAE) in the order of the tables.
"""

import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np

# name -> estimator parameters, or "mean_std": the robust losses' targets standardized by
# mean and standard deviation instead of median and quartiles.
VARIANTS = {
    "defaults": {},
    "learning_rate_init=0.1": dict(learning_rate_init=0.1),
    "learning_rate_init=0.04": dict(learning_rate_init=0.04),
    "mean / std targets": "mean_std",
    "dropout=0": dict(dropout=0.0),
}


def _errors(table, data, params, seed):
    from sklearn.metrics import mean_absolute_error, mean_pinball_loss
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import preprocessor
    from skdeep import RegularizedMLPRegressor

    X, y, _ = data
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.to_numpy(), test_size=0.25, random_state=seed
    )
    out = {}
    for loss in ("quantile", "absolute_error"):
        model = RegularizedMLPRegressor(loss=loss, quantile=0.9, random_state=seed, **params)
        pipe = make_pipeline(preprocessor(), model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(X_train, y_train)
        pred = pipe.predict(X_test)
        out[loss] = (
            mean_pinball_loss(y_test, pred, alpha=0.9)
            if loss == "quantile"
            else mean_absolute_error(y_test, pred)
        )
    return out


def main():
    import skdeep._losses as losses
    from benchmarks.tables import CORE_TABLES, load_table

    results = json.loads((Path(__file__).parent / "RESULTS.json").read_text())
    hgb = {t["name"]: t["models"] for t in results["W9"]["result"]["tables"]}
    tables = [t for t in CORE_TABLES if t.task == "regression"]
    data = {t.label: load_table(t) for t in tables}
    original = dict(losses.LOSSES)
    for name, params in VARIANTS.items():
        losses.LOSSES.update(original)
        if params == "mean_std":
            for loss in ("absolute_error", "quantile"):
                losses.LOSSES[loss] = dataclasses.replace(original[loss], robust_targets=False)
            params = {}
        start = time.perf_counter()
        ratios = {"quantile": [], "absolute_error": []}
        for table in tables:
            runs = [_errors(table, data[table.label], params, seed) for seed in (0, 1, 2)]
            reference = hgb[table.label]
            ratios["quantile"].append(
                np.mean([r["quantile"] for r in runs]) / reference["HGB quantile"]["pinball"]
            )
            ratios["absolute_error"].append(
                np.mean([r["absolute_error"] for r in runs])
                / reference["HGB absolute_error"]["mae"]
            )
        q, a = ratios["quantile"], ratios["absolute_error"]
        per_table = " ".join(f"{x:.2f}/{y:.2f}" for x, y in zip(q, a, strict=True))
        print(
            f"{name:<24} pinball {np.mean(q):.3f} (max {np.max(q):.3f}), MAE {np.mean(a):.3f} "
            f"(max {np.max(a):.3f}); {per_table} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    losses.LOSSES.update(original)


if __name__ == "__main__":
    main()
