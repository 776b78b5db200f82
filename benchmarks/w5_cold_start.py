"""W5 cold start: import, first fit and first predict in a fresh process, warm and empty cache.

Every measurement is a new interpreter running ``benchmarks/fresh/first_fit.py --predict``
(import the library, fit 500 x 20 float64 rows for 5 epochs, predict the same rows). skdeep
is measured

- with its usual, warm cache (primed by one unrecorded run first);
- with an empty cache: ``NUMBA_CACHE_DIR`` set to a new temporary directory, so the kernels
  compile (for the float64 specialization the fit needs);
- a second time with that same directory, now warm;
- with its own defaults (the tabular recipe) instead of scikit-learn's configuration, warm
  and with an empty cache; the empty-cache run also records each kernel's own compile time
  (``--compile-times``: numba's compile events, nested compiles subtracted);

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
TITLE = "W5 cold start (fresh process: import + first fit + first predict)"
# Every run also predicts once: a model trained in float32 (the defaults) compiles its float64
# prediction kernels then.
PREDICT = "--predict"
CASES = {
    "skdeep_warm": "skdeep, warm compile cache",
    "skdeep_empty": "skdeep, empty compile cache (NUMBA_CACHE_DIR new)",
    "skdeep_rewarm": "skdeep, same NUMBA_CACHE_DIR again (warm)",
    "skdeep_defaults_warm": "skdeep defaults (the recipe), warm compile cache",
    "skdeep_defaults_empty": "skdeep defaults (the recipe), empty compile cache",
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
    run_fresh("first_fit.py", ["--library", "skdeep", PREDICT])
    run_fresh("first_fit.py", ["--library", "skdeep", "--defaults", PREDICT])
    inherited = os.environ.get("NUMBA_CACHE_DIR")
    for repeat in range(cfg["repeats"]):
        step = f"W5: repeat {repeat + 1}/{cfg['repeats']}:"
        log(f"{step} skdeep warm")
        runs["skdeep_warm"].append(run_fresh("first_fit.py", ["--library", "skdeep", PREDICT]))
        cache_dir = tempfile.mkdtemp(prefix="skdeep-numba-cache-")
        try:
            env = child_env(extra={"NUMBA_CACHE_DIR": cache_dir})
            log(f"{step} skdeep empty cache (compiles)")
            runs["skdeep_empty"].append(
                run_fresh("first_fit.py", ["--library", "skdeep", PREDICT], env=env)
            )
            log(f"{step} skdeep same cache dir again")
            runs["skdeep_rewarm"].append(
                run_fresh("first_fit.py", ["--library", "skdeep", PREDICT], env=env)
            )
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        log(f"{step} skdeep defaults warm")
        defaults = ["--library", "skdeep", "--defaults", PREDICT]
        runs["skdeep_defaults_warm"].append(run_fresh("first_fit.py", defaults))
        cache_dir = tempfile.mkdtemp(prefix="skdeep-numba-cache-")
        try:
            env = child_env(extra={"NUMBA_CACHE_DIR": cache_dir})
            log(f"{step} skdeep defaults empty cache (compiles, timed per kernel)")
            runs["skdeep_defaults_empty"].append(
                run_fresh("first_fit.py", [*defaults, "--compile-times"], env=env)
            )
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        for peer in ("sklearn", "skorch"):
            if peer in runs:
                log(f"{step} {peer}")
                runs[peer].append(run_fresh("first_fit.py", ["--library", peer, PREDICT]))
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
            "first predict",
            "ratio to scikit-learn",
            "all runs (s)",
        ],
        [
            [
                CASES[case],
                fmt_s(best["wall_s"]),
                fmt_s(best["import_s"]),
                fmt_s(best["first_fit_s"]),
                fmt_s(best["first_predict_s"]) if "first_predict_s" in best else "",
                fmt_ratio(result["ratios"].get(case)) if case != "sklearn" else "1.00x",
                ", ".join(f"{r['wall_s']:.2f}" for r in result["runs"][case]),
            ]
            for case, best in result["best"].items()
        ],
    )
    compile_table = _compile_table(result["best"].get("skdeep_defaults_empty"))
    notes = [
        f"Best of {result['config']['repeats']} run(s) per case; the empty-cache case uses a "
        "new directory every run. The fit: 500 x 20 float64 rows, 3 classes, hidden (32,), "
        "5 epochs (skorch: float32).",
        "The wall time includes the interpreter start and exit; 'import' is the library "
        "import, 'first fit' the data and the fit (for skdeep: loading or compiling kernels), "
        "'first predict' a predict on the same float64 rows.",
        "The defaults' fit is the recipe with max_iter=5: float32 training, numeric "
        "embeddings, scaling layer, parametric activations, a validation split (scored "
        "with the fit's float32 forward pass); its first predict on float64 rows compiles "
        "the float64 forward pass. Its empty-cache run also records the compile events (a "
        "listener on numba's events, the predict's included), which adds a little to its "
        "time.",
    ]
    parts = [table, bullets(notes)]
    if compile_table:
        parts += [
            "Compile time of each function in the defaults' empty-cache fit and first predict:",
            compile_table,
        ]
    return "\n\n".join(parts)


def _compile_table(run, top=12):
    """Markdown table of a run's per-function compile seconds (the largest, then the rest)."""
    seconds = (run or {}).get("compile_s")
    if not seconds:
        return ""
    ranked = sorted(seconds.items(), key=lambda item: -item[1])
    rows = [[name, f"{s:.2f} s"] for name, s in ranked[:top]]
    rest = ranked[top:]
    if rest:
        rows.append([f"{len(rest)} more functions", f"{sum(s for _, s in rest):.2f} s"])
    rows.append(["all compilation", f"{sum(seconds.values()):.2f} s"])
    return md_table(["function (own time)", "compile time"], rows)
