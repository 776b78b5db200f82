"""W7 tables as they come: raw DataFrames into the estimators, against a ColumnTransformer.

Part 1, the accuracy suite's first 19 tables (:data:`benchmarks.tables.CORE_TABLES`, the
suite before its extension to 26 tables; real tables with string columns and missing
values), each passed to the models in three ways, with the protocol of
:func:`benchmarks.screen.evaluate` (3-fold shuffled CV, stratified for classification, seeds
0-2, default hyperparameters):

- ``skdeep raw``: skdeep's estimator given the DataFrame itself;
- ``skdeep + ColumnTransformer``: the same estimator behind the accuracy suite's shared
  ``ColumnTransformer`` (median impute + scale numeric columns, most-frequent impute +
  one-hot the others);
- ``HGB native``: ``HistGradientBoosting*`` with ``categorical_features="from_dtype"`` on the
  DataFrame (string columns cast to pandas' ``category`` dtype first, as its native path
  requires); ``HGB + ColumnTransformer`` for reference.

Part 2, a generated table of 100,000 rows with a 10,000-level string column
(``benchmarks/fresh/categorical.py``, each model in a fresh process): fit time, the memory the
fit added, and the test R² of skdeep on the raw DataFrame (learned vectors per level), skdeep
behind a sparse one-hot ``ColumnTransformer``, and HistGradientBoosting on ordinal codes.
"""

from ._util import bullets, fmt_ratio, fmt_s, log, md_table, ratio, run_fresh

NAME = "W7"
TITLE = "W7 tables as they come (raw DataFrames vs a ColumnTransformer)"
# Display name -> (model name of benchmarks.screen, raw DataFrame?)
WAYS = {
    "skdeep raw": ("skdeep:defaults", True),
    "skdeep + ColumnTransformer": ("skdeep:defaults", False),
    "HGB native": ("hgb", True),
    "HGB + ColumnTransformer": ("hgb", False),
}
BIG_MODELS = {
    "skdeep_raw": "skdeep, raw DataFrame (learned vectors)",
    "skdeep_one_hot": "skdeep + sparse one-hot ColumnTransformer",
    "hgb_ordinal": "HistGradientBoosting on ordinal codes",
}


def config(quick):
    """Workload settings; ``quick`` keeps three tables, one seed and a small part 2."""
    if quick:
        return dict(
            tables=["titanic", "credit_data", "house_prices"], seeds=[0], rows=5_000, levels=500
        )
    return dict(tables=None, seeds=[0, 1, 2], rows=100_000, levels=10_000)


def run(cfg):
    """Run W7 and return its raw results (a JSON-serializable dict)."""
    import numpy as np

    from benchmarks.screen import evaluate, warm_up
    from benchmarks.tables import BY_LABEL, CORE_TABLES

    warm_up(["skdeep:defaults"])
    tables = [BY_LABEL[t] for t in cfg["tables"]] if cfg["tables"] else list(CORE_TABLES)
    entries = []
    for table in tables:
        entry = {"name": table.label, "task": table.task, "ways": {}}
        for display, (name, raw) in WAYS.items():
            log(f"W7: {table.label}: {display}")
            runs = [evaluate(name, table, seed, raw=raw) for seed in cfg["seeds"]]
            entry["ways"][display] = {
                "score_mean": float(np.mean([r["score"] for r in runs])),
                "score_std": float(np.std([r["score"] for r in runs])),
                "fit_s": float(np.mean([r["fit_s"] for r in runs])),
            }
        entries.append(entry)
    big = {}
    for model in BIG_MODELS:
        log(f"W7: {cfg['rows']:,} rows, {cfg['levels']:,} levels: {model}")
        args = ["--model", model, "--rows", cfg["rows"], "--levels", cfg["levels"]]
        big[model] = run_fresh("categorical.py", args)
    return {"config": cfg, "tables": entries, "big": big}


def summary(result):
    """Mean scores per task, total fit times, and the tables where raw is below the pipeline."""
    import numpy as np

    tables = result["tables"]
    out = {"mean": {}, "fit_s": {}}
    for task in ("classification", "regression"):
        chosen = [t for t in tables if t["task"] == task]
        out["mean"][task] = {
            way: float(np.mean([t["ways"][way]["score_mean"] for t in chosen])) for way in WAYS
        }
    out["fit_s"] = {way: sum(t["ways"][way]["fit_s"] for t in tables) for way in WAYS}
    out["raw_below"] = [
        t["name"]
        for t in tables
        if t["ways"]["skdeep raw"]["score_mean"]
        < t["ways"]["skdeep + ColumnTransformer"]["score_mean"]
    ]
    fit_s = out["fit_s"]
    out["fit_ratio"] = ratio(fit_s["skdeep raw"], fit_s["skdeep + ColumnTransformer"])
    return out


def render(result):
    """Markdown section of W7."""
    rows = []
    for t in result["tables"]:
        w = t["ways"]
        gap = w["skdeep raw"]["score_mean"] - w["skdeep + ColumnTransformer"]["score_mean"]
        rows.append(
            [
                t["name"],
                "accuracy" if t["task"] == "classification" else "R²",
                *(f"{w[way]['score_mean']:.4f} ± {w[way]['score_std']:.4f}" for way in WAYS),
                f"{gap:+.4f}",
                fmt_s(w["skdeep raw"]["fit_s"]),
                fmt_s(w["skdeep + ColumnTransformer"]["fit_s"]),
            ]
        )
    table = md_table(
        ["table", "score", *WAYS, "raw - pipeline", "skdeep raw fit", "skdeep pipeline fit"],
        rows,
    )
    s = summary(result)
    means = md_table(
        ["", *WAYS],
        [
            ["mean accuracy", *(f"{s['mean']['classification'][w]:.4f}" for w in WAYS)],
            ["mean R²", *(f"{s['mean']['regression'][w]:.4f}" for w in WAYS)],
            ["total fit time", *(fmt_s(s["fit_s"][w]) for w in WAYS)],
        ],
    )
    big = result["big"]
    big_table = md_table(
        ["model", "fit time", "fit's extra memory", "test R²"],
        [
            [
                label,
                fmt_s(big[m]["fit_s"]),
                f"{big[m]['fit_extra_mb']:.0f} MiB",
                f"{big[m]['test_r2']:.4f}",
            ]
            for m, label in BIG_MODELS.items()
        ],
    )
    cfg = result["config"]
    notes = [
        f"Seeds {cfg['seeds']}; score: mean over the seeds of the 3-fold CV mean, ± the std of "
        "those seed means; fit time: summed over the folds, mean over the seeds (the "
        "ColumnTransformer's own fit is part of the pipeline's).",
        f"skdeep raw / skdeep + ColumnTransformer total fit time: {fmt_ratio(s['fit_ratio'])}; "
        f"raw below the pipeline on {len(s['raw_below'])} of {len(result['tables'])} tables"
        + (f" ({', '.join(s['raw_below'])})." if s["raw_below"] else "."),
        f"Part 2: {cfg['rows']:,} training rows (20,000 test rows) of 5 numeric columns and a "
        f"string column with {cfg['levels']:,} levels ({big['skdeep_raw']['levels_seen']:,} "
        "seen in training, Zipf-like frequencies); default hyperparameters; each model in a "
        "fresh process, memory as the resident set size's high-water mark above the baseline.",
    ]
    if cfg["tables"]:
        notes.append(f"Quick run: tables {', '.join(cfg['tables'])} only, numbers mean nothing.")
    return "\n\n".join([table, means, "Part 2:", big_table, bullets(notes)])
