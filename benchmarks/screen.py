"""The defaults screen: candidate configurations of skdeep and the peers on the suite's tables.

Every model is scored with one protocol: the table's rows go through the shared
``ColumnTransformer`` (:func:`benchmarks.tables.preprocessor`), then the model, in 3-fold
shuffled cross-validation (stratified for classification), for each seed ``s`` (the folds are
shuffled with ``s`` and the model gets ``random_state=s``); accuracy for classification, R² for
regression. Results are cached in a JSON file, one entry per (model, table, seed), so a screen
can be stopped, resumed and extended.

Models: ``sklearn_mlp`` (scikit-learn's MLP, defaults), ``hgb`` (HistGradientBoosting,
defaults), ``catboost`` and ``lightgbm`` (CatBoost and LightGBM, defaults, two threads, quiet),
``realmlp`` (pytabkit's RealMLP-TD, defaults, on the CPU), and ``skdeep:NAME`` for each
candidate ``NAME`` of :data:`CANDIDATES` (a function of the task returning skdeep's
parameters; ``skdeep:defaults`` is the estimators' current defaults). Each table keeps at most
its ``max_rows`` rows (:mod:`benchmarks.tables`); the cache's keys do not record that number.

From the repository root::

    python -m benchmarks.screen --models skdeep:defaults,hgb --seeds 0,1,2
    python -m benchmarks.screen --report --models skdeep:defaults,hgb,sklearn_mlp
    python -m benchmarks.screen --ablations
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.tables import BY_LABEL, CORE_TABLES, TABLES, load_table, preprocessor

CACHE = Path(__file__).resolve().parent / "screen.json"


def _defaults(task):
    from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

    cls = RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor
    params = cls().get_params()
    params.pop("random_state")
    return params


def _recipe(task, **overrides):
    """RealMLP-TD's full size in skdeep's parameters (the first candidates of the screen):
    the defaults with three 256-wide layers, batches of 256 and 256 epochs, every
    non-binary column embedded, training in the input's dtype, then ``overrides``."""
    params = _defaults(task)
    params.update(
        hidden_layer_sizes=(256, 256, 256),
        batch_size=256,
        max_iter=256,
        numeric_embeddings="periodic",
        early_stopping=True,
        training_dtype="auto",
    )
    params.update(overrides)
    return params


# What each ablation removes from a recipe: the parameters that turn the component off.
# "none" removes nothing: the base itself, measured in the same run as its ablations.
ABLATIONS = {
    "none": {},
    "input_scaling": dict(input_scaling=None),
    "embeddings": dict(numeric_embeddings=None),
    "scaling_layer": dict(scaling_layer=False),
    "parametric_activation": dict(parametric_activation=False),
    "smooth_activation": dict(activation="relu"),
    "label_smoothing": dict(label_smoothing=0.0),
    "even_batches": dict(even_batches=False),
    "lr_schedule": dict(learning_rate="cosine"),
    "dropout_schedule": dict(dropout_schedule="constant"),
    "weight_decay_schedule": dict(weight_decay_schedule="constant"),
    "lr_factors": dict(
        bias_lr_factor=1.0,
        scaling_lr_factor=1.0,
        embedding_lr_factor=1.0,
        activation_lr_factor=1.0,
    ),
    "data_aware_init": dict(weight_init="auto"),
    # The standard parametrization at the NTK's effective rate of a hidden layer.
    "ntk": lambda task, p: dict(
        parametrization="standard",
        learning_rate_init=p["learning_rate_init"] / np.sqrt(p["hidden_layer_sizes"][0]),
    ),
    "dropout": dict(dropout=0.0),
    "weight_decay": dict(weight_decay=0.0),
    "best_epoch": dict(early_stopping=False),
    "float32": dict(training_dtype="auto"),
}


def _ablated(base, part):
    """``base`` (a candidate) without ``part`` (a key of :data:`ABLATIONS`)."""

    def params(task):
        p = base(task)
        change = ABLATIONS[part]
        p.update(change(task, p) if callable(change) else change)
        if task == "regression":
            p.pop("label_smoothing", None)
        return p

    return params


