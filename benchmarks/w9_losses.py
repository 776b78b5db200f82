"""W9 regression losses: the 0.9 quantile and the absolute error against HistGradientBoosting.

The 8 regression tables among the accuracy suite's first 19
(:data:`benchmarks.tables.CORE_TABLES`; at most 10,000 rows), each split 75 / 25 into training
and held-out rows for seeds 0, 1 and 2 (seed ``s`` shuffles the split and seeds the models),
every model behind the suite's shared ``ColumnTransformer`` and with its default
hyperparameters otherwise:

- ``RegularizedMLPRegressor(loss="quantile", quantile=0.9)`` against
  ``HistGradientBoostingRegressor(loss="quantile", quantile=0.9)``: the share of held-out
  targets at or below the predictions (coverage; the target is within 0.05 of 0.9 on every
  table) and the mean pinball loss (the target is at most 1.05 times HistGradientBoosting's);
- ``loss="absolute_error"`` of both: the mean absolute error (the same 1.05 target);
- the fit times of each, beside skdeep's squared-error fit on the same rows.

A table's numbers are the means over the seeds.
"""

from ._util import bullets, fmt_s, log, md_table

NAME = "W9"
TITLE = "W9 regression losses (0.9 quantile and absolute error, against HistGradientBoosting)"
LEVEL = 0.9
# Display name -> (library, loss)
MODELS = {
    "skdeep quantile": ("skdeep", "quantile"),
    "HGB quantile": ("hgb", "quantile"),
    "skdeep absolute_error": ("skdeep", "absolute_error"),
    "HGB absolute_error": ("hgb", "absolute_error"),
    "skdeep squared_error": ("skdeep", "squared_error"),
}
COVERAGE_SLACK = 0.05
RATIO_TARGET = 1.05


def config(quick):
    """Workload settings; ``quick`` keeps two small tables and one seed."""
    if quick:
        return dict(tables=["concrete", "house_prices"], seeds=[0])
    return dict(tables=None, seeds=[0, 1, 2])


def _model(library, loss, seed):
    if library == "skdeep":
        from skdeep import RegularizedMLPRegressor

        return RegularizedMLPRegressor(loss=loss, quantile=LEVEL, random_state=seed)
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss=loss, quantile=LEVEL if loss == "quantile" else None, random_state=seed
    )


def _evaluate(table, seed):
    """Every model of :data:`MODELS` on one split of ``table``."""
    import time
    import warnings

    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_pinball_loss
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import load_table, preprocessor

    X, y, _ = load_table(table)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.to_numpy(), test_size=0.25, random_state=seed
    )
    out = {}
    for display, (library, loss) in MODELS.items():
        pipe = make_pipeline(preprocessor(), _model(library, loss, seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            pipe.fit(X_train, y_train)
            fit_s = time.perf_counter() - start
        pred = pipe.predict(X_test)
        out[display] = {
            "fit_s": fit_s,
            "coverage": float(np.mean(y_test <= pred)),
            "pinball": float(mean_pinball_loss(y_test, pred, alpha=LEVEL)),
            "mae": float(mean_absolute_error(y_test, pred)),
        }
    return out


def run(cfg):
    """Run W9 and return its raw results (a JSON-serializable dict)."""
    import numpy as np

    from benchmarks.tables import BY_LABEL, CORE_TABLES

    tables = (
        [BY_LABEL[t] for t in cfg["tables"]]
        if cfg["tables"]
        else [t for t in CORE_TABLES if t.task == "regression"]
    )
    # A first fit compiles the kernels: not part of any table's time.
    _evaluate(tables[0], cfg["seeds"][0])
    entries = []
    for table in tables:
        log(f"W9: {table.label}")
        runs = [_evaluate(table, seed) for seed in cfg["seeds"]]
        entries.append(
            {
                "name": table.label,
                "models": {
                    m: {k: float(np.mean([r[m][k] for r in runs])) for k in runs[0][m]}
                    for m in MODELS
                },
            }
        )
    return {"config": cfg, "tables": entries}


def summary(result):
    """Per table the ratios to HistGradientBoosting and whether the targets hold."""
    import numpy as np

    rows = []
    for t in result["tables"]:
        m = t["models"]
        rows.append(
            {
                "name": t["name"],
                "coverage": m["skdeep quantile"]["coverage"],
                "hgb_coverage": m["HGB quantile"]["coverage"],
                "pinball_ratio": m["skdeep quantile"]["pinball"] / m["HGB quantile"]["pinball"],
                "mae_ratio": m["skdeep absolute_error"]["mae"] / m["HGB absolute_error"]["mae"],
            }
        )
    return {
        "rows": rows,
        "coverage_ok": [abs(r["coverage"] - LEVEL) <= COVERAGE_SLACK for r in rows],
        "mean_pinball_ratio": float(np.mean([r["pinball_ratio"] for r in rows])),
        "mean_mae_ratio": float(np.mean([r["mae_ratio"] for r in rows])),
        "fit_s": {
            name: sum(t["models"][name]["fit_s"] for t in result["tables"]) for name in MODELS
        },
    }


def render(result):
    """Markdown section of W9."""
    s = summary(result)
    table = md_table(
        [
            "table",
            "coverage of 0.9 (skdeep)",
            "coverage (HGB)",
            "pinball skdeep / HGB",
            "MAE skdeep / HGB",
            *(f"{name} fit" for name in MODELS),
        ],
        [
            [
                r["name"],
                f"{r['coverage']:.3f}",
                f"{r['hgb_coverage']:.3f}",
                f"{r['pinball_ratio']:.3f}",
                f"{r['mae_ratio']:.3f}",
                *(fmt_s(t["models"][name]["fit_s"]) for name in MODELS),
            ]
            for r, t in zip(s["rows"], result["tables"], strict=True)
        ],
    )
    n_ok = sum(s["coverage_ok"])
    off = [r["name"] for r, ok in zip(s["rows"], s["coverage_ok"], strict=True) if not ok]
    seeds = len(result["config"]["seeds"])
    facts = [
        f"Coverage of the 0.9 quantile within {COVERAGE_SLACK} of 0.9: {n_ok} of "
        f"{len(s['rows'])} tables" + (f" (not: {', '.join(off)})" if off else ""),
        f"Mean pinball-loss ratio skdeep / HGB: {s['mean_pinball_ratio']:.3f} (target at most "
        f"{RATIO_TARGET} on each table; above it on "
        f"{sum(r['pinball_ratio'] > RATIO_TARGET for r in s['rows'])})",
        f"Mean MAE ratio skdeep / HGB: {s['mean_mae_ratio']:.3f} (above {RATIO_TARGET} on "
        f"{sum(r['mae_ratio'] > RATIO_TARGET for r in s['rows'])})",
        "Total fit time over the tables: "
        + ", ".join(f"{name} {fmt_s(v)}" for name, v in s["fit_s"].items()),
    ]
    return "\n\n".join(
        [
            f"75 / 25 split per seed ({seeds} seeds), means over the seeds; every model behind "
            "the accuracy suite's ColumnTransformer, default hyperparameters.",
            table,
            bullets(facts),
        ]
    )
