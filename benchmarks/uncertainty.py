"""Ensemble members on real regression tables: their score, their time, and their spread.

For each regression table of the accuracy suite (:mod:`benchmarks.tables`, subsampled to
10,000 rows as there): one shuffled split, three quarters to fit and a quarter to score, the
suite's shared preprocessing, and these models with ``random_state=0``:

- ``single``: ``RegularizedMLPRegressor()``, the defaults;
- ``independent 4``: ``n_ensembles=4`` (fitted one after the other, ``n_jobs=1``, so the
  time is the work);
- ``snapshot 2`` and ``snapshot 4``: ``n_ensembles=2`` / ``4``, ``ensemble="snapshot"``.

Reported per table and model: test R², fit seconds, and for the ensembles the share of test
targets within ``mean ± 1.96 * std`` of the members (what a 95% normal interval would cover
if the spread were the prediction error's) and the ratio of the mean ``std`` to the test
RMSE. The table is written to ``benchmarks/uncertainty.rst`` (included by the user guide's
ensembles page) and the numbers to ``benchmarks/uncertainty.json``.

Run: ``python -m benchmarks.uncertainty`` (about 70 seconds of fits on two cores); ``--tables``
selects tables by label.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODELS = {
    "single": {},
    "independent 4": {"n_ensembles": 4, "n_jobs": 1},
    "snapshot 2": {"n_ensembles": 2, "ensemble": "snapshot"},
    "snapshot 4": {"n_ensembles": 4, "ensemble": "snapshot"},
}


def measure(table):
    """The models' test R², fit time, coverage and spread on one table."""
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import load_table, preprocessor
    from skdeep import RegularizedMLPRegressor

    X, y, _ = load_table(table)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    y_test = np.asarray(y_test, dtype=float)
    rows = {}
    for name, params in MODELS.items():
        pipe = make_pipeline(preprocessor(), RegularizedMLPRegressor(random_state=0, **params))
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(X_train, y_train)
        fit_s = time.perf_counter() - started
        row = {"fit_s": fit_s}
        if params:
            Z = pipe[:-1].transform(X_test)
            mean, std = pipe[-1].predict(Z, return_std=True)
            rmse = float(np.sqrt(np.mean((y_test - mean) ** 2)))
            row["coverage"] = float(np.mean(np.abs(y_test - mean) <= 1.96 * std))
            row["std_over_rmse"] = float(np.mean(std) / rmse)
        else:
            mean = pipe.predict(X_test)
        row["r2"] = float(r2_score(y_test, mean))
        rows[name] = row
    return {"rows": len(y), "models": rows}


def rst_table(results):
    """The results as an RST list-table: one row per table, R² and time per model."""
    header = ["table", "rows"]
    for name in MODELS:
        header.append(f"{name}: R², s" + ("" if name == "single" else ", coverage, std/RMSE"))
    lines = [".. list-table::", "   :header-rows: 1", ""]
    body = [header]
    for label, result in results.items():
        cells = [label, f"{result['rows']:,}"]
        for name in MODELS:
            row = result["models"][name]
            cell = f"{row['r2']:.3f}, {row['fit_s']:.1f}"
            if "coverage" in row:
                cell += f", {row['coverage']:.2f}, {row['std_over_rmse']:.2f}"
            cells.append(cell)
        body.append(cells)
    means = ["mean", ""]
    for name in MODELS:
        rows = [r["models"][name] for r in results.values()]
        cell = f"{np.mean([r['r2'] for r in rows]):.3f}, {np.sum([r['fit_s'] for r in rows]):.0f}"
        if "coverage" in rows[0]:
            cell += (
                f", {np.mean([r['coverage'] for r in rows]):.2f}, "
                f"{np.mean([r['std_over_rmse'] for r in rows]):.2f}"
            )
        means.append(cell)
    body.append(means)
    for cells in body:
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {cell}" for cell in cells[1:])
    lines.append("")
    lines.append(
        "(R² on the test quarter; seconds of the whole fit, summed in the last row; coverage: "
        "share of test targets within the members' mean ± 1.96 std; std/RMSE: mean std over "
        "the test RMSE. One split, ``random_state=0``: ``python -m benchmarks.uncertainty``.)"
    )
    return "\n".join(lines) + "\n"


def main(argv=None):
    from benchmarks.tables import CORE_TABLES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="*", help="table labels (default: every regression)")
    args = parser.parse_args(argv)
    tables = [t for t in CORE_TABLES if t.task == "regression"]
    if args.tables:
        tables = [t for t in tables if t.label in args.tables]
    results = {}
    for table in tables:
        results[table.label] = measure(table)
        print(table.label, json.dumps(results[table.label]), flush=True)
    (HERE / "uncertainty.json").write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "uncertainty.rst").write_text(rst_table(results))
    print(rst_table(results))


if __name__ == "__main__":
    main()