CANDIDATES = {
    # The estimators' defaults, spelled out so that ablations can change them.
    "defaults": lambda task: _defaults(task),
    "recipe_256": lambda task: _recipe(task),
    "recipe_64": lambda task: _recipe(task, max_iter=64),
    "recipe_64_f32": lambda task: _recipe(task, max_iter=64, training_dtype="float32"),
    "recipe_32_f32": lambda task: _recipe(task, max_iter=32, training_dtype="float32"),
    "recipe_48_f32": lambda task: _recipe(task, max_iter=48, training_dtype="float32"),
    "recipe_64_f32_2x256": lambda task: _recipe(
        task, max_iter=64, training_dtype="float32", hidden_layer_sizes=(256, 256)
    ),
    "recipe_64_f32_3x128": lambda task: _recipe(
        task, max_iter=64, training_dtype="float32", hidden_layer_sizes=(128, 128, 128)
    ),
}
for _part in ABLATIONS:
    CANDIDATES[f"defaults-{_part}"] = _ablated(CANDIDATES["defaults"], _part)
# The periodic embeddings' initial frequency scale (0.1 in the defaults).
for _scale in (0.03, 0.3, 1.0):
    CANDIDATES[f"defaults-frequency{_scale}"] = lambda task, scale=_scale: {
        **_defaults(task),
        "embedding_frequency_scale": scale,
    }


def _ensemble(kind, k):
    """The defaults with ``k`` members of ``kind`` (independent members one after the
    other, ``n_jobs=1``: the time is the work)."""
    return lambda task: {**_defaults(task), "n_ensembles": k, "ensemble": kind, "n_jobs": 1}


# Ensembles (issue 23, part 4): skdeep:independent4, skdeep:shared8, skdeep:shared_mini8, ...
for _k in (2, 3, 4, 8):
    CANDIDATES[f"independent{_k}"] = _ensemble("independent", _k)
# Four members with scikit-learn's batching (full batches, the rest last).
CANDIDATES["independent4-even_batches"] = lambda task: {
    **CANDIDATES["independent4"](task),
    "even_batches": False,
}
# The same members trained two at a time (the same predictions; the wall time on two cores).
CANDIDATES["independent4_jobs2"] = lambda task: {**CANDIDATES["independent4"](task), "n_jobs": 2}
# Eight members two at a time: the documented setting for the best scores (issue 23).
CANDIDATES["independent8_jobs2"] = lambda task: {**CANDIDATES["independent8"](task), "n_jobs": 2}
# Members of half the epochs (the schedule's four cycles in 32 epochs).
CANDIDATES["independent4_e32"] = lambda task: {**CANDIDATES["independent4"](task), "max_iter": 32}
for _k in (2, 4):
    CANDIDATES[f"snapshot{_k}"] = _ensemble("snapshot", _k)
for _k in (2, 4, 8, 16, 32):
    CANDIDATES[f"shared{_k}"] = _ensemble("shared", _k)
    CANDIDATES[f"shared_mini{_k}"] = _ensemble("shared_mini", _k)


def make_model(name, task, seed):
    """The estimator called ``name`` for ``task``, seeded with ``seed``."""
    clf = task == "classification"
    if name == "sklearn_mlp":
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        return (MLPClassifier if clf else MLPRegressor)(random_state=seed)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        return cls(random_state=seed)
    if name == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        cls = CatBoostClassifier if clf else CatBoostRegressor
        # allow_writing_files=False: no catboost_info/ folder of training logs in the cwd.
        return cls(random_state=seed, thread_count=2, verbose=0, allow_writing_files=False)
    if name == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        cls = LGBMClassifier if clf else LGBMRegressor
        return cls(random_state=seed, n_jobs=2, verbosity=-1)
    if name == "realmlp":
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        cls = RealMLP_TD_Classifier if clf else RealMLP_TD_Regressor
        return cls(random_state=seed, device="cpu", verbosity=0)
    if name.startswith("skdeep:"):
        from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor

        params = CANDIDATES[name.split(":", 1)[1]](task)
        cls = RegularizedMLPClassifier if clf else RegularizedMLPRegressor
        return cls(**{**params, "random_state": seed})
    raise ValueError(f"unknown model {name!r}")


