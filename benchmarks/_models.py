"""The contenders: skdeep and its peers, configured to do the same work.

Each contender is a :class:`Contender`: a name shown in the tables, a library, and whether
it is the regularized variant (batch norm + dropout 0.2 + AdamW). :func:`make_classifier`
builds the estimator for a given training budget, so every library trains the same network
for the same number of epochs with the same batch size and learning rate.
"""

import functools
from dataclasses import dataclass

import numpy as np

from ._util import has_module

# Dropout rate of the regularized variant.
REG_DROPOUT = 0.2


@dataclass(frozen=True)
class Contender:
    """One library in one configuration.

    Parameters
    ----------
    name : str
        Row label in the tables, e.g. ``"skdeep regularized"``.
    library : {"skdeep", "sklearn", "skorch"}
    regularized : bool
        Batch normalization, dropout 0.2 and AdamW (decoupled weight decay 0.01) instead of a
        plain net trained with Adam.
    """

    name: str
    library: str
    regularized: bool = False

    @property
    def available(self):
        """Whether the library is installed (skorch needs torch and skorch)."""
        if self.library == "skorch":
            return has_module("torch") and has_module("skorch")
        return True


SKDEEP = Contender("skdeep", "skdeep")
SKDEEP_REG = Contender("skdeep regularized", "skdeep", True)
SKLEARN = Contender("scikit-learn MLPClassifier", "sklearn")
SKORCH = Contender("skorch", "skorch")
SKORCH_REG = Contender("skorch regularized", "skorch", True)

# The contenders of W1 and W2, and the pairs whose time ratios are reported.
CONTENDERS = (SKDEEP, SKDEEP_REG, SKLEARN, SKORCH, SKORCH_REG)
RATIO_PAIRS = ((SKDEEP, SKLEARN), (SKDEEP, SKORCH), (SKDEEP_REG, SKORCH_REG))


def to_float32(X):
    """Cast to float32 (the dtype torch trains in); a module-level function so it pickles."""
    return np.asarray(X, dtype=np.float32)


def make_classifier(
    contender, *, n_features, n_classes, hidden, batch_size, epochs, lr=1e-3, random_state=0
):
    """The contender's classifier, set to train exactly ``epochs`` epochs.

    Convergence checks are disabled (``tol=0`` and ``n_iter_no_change`` larger than the epoch
    budget) so that every library does the same amount of work.

    Parameters
    ----------
    contender : Contender
    n_features : int
        Input width (skorch needs it to build the module).
    n_classes : int
        Number of classes (skorch needs it to build the module).
    hidden : tuple of int
        Hidden-layer widths.
    batch_size : int
    epochs : int
    lr : float, default=1e-3
        Learning rate of Adam / AdamW.
    random_state : int, default=0

    Returns
    -------
    estimator : scikit-learn compatible classifier
    """
    no_stop = epochs + 1
    if contender.library == "skdeep":
        from skdeep import RegularizedMLPClassifier

        # scikit-learn's configuration (not the tabular-recipe defaults), with He weights for
        # ReLU: the same network and work as the peers'.
        return RegularizedMLPClassifier.like_sklearn(
            hidden_layer_sizes=hidden,
            activation="relu",
            weight_init="auto",
            solver="adamw" if contender.regularized else "adam",
            batch_normalization=contender.regularized,
            dropout=REG_DROPOUT if contender.regularized else 0.0,
            learning_rate_init=lr,
            batch_size=batch_size,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=no_stop,
            random_state=random_state,
        )
    if contender.library == "sklearn":
        if contender.regularized:
            raise ValueError("scikit-learn's MLP has no batch norm or dropout.")
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            hidden_layer_sizes=hidden,
            activation="relu",
            solver="adam",
            learning_rate_init=lr,
            batch_size=batch_size,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=no_stop,
            random_state=random_state,
        )
    if contender.library == "skorch":
        import torch
        from skorch import NeuralNetClassifier

        from ._torch_mlp import SequentialMLP

        torch.manual_seed(random_state)
        return NeuralNetClassifier(
            SequentialMLP,
            module__n_features=n_features,
            module__hidden=tuple(hidden),
            module__n_outputs=n_classes,
            module__batch_norm=contender.regularized,
            module__dropout=REG_DROPOUT if contender.regularized else 0.0,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.AdamW if contender.regularized else torch.optim.Adam,
            lr=lr,
            batch_size=batch_size,
            max_epochs=epochs,
            train_split=None,
            iterator_train__shuffle=True,
            verbose=0,
        )
    raise ValueError(f"unknown library {contender.library!r}")


