"""W1 throughput: time per training epoch on a 50,000 x 100 float32 table, and GFLOP/s.

``make_classification(60_000, 100 features, 30 informative, 5 classes)``, the first 50,000
rows train and the rest score; hidden (256, 256), ReLU, Adam 1e-3, batch 256, 10 epochs.
Every contender is first warmed up by a one-epoch fit on a few hundred rows (numba compile or
cache load, torch initialization), then timed; the time per epoch is the best fit time over
the repeats divided by the number of epochs. The achieved GFLOP/s count the forward and
backward matrix products (:func:`benchmarks._models.matmul_flops`) and are compared with a
float32 ``np.matmul`` measured in the same process.
"""

from ._models import (
    CONTENDERS,
    RATIO_PAIRS,
    epoch_products_s,
    make_classifier,
    matmul_flops,
    torch_info,
)
from ._util import (
    blas_info,
    bullets,
    fmt_ratio,
    fmt_s,
    fmt_score,
    gemm_gflops,
    log,
    md_table,
    quiet_warnings,
    ratio,
    timed,
)

NAME = "W1"
TITLE = "W1 throughput (50,000 x 100 float32, hidden (256, 256), batch 256)"


def config(quick):
    """Workload settings; ``quick`` shrinks them to a seconds-long smoke run."""
    if quick:
        return dict(
            n_samples=3_000,
            n_train=2_500,
            n_features=100,
            n_informative=30,
            n_classes=5,
            hidden=(256, 256),
            batch_size=256,
            epochs=2,
            repeats=1,
            warmup_rows=256,
            gemm_n=1024,
        )
    return dict(
        n_samples=60_000,
        n_train=50_000,
        n_features=100,
        n_informative=30,
        n_classes=5,
        hidden=(256, 256),
        batch_size=256,
        epochs=10,
        repeats=3,
        warmup_rows=512,
        gemm_n=2048,
    )


def _train_dtype(estimator):
    if hasattr(estimator, "module_"):
        return str(next(estimator.module_.parameters()).dtype).replace("torch.", "")
    return str(estimator.coefs_[0].dtype)


