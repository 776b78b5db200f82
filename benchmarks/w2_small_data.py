"""W2 small data: 5-fold cross-validation on digits, where per-batch overhead decides.

``cross_val_score(Pipeline(StandardScaler, net), digits, cv=5)`` with hidden (128, 128), batch
32 and 50 epochs (no early convergence: every fold trains all 50 epochs; it runs as
``cross_validate(..., return_estimator=True)`` so the epochs each fold trained are checked).
The data stay float64 for skdeep and scikit-learn, as they come out of ``StandardScaler``;
skorch gets them cast to float32 (the dtype its module has) by a ``FunctionTransformer`` step.
Each pipeline is warmed up by a one-epoch fit first; the time reported is the whole
cross-validation call, best of the runs (5 in the full run). Run ``r`` seeds the nets with
``random_state=r``, and the accuracy is the mean over the runs: one seed's 5-fold accuracy
varies by about 0.004 between seeds, as much as the differences between the libraries.
"""

from ._models import CONTENDERS, RATIO_PAIRS, make_classifier, to_float32
from ._util import bullets, fmt_ratio, fmt_s, fmt_score, log, md_table, quiet_warnings, timed

NAME = "W2"
TITLE = "W2 small data (digits, 5-fold CV, hidden (128, 128), batch 32, 50 epochs)"


def config(quick):
    """Workload settings; ``quick`` shrinks them to a seconds-long smoke run."""
    if quick:
        return dict(n_rows=300, cv=5, hidden=(128, 128), batch_size=32, epochs=2, repeats=1)
    return dict(n_rows=None, cv=5, hidden=(128, 128), batch_size=32, epochs=50, repeats=5)


def make_pipeline(contender, cfg, n_features, n_classes, epochs, random_state=0):
    """``Pipeline(StandardScaler, [float32 cast,] net)`` for one contender."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    net = make_classifier(
        contender,
        n_features=n_features,
        n_classes=n_classes,
        hidden=cfg["hidden"],
        batch_size=cfg["batch_size"],
        epochs=epochs,
        random_state=random_state,
    )
    steps = [("scale", StandardScaler())]
    if contender.library == "skorch":
        steps.append(("float32", FunctionTransformer(to_float32)))
    return Pipeline([*steps, ("net", net)])


def _epochs_run(net):
    """Epochs the fitted ``net`` trained (to check that no library stopped early)."""
    return int(len(net.history_) if hasattr(net, "module_") else net.n_iter_)


def run(cfg):
    """Run W2 and return its raw results (a JSON-serializable dict)."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_validate

    X, y = load_digits(return_X_y=True)
    if cfg["n_rows"]:
        X, y = X[: cfg["n_rows"]], y[: cfg["n_rows"]]
    n_classes = len(np.unique(y))
    contenders = [c for c in CONTENDERS if c.available]
    rows = {}
    with quiet_warnings():
        for contender in contenders:
            log(f"W2: warm-up {contender.name}")
            make_pipeline(contender, cfg, X.shape[1], n_classes, 1).fit(X[:200], y[:200])
            rows[contender.name] = {"library": contender.library, "cv_s": [], "accuracy": None}
        for repeat in range(cfg["repeats"]):
            for contender in contenders:
                log(f"W2: repeat {repeat + 1}/{cfg['repeats']}: {contender.name}")
                # Each repeat seeds the nets with random_state=repeat: the same work, timed
                # again, and one more sample of the accuracy (one seed's is noisy).
                pipe = make_pipeline(
                    contender, cfg, X.shape[1], n_classes, cfg["epochs"], random_state=repeat
                )
                seconds, out = timed(
                    cross_validate, pipe, X, y, cv=cfg["cv"], return_estimator=True
                )
                row = rows[contender.name]
                row["cv_s"].append(seconds)
                row.setdefault("seed_accuracy", []).append(float(np.mean(out["test_score"])))
                row.setdefault("epochs_run", set()).update(
                    _epochs_run(p[-1]) for p in out["estimator"]
                )
    for row in rows.values():
        row["best_s"] = min(row["cv_s"])
        row["accuracy"] = float(np.mean(row["seed_accuracy"]))
        row["accuracy_std"] = float(np.std(row["seed_accuracy"]))
        row["epochs_run"] = sorted(row["epochs_run"])
    ratios = [
        {
            "skdeep": a.name,
            "peer": b.name,
            "ratio": rows[a.name]["best_s"] / rows[b.name]["best_s"],
        }
        for a, b in RATIO_PAIRS
        if a.name in rows and b.name in rows
    ]
    return {
        "config": cfg,
        "n_rows": int(X.shape[0]),
        "rows": rows,
        "ratios": ratios,
        "skipped": [c.name for c in CONTENDERS if not c.available],
    }


def render(result):
    """Markdown section of W2."""
    cfg = result["config"]
    table = md_table(
        ["contender", "5-fold CV time", "mean accuracy", "per fit", "epochs run", "all runs (s)"],
        [
            [
                name,
                fmt_s(row["best_s"]),
                f"{fmt_score(row['accuracy'])} ± {row['accuracy_std']:.4f}",
                fmt_s(row["best_s"] / cfg["cv"]),
                ", ".join(map(str, row["epochs_run"])),
                ", ".join(f"{s:.2f}" for s in row["cv_s"]),
            ]
            for name, row in result["rows"].items()
        ],
    )
    ratios = md_table(
        ["skdeep", "peer", "time ratio (skdeep / peer)"],
        [[r["skdeep"], r["peer"], fmt_ratio(r["ratio"])] for r in result["ratios"]],
    )
    notes = [
        f"{result['n_rows']} rows, {cfg['cv']} folds, {cfg['epochs']} epochs per fit, batch "
        f"{cfg['batch_size']}, best of {cfg['repeats']} run(s) after a one-epoch warm-up.",
        f"Run r seeds every net with random_state=r (the folds are the same, unshuffled); "
        f"mean accuracy is the mean over the {cfg['repeats']} run(s) of the 5-fold mean, ± the "
        "std of those run means.",
        "skdeep and scikit-learn train in float64 (StandardScaler's output), skorch in float32.",
    ]
    if result["skipped"]:
        notes.append(f"Not installed, skipped: {', '.join(result['skipped'])}.")
    return "\n\n".join([table, ratios, bullets(notes)])
