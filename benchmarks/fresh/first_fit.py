"""Fresh process: import a library and run its first (tiny) fit; print the times as JSON.

``python benchmarks/fresh/first_fit.py --library {skdeep,sklearn,skorch} [--dtype float64]``

This is what a user's first ``fit`` and every joblib worker pays before doing any work:
the interpreter start (seen by the parent as the process's wall time minus ``total_s``), the
import, and for skdeep loading (or, with an empty cache, compiling) the numba kernels. The
fit is 500 rows x 20 features, 3 classes, one hidden layer of 32 units, 5 epochs, so it is
dominated by those one-time costs. Imports nothing from the benchmark harness.
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402

N_ROWS, N_FEATURES, N_CLASSES, HIDDEN, EPOCHS, BATCH = 500, 20, 3, 32, 5, 200


def main():
    """Import the library, fit once, print ``{"import_s", "first_fit_s", "total_s", ...}``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["skdeep", "sklearn", "skorch"], required=True)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    args = parser.parse_args()

    start = time.perf_counter()
    if args.library == "skdeep":
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
    make().fit(X, y)
    fitted = time.perf_counter()
    print(
        json.dumps(
            {
                "library": args.library,
                "dtype": str(np.dtype(dtype)),
                "import_s": imported - start,
                "first_fit_s": fitted - imported,
                "total_s": fitted - T0,
            }
        )
    )


if __name__ == "__main__":
    main()
