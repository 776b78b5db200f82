"""Screen of the number of epochs and the batch size on tables of 20,000 rows and more.

``python -m benchmarks.large_screen [--seeds 0,1] [--variants ...] [--tables ...]``: for each
variant of skdeep's defaults and each table, a whole default fit (as W8 makes it: the
accuracy suite's ``ColumnTransformer``, then the estimator with ``random_state=seed``) and
its held-out accuracy or R². The tables:

- W8's ``w1_table`` (50,000 x 100), ``regression_300`` (20,000 x 300), ``flights``
  (nycflights13, 261,000 training rows) and ``million`` (1,000,000 x 20), with W8's splits;
- ``diamonds`` (ggplot2, 53,940 rows, the price) and ``cps1988`` (AER, 28,155 rows, the
  wage), whole, a 75 / 25 split with seed 0; the accuracy suite cuts both to 10,000 rows.

Each result is appended as one JSON line to ``--output`` (default
``benchmarks/large_screen.jsonl``); a (table, variant, seed) already there is not run again,
so a screen can be stopped and resumed. ``--report`` prints the table from the file.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "large_screen.jsonl"

# name -> estimator parameters
VARIANTS = {
    "defaults": {},
    "epochs 32": dict(max_iter=32),
    "epochs 16": dict(max_iter=16),
    "batch 512": dict(batch_size=512),
    "batch 1024": dict(batch_size=1024),
}
TABLES = ("regression_300", "cps1988", "w1_table", "diamonds", "flights", "million")


def load(name):
    """``(X_train, X_test, y_train, y_test, task)`` of table ``name``."""
    from sklearn.model_selection import train_test_split

    from benchmarks import w8_wide
    from benchmarks.tables import BY_LABEL, load_table

    if name in w8_wide.TABLE_NAMES:
        return w8_wide.load(name)
    table = BY_LABEL[name]
    X, y, _ = load_table(table, max_rows=None)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.to_numpy(), test_size=0.25, random_state=0
    )
    return X_train, X_test, y_train, y_test, table.task


def fit_one(data, params, seed):
    """Fit seconds, test score and epochs of the defaults with ``params`` on ``data``."""
    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import preprocessor
    from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

    X_train, X_test, y_train, y_test, task = data
    cls = RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor
    pipe = make_pipeline(preprocessor(), cls(**params, random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    model = pipe[-1]
    return {
        "fit_s": round(seconds, 2),
        "score": float(pipe.score(X_test, y_test)),
        "epochs": int(model.n_iter_),
        "best_epoch": getattr(model, "best_epoch_", None),
        "rows": len(X_train),
    }


def _read(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(results):
    """Per table: each variant's mean score and fit time over the seeds, and the change
    against the defaults."""
    import numpy as np

    lines = []
    tables = list(dict.fromkeys(r["table"] for r in results))
    variants = list(dict.fromkeys(r["variant"] for r in results))
    for table in tables:
        rows = {
            v: [r for r in results if r["table"] == table and r["variant"] == v] for v in variants
        }
        base = rows.get("defaults") or []
        base_score = np.mean([r["score"] for r in base]) if base else np.nan
        for variant, runs in rows.items():
            if not runs:
                continue
            score = np.mean([r["score"] for r in runs])
            fit = np.mean([r["fit_s"] for r in runs])
            lines.append(
                f"{table:<15}{variant:<12} rows {runs[0]['rows']:>8}  score {score:.5f} "
                f"({score - base_score:+.5f})  fit {fit:7.1f} s  epochs "
                f"{np.mean([r['epochs'] for r in runs]):.0f}  seeds {len(runs)}"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--report", action="store_true", help="only print the results")
    args = parser.parse_args(argv)
    if not args.report:
        done = {(r["table"], r["variant"], r["seed"]) for r in _read(args.output)}
        for table in args.tables.split(","):
            data = None
            for variant in args.variants.split(","):
                for seed in map(int, args.seeds.split(",")):
                    if (table, variant, seed) in done:
                        continue
                    data = load(table) if data is None else data
                    result = {"table": table, "variant": variant, "seed": seed}
                    result.update(fit_one(data, VARIANTS[variant], seed))
                    print(json.dumps(result), flush=True)
                    with args.output.open("a") as handle:
                        handle.write(json.dumps(result) + "\n")
    print(report(_read(args.output)))


if __name__ == "__main__":
    main()
