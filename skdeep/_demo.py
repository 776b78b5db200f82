"""``skdeep demo``: the classic overfitting experiment on the digits data.

A deep ReLU network (six hidden layers of 100 units) is trained on only 300 of the 1797
8x8 digit images, once without regularization and once with each of weight decay, dropout,
batch normalization, an L1 penalty and early stopping. The demo prints the training and
test accuracy of each network and the gap between them, and plots train and test accuracy
per epoch, one panel per technique.

The setup follows the textbook experiment of the lecture notes (MNIST there, 300 training
samples, six 100-unit ReLU layers, plain SGD with learning rate 0.01 and mini-batches of 100,
weight decay lambda = 0.1, dropout rate 0.2); the digits data ships with scikit-learn, so
the demo needs no download.
"""

import csv
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from ._mlp import RegularizedMLPClassifier

# The textbook setup: few samples, a deep ReLU net, plain SGD at a small constant rate,
# and every epoch run (no stopping on the training loss), so that the networks differ only
# in the technique under test. On top of scikit-learn's configuration (like_sklearn), not of
# the estimators' tabular-recipe defaults.
BASE_PARAMS = dict(
    hidden_layer_sizes=(100,) * 6,
    activation="relu",
    weight_init="he_uniform",
    penalty=None,
    solver="sgd",
    momentum=0.0,
    learning_rate_init=0.01,
    batch_size=100,
    n_iter_no_change=np.inf,
)

# Early stopping holds out this share of the 300 training samples as its validation set.
HOLDOUT_FRACTION = 0.2

# (name, parameters added to BASE_PARAMS). Weight decay 0.1 and dropout 0.2 are the values
# of the lecture notes. With plain SGD, decoupled weight decay lambda is exactly the
# textbook's L2 term lambda/2 * |W|^2 (whose gradient is lambda * W); see the user guide.
TECHNIQUES = (
    ("no regularization", {}),
    ("weight decay 0.1", {"weight_decay": 0.1}),
    ("dropout 0.2", {"dropout": 0.2}),
    ("batch normalization", {"batch_normalization": True}),
    ("L1 penalty", {"penalty": "l1", "alpha": 0.5}),
    # Patience is generous because plain SGD improves slowly and 60 validation samples make
    # the validation accuracy move in steps of 1/60.
    ("early stopping", {"early_stopping": True, "patience": 20}),
)


@dataclass
class Run:
    """Result of training one network of the demo.

    Attributes
    ----------
    technique : str
        Row name, e.g. ``"dropout 0.2"``.
    params : dict
        Parameters of the :class:`~skdeep.RegularizedMLPClassifier`.
    train_accuracy, test_accuracy : float
        Accuracy of the final network on the samples it was fitted on and on the test set.
    epochs : int
        Epochs trained (``n_iter_``).
    seconds : float
        Training time, without the per-epoch scoring done for the plot.
    train_curve, test_curve : list of float
        Accuracy on the fitted samples and on the test set after each epoch.
    validation_curve : list of float or None
        Accuracy on the held-out validation samples after each epoch (early stopping only).
    best_epoch : int or None
        Epoch whose weights the network kept (early stopping only).
    n_fit : int
        Number of samples the weights were fitted on.
    zero_weight_share : float
        Share of the dense-layer weights that are exactly zero.
    """

    technique: str
    params: dict
    train_accuracy: float
    test_accuracy: float
    epochs: int
    seconds: float
    train_curve: list = field(repr=False)
    test_curve: list = field(repr=False)
    validation_curve: list | None = field(default=None, repr=False)
    best_epoch: int | None = None
    n_fit: int = 0
    zero_weight_share: float = 0.0

    @property
    def gap(self):
        """Train minus test accuracy."""
        return self.train_accuracy - self.test_accuracy


def load_split(n_train=300, random_state=0):
    """The digits data scaled to [0, 1], split into ``n_train`` training and test samples.

    Parameters
    ----------
    n_train : int, default=300
        Number of training samples (stratified); the other samples are the test set.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
    """
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, train_size=n_train, random_state=random_state, stratify=y)


