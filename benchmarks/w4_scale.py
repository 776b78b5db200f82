"""W4 scale: time per epoch and peak memory at 10k, 100k and 1M rows of W1's shape.

Each (library, size) runs in its own process (``benchmarks/fresh/scale.py``), which generates
W1-shaped float32 data, trains W1's network for a few epochs and predicts on all rows,
recording the time and the resident-memory high-water mark of each phase above the baseline
after imports and warm-up. The report says

- whether the time per epoch grows linearly with the rows: the log-log slope between
  consecutive sizes is at most 1.15;
- whether the fit's peak extra memory at the largest size stays under 2x (training data +
  model); at small sizes fixed allocations dominate that factor, so it is shown but not judged;
- whether ``predict`` at the largest size has bounded memory: at most 64 MiB plus 64 bytes per
  row, room for the outputs but not for a hidden layer's activations over all rows (a
  256-unit float32 layer takes 1 KiB per row), i.e. it works block by block.
"""

import math

from ._util import bullets, fmt_ratio, fmt_s, log, md_table, ratio, run_fresh

NAME = "W4"
TITLE = "W4 scale (W1 shape at 10k, 100k, 1M rows: time per epoch, peak memory, predict)"
LIBRARIES = ("skdeep", "sklearn")
LABELS = {"skdeep": "skdeep", "sklearn": "scikit-learn MLPClassifier"}
LINEAR_SLOPE = 1.15
MEMORY_FACTOR = 2.0
PREDICT_FIXED_MB = 64.0
PREDICT_BYTES_PER_ROW = 64


def config(quick):
    """Workload settings; ``quick`` shrinks them to a seconds-long smoke run."""
    if quick:
        return dict(sizes=[1_000, 4_000, 16_000], epochs=[1, 1, 1])
    return dict(sizes=[10_000, 100_000, 1_000_000], epochs=[10, 5, 3])


def _verdicts(rows):
    """Linear-time, memory and bounded-predict verdicts of one library's rows (by size)."""
    slopes = [
        math.log(b["epoch_s"] / a["epoch_s"]) / math.log(b["rows"] / a["rows"])
        for a, b in zip(rows[:-1], rows[1:], strict=False)
    ]
    memory = [r["fit_extra_mb"] / (r["data_mb"] + r["model_mb"]) for r in rows]
    largest = rows[-1]
    predict_limit = PREDICT_FIXED_MB + PREDICT_BYTES_PER_ROW * largest["rows"] / 1024**2
    return {
        "slopes": slopes,
        "linear": all(s <= LINEAR_SLOPE for s in slopes),
        "memory_factors": memory,
        "memory_ok": memory[-1] < MEMORY_FACTOR,
        "predict_limit_mb": predict_limit,
        "predict_bounded": largest["predict_extra_mb"] <= predict_limit,
    }


def run(cfg):
    """Run W4 and return its raw results (a JSON-serializable dict)."""
    results = {lib: [] for lib in LIBRARIES}
    for rows, epochs in zip(cfg["sizes"], cfg["epochs"], strict=True):
        for lib in LIBRARIES:
            log(f"W4: {lib} at {rows:,} rows, {epochs} epoch(s)")
            args = ["--library", lib, "--rows", rows, "--epochs", epochs]
            results[lib].append(run_fresh("scale.py", args))
    return {
        "config": cfg,
        "results": results,
        "verdicts": {lib: _verdicts(rows) for lib, rows in results.items()},
        "ratios": [
            ratio(a["epoch_s"], b["epoch_s"])
            for a, b in zip(results["skdeep"], results["sklearn"], strict=True)
        ],
    }


def render(result):
    """Markdown section of W4."""
    body = []
    for lib, rows in result["results"].items():
        verdict = result["verdicts"][lib]
        table = md_table(
            [
                "rows",
                "time / epoch",
                "µs / row",
                "fit peak extra",
                "data + model",
                "factor",
                "predict",
                "predict peak extra",
            ],
            [
                [
                    f"{r['rows']:,}",
                    fmt_s(r["epoch_s"]),
                    f"{1e6 * r['epoch_s'] / r['rows']:.2f}",
                    f"{r['fit_extra_mb']:.0f} MiB",
                    f"{r['data_mb'] + r['model_mb']:.0f} MiB",
                    f"{factor:.2f}x",
                    fmt_s(r["predict_s"]),
                    f"{r['predict_extra_mb']:.0f} MiB",
                ]
                for r, factor in zip(rows, verdict["memory_factors"], strict=True)
            ],
        )
        largest = rows[-1]
        slopes = ", ".join(f"{s:.2f}" for s in verdict["slopes"])
        notes = [
            f"Time per epoch linear in rows: **{'yes' if verdict['linear'] else 'no'}** "
            f"(log-log slopes between sizes: {slopes}; linear means at most {LINEAR_SLOPE}).",
            f"Fit peak extra memory at {largest['rows']:,} rows under {MEMORY_FACTOR:g}x "
            f"(data + model): **{'yes' if verdict['memory_ok'] else 'no'}** "
            f"({verdict['memory_factors'][-1]:.2f}x).",
            f"predict on {largest['rows']:,} rows bounded: "
            f"**{'yes' if verdict['predict_bounded'] else 'no'}** "
            f"({largest['predict_extra_mb']:.0f} MiB extra, limit "
            f"{verdict['predict_limit_mb']:.0f} MiB; X is {largest['x_mb']:.0f} MiB).",
        ]
        body += [f"### {LABELS[lib]}", table, bullets(notes)]
    ratios = md_table(
        ["rows", "time per epoch ratio (skdeep / scikit-learn)"],
        [
            [f"{rows:,}", fmt_ratio(r)]
            for rows, r in zip(result["config"]["sizes"], result["ratios"], strict=True)
        ],
    )
    first = result["results"]["skdeep"][0]
    notes = [
        f"Epochs per size: {', '.join(map(str, result['config']['epochs']))}; time per epoch "
        "is fit time / epochs, one process per (library, size).",
        "'extra' is the resident-memory high-water mark above the process's baseline after "
        f"imports and a warm-up fit ({first['peak_method']}); the model counts parameters, "
        "gradient and Adam's two moments.",
    ]
    return "\n\n".join([*body, "### Ratios", ratios, bullets(notes)])
