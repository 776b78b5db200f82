"""W5 cold start: import plus first fit in a fresh process, warm and empty compile cache.

Every measurement is a new interpreter running ``benchmarks/fresh/first_fit.py`` (import the
library, fit 500 x 20 float64 rows for 5 epochs). skdeep is measured

- with its usual, warm cache (primed by one unrecorded run first);
- with an empty cache: ``NUMBA_CACHE_DIR`` set to a new temporary directory, so the kernels
  compile (for the float64 specialization the fit needs);
- a second time with that same directory, now warm;

against scikit-learn (and skorch, when installed) doing the same import and first fit.
"""

import os
import shutil
import tempfile

from ._util import (
    bullets,
    child_env,
    fmt_ratio,
    fmt_s,
    has_module,
    log,
    md_table,
    ratio,
    run_fresh,
)

NAME = "W5"
TITLE = "W5 cold start (fresh process: import + first fit)"
CASES = {
    "skdeep_warm": "skdeep, warm compile cache",
    "skdeep_empty": "skdeep, empty compile cache (NUMBA_CACHE_DIR new)",
    "skdeep_rewarm": "skdeep, same NUMBA_CACHE_DIR again (warm)",
    "sklearn": "scikit-learn MLPClassifier",
    "skorch": "skorch",
}


def config(quick):
    """Workload settings; ``quick`` runs each case once."""
    return dict(repeats=1 if quick else 3)


def run(cfg):
    """Run W5 and return its raw results (a JSON-serializable dict)."""
    cases = list(CASES)
    if not (has_module("torch") and has_module("skorch")):
        cases.remove("skorch")
    runs = {case: [] for case in cases}
    log("W5: priming skdeep's default compile cache")
    run_fresh("first_fit.py", ["--library", "skdeep"])
    inherited = os.environ.get("NUMBA_CACHE_DIR")
    for repeat in range(cfg["repeats"]):
        step = f"W5: repeat {repeat + 1}/{cfg['repeats']}:"
        log(f"{step} skdeep warm")
        runs["skdeep_warm"].append(run_fresh("first_fit.py", ["--library", "skdeep"]))
        cache_dir = tempfile.mkdtemp(prefix="skdeep-numba-cache-")
        try:
            env = child_env(extra={"NUMBA_CACHE_DIR": cache_dir})
            log(f"{step} skdeep empty cache (compiles)")
            runs["skdeep_empty"].append(
                run_fresh("first_fit.py", ["--library", "skdeep"], env=env)
            )
            log(f"{step} skdeep same cache dir again")
            runs["skdeep_rewarm"].append(
                run_fresh("first_fit.py", ["--library", "skdeep"], env=env)
            )
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        for peer in ("sklearn", "skorch"):
            if peer in runs:
                log(f"{step} {peer}")
                runs[peer].append(run_fresh("first_fit.py", ["--library", peer]))
    best = {case: min(r, key=lambda x: x["wall_s"]) for case, r in runs.items()}
    sk = best["sklearn"]["wall_s"]
    return {
        "config": cfg,
        "runs": runs,
        "best": best,
        "ratios": {case: ratio(best[case]["wall_s"], sk) for case in best if case != "sklearn"},
        "inherited_numba_cache_dir": inherited,
    }


def render(result):
    """Markdown section of W5."""
    table = md_table(
        [
            "case",
            "wall (process start to exit)",
            "import",
            "first fit",
            "ratio to scikit-learn",
            "all runs (s)",
        ],
        [
            [
                CASES[case],
                fmt_s(best["wall_s"]),
                fmt_s(best["import_s"]),
                fmt_s(best["first_fit_s"]),
                fmt_ratio(result["ratios"].get(case)) if case != "sklearn" else "1.00x",
                ", ".join(f"{r['wall_s']:.2f}" for r in result["runs"][case]),
            ]
            for case, best in result["best"].items()
        ],
    )
    notes = [
        f"Best of {result['config']['repeats']} run(s) per case; the empty-cache case uses a "
        "new directory every run. The fit: 500 x 20 float64 rows, 3 classes, hidden (32,), "
        "5 epochs (skorch: float32).",
        "The wall time includes the interpreter start and exit; 'import' is the library "
        "import, 'first fit' the data and the fit (for skdeep: loading or compiling kernels).",
    ]
    return "\n\n".join([table, bullets(notes)])