def _replay(params, X_fit, y_fit, X_test, y_test, n_epochs, classes):
    """Train with one ``partial_fit`` call per epoch, scoring both sets after each epoch.

    Returns the network, the two accuracy curves and the time spent in ``partial_fit``.
    """
    clf = RegularizedMLPClassifier.like_sklearn(**params)
    train_curve, test_curve, seconds = [], [], 0.0
    for _ in range(n_epochs):
        started = time.perf_counter()
        clf.partial_fit(X_fit, y_fit, classes=classes)
        seconds += time.perf_counter() - started
        # score() predicts in inference mode: no dropout, batch norm with running statistics.
        train_curve.append(clf.score(X_fit, y_fit))
        test_curve.append(clf.score(X_test, y_test))
    return clf, train_curve, test_curve, seconds


def _batch_size(params, X):
    # With a small --n-train, a batch would be clipped to the data anyway; saying so up
    # front avoids the estimator's warning about it.
    return min(params["batch_size"], len(X))


def _zero_share(clf):
    weights = np.concatenate([w.ravel() for w in clf.coefs_])
    return float(np.mean(weights == 0))


def run_technique(name, extra, split, *, n_epochs=200, random_state=0):
    """Train the network of one technique and record its learning curves.

    How the per-epoch accuracies are measured without changing the training:
    ``partial_fit`` runs exactly one epoch of the training that ``fit`` runs (the same
    initialization, shuffling, dropout masks, optimizer state and learning rate), so
    ``n_epochs`` calls of ``partial_fit`` produce bit for bit the network that
    ``fit(max_iter=n_epochs)`` produces; the user guide states this and the test suite
    checks it. Between two calls the network is only *read*: ``score`` predicts the
    training and the test samples in inference mode (no dropout, batch normalization with
    its running statistics). So the curves show exactly the network ``fit`` trains, seen
    after every epoch. The train accuracy is therefore that of the network as it predicts,
    not the accuracy measured on the fly during the epoch with dropout active.

    Early stopping needs the stopping rule of ``fit``, which ``partial_fit`` does not run.
    Its network is trained with ``fit`` on 80 % of the training samples, with the other
    20 % passed as the validation set (``X_val``; the test set is never used to stop).
    The curves replay those epochs with ``partial_fit`` on the same 80 % (without the
    stopping rule, the training is the same) and the validation accuracy per epoch comes
    from ``fit``'s ``history_``. The table reports ``fit``'s network, which has the
    weights of the best epoch.

    Parameters
    ----------
    name : str
        Technique name, for the table.
    extra : dict
        Parameters added to :data:`BASE_PARAMS`.
    split : tuple of ndarray
        ``(X_train, X_test, y_train, y_test)`` from :func:`load_split`.
    n_epochs : int, default=200
        Epochs to train (the most for early stopping).
    random_state : int, default=0
        Seed of the network (initialization, shuffling, dropout) and of the hold-out split.

    Returns
    -------
    Run
    """
    # The matrices here are small (at most 1497 x 100), too small for BLAS threads to pay
    # off; on a machine whose cores were busy, OpenBLAS's waiting threads made one epoch
    # about 4 times and one prediction up to 20 times slower than a single thread did.
    with threadpool_limits(1, user_api="blas"):
        return _run_technique(name, extra, split, n_epochs=n_epochs, random_state=random_state)