def torch_info():
    """torch's thread count and build facts (empty when torch is not installed)."""
    if not has_module("torch"):
        return {}
    import torch

    return {
        "torch_num_threads": torch.get_num_threads(),
        "torch_mkldnn": bool(torch.backends.mkldnn.is_available()),
        "torch_mkl": bool(torch.backends.mkl.is_available()),
    }


def matmul_flops(n_rows, sizes):
    """Matrix-product FLOPs of one training epoch (forward and backward) of a dense net.

    Counts, for each mini-batch row and dense layer of shape ``(fan_in, fan_out)``,
    ``2 * fan_in * fan_out`` for the forward product, the same for the weight gradient, and
    the same again for the gradient with respect to the layer's input, except for the first
    layer (no gradient is needed with respect to the data). Element-wise work (activations,
    batch norm, dropout, the optimizer) is not counted.

    Parameters
    ----------
    n_rows : int
        Training rows per epoch.
    sizes : sequence of int
        Layer widths from input to output, e.g. ``(100, 256, 256, 5)``.

    Returns
    -------
    flops : float
    """
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    per_row = 2 * (2 * sum(products) + sum(products[1:]))
    return float(n_rows) * per_row


@functools.cache
def _products_kernel():
    """The compiled loop of :func:`epoch_products_s` (compiled once per process)."""
    from numba import njit

    @njit(cache=False)
    def products(batches, weights, activations, deltas):
        total = 0.0
        for batch in batches:
            for layer in range(len(weights)):
                A = activations[layer][:batch]
                D = deltas[layer][:batch]
                Z = np.dot(A, weights[layer])
                gW = np.dot(A.T, D)
                total += Z[0, 0] + gW[0, 0]
                if layer > 0:
                    total += np.dot(D, weights[layer].T)[0, 0]
        return total

    return products


def epoch_products_s(n_rows, sizes, batch_size, dtype="float32", repeats=3):
    """Seconds of one epoch's matrix products alone, through the BLAS skdeep's kernels call.

    The products of :func:`matmul_flops` (forward, weight gradients, input gradients except the
    first layer's) for every mini-batch of an epoch, with random matrices of the epoch's
    shapes, in one numba-compiled loop calling ``np.dot`` as skdeep's kernels do (scipy's
    BLAS). It is what the epoch would take if everything but the products were free, and it
    shows the state of the machine's BLAS in this run: small two-thread products vary from run
    to run on some machines while a large GEMM does not.

    Parameters
    ----------
    n_rows : int
        Training rows per epoch.
    sizes : sequence of int
        Layer widths from input to output.
    batch_size : int
    dtype : str, default="float32"
    repeats : int, default=3
        Timed epochs after one warm-up epoch; the best is returned.

    Returns
    -------
    seconds : float
    """
    import time

    products = _products_kernel()
    rng = np.random.default_rng(0)
    pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in pairs]
    activations = [rng.standard_normal((batch_size, a)).astype(dtype) for a, _ in pairs]
    deltas = [rng.standard_normal((batch_size, b)).astype(dtype) for _, b in pairs]
    batches = np.array(
        [min(batch_size, n_rows - start) for start in range(0, n_rows, batch_size)], np.int64
    )
    typed = [tuple(x) for x in (weights, activations, deltas)]
    products(batches[:1], *typed)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        products(batches, *typed)
        best = min(best, time.perf_counter() - start)
    return best
