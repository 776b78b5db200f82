"""Fresh process: a RandomizedSearchCV on digits from import to refit; print times as JSON.

``python benchmarks/fresh/search.py --library {skdeep,sklearn} [--n-iter 20] [--cv 3]
[--n-jobs 2] [--max-iter 30] [--n-rows 0]``

The search is ``RandomizedSearchCV(Pipeline(StandardScaler, net))`` over the same space for
both libraries: ``hidden_layer_sizes`` in {(64,), (128,), (64, 64), (128, 128)}, ``alpha``
log-uniform in [1e-5, 1e-1], ``learning_rate_init`` log-uniform in [1e-4, 1e-2] and
``batch_size`` in {32, 64, 128}, with ``random_state=0`` for the search. Every candidate trains
exactly ``--max-iter`` epochs (``tol=0``), so both libraries do the same work. The parent
measures the process's wall time, which includes the interpreter start, the imports, the joblib
worker start-up (each worker imports the library and, for skdeep, loads the compiled kernels),
the search and the final refit. Imports nothing from the benchmark harness.
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402


def main():
    """Run the search and print ``{"import_s", "search_s", "best_score", ...}``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["skdeep", "sklearn"], required=True)
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--n-rows", type=int, default=0, help="use only the first rows (0: all)")
    args = parser.parse_args()

    start = time.perf_counter()
    if args.library == "skdeep":
        from skdeep import RegularizedMLPClassifier

        # scikit-learn's configuration (He weights for ReLU), not the recipe defaults.
        def Net(**params):
            return RegularizedMLPClassifier.like_sklearn(weight_init="auto", **params)

    else:
        from sklearn.neural_network import MLPClassifier as Net
    from scipy.stats import loguniform
    from sklearn.datasets import load_digits
    from sklearn.model_selection import RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    imported = time.perf_counter()
    X, y = load_digits(return_X_y=True)
    if args.n_rows:
        X, y = X[: args.n_rows], y[: args.n_rows]
    net = Net(max_iter=args.max_iter, tol=0.0, n_iter_no_change=args.max_iter + 1, random_state=0)
    space = {
        "net__hidden_layer_sizes": [(64,), (128,), (64, 64), (128, 128)],
        "net__alpha": loguniform(1e-5, 1e-1),
        "net__learning_rate_init": loguniform(1e-4, 1e-2),
        "net__batch_size": [32, 64, 128],
    }
    search = RandomizedSearchCV(
        Pipeline([("scale", StandardScaler()), ("net", net)]),
        space,
        n_iter=args.n_iter,
        cv=args.cv,
        n_jobs=args.n_jobs,
        random_state=0,
    )
    search.fit(X, y)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "library": args.library,
                "import_s": imported - start,
                "search_s": done - imported,
                "total_s": done - T0,
                "best_score": float(search.best_score_),
                "best_params": {
                    k: (v if isinstance(v, int | float | str) else str(v))
                    for k, v in search.best_params_.items()
                },
                "n_candidates": len(search.cv_results_["params"]),
            }
        )
    )


if __name__ == "__main__":
    main()