def _run_technique(name, extra, split, *, n_epochs, random_state):
    """:func:`run_technique` without the BLAS thread limit."""
    X_train, X_test, y_train, y_test = split
    classes = np.unique(y_train)
    params = {**BASE_PARAMS, **extra, "max_iter": n_epochs, "random_state": random_state}
    if not params.get("early_stopping"):
        params["batch_size"] = _batch_size(params, X_train)
        clf, train_curve, test_curve, seconds = _replay(
            params, X_train, y_train, X_test, y_test, n_epochs, classes
        )
        return Run(
            technique=name,
            params=params,
            train_accuracy=train_curve[-1],
            test_accuracy=test_curve[-1],
            epochs=n_epochs,
            seconds=seconds,
            train_curve=train_curve,
            test_curve=test_curve,
            n_fit=len(X_train),
            zero_weight_share=_zero_share(clf),
        )

    X_fit, X_hold, y_fit, y_hold = train_test_split(
        X_train,
        y_train,
        test_size=HOLDOUT_FRACTION,
        random_state=random_state,
        stratify=y_train,
    )
    params["batch_size"] = _batch_size(params, X_fit)
    clf = RegularizedMLPClassifier.like_sklearn(**params)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Reaching n_epochs without stopping is a legitimate outcome of the demo.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_fit, y_fit, X_val=X_hold, y_val=y_hold)
    seconds = time.perf_counter() - started
    replay_params = {**params, "early_stopping": False}
    _, train_curve, test_curve, _ = _replay(
        replay_params, X_fit, y_fit, X_test, y_test, clf.n_iter_, classes
    )
    return Run(
        technique=name,
        params=params,
        train_accuracy=clf.score(X_fit, y_fit),
        test_accuracy=clf.score(X_test, y_test),
        epochs=clf.n_iter_,
        seconds=seconds,
        train_curve=train_curve,
        test_curve=test_curve,
        validation_curve=[row["val_score"] for row in clf.history_],
        best_epoch=clf.best_epoch_,
        n_fit=len(X_fit),
        zero_weight_share=_zero_share(clf),
    )


def format_table(runs):
    """The results as a plain-text table.

    Parameters
    ----------
    runs : list of Run

    Returns
    -------
    str
    """
    header = f"{'technique':<22}{'train acc':>10}{'test acc':>10}{'gap':>8}{'epochs':>8}{'sec':>7}"
    lines = [header, "-" * len(header)]
    for run in runs:
        lines.append(
            f"{run.technique:<22}{run.train_accuracy:>10.3f}{run.test_accuracy:>10.3f}"
            f"{run.gap:>8.3f}{run.epochs:>8d}{run.seconds:>7.1f}"
        )
    return "\n".join(lines)


def format_notes(runs, n_train):
    """Remarks computed from the runs, printed below the table.

    Parameters
    ----------
    runs : list of Run
    n_train : int
        Number of training samples.

    Returns
    -------
    list of str
    """
    notes = [
        "train acc: accuracy on the samples the network was fitted on; test acc: on the "
        "held-out test set; gap = train - test; sec: training time only."
    ]
    for run in runs:
        if run.best_epoch is not None:
            notes.append(
                f"{run.technique}: trained on {run.n_fit} of the {n_train} training samples; "
                f"the other {n_train - run.n_fit} were the validation set. It stopped after "
                f"{run.epochs} epochs and kept the weights of epoch {run.best_epoch} (best "
                "validation accuracy)."
            )
        if run.params.get("penalty") == "l1":
            notes.append(
                f"{run.technique}: {run.zero_weight_share:.0%} of the weights are exactly zero."
            )
    return notes