def evaluate(name, table, seed, max_rows="table", cv=3, raw=False):
    """Cross-validated score and fit time of one model on one table for one seed.

    ``max_rows``: as :func:`benchmarks.tables.load_table` (by default the table's own).

    ``raw``: the model gets the table's DataFrame itself, without the shared
    ``ColumnTransformer`` (object columns cast to pandas' ``category`` dtype first, once for
    the whole table, when the model is ``"hgb"``: HistGradientBoosting's native categorical
    path takes categories from that dtype only).
    """
    from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline

    X, y, _ = load_table(table, max_rows)
    splitter = StratifiedKFold if table.task == "classification" else KFold
    scoring = "accuracy" if table.task == "classification" else "r2"
    model = make_model(name, table.task, seed)
    if not raw:
        pipe = make_pipeline(preprocessor(), model)
    elif name == "hgb":
        X = X.apply(lambda c: c if np.issubdtype(c.dtype, np.number) else c.astype("category"))
        pipe = make_pipeline(model.set_params(categorical_features="from_dtype"))
    else:
        pipe = make_pipeline(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = cross_validate(
            pipe,
            X,
            y,
            cv=splitter(cv, shuffle=True, random_state=seed),
            scoring=scoring,
            return_estimator=True,
            error_score="raise",
        )
    epochs = [getattr(e[-1], "n_iter_", None) for e in out["estimator"]]
    return {
        "score": float(np.mean(out["test_score"])),
        "fold_scores": [float(s) for s in out["test_score"]],
        "fit_s": float(np.sum(out["fit_time"])),
        # Independent ensemble members have one count each.
        "epochs": [None if e is None else np.asarray(e).tolist() for e in epochs],
    }


def load_cache(path=CACHE):
    return json.loads(path.read_text()) if path.exists() else {}


def warm_up(models):
    """Fit each skdeep candidate once on a tiny problem, in float32 and float64, so that the
    kernels' compilation (or cache loading) is not timed with the first table."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    targets = {"classification": (X[:, 0] > 0).astype(int), "regression": X[:, 0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in models:
            if not name.startswith("skdeep:"):
                continue
            for task, y in targets.items():
                for dtype in (np.float32, np.float64):
                    est = make_model(name, task, 0).set_params(max_iter=2, batch_size=16)
                    if est.ensemble == "snapshot":  # two epochs hold no cycles to snapshot
                        est.set_params(n_ensembles=1)
                    est.fit(X.astype(dtype), y)


def run(models, tables, seeds, path=CACHE, redo=False):
    """Evaluate every (model, table, seed) not yet in the cache; return the cache."""
    cache = load_cache(path)
    warm_up(models)
    for table in tables:
        for name in models:
            for seed in seeds:
                key = f"{name}|{table.label}|{seed}"
                if key in cache and not redo:
                    continue
                started = time.perf_counter()
                cache[key] = evaluate(name, table, seed)
                print(
                    f"{time.strftime('%H:%M:%S')} {key}: {cache[key]['score']:.4f} "
                    f"fit {cache[key]['fit_s']:.1f}s (wall {time.perf_counter() - started:.1f}s)",
                    flush=True,
                )
                path.write_text(json.dumps(cache, indent=0, sort_keys=True))
    return cache


def summary(cache, models, tables, seeds):
    """Per table and model: mean score over the seeds and mean fit time, or None if missing."""
    out = {}
    for table in tables:
        for name in models:
            entries = [cache.get(f"{name}|{table.label}|{s}") for s in seeds]
            if any(e is None for e in entries):
                out[table.label, name] = None
                continue
            scores = [e["score"] for e in entries]
            out[table.label, name] = {
                "score": float(np.mean(scores)),
                "std": float(np.std(scores)),
                "fit_s": float(np.mean([e["fit_s"] for e in entries])),
            }
    return out


def report(cache, models, tables, seeds):
    """A plain-text table: scores per table and model, task means, total fit times."""
    res = summary(cache, models, tables, seeds)
    width = max(len(m) for m in models) + 2
    lines = ["table".ljust(18) + "".join(m.rjust(width) for m in models)]
    for table in tables:
        cells = []
        for name in models:
            r = res[table.label, name]
            cells.append(("-" if r is None else f"{r['score']:.4f}").rjust(width))
        lines.append(table.label.ljust(18) + "".join(cells))
    for task in ("classification", "regression"):
        chosen = [t for t in tables if t.task == task]
        cells = []
        for name in models:
            vals = [res[t.label, name] for t in chosen]
            ok = all(v is not None for v in vals) and vals
            cells.append(
                (f"{np.mean([v['score'] for v in vals]):.4f}" if ok else "-").rjust(width)
            )
        lines.append(f"mean {task[:5]}".ljust(18) + "".join(cells))
    cells = []
    for name in models:
        vals = [res[t.label, name] for t in tables]
        ok = all(v is not None for v in vals)
        cells.append((f"{sum(v['fit_s'] for v in vals):.0f}s" if ok else "-").rjust(width))
    lines.append("total fit".ljust(18) + "".join(cells))
    return "\n".join(lines)


def ablations(cache, tables, seed=0, base="skdeep:defaults"):
    """Per ablation of :data:`ABLATIONS`: the change of each task's mean score (and the count
    of tables that got worse or better by more than 0.002) when that part is removed from
    ``base`` (as measured in the ablations' run: ``base-none``), all at one seed. Rows sorted
    by the overall mean change, most harmful first."""
    rows = []
    reference = f"{base}-none"
    for part in ABLATIONS:
        if part == "none":
            continue
        name = f"{base.split(':')[-1]}-{part}"
        diffs = {"classification": [], "regression": []}
        worst = (0.0, "")
        for table in tables:
            a = cache.get(f"skdeep:{name}|{table.label}|{seed}")
            b = cache.get(f"{reference}|{table.label}|{seed}")
            if a is None or b is None:
                break
            d = a["score"] - b["score"]
            diffs[table.task].append(d)
            worst = min(worst, (d, table.label))
        else:
            every = diffs["classification"] + diffs["regression"]
            rows.append(
                {
                    "part": part,
                    "accuracy": float(np.mean(diffs["classification"])),
                    "r2": float(np.mean(diffs["regression"])),
                    "mean": float(np.mean(every)),
                    "worse": sum(d < -0.002 for d in every),
                    "better": sum(d > 0.002 for d in every),
                    "worst": worst,
                }
            )
    return sorted(rows, key=lambda r: r["mean"])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screen")
    parser.add_argument("--models", help="comma-separated model names")
    parser.add_argument("--tables", default=None, help="comma-separated table labels")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--report", action="store_true", help="only print the cached results")
    parser.add_argument("--redo", action="store_true", help="evaluate again what is cached")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument(
        "--ablations", action="store_true", help="print the ablation table of the defaults"
    )
    args = parser.parse_args(argv)
    if args.ablations:
        # The ablation candidates were evaluated on the suite's first 19 tables only.
        for r in ablations(load_cache(args.cache), list(CORE_TABLES)):
            print(
                f"{r['part']:24s} acc {r['accuracy']:+.4f}  R2 {r['r2']:+.4f}  "
                f"mean {r['mean']:+.4f}  worse {r['worse']:2d} better {r['better']:2d}  "
                f"worst {r['worst'][0]:+.4f} ({r['worst'][1]})"
            )
        return 0
    if not args.models:
        parser.error("--models is required (unless --ablations)")
    models = args.models.split(",")
    tables = [BY_LABEL[t] for t in args.tables.split(",")] if args.tables else list(TABLES)
    seeds = [int(s) for s in args.seeds.split(",")]
    cache = (
        load_cache(args.cache)
        if args.report
        else run(models, tables, seeds, args.cache, args.redo)
    )
    print(report(cache, models, tables, seeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
