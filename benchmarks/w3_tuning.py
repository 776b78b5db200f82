"""W3 tuning from a fresh process: RandomizedSearchCV end to end, and worker start-up.

Each search runs in a new interpreter (``benchmarks/fresh/search.py``): 20 candidates, 3-fold,
``n_jobs=2`` on digits in ``Pipeline(StandardScaler, net)``, the same search space for skdeep
and scikit-learn, every candidate trained for the same number of epochs. The time is the
process's wall time, so the imports, the joblib workers' start-up (each imports the library
and, for skdeep, loads the cached kernels), the search and the refit all count. skdeep's
compile cache is warmed before (a cold cache is W5's subject).

The per-worker start-up cost is measured separately: a fresh process that imports the library
and runs a first tiny fit (``benchmarks/fresh/first_fit.py``), which is what each joblib worker
pays once.
"""

from ._util import bullets, fmt_ratio, fmt_s, fmt_score, log, md_table, ratio, run_fresh

NAME = "W3"
TITLE = "W3 tuning (RandomizedSearchCV, 20 candidates, 3-fold, n_jobs=2, fresh process)"
LIBRARIES = ("skdeep", "sklearn")
LABELS = {"skdeep": "skdeep", "sklearn": "scikit-learn MLPClassifier"}


def config(quick):
    """Workload settings; ``quick`` shrinks them to a seconds-long smoke run."""
    if quick:
        return dict(n_iter=4, cv=2, n_jobs=2, max_iter=2, n_rows=300, repeats=1)
    return dict(n_iter=20, cv=3, n_jobs=2, max_iter=30, n_rows=0, repeats=1)


def run(cfg):
    """Run W3 and return its raw results (a JSON-serializable dict)."""
    log("W3: warming skdeep's compile cache")
    run_fresh("first_fit.py", ["--library", "skdeep"])
    searches = {lib: [] for lib in LIBRARIES}
    startup = {lib: [] for lib in LIBRARIES}
    args = [
        *("--n-iter", cfg["n_iter"]),
        *("--cv", cfg["cv"]),
        *("--n-jobs", cfg["n_jobs"]),
        *("--max-iter", cfg["max_iter"]),
        *("--n-rows", cfg["n_rows"]),
    ]
    for repeat in range(cfg["repeats"]):
        for lib in LIBRARIES:
            log(f"W3: repeat {repeat + 1}/{cfg['repeats']}: {lib} search")
            searches[lib].append(run_fresh("search.py", ["--library", lib, *args]))
            log(f"W3: repeat {repeat + 1}/{cfg['repeats']}: {lib} worker start-up")
            startup[lib].append(run_fresh("first_fit.py", ["--library", lib]))
    best = {lib: min(runs, key=lambda r: r["wall_s"]) for lib, runs in searches.items()}
    return {
        "config": cfg,
        "searches": searches,
        "best": best,
        "startup": {lib: min(runs, key=lambda r: r["wall_s"]) for lib, runs in startup.items()},
        "ratio": ratio(best["skdeep"]["wall_s"], best["sklearn"]["wall_s"]),
    }


def render(result):
    """Markdown section of W3."""
    cfg = result["config"]
    search = md_table(
        ["library", "end to end", "imports", "search + refit", "best CV accuracy", "all runs (s)"],
        [
            [
                LABELS[lib],
                fmt_s(best["wall_s"]),
                fmt_s(best["import_s"]),
                fmt_s(best["search_s"]),
                fmt_score(best["best_score"]),
                ", ".join(f"{r['wall_s']:.1f}" for r in result["searches"][lib]),
            ]
            for lib, best in result["best"].items()
        ],
    )
    startup = md_table(
        ["library", "fresh process to first fit done", "interpreter start", "import", "first fit"],
        [
            [
                LABELS[lib],
                fmt_s(r["wall_s"]),
                fmt_s(r["wall_s"] - r["total_s"]),
                fmt_s(r["import_s"]),
                fmt_s(r["first_fit_s"]),
            ]
            for lib, r in result["startup"].items()
        ],
    )
    notes = [
        f"Time ratio skdeep / scikit-learn, end to end: **{fmt_ratio(result['ratio'])}**.",
        f"{cfg['n_iter']} candidates x {cfg['cv']} folds, n_jobs={cfg['n_jobs']}, "
        f"{cfg['max_iter']} epochs per fit, "
        + (f"first {cfg['n_rows']} rows of digits" if cfg["n_rows"] else "all 1,797 digits")
        + f"; best of {cfg['repeats']} run(s). Space: hidden_layer_sizes, alpha, "
        "learning_rate_init, batch_size (see `benchmarks/fresh/search.py`).",
        "Per-worker start-up (below): a fresh process importing the library and fitting 500 x "
        "20 rows for 5 epochs, with skdeep's compile cache warm; each joblib worker pays it "
        "once.",
    ]
    return "\n\n".join([search, bullets(notes), startup])
