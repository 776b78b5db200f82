"""W6 sparse input: a 100,000 x 20,000 one-hot CSR table (density 0.1 %).

Each library trains in a fresh process (``benchmarks/fresh/sparse_input.py``): scikit-learn's
MLP configuration (hidden (100,), ReLU, Adam, batch 200; learning rate 0.01) for a fixed number
of epochs on the same float32 CSR matrix, which neither densifies. Reported: the time per
epoch, the peak memory the fit added (resident set size above the baseline after the imports,
a warm-up fit and the data), and the test accuracy on 20,000 new rows.
"""

from ._util import bullets, fmt_ratio, fmt_s, log, md_table, ratio, run_fresh

NAME = "W6"
TITLE = "W6 sparse one-hot input (100,000 x 20,000 CSR, density 0.1 %)"
LIBRARIES = {"skdeep": "skdeep (like_sklearn)", "sklearn": "scikit-learn MLPClassifier"}


def config(quick):
    """Workload settings; ``quick`` trains on fewer rows, once."""
    return dict(rows=20_000 if quick else 100_000, epochs=3, repeats=1 if quick else 2)


def run(cfg):
    """Run W6 and return its raw results (a JSON-serializable dict)."""
    runs = {library: [] for library in LIBRARIES}
    for repeat in range(cfg["repeats"]):
        for library in LIBRARIES:
            log(f"W6: repeat {repeat + 1}/{cfg['repeats']}: {library}")
            args = ["--library", library, "--rows", cfg["rows"], "--epochs", cfg["epochs"]]
            runs[library].append(run_fresh("sparse_input.py", args))
    best = {library: min(r, key=lambda x: x["epoch_s"]) for library, r in runs.items()}
    return {
        "config": cfg,
        "runs": runs,
        "best": best,
        "epoch_ratio": ratio(best["skdeep"]["epoch_s"], best["sklearn"]["epoch_s"]),
        "memory_ratio": ratio(best["skdeep"]["fit_extra_mb"], best["sklearn"]["fit_extra_mb"]),
    }


def render(result):
    """Markdown section of W6."""
    best = result["best"]
    table = md_table(
        ["library", "time per epoch", "fit's extra memory", "test accuracy", "predict 20k rows"],
        [
            [
                LIBRARIES[library],
                fmt_s(b["epoch_s"]),
                f"{b['fit_extra_mb']:.0f} MiB",
                f"{b['test_accuracy']:.3f}",
                fmt_s(b["predict_20k_s"]),
            ]
            for library, b in best.items()
        ],
    )
    sample = best["skdeep"]
    notes = [
        f"Ratios skdeep / scikit-learn: time per epoch {fmt_ratio(result['epoch_ratio'])}, "
        f"extra memory {fmt_ratio(result['memory_ratio'])}.",
        f"{sample['rows']:,} rows x {sample['columns']:,} columns, density "
        f"{sample['density']:.4f}; the CSR data take {sample['data_mb']:.0f} MiB, the same "
        f"matrix dense in float32 would take {sample['dense_x_mb']:.0f} MiB.",
        f"Best of {result['config']['repeats']} fresh process(es) per library, "
        f"{result['config']['epochs']} epochs each; memory method: {sample['peak_method']}.",
    ]
    return "\n\n".join([table, bullets(notes)])
