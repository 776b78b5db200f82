"""Command line: ``python -m skdeep demo`` runs the overfitting experiment on digits."""

import argparse
import sys
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._mlp import RegularizedMLPClassifier

# The textbook setup: few samples, a deep ReLU net, plain SGD, long training.
_BASE = dict(
    hidden_layer_sizes=(100,) * 6,
    penalty=None,
    solver="sgd",
    momentum=0.0,
    learning_rate_init=0.01,
    batch_size=100,
    max_iter=200,
    n_iter_no_change=200,
)
TECHNIQUES = {
    "no regularization": {},
    "weight decay 0.1": {"weight_decay": 0.1},
    "dropout 0.2": {"dropout": 0.2},
    "batch normalization": {"batch_normalization": True},
    "L1 penalty": {"penalty": "l1", "alpha": 0.5},
    "early stopping": {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 10},
}


def run_demo(n_train=300, random_state=0, out=sys.stdout):
    """Train the deep net on ``n_train`` digits with each technique and print a table.

    Parameters
    ----------
    n_train : int, default=300
        Training samples; the rest of the 1797 digits are the test set.
    random_state : int, default=0
        Seed of the split and of every model.
    out : file-like, default=sys.stdout

    Returns
    -------
    list of dict
        One row per technique: name, train and test accuracy, gap, epochs, seconds.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, train_size=n_train, random_state=random_state, stratify=y
    )
    print(
        f"Digits: {len(X_train)} training and {len(X_test)} test samples; a 6x100 ReLU net "
        "trained with SGD (lr 0.01, batch 100, up to 200 epochs).\n",
        file=out,
    )
    header = f"{'technique':<22}{'train acc':>10}{'test acc':>10}{'gap':>8}{'epochs':>8}{'sec':>7}"
    print(header, file=out)
    print("-" * len(header), file=out)
    rows = []
    for name, params in TECHNIQUES.items():
        clf = RegularizedMLPClassifier(random_state=random_state, **{**_BASE, **params})
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        seconds = time.perf_counter() - started
        train_acc, test_acc = clf.score(X_train, y_train), clf.score(X_test, y_test)
        row = dict(
            technique=name,
            train_accuracy=train_acc,
            test_accuracy=test_acc,
            gap=train_acc - test_acc,
            epochs=clf.n_iter_,
            seconds=seconds,
        )
        rows.append(row)
        print(
            f"{name:<22}{train_acc:>10.3f}{test_acc:>10.3f}{row['gap']:>8.3f}"
            f"{clf.n_iter_:>8d}{seconds:>7.2f}",
            file=out,
        )
    return rows


def main(argv=None):
    """Entry point of ``python -m skdeep`` and the ``skdeep`` console script."""
    parser = argparse.ArgumentParser(prog="skdeep", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="overfitting experiment on the built-in digits data")
    demo.add_argument("--n-train", type=int, default=300, help="training samples (default 300)")
    demo.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        run_demo(
            n_train=getattr(args, "n_train", 300), random_state=getattr(args, "random_state", 0)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
