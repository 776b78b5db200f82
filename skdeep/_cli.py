"""The command line: ``skdeep demo`` and ``skdeep tune`` (also ``python -m skdeep``)."""

import argparse
import os
import sys


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _at_least_two(text):
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 folds, got {text!r}")
    return value


def _conditions(text):
    # The demo's module imports the estimators; the names are checked against its list
    # when the demo runs, so that --help stays instant.
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected condition names, got {text!r}")
    return names


def build_parser():
    """The argument parser of the ``skdeep`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="skdeep",
        description="Regularized multilayer perceptrons for tabular data.",
        epilog="Run 'skdeep COMMAND --help' for the options of a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="the classic overfitting experiment on the built-in digits data",
        description="Train a deep ReLU net on 300 digits without regularization and with "
        "weight decay, an L1 penalty, dropout, batch normalization, early stopping and the "
        "package's defaults, each at the lecture's strength and at the strength a search "
        "picks on held-out training samples, under three conditions: clean digits, 30%% "
        "wrong training labels, and 256 columns of noise appended; print train and test "
        "accuracy, say what they show, and save the summary, the learning curves and their "
        "plot.",
    )
    demo.add_argument(
        "--output",
        metavar="DIR",
        default="skdeep-demo-output",
        help="folder for the summary, the per-epoch curves and the plot (default: %(default)s)",
    )
    demo.add_argument(
        "--epochs",
        metavar="N",
        type=_positive_int,
        default=100,
        help="epochs per network (default: %(default)s; fewer for a quick look); the "
        "defaults' networks train their own 64, or N when N is fewer",
    )
    demo.add_argument(
        "--n-train",
        metavar="N",
        type=_positive_int,
        default=300,
        help="training samples (default: %(default)s)",
    )
    demo.add_argument(
        "--conditions",
        metavar="LIST",
        type=_conditions,
        default=None,
        help="comma-separated conditions to run, from clean, label-noise and noise-features "
        "(default: all three)",
    )
    demo.add_argument("--random-state", type=int, default=0, metavar="S", help="seed (default: 0)")

    tune = sub.add_parser(
        "tune",
        help="tune a regularized MLP on your own CSV table and save the fitted pipeline",
        description="Read a CSV table, detect the task and the column types, score "
        "skdeep's defaults and search settings around them by cross-validation, compare with "
        "baselines (a dummy, a regularized linear model, gradient boosting and "
        "scikit-learn's MLP) on the same folds, and save the best pipeline: the defaults, the "
        "best setting of the search, or a weighted ensemble of settings when greedy ensemble "
        "selection on their out-of-fold predictions scores higher.",
    )
    tune.add_argument("data", metavar="DATA.csv", help="the table, with a header row")
    tune.add_argument("--target", required=True, metavar="COLUMN", help="column to predict")
    tune.add_argument(
        "--output",
        metavar="FILE",
        default="model.joblib",
        help="where to save the fitted pipeline (default: %(default)s); a name ending in "
        ".skops saves it with skops.io, which loads without running code from the file",
    )
    tune.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="also write a JSON report of the run to FILE: the data, the task, each column's "
        "role, the scores of every model per fold, the verdict, what was saved, the best "
        "settings, the ensemble selection and the timings (default: no report)",
    )
    tune.add_argument(
        "--n-iter",
        metavar="N",
        type=_positive_int,
        default=20,
        help="settings to sample around the defaults, which are scored too (default: %(default)s)",
    )
    tune.add_argument(
        "--cv",
        type=_at_least_two,
        default=5,
        metavar="K",
        help="cross-validation folds (default: 5)",
    )
    tune.add_argument("--random-state", type=int, default=0, metavar="S", help="seed (default: 0)")
    tune.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="what to predict (default: detected from the target column)",
    )
    tune.add_argument(
        "--scoring",
        default=None,
        help="a scikit-learn scoring name, e.g. balanced_accuracy or "
        "neg_mean_absolute_error (default: accuracy for classification, r2 for regression)",
    )
    tune.add_argument(
        "--keep-column",
        action="append",
        default=[],
        metavar="NAME",
        help="keep this column even if it looks like an identifier (repeat for several)",
    )
    tune.add_argument(
        "--max-iter",
        metavar="N",
        type=_positive_int,
        default=None,
        help="most epochs per searched network (default: no limit; the search tries 32, 64 "
        "and 128, the defaults train 64)",
    )
    tune.add_argument(
        "--n-jobs",
        metavar="N",
        type=int,
        default=-1,
        help="parallel fits, in threads (default: -1, one per CPU core)",
    )
    tune.add_argument(
        "--sep", default=None, metavar="SEP", help="column separator (default: detected)"
    )
    tune.add_argument(
        "--encoding",
        default="utf-8",
        metavar="ENC",
        help="text encoding of the file (default: utf-8)",
    )
    return parser


def main(argv=None):
    """Entry point of ``python -m skdeep`` and of the ``skdeep`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status: 0 on success, 1 for problems with the input, 2 for usage errors, 130
        when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "demo":
            from ._demo import CONDITION_NAMES, run_demo

            run_demo(
                args.output,
                n_train=args.n_train,
                n_epochs=args.epochs,
                conditions=args.conditions or CONDITION_NAMES,
                random_state=args.random_state,
            )
        else:
            from ._cli_tune import run_tune

            run_tune(args)
    except (ValueError, OSError) as exc:
        # The commands report problems with the user's input as ValueError (bad data or
        # options) and OSError (files that are missing, unreadable or unwritable): one line
        # on stderr, no traceback (SKDEEP_DEBUG=1 shows it, to tell a bug from bad input).
        if os.environ.get("SKDEEP_DEBUG"):
            raise
        print(f"skdeep {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skdeep {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
