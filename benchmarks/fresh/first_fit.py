"""Fresh process: import a library and run its first (tiny) fit; print the times as JSON.

``python benchmarks/fresh/first_fit.py --library {skdeep,sklearn,skorch} [--dtype float64]
[--defaults] [--compile-times] [--predict]``

This is what a user's first ``fit`` and every joblib worker pays before doing any work:
the interpreter start (seen by the parent as the process's wall time minus ``total_s``), the
import, and for skdeep loading (or, with an empty cache, compiling) the numba kernels. The
fit is 500 rows x 20 features, 3 classes, one hidden layer of 32 units, 5 epochs, so it is
dominated by those one-time costs. skdeep fits scikit-learn's configuration
(``like_sklearn``), or with ``--defaults`` its own defaults (the tabular recipe, whose first
fit compiles more: embeddings, the scaling layer, parametric activations, validation).
``--compile-times`` adds each compiled function's own compile time (numba's compile events,
nested compiles subtracted) to the answer. ``--predict`` then times a first ``predict`` on the
same rows (``first_predict_s``; for skdeep's float32-trained defaults, float64 rows compile
the float64 prediction kernels). Imports nothing from the benchmark harness.
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402

N_ROWS, N_FEATURES, N_CLASSES, HIDDEN, EPOCHS, BATCH = 500, 20, 3, 32, 5, 200


def main():
    """Import the library, fit once, print ``{"import_s", "first_fit_s", "total_s", ...}``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["skdeep", "sklearn", "skorch"], required=True)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--defaults", action="store_true")
    parser.add_argument("--compile-times", action="store_true")
    parser.add_argument("--predict", action="store_true")
    args = parser.parse_args()
    compile_times = _compile_timer() if args.compile_times else None

    start = time.perf_counter()
    if args.library == "skdeep" and args.defaults:
        from skdeep import RegularizedMLPClassifier

        def make():
            return RegularizedMLPClassifier(max_iter=EPOCHS, random_state=0)

    elif args.library == "skdeep":
        from skdeep import RegularizedMLPClassifier

        def make():
            # scikit-learn's configuration (He weights for ReLU), not the recipe defaults.
            return RegularizedMLPClassifier.like_sklearn(
                hidden_layer_sizes=(HIDDEN,),
                weight_init="auto",
                max_iter=EPOCHS,
                batch_size=BATCH,
                random_state=0,
            )

    elif args.library == "sklearn":
        from sklearn.neural_network import MLPClassifier

        def make():
            return MLPClassifier(
                hidden_layer_sizes=(HIDDEN,), max_iter=EPOCHS, batch_size=BATCH, random_state=0
            )

    else:
        import torch
        from skorch import NeuralNetClassifier

        def make():
            torch.manual_seed(0)
            module = torch.nn.Sequential(
                torch.nn.Linear(N_FEATURES, HIDDEN),
                torch.nn.ReLU(),
                torch.nn.Linear(HIDDEN, N_CLASSES),
            )
            return NeuralNetClassifier(
                module,
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=torch.optim.Adam,
                lr=1e-3,
                max_epochs=EPOCHS,
                batch_size=BATCH,
                train_split=None,
                verbose=0,
            )

    import numpy as np

    imported = time.perf_counter()
    dtype = np.float32 if args.library == "skorch" else np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_ROWS, N_FEATURES)).astype(dtype)
    y = np.argmax(X[:, :N_CLASSES], axis=1).astype(np.int64)
    model = make().fit(X, y)
    fitted = time.perf_counter()
    answer = {
        "library": args.library,
        "dtype": str(np.dtype(dtype)),
        "import_s": imported - start,
        "first_fit_s": fitted - imported,
        "total_s": fitted - T0,
    }
    if args.predict:
        model.predict(X)
        answer["first_predict_s"] = time.perf_counter() - fitted
    if compile_times is not None:
        answer["compile_s"] = dict(compile_times)
    print(json.dumps(answer))


def _compile_timer():
    """Seconds each function's compilation took by itself, filled in as numba compiles.

    numba announces every compilation (of skdeep's kernels and of numba's own
    implementations of numpy functions, which it compiles as they are first used) with a
    start and an end event; compilations nest (a kernel's callees compile inside it), so each
    entry is its own time with the nested ones subtracted. numba's own are summed under one
    name.
    """
    from numba.core import event

    seconds = collections.defaultdict(float)
    open_spans = []  # [started, seconds of nested compilations]

    class Timer(event.Listener):
        def on_start(self, ev):
            open_spans.append([time.perf_counter(), 0.0])

        def on_end(self, ev):
            started, nested = open_spans.pop()
            took = time.perf_counter() - started
            func = ev.data["dispatcher"].py_func
            module = getattr(func, "__module__", "") or ""
            name = (
                f"{module.rsplit('.', 1)[-1]}.{func.__name__}"
                if module.startswith("skdeep")
                else "numba's implementations of numpy functions"
            )
            seconds[name] += took - nested
            if open_spans:
                open_spans[-1][1] += took

    event.register("numba:compile", Timer())
    return seconds


if __name__ == "__main__":
    main()