def plot_runs(runs, path, title=None):
    """Save the learning curves of the runs as a PNG, one panel per technique.

    Parameters
    ----------
    runs : list of Run
    path : str or path-like
        Where to write the PNG.
    title : str, default=None
        Title of the figure.
    """
    # A bare Figure (not pyplot) renders with the Agg canvas, so saving works without a
    # display (servers, CI) and leaves pyplot's global state and backend untouched.
    from matplotlib.figure import Figure

    n_cols = 3
    n_rows = -(-len(runs) // n_cols)
    fig = Figure(figsize=(4.4 * n_cols, 3.6 * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False).ravel()
    n_epochs = max(run.params["max_iter"] for run in runs)
    for ax, run in zip(axes, runs, strict=False):
        epochs = np.arange(1, len(run.train_curve) + 1)
        ax.plot(epochs, run.train_curve, color="C0", label="train")
        ax.plot(epochs, run.test_curve, color="C3", label="test")
        if run.validation_curve is not None:
            ax.plot(
                epochs,
                run.validation_curve,
                color="C2",
                linewidth=0.9,
                alpha=0.8,
                label="validation",
            )
            ax.axvline(run.best_epoch, color="0.3", linestyle=":", label="kept epoch")
        ax.set_title(
            f"{run.technique}\ntrain {run.train_accuracy:.3f}, test {run.test_accuracy:.3f}, "
            f"gap {run.gap:.3f}",
            fontsize=10,
        )
        ax.set_xlim(0, n_epochs)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    for ax in axes[len(runs) :]:
        ax.set_visible(False)
    for ax in axes[(n_rows - 1) * n_cols :]:
        ax.set_xlabel("epoch")
    for ax in axes[::n_cols]:
        ax.set_ylabel("accuracy")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)


def save_curves_csv(runs, path):
    """Write the per-epoch accuracies of every run to a CSV file.

    Parameters
    ----------
    runs : list of Run
    path : str or path-like
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["technique", "epoch", "train_accuracy", "test_accuracy", "validation_accuracy"]
        )
        for run in runs:
            validation = run.validation_curve or [None] * len(run.train_curve)
            for epoch, (tr, te, va) in enumerate(
                zip(run.train_curve, run.test_curve, validation, strict=True), start=1
            ):
                writer.writerow([run.technique, epoch, tr, te, "" if va is None else va])


def _matplotlib_available():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def run_demo(
    output="skdeep-demo-output", *, n_train=300, n_epochs=200, random_state=0, out=None, err=None
):
    """Run the experiment, print the table and save the plot and the curves.

    Parameters
    ----------
    output : str or path-like, default="skdeep-demo-output"
        Folder for ``learning_curves.png`` and ``learning_curves.csv`` (created if needed).
    n_train : int, default=300
        Number of training samples.
    n_epochs : int, default=200
        Epochs per network (the most for early stopping).
    random_state : int, default=0
        Seed of the split and of every network.
    out, err : file-like, default=None
        Streams for the results and for notes; ``sys.stdout`` and ``sys.stderr`` by
        default.

    Returns
    -------
    list of Run

    Raises
    ------
    ValueError
        When ``n_train`` leaves too few samples of a class for training or testing.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    can_plot = _matplotlib_available()
    if not can_plot:
        print(
            "skdeep: note: matplotlib is not installed, so no plot will be saved (pip install "
            '"skdeep[plot]").',
            file=err,
        )
    n_samples, n_classes = 1797, 10
    if not n_classes <= n_train <= n_samples - n_classes:
        raise ValueError(
            f"--n-train must be between {n_classes} and {n_samples - n_classes} (the digits "
            f"data has {n_samples} samples of {n_classes} classes), got {n_train}"
        )
    split = load_split(n_train, random_state)
    description = (
        f"Digits: {len(split[0])} training and {len(split[1])} test samples; a 6x100 ReLU net "
        f"trained with plain SGD (learning rate 0.01, batches of 100) for {n_epochs} epochs."
    )
    print(description + "\n", file=out, flush=True)
    table = format_table([]).splitlines()
    print("\n".join(table), file=out, flush=True)
    runs = []
    for name, extra in TECHNIQUES:
        run = run_technique(name, extra, split, n_epochs=n_epochs, random_state=random_state)
        runs.append(run)
        # Print each row as soon as it is known: the whole demo takes a while.
        print(format_table([run]).splitlines()[-1], file=out, flush=True)
    print("", file=out)
    for note in format_notes(runs, len(split[0])):
        print(note, file=out)

    os.makedirs(output, exist_ok=True)
    csv_path = os.path.join(output, "learning_curves.csv")
    save_curves_csv(runs, csv_path)
    written = [csv_path]
    if can_plot:
        png_path = os.path.join(output, "learning_curves.png")
        plot_runs(
            runs,
            png_path,
            title=f"Train and test accuracy per epoch ({len(split[0])} training digits, "
            "6x100 ReLU net, SGD)",
        )
        written.insert(0, png_path)
    print("\nSaved " + " and ".join(written), file=out)
    return runs