def run(cfg):
    """Run W1 and return its raw results (a JSON-serializable dict)."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.metrics import accuracy_score

    X, y = make_classification(
        n_samples=cfg["n_samples"],
        n_features=cfg["n_features"],
        n_informative=cfg["n_informative"],
        n_classes=cfg["n_classes"],
        random_state=0,
    )
    X = X.astype(np.float32)
    n_train = cfg["n_train"]
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    sizes = (cfg["n_features"], *cfg["hidden"], cfg["n_classes"])
    flops = matmul_flops(n_train, sizes)

    log(f"W1: float32 GEMM {cfg['gemm_n']}x{cfg['gemm_n']}, the epoch's products alone")
    gemm = [gemm_gflops(cfg["gemm_n"])]
    products = [epoch_products_s(n_train, sizes, cfg["batch_size"])]

    def build(contender, epochs):
        return make_classifier(
            contender,
            n_features=cfg["n_features"],
            n_classes=cfg["n_classes"],
            hidden=cfg["hidden"],
            batch_size=cfg["batch_size"],
            epochs=epochs,
        )

    contenders = [c for c in CONTENDERS if c.available]
    skipped = [c.name for c in CONTENDERS if not c.available]
    rows = {}
    with quiet_warnings():
        for contender in contenders:
            log(f"W1: warm-up {contender.name}")
            n = cfg["warmup_rows"]
            build(contender, 1).fit(X_train[:n], y_train[:n]).predict(X_test[:n])
            rows[contender.name] = {"library": contender.library, "fit_s": []}
        fitted = {}
        # Repeats are the outer loop, so slow drifts in machine load hit every contender.
        for repeat in range(cfg["repeats"]):
            for contender in contenders:
                log(f"W1: repeat {repeat + 1}/{cfg['repeats']}: {contender.name}")
                estimator = build(contender, cfg["epochs"])
                if contender.library == "skdeep":
                    # The BLAS state of the machine right before this fit (see render()).
                    rows[contender.name].setdefault("products_s", []).append(
                        epoch_products_s(n_train, sizes, cfg["batch_size"], repeats=1)
                    )
                seconds, _ = timed(estimator.fit, X_train, y_train)
                rows[contender.name]["fit_s"].append(seconds)
                fitted[contender.name] = estimator
    log("W1: float32 GEMM and the products again, scoring")
    gemm.append(gemm_gflops(cfg["gemm_n"]))
    products.append(epoch_products_s(n_train, sizes, cfg["batch_size"]))
    gemm_best = max(gemm)

    for name, row in rows.items():
        estimator = fitted[name]
        row["epoch_s"] = min(row["fit_s"]) / cfg["epochs"]
        row["gflops"] = flops / row["epoch_s"] / 1e9
        row["gemm_fraction"] = row["gflops"] / gemm_best
        row["accuracy"] = float(accuracy_score(y_test, estimator.predict(X_test)))
        row["dtype"] = _train_dtype(estimator)
        if "products_s" in row:
            row["epoch_over_products"] = [
                fit / cfg["epochs"] / prod
                for fit, prod in zip(row["fit_s"], row["products_s"], strict=True)
            ]
    ratios = [
        {
            "skdeep": a.name,
            "peer": b.name,
            "ratio": ratio(rows[a.name]["epoch_s"], rows[b.name]["epoch_s"]),
        }
        for a, b in RATIO_PAIRS
        if a.name in rows and b.name in rows
    ]
    return {
        "config": cfg,
        "flops_per_epoch": flops,
        "gemm_gflops": gemm,
        "gemm_floor_epoch_s": flops / (gemm_best * 1e9),
        "products_epoch_s": products,
        "rows": rows,
        "ratios": ratios,
        "skipped": skipped,
        "blas": blas_info(),
        "torch": torch_info(),
    }


def render(result):
    """Markdown section of W1."""
    cfg = result["config"]
    table = md_table(
        [
            "contender",
            "time / epoch",
            "GFLOP/s",
            "% of GEMM",
            "test accuracy",
            "dtype",
            "fit times (s)",
        ],
        [
            [
                name,
                fmt_s(row["epoch_s"]),
                f"{row['gflops']:.1f}",
                f"{100 * row['gemm_fraction']:.0f}%",
                fmt_score(row["accuracy"]),
                row["dtype"],
                ", ".join(f"{s:.2f}" for s in row["fit_s"]),
            ]
            for name, row in result["rows"].items()
        ],
    )
    ratios = md_table(
        ["skdeep", "peer", "time ratio (skdeep / peer)"],
        [[r["skdeep"], r["peer"], fmt_ratio(r["ratio"])] for r in result["ratios"]],
    )
    notes = [
        f"{cfg['n_train']:,} training rows, {cfg['epochs']} epochs, best of {cfg['repeats']} "
        "fit(s), after a one-epoch warm-up fit.",
        f"One epoch is {result['flops_per_epoch'] / 1e9:.1f} GFLOP of matrix products "
        "(forward, weight gradients, input gradients except the first layer's). float32 "
        f"`np.matmul` {cfg['gemm_n']}x{cfg['gemm_n']} reached "
        + " / ".join(f"{g:.0f}" for g in result["gemm_gflops"])
        + f" GFLOP/s (start / end of W1), so an epoch cannot take less than about "
        f"{fmt_s(result['gemm_floor_epoch_s'])}.",
        "The epoch's matrix products alone, with the epoch's shapes through the BLAS "
        "skdeep's kernels call (numba `np.dot`, scipy's OpenBLAS), took "
        + " / ".join(fmt_s(s) for s in result["products_epoch_s"])
        + " (start / end of W1). On some machines these small two-thread products vary "
        "between runs by 30% while the large GEMM does not (benchmarks/NOTES.md), so they "
        "are also timed right before each skdeep fit. Each fit's epoch time over those "
        "products' time (products' time in parentheses): "
        + "; ".join(
            f"{name} "
            + ", ".join(
                f"{r:.2f}x ({p:.3f} s)"
                for r, p in zip(row["epoch_over_products"], row["products_s"], strict=True)
            )
            for name, row in result["rows"].items()
            if "epoch_over_products" in row
        )
        + ".",
        "Regularized: batch norm after each hidden dense layer, dropout 0.2, AdamW with "
        "weight decay 0.01; scikit-learn's MLP has no such variant.",
    ]
    pools = "; ".join(
        f"{p['prefix']} ("
        + ", ".join(
            str(part)
            for part in (
                p["internal_api"],
                p["version"],
                p["architecture"] and f"kernel {p['architecture']}",
                f"{p['num_threads']} threads",
            )
            if part
        )
        + ")"
        for p in result["blas"]
    )
    notes.append(f"Thread pools in W1's process: {pools}.")
    if result["torch"]:
        notes.append(f"torch: {result['torch']}.")
    if result["skipped"]:
        notes.append(f"Not installed, skipped: {', '.join(result['skipped'])}.")
    return "\n\n".join([table, ratios, bullets(notes)])
