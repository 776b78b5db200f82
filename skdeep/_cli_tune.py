"""``skdeep tune DATA.csv --target COLUMN``: tune a regularized MLP on the user's own table.

The steps, each a function so that it can be tested on its own:

1. :func:`read_table` reads the CSV (separator detected) and turns the usual problems
   (missing file, wrong encoding, unparsable or empty file) into one-line errors.
2. :func:`detect_task` decides between classification and regression from the target;
   :func:`split_columns` sorts the other columns into numeric and categorical ones.
3. The network takes the table's columns itself (:doc:`/user_guide/tables`: missing values,
   categorical and text columns, unseen categories), after :func:`column_selection` has
   left out the ignored ones; so cross-validation learns the encoding on the training folds only
   and the saved model applies it to new rows. The baselines from scikit-learn, which take
   numbers only, get :func:`build_preprocessing` (impute and scale the numeric columns,
   impute and one-hot encode the categorical ones).
4. :func:`make_search` builds the cross-validated search around the estimator's defaults
   (:func:`search_space`), with the defaults themselves as one more candidate.
5. :func:`run_tune` runs the search, keeping every candidate's out-of-fold predictions as it
   scores the folds, scores the baselines on the same folds (a dummy, a regularized linear
   model, HistGradientBoosting and scikit-learn's MLP, with their default settings), and
   :func:`choose_model` picks what to save: the best candidate (the defaults when nothing
   beats them), or a weighted ensemble of candidates when greedy ensemble selection on
   their out-of-fold predictions scores higher. It refits that on all rows, prints the
   comparison with a verdict and saves it. :func:`build_report` gathers the run's results
   in one dictionary: the printed comparison is made from it, and ``--report`` writes it
   as JSON.
"""

import csv
import difflib
import importlib.util
import itertools
import json
import math
import os
import re
import sys
import threading
import time
import warnings

import joblib
import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy import stats
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from . import __version__
from ._ensemble_selection import (
    EnsembleClassifier,
    EnsembleRegressor,
    OutOfFoldRecorder,
    fold_scores,
    greedy_selection,
)
from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor
from .model_selection import CoarseToFineSearchCV, mlp_search_space

# A numeric target with at most this many distinct whole-number values is taken for class
# labels (ratings 1-5, codes 0/1); anything else numeric is a quantity to regress.
MAX_INTEGER_CLASSES = 20
# Categories beyond the most frequent ones of a column share one "infrequent" column, so
# that a column with thousands of distinct values cannot blow up the network's input.
MAX_CATEGORIES = 50
# A text column needs at least this many rows before "every value distinct" is taken as the
# sign of an identifier (names, ids) that cannot generalize.
MIN_ROWS_FOR_IDENTIFIER = 20
# A classification target whose most frequent class has at least this share of the rows
# gets a hint about the scoring.
IMBALANCED_SHARE = 0.8
# The error for a missing target column lists at most this many of the columns.
MAX_COLUMNS_LISTED = 30
# Rounds of the coarse-to-fine search (fewer when --n-iter is smaller).
SEARCH_ROUNDS = 3
# Not on a terminal (a log file, a CI job), progress is printed at most once per this many
# seconds, plus one line at the end of each phase: a long job shows its pace, a short one
# does not fill the log.
PROGRESS_INTERVAL = 30
# The searched layer sizes besides the defaults' (which come first).
SEARCH_LAYERS = ((256, 256, 256), (256, 256), (512,), (64, 64, 64, 64, 64))
# The searched hidden activations besides the defaults'.
SEARCH_ACTIVATIONS = ("selu", "mish", "relu")
# The searched numbers of epochs (the defaults train 64), each at most --max-iter.
SEARCH_EPOCHS = (32, 64, 128)
# The searched label smoothing (classification) is uniform from 0 to this.
MAX_LABEL_SMOOTHING = 0.2
# Steps of the greedy ensemble selection: settings added, counting repetitions.
ENSEMBLE_STEPS = 20
# The names of skdeep's rows in the comparison (the printed table and the report): the
# defaults, and the saved model (the best of the defaults, the searched settings and an
# ensemble of them).
DEFAULTS_NAME = "skdeep defaults"
TUNED_NAME = "skdeep, tuned (saved model)"


# ---------------------------------------------------------------------------------- reading


def _sniff_separator(path, encoding):
    with open(path, encoding=encoding, newline="") as handle:
        sample = "".join(itertools.islice(handle, 50))
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:  # one column, or nothing that looks like a separator
        return ","


def read_table(path, *, sep=None, encoding="utf-8"):
    """Read a CSV file with a header row.

    Parameters
    ----------
    path : str
        The file.
    sep : str, default=None
        Column separator; detected from the first lines when None (comma, semicolon, tab or
        vertical bar).
    encoding : str, default="utf-8"
        Text encoding.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        When the file is missing.
    ValueError
        When it is a folder, not text in ``encoding``, unparsable or empty.
    """
    try:
        if sep is None:
            sep = _sniff_separator(path, encoding)
        table = pd.read_csv(path, sep=sep, encoding=encoding)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a CSV file") from None
    except LookupError:
        raise ValueError(f"unknown --encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not {encoding} text (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start}); give its encoding, e.g. --encoding cp949 or --encoding latin-1"
        ) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty") from None
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"could not parse {path} as CSV: {reason}") from None
    if table.shape[0] == 0:
        raise ValueError(f"{path} has a header row but no data rows")
    return table


def save_model(model, path):
    """Save ``model`` to ``path``: with :mod:`skops.io` when the name ends in ``.skops``,
    else with :mod:`joblib`. Returns the lines that load it again."""
    if path.lower().endswith(".skops"):
        import skops.io as sio

        sio.dump(model, path)
        return (
            "  import skops.io, skdeep\n"
            f'  model = skops.io.load("{path}", trusted=skdeep.skops_trusted_types())'
        )
    joblib.dump(model, path)
    return f'  model = joblib.load("{path}")  # runs code from the file: load only your own'


def _check_writable(path, option="--output", action="save the model to", example="model.joblib"):
    """Fail before the search, not after it, when the file ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a folder; give a file name such as {example}")
    if not os.path.isdir(folder):
        raise ValueError(f"cannot {action} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot {action} {path}: the folder {folder} is not writable")


def _check_outputs(args):
    """Check, before the search, that the model and the report can be written, and that
    neither would overwrite the data or the other."""
    _check_writable(args.output)
    if args.output.lower().endswith(".skops") and importlib.util.find_spec("skops") is None:
        raise ValueError(
            f"--output {args.output} asks for a skops file, but skops is not installed: "
            "pip install skops (or give a name ending in .joblib)"
        )
    written = {"--output": args.output}
    if args.report is not None:
        _check_writable(args.report, "--report", "write the report to", "report.json")
        written["--report"] = args.report
    seen = {os.path.realpath(args.data): "the data file"}
    for option, path in written.items():
        same = seen.get(os.path.realpath(path))
        if same is not None:
            raise ValueError(f"{option} {path} is {same}; give another file name")
        seen[os.path.realpath(path)] = f"the {option} file"


# --------------------------------------------------------------------- the target and columns


def detect_task(y):
    """Classification or regression, from the values of the target.

    Text, booleans and numbers with at most :data:`MAX_INTEGER_CLASSES` distinct whole
    values are class labels; other numbers are a quantity to regress.

    Parameters
    ----------
    y : pandas.Series
        The target, without missing values.

    Returns
    -------
    task : {"classification", "regression"}
    reason : str
        Why, for the report.
    """
    if is_bool_dtype(y) or not is_numeric_dtype(y):
        return "classification", "its values are not numbers"
    n_unique = y.nunique()
    whole = bool(np.all(np.mod(y.to_numpy(dtype=float), 1) == 0))
    if whole and n_unique <= MAX_INTEGER_CLASSES:
        return "classification", f"it has {n_unique} distinct whole-number values"
    if not whole:
        return "regression", "it has fractional values"
    return "regression", f"it has {n_unique} distinct whole-number values"


def _show(value):
    return repr(value.item() if hasattr(value, "item") else value)


def check_target(y, name, task, n_folds):
    """Refuse targets that cannot be learned or cross-validated, with a clear message.

    Parameters
    ----------
    y : pandas.Series
        The target, without missing values.
    name : str
        Column name, for the message.
    task : {"classification", "regression"}
    n_folds : int
        Cross-validation folds.

    Raises
    ------
    ValueError
    """
    counts = y.value_counts()
    if len(counts) < 2:
        raise ValueError(
            f"the target column {name!r} has a single value ({_show(counts.index[0])}) in "
            "every row: there is nothing to learn"
        )
    if task == "regression":
        if not is_numeric_dtype(y) or is_bool_dtype(y):
            raise ValueError(
                f"--task regression needs numbers in {name!r}, but it has values such as "
                f"{_show(y.iloc[0])}"
            )
        if len(y) < 2 * n_folds:
            raise ValueError(
                f"{len(y)} rows are too few for {n_folds}-fold cross-validation; lower --cv"
            )
        return
    rarest, count = counts.index[-1], int(counts.iloc[-1])
    if count < n_folds:
        raise ValueError(
            f"class {_show(rarest)} of {name!r} has only {count} row{'s' * (count != 1)}, "
            f"fewer than the {n_folds} cross-validation folds; lower --cv or merge rare classes"
        )


def _as_text(X):
    """Categorical columns as Python strings, missing values as NaN.

    Mixed columns (numbers and text, or booleans with gaps) would otherwise reach the
    encoder with mixed types, which it refuses.
    """
    X = pd.DataFrame(X)
    return X.apply(lambda column: column.map(lambda v: v if pd.isna(v) else str(v))).astype(object)


def _is_row_number(values):
    """Whether a numeric column holds distinct whole numbers in increasing or decreasing
    order of the rows (a row number or a sequential identifier)."""
    if values.isna().any() or len(values) < MIN_ROWS_FOR_IDENTIFIER:
        return False
    numbers = values.to_numpy(dtype=float)
    if not np.array_equal(numbers, np.round(numbers)):
        return False
    steps = np.diff(numbers)
    return bool((steps > 0).all() or (steps < 0).all())


def split_columns(X, keep=()):
    """Sort the feature columns into numeric and categorical ones, and those to leave out.

    Parameters
    ----------
    X : pandas.DataFrame
    keep : collection of str, default=()
        Columns never left out as identifiers (``--keep-column``).

    Returns
    -------
    numeric : list of str
        Columns with numbers (booleans excluded).
    categorical : list of str
        Columns with text, booleans or categories.
    ignored : list of (str, str)
        Columns left out, with the reason: empty columns, text columns with a different
        value in every row (identifiers, free text), and whole numbers that increase or
        decrease from row to row (row numbers, sequential identifiers): none of them can
        generalize, and a sequence sorted like the target would leak it.
    """
    numeric, categorical, ignored = [], [], []
    for column in X.columns:
        values = X[column]
        present = values.dropna()
        if present.empty:
            ignored.append((column, "empty"))
        elif is_numeric_dtype(values) and not is_bool_dtype(values):
            if column not in keep and _is_row_number(values):
                ignored.append(
                    (column, "whole numbers rising or falling row by row, like a row number")
                )
            else:
                numeric.append(column)
        elif (
            column not in keep
            and len(present) >= MIN_ROWS_FOR_IDENTIFIER
            and present.nunique() == len(present)
        ):
            ignored.append((column, "a different text in every row, like an identifier"))
        else:
            categorical.append(column)
    return numeric, categorical, ignored


def column_selection(columns):
    """The first step of the tuned pipeline: the DataFrame's ``columns``, as a DataFrame.

    Made of scikit-learn parts only, so that a skops file of the pipeline names no function
    to trust.
    """
    selection = ColumnTransformer(
        [("columns", "passthrough", list(columns))], verbose_feature_names_out=False
    )
    return selection.set_output(transform="pandas")


def build_preprocessing(numeric, categorical):
    """The preprocessing of the scikit-learn baselines.

    Parameters
    ----------
    numeric, categorical : list of str
        Column names, from :func:`split_columns`.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Numeric columns: missing values replaced by the column's median, then standardized
        (networks train badly on unscaled inputs). Categorical columns: missing values
        become a category of their own, then one-hot encoded; a category not seen in
        training is encoded as all zeros (``handle_unknown="ignore"``), and categories
        beyond the :data:`MAX_CATEGORIES` most frequent of a column share one column.
        Columns not listed are dropped.
    """
    transformers = []
    if numeric:
        transformers.append(
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                make_pipeline(
                    FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(
                        handle_unknown="ignore",
                        max_categories=MAX_CATEGORIES,
                        sparse_output=False,
                    ),
                ),
                categorical,
            )
        )
    return ColumnTransformer(transformers, remainder="drop")


# ------------------------------------------------------------------------------ the search


def _network(task):
    return RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor


def search_space(task, max_iter=None):
    """The parameter distributions searched, for the pipeline step ``"mlp"``.

    The space is built around the estimator's defaults (:doc:`/user_guide/defaults`), each
    default inside its range or among its choices: the width and depth of the network, the
    peak learning rate (log-uniform, a factor of 3 either way of the default), the weight
    decay (log-uniform from nearly none to 0.1), the dropout rate, the hidden activation,
    the periodic numeric embeddings on or off, the number of epochs (the length of the
    learning-rate schedule) and, for classification, the label smoothing. Everything else
    (the robust input scaling, the scaling layer, the schedules, best-epoch selection)
    stays as in the defaults.

    Parameters
    ----------
    task : {"classification", "regression"}
    max_iter : int, default=None
        Most epochs of a searched network (``--max-iter``); None for no limit.

    Returns
    -------
    dict
    """
    defaults = _network(task)().get_params()
    lr = defaults["learning_rate_init"]
    space = mlp_search_space(
        "mlp__",
        learning_rate_init=(lr / 3, lr * 3),
        alpha=None,
        weight_decay=(1e-5, 1e-1),
        dropout=(0.0, 0.5),
        depths=None,
        activations=(defaults["activation"], *SEARCH_ACTIVATIONS),
    )
    space["mlp__hidden_layer_sizes"] = list(
        dict.fromkeys([tuple(defaults["hidden_layer_sizes"]), *SEARCH_LAYERS])
    )
    space["mlp__numeric_embeddings"] = [defaults["numeric_embeddings"], None]
    epochs = SEARCH_EPOCHS if max_iter is None else (min(e, max_iter) for e in SEARCH_EPOCHS)
    space["mlp__max_iter"] = sorted(set(epochs))
    if task == "classification":
        space["mlp__label_smoothing"] = stats.uniform(0.0, MAX_LABEL_SMOOTHING)
    return dict(sorted(space.items()))


def default_setting(pipeline, space):
    """The pipeline's own values of the parameters of ``space``: the defaults as a
    candidate of the search.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The pipeline to tune, its network at its defaults.
    space : dict
        The searched parameters (:func:`search_space`).

    Returns
    -------
    dict
        Each parameter of ``space`` with the pipeline's value.
    """
    params = pipeline.get_params()
    return {name: params[name] for name in space}


def make_search(pipeline, space, *, n_iter, cv, scoring, n_jobs, random_state):
    """The cross-validated search around the defaults.

    This is the one place that decides how to search: a coarse-to-fine random search
    (random candidates first, then more candidates around the best ones) over ``space``
    (:func:`search_space`), with the pipeline's own setting (the defaults) as one more
    candidate of the first round. The search does not refit: :func:`run_tune` refits what it
    chooses (the best candidate, or an ensemble of candidates).

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Preprocessing and the network, as step ``"mlp"``, with its default settings.
    space : dict
        The parameter distributions.
    n_iter : int
        Candidates sampled, the defaults not counted.
    cv : cross-validation splitter
    scoring : callable
    n_jobs : int
    random_state : int

    Returns
    -------
    search : estimator
    """
    return CoarseToFineSearchCV(
        pipeline,
        space,
        n_iter=n_iter,
        n_rounds=min(SEARCH_ROUNDS, n_iter),
        initial_candidates=[default_setting(pipeline, space)],
        cv=cv,
        scoring=scoring,
        n_jobs=n_jobs,
        random_state=random_state,
        refit=False,
        error_score=np.nan,
    )


class _ProgressScorer:
    """A scorer that reports how many fits have been scored so far.

    The searches call the scorer once per fitted fold, in the worker threads, so counting
    the calls measures progress without touching the search.
    """

    def __init__(self, scorer, total, stream, label):
        self.scorer = scorer
        self.total = total
        self.stream = stream
        self.label = label
        self.done = 0
        self.error = None
        self.seconds = None
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._interactive = bool(getattr(stream, "isatty", lambda: False)())
        self._printed = self.started

    def _line(self, now):
        return f"  {self.label}: {self.done}/{self.total} fits ({now - self.started:.0f} s)"

    def __call__(self, estimator, X, y, **kwargs):
        try:
            score = self.scorer(estimator, X, y, **kwargs)
        except Exception as exc:
            # scikit-learn would record NaN too, but print the traceback as a warning; the
            # first reason is kept for a one-line report instead.
            score = np.nan
            with self._lock:
                if self.error is None:
                    self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        with self._lock:
            self.done += 1
            now = time.perf_counter()
            if self._interactive:
                print("\r" + self._line(now), end="", file=self.stream, flush=True)
            elif now - self._printed >= PROGRESS_INTERVAL:
                self._printed = now
                print(self._line(now), file=self.stream, flush=True)
        return score

    def finish(self):
        """Print the phase's last line (on a terminal, over the updating one) and keep its
        duration in ``seconds``."""
        with self._lock:
            now = time.perf_counter()
            self.seconds = now - self.started
            line = ("\r" if self._interactive else "") + self._line(now)
            print(line, file=self.stream, flush=True)


def _failed_fits(search):
    """Number of failed fits of the search, and the number of fits."""
    results = pd.DataFrame(search.cv_results_)
    scores = results.filter(regex=r"^split\d+_test_score$")
    return int(scores.isna().sum().sum()), int(scores.size)


def _short_reason(exc):
    """First line of an error message, with the underlying error when it names one.

    When every fit fails, scikit-learn raises one error whose message embeds the fits'
    tracebacks; their last "SomeError: message" line is the actual reason.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    causes = [line for line in lines if re.match(r"^\w+(Error|Exception|Warning): ", line)]
    return lines[0] + (" " + causes[-1] if causes else "")


def _format_value(value):
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    if isinstance(value, list):  # a tuple, such as hidden_layer_sizes, from the report
        return str(tuple(value))
    return str(value)


def _format_score(value):
    return "nan" if value is None else f"{value:.4f}"


def _describe_columns(numeric, categorical, ignored):
    parts = []
    if numeric:
        parts.append(f"{len(numeric)} numeric")
    if categorical:
        parts.append(
            f"{len(categorical)} categorical: "
            + ", ".join(map(str, categorical[:8]))
            + (", ..." if len(categorical) > 8 else "")
        )
    lines = ["Features: " + "; ".join(parts) + "."]
    for column, reason in ignored:
        keep = "" if reason == "empty" else f" (--keep-column {column} keeps it)"
        lines.append(f"Ignored column {column!r}: {reason}{keep}.")
    return lines


def _load_problem(args, out):
    """Read the table and split it into features and target, reporting what was found.

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    y_fit : ndarray
        The target as the network takes it.
    task : {"classification", "regression"}
    numeric, categorical : list of str
    facts : dict
        What was found, for :func:`build_report`: the table's size, the task and how it was
        decided, the class counts and the role of each column.
    """
    table = read_table(args.data, sep=args.sep, encoding=args.encoding)
    if args.target not in table.columns:
        columns = [str(c) for c in table.columns]
        close = difflib.get_close_matches(args.target, columns, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(columns[:MAX_COLUMNS_LISTED])
        if len(columns) > MAX_COLUMNS_LISTED:
            listed += f", ... ({len(columns)} columns)"
        raise ValueError(
            f"no column {args.target!r} in {args.data}{hint}; the columns are: {listed}"
        )
    print(f"Read {args.data}: {table.shape[0]} rows, {table.shape[1]} columns.", file=out)

    facts = {"rows": table.shape[0], "columns": table.shape[1]}
    missing_target = table[args.target].isna()
    if missing_target.all():
        raise ValueError(f"the target column {args.target!r} has no values")
    facts["rows_without_target"] = int(missing_target.sum())
    if missing_target.any():
        table = table.loc[~missing_target].reset_index(drop=True)
        print(
            f"Left out {int(missing_target.sum())} rows without a value in {args.target!r}.",
            file=out,
        )
    y = table[args.target]
    X = table.drop(columns=[args.target])

    if args.task == "auto":
        task, reason = detect_task(y)
        facts["task_detection"] = f"detected because {reason}"
        how = f"{facts['task_detection']}; use --task to override"
    else:
        task, how = args.task, "as requested"
        facts["task_detection"] = f"--task {task}"
    facts["task"] = task
    facts["class_counts"] = None
    check_target(y, args.target, task, args.cv)
    if task == "classification":
        counts = y.value_counts()
        facts["class_counts"] = {_label(k): int(v) for k, v in counts.items()}
        shown = ", ".join(f"{_show(k)}: {v}" for k, v in list(counts.items())[:10])
        more = ", ..." if len(counts) > 10 else ""
        print(
            f"Target {args.target!r}: classification ({how}), {len(counts)} classes "
            f"({shown}{more}).",
            file=out,
        )
        share = counts.iloc[0] / counts.sum()
        if share >= IMBALANCED_SHARE and args.scoring in (None, "accuracy"):
            print(
                f"Hint: the classes are imbalanced ({share:.0%} are {_show(counts.index[0])}); "
                "accuracy rewards predicting the frequent class. --scoring "
                "balanced_accuracy (or roc_auc, neg_log_loss) measures the rare ones too.",
                file=out,
            )
        # Text labels as plain Python objects: the classifier keeps them as its classes_.
        y_fit = y.to_numpy() if is_numeric_dtype(y) else y.astype(object).to_numpy()
    else:
        print(
            f"Target {args.target!r}: regression ({how}), from {y.min():.4g} to {y.max():.4g}.",
            file=out,
        )
        y_fit = y.to_numpy(dtype=float)

    unknown = [c for c in args.keep_column if c not in X.columns]
    if unknown:
        raise ValueError(f"--keep-column names no feature column: {', '.join(unknown)}")
    keep = set(args.keep_column)
    numeric, categorical, ignored = split_columns(X, keep=keep)
    if not numeric and not categorical:
        raise ValueError(f"no usable feature columns besides the target {args.target!r}")
    for line in _describe_columns(numeric, categorical, ignored):
        print(line, file=out)
    # The kept columns that would have been set aside, and why (each column is judged alone).
    _, _, would_ignore = split_columns(X[[c for c in X.columns if c in keep]])
    facts["column_roles"] = _column_roles(
        table.columns, args.target, numeric, categorical, ignored, dict(would_ignore)
    )
    return X, y, y_fit, task, numeric, categorical, facts


def _label(value):
    """A class label as a JSON object key."""
    return str(value.item() if hasattr(value, "item") else value)


def _column_roles(columns, target, numeric, categorical, ignored, kept):
    """The role of each column of the table, in the table's order, for the report.

    Parameters
    ----------
    columns : sequence of str
        All columns, the target included.
    target : str
    numeric, categorical : list of str
        The features, from :func:`split_columns`.
    ignored : list of (str, str)
        The columns left out and why, from :func:`split_columns`.
    kept : dict
        Columns kept by ``--keep-column`` that would have been left out, and why.

    Returns
    -------
    dict
        Column name -> ``{"role": ...}``: ``"target"``, ``"numeric"``, ``"categorical"``,
        ``"identifier"`` (left out; ``"reason"`` says why) or ``"empty"`` (left out).
        A column kept by ``--keep-column`` has ``"kept_by": "--keep-column"`` and the
        ``"reason"`` it would have been left out for.
    """
    left_out = dict(ignored)
    roles = {}
    for column in columns:
        if column == target:
            role = {"role": "target"}
        elif column in left_out:
            reason = left_out[column]
            role = {"role": "empty"} if reason == "empty" else {"role": "identifier"}
            role["reason"] = reason
        else:
            role = {"role": "numeric" if column in numeric else "categorical"}
            if column in kept:
                role.update(kept_by="--keep-column", reason=kept[column])
        roles[str(column)] = role
    return roles


def _get_scorer(name, task):
    """The scorer named by --scoring (or the task's default), and its name."""
    if name is None:
        name = "accuracy" if task == "classification" else "r2"
    try:
        return name, get_scorer(name)
    except ValueError:
        raise ValueError(
            f"unknown --scoring {name!r}; see sklearn.metrics.get_scorer_names()"
        ) from None


def _models(args, task, numeric, categorical):
    """The pipeline to tune (the network with its defaults), the folds, and the baselines to
    compare it with."""
    if task == "classification":
        cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
        baselines = {
            "dummy (most frequent class)": DummyClassifier(strategy="prior"),
            "LogisticRegressionCV": LogisticRegressionCV(max_iter=1000),
            "HistGradientBoosting defaults": HistGradientBoostingClassifier(
                random_state=args.random_state
            ),
            "scikit-learn MLP defaults": MLPClassifier(random_state=args.random_state),
        }
    else:
        cv = KFold(args.cv, shuffle=True, random_state=args.random_state)
        baselines = {
            "dummy (mean)": DummyRegressor(strategy="mean"),
            "RidgeCV": RidgeCV(),
            "HistGradientBoosting defaults": HistGradientBoostingRegressor(
                random_state=args.random_state
            ),
            # Given a standardized target, as the tuned network (which standardizes its own).
            "scikit-learn MLP defaults": TransformedTargetRegressor(
                MLPRegressor(random_state=args.random_state), transformer=StandardScaler()
            ),
        }
    # The search starts from the estimator's defaults (the tabular recipe), which take the
    # table's columns themselves and decide on their own whether the training rows suffice
    # to hold out a validation part for best-epoch selection (early_stopping="auto").
    net = _network(task)(random_state=args.random_state)
    pipeline = Pipeline([("columns", column_selection([*numeric, *categorical])), ("mlp", net)])
    # scikit-learn's estimators take numbers only: each baseline gets its own copy of the
    # standard preprocessing.
    baselines = {
        name: make_pipeline(build_preprocessing(numeric, categorical), estimator)
        for name, estimator in baselines.items()
    }
    return pipeline, cv, baselines


def _mean_std(scores):
    """Mean and standard deviation of the finite scores (NaN when there are none)."""
    scores = np.asarray(scores, dtype=float)
    scores = scores[np.isfinite(scores)]
    return (scores.mean(), scores.std()) if scores.size else (np.nan, np.nan)


def _setting_name(index):
    """A candidate of the search by its place in ``cv_results_``: 0 is the defaults."""
    return "the defaults" if index == 0 else f"setting {index}"


def choose_model(search, recorder, scorer, y, folds, classes=None, n_steps=ENSEMBLE_STEPS):
    """What to save: the best candidate of the search, or an ensemble of candidates.

    The candidates are the defaults (candidate 0) and the sampled settings, ranked by their
    mean score over the folds, as the search ranks them (a tie goes to the earlier one, the
    defaults first). Greedy ensemble selection (:func:`greedy_selection`) then averages the
    candidates' out-of-fold predictions, kept by ``recorder`` during the search, and scores
    the average in the same way; the ensemble is saved when it scores higher than the best
    candidate alone.

    Parameters
    ----------
    search : CoarseToFineSearchCV
        The fitted search.
    recorder : OutOfFoldRecorder
        The out-of-fold predictions of its candidates.
    scorer : callable
    y : ndarray
        The target.
    folds : list of ndarray
        The validation rows of each fold, as the search split them.
    classes : ndarray, default=None
        The class labels (classification); None for regression.
    n_steps : int, default=ENSEMBLE_STEPS

    Returns
    -------
    dict
        ``"best"``: the best candidate's index in ``cv_results_``. ``"ensemble"``: None
        when fewer than two candidates have complete out-of-fold predictions, else a dict
        of its ``"candidates"`` (indices), ``"weights"`` (summing to 1), ``"folds"`` (its
        score on each fold) and ``"saved"`` (whether it scores higher than the best
        candidate alone and has more than one member).
    """
    results = search.cv_results_
    means = np.asarray(results["mean_test_score"], dtype=float)
    best = int(search.best_index_)
    choice = {"best": best, "ensemble": None}
    own = search.estimator.get_params()
    usable, predictions = [], []
    for index, params in enumerate(results["params"]):
        values = recorder.predictions.get(recorder.key({**own, **params}))
        if np.isfinite(means[index]) and values is not None and np.isfinite(values).all():
            usable.append(index)
            predictions.append(values)
    if len(usable) < 2 or best not in usable:
        return choice

    def mean_score(averaged):
        return float(np.mean(fold_scores(scorer, averaged, y, folds, classes)))

    counts, _ = greedy_selection(predictions, mean_score, n_steps)
    chosen = np.flatnonzero(counts)
    weights = counts[chosen] / counts.sum()
    averaged = sum(w * predictions[j] for w, j in zip(weights, chosen, strict=True))
    scores = fold_scores(scorer, averaged, y, folds, classes)
    better = np.mean(scores) > means[best] + 1e-12 * max(1.0, abs(means[best]))
    choice["ensemble"] = {
        "candidates": [usable[j] for j in chosen],
        "weights": weights,
        "folds": scores,
        "saved": bool(len(chosen) > 1 and better),
    }
    return choice


def _networks(model):
    """The fitted networks of a saved model (a pipeline, or an ensemble of pipelines)."""
    members = getattr(model, "estimators_", [model])
    return [member.named_steps["mlp"] for member in members]


def _candidate_scores(results, index, n_folds):
    return {
        "folds": [results[f"split{i}_test_score"][index] for i in range(n_folds)],
        # As the search ranked the candidates.
        "mean": results["mean_test_score"][index],
        "std": results["std_test_score"][index],
    }


def _settings(params):
    return {key.removeprefix("mlp__"): value for key, value in sorted(params.items())}


def build_report(args, facts, scoring_name, search, choice, model, baseline_scores, seconds):
    """The results of a run, as a dictionary that :func:`json.dump` takes.

    The printed comparison is made from it (:func:`_print_results`), so the table and the
    ``--report`` file hold the same numbers.

    Parameters
    ----------
    args : argparse.Namespace
        Arguments of the ``tune`` sub-command.
    facts : dict
        What :func:`_load_problem` found in the table.
    scoring_name : str
    search : estimator
        The fitted search.
    choice : dict
        What :func:`choose_model` chose.
    model : estimator
        The saved model, refitted on all rows.
    baseline_scores : dict
        Baseline name -> test score of each fold (NaN for a failed fit).
    seconds : dict
        Duration of the phases: ``"search"``, ``"baselines"``, ``"ensemble"`` (the
        ensemble selection), ``"refit"`` (the saved model on all rows) and ``"total"``.

    Returns
    -------
    dict
        Missing scores (failed fits) are None; numpy numbers are Python numbers and tuples
        are lists.
    """
    results = search.cv_results_
    best = choice["best"]
    ensemble = choice["ensemble"]
    scores = {}
    for name, folds in baseline_scores.items():
        mean, std = _mean_std(folds)
        scores[name] = {"folds": list(folds), "mean": mean, "std": std}
    scores[DEFAULTS_NAME] = _candidate_scores(results, 0, args.cv)
    if ensemble is not None and ensemble["saved"]:
        saved = "ensemble"
        folds = ensemble["folds"]
        scores[TUNED_NAME] = {"folds": list(folds), "mean": folds.mean(), "std": folds.std()}
    else:
        saved = "defaults" if best == 0 else "best setting"
        scores[TUNED_NAME] = _candidate_scores(results, best, args.cv)
    rows = [(name, score["mean"], score["std"]) for name, score in scores.items()]
    n_failed, n_total = _failed_fits(search)
    sampled = np.asarray(results["mean_test_score"][1:], dtype=float)
    best_sampled = None
    if np.isfinite(sampled).any():
        index = 1 + int(np.nanargmax(sampled))
        best_sampled = {"setting": index, "mean": sampled[index - 1]}
    if ensemble is not None:
        folds = ensemble["folds"]
        ensemble = {
            "settings": ensemble["candidates"],
            "weights": ensemble["weights"],
            "members": [_settings(results["params"][i]) for i in ensemble["candidates"]],
            "score": {"folds": list(folds), "mean": folds.mean(), "std": folds.std()},
            "saved": ensemble["saved"],
        }
    networks = _networks(model)
    held_out = all("val_loss" in net.history_[-1] for net in networks)
    report = {
        "skdeep_version": __version__,
        "data": str(args.data),
        "rows": facts["rows"],
        "columns": facts["columns"],
        "rows_without_target": facts["rows_without_target"],
        "target": args.target,
        "task": facts["task"],
        "task_detection": facts["task_detection"],
        "class_counts": facts["class_counts"],
        "scoring": scoring_name,
        "column_roles": facts["column_roles"],
        "folds": args.cv,
        "scores": scores,
        "verdict": _verdict(rows[:-2], rows[-1]).strip(),
        # "defaults", "best setting" (of the search) or "ensemble".
        "saved": saved,
        # The best single setting (the defaults' values when they won), and the defaults.
        "best_params": _settings(results["params"][best]),
        "default_params": _settings(results["params"][0]),
        "search": {
            "settings": args.n_iter,
            "fits": n_total,
            "failed_fits": n_failed,
            # The best candidate's place in the search (0: the defaults) and its mean score.
            "best_setting": best,
            "best_score": results["mean_test_score"][best],
            # The best of the sampled settings, the defaults left out.
            "best_sampled": best_sampled,
        },
        "ensemble": ensemble,
        # The saved networks, refitted on all rows.
        "refit": {
            "rows": facts["rows"] - facts["rows_without_target"],
            "epochs": [net.n_iter_ for net in networks],
            "best_epoch": [net.best_epoch_ for net in networks] if held_out else None,
        },
        "model": str(args.output),
        "seconds": {name: round(value, 1) for name, value in seconds.items()},
    }
    return _json_safe(report)


def _json_safe(value):
    """``value`` with numpy numbers as Python numbers, tuples as lists and NaN as None (JSON
    has no NaN); anything else that JSON cannot hold as its text."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _weights_text(weights):
    return ", ".join(f"{w:.2f}" for w in weights)


def _print_settings(title, columns, out):
    """A table of settings: one row per parameter, one column per setting.

    ``columns`` holds (heading, settings) pairs; a heading None prints no heading row."""
    print(f"\n{title}", file=out)
    names = list(dict.fromkeys(name for _, settings in columns for name in settings))
    cells = [[_format_value(settings.get(name, "")) for _, settings in columns] for name in names]
    width = max(len(name) for name in [*names, "parameter"]) + 2
    widths = [
        max(len(str(heading or "")), *(len(row[i]) for row in cells)) + 2
        for i, (heading, _) in enumerate(columns)
    ]
    if columns[0][0] is not None:
        headings = "".join(
            f"{heading:<{w}}" for (heading, _), w in zip(columns, widths, strict=True)
        )
        print(f"  {'':<{width}}{headings}".rstrip(), file=out)
    for name, row in zip(names, cells, strict=True):
        values = "".join(f"{value:<{w}}" for value, w in zip(row, widths, strict=True))
        print(f"  {name:<{width}}{values}".rstrip(), file=out)


def _print_results(report, out):
    """Print the comparison, the verdict, what was saved and its settings from the report."""
    print(
        f"\nCross-validated {report['scoring']} ({report['folds']} folds, the same for every "
        "model):",
        file=out,
    )
    width = max(len(name) for name in report["scores"])
    print(f"  {'model':<{width}}  {'mean':>8}  {'std':>7}", file=out)
    for name, score in report["scores"].items():
        mean, std = _format_score(score["mean"]), _format_score(score["std"])
        print(f"  {name:<{width}}  {mean:>8}  {std:>7}", file=out)
    search = report["search"]
    if search["failed_fits"]:
        print(
            f"  ({search['failed_fits']} of {search['fits']} search fits failed and were left "
            "out.)",
            file=out,
        )
    ensemble = report["ensemble"]
    best = search["best_setting"]
    sampled = search["best_sampled"]
    if report["saved"] == "defaults":
        also = "" if sampled is None else f"; the best of them scored {sampled['mean']:.4f}"
        print(
            f"  The saved model is skdeep's defaults: none of the {search['settings']} "
            f"settings searched scored higher on these folds{also}.",
            file=out,
        )
    elif report["saved"] == "best setting":
        defaults = report["scores"][DEFAULTS_NAME]["mean"]
        print(
            f"  The saved model is the best setting of the search ({_setting_name(best)} of "
            f"{search['settings']}, below); the defaults scored {_format_score(defaults)}.",
            file=out,
        )
    else:
        single = "the defaults" if best == 0 else f"the best setting ({_setting_name(best)})"
        print(
            f"  The saved model is an ensemble of {len(ensemble['settings'])} settings "
            f"(weights {_weights_text(ensemble['weights'])}), chosen by greedy selection on "
            f"their out-of-fold predictions; {single} alone scored "
            f"{_format_score(search['best_score'])}.",
            file=out,
        )
    candidates = (
        f"{search['settings'] + 1} candidates (the defaults and {search['settings']} settings)"
    )
    if report["saved"] == "ensemble":
        optimism = (
            f"that of an ensemble chosen on these folds from {candidates}, so it is optimistic"
        )
    else:
        optimism = f"the best of {candidates} on these folds, so it is slightly optimistic"
    print(f"  The tuned score is {optimism}.", file=out)
    print("  " + report["verdict"], file=out)

    defaults = report["default_params"]
    if report["saved"] == "ensemble":
        columns = [
            (_setting_name(index).removeprefix("the "), {"weight": f"{weight:.2f}", **settings})
            for index, weight, settings in zip(
                ensemble["settings"], ensemble["weights"], ensemble["members"], strict=True
            )
        ]
        _print_settings("Settings of the ensemble (weights from greedy selection):", columns, out)
    elif best == 0:
        _print_settings("Best settings (skdeep's defaults):", [(None, defaults)], out)
    else:
        columns = [(_setting_name(best), report["best_params"]), ("defaults", defaults)]
        _print_settings("Best settings (next to the defaults):", columns, out)
    refit = report["refit"]
    if refit["best_epoch"] is not None:
        epochs = ", ".join(map(str, refit["epochs"]))
        kept = ", ".join(map(str, refit["best_epoch"]))
        if len(refit["epochs"]) == 1:
            text = f"the network trained for {epochs} epochs and kept the weights of epoch {kept}"
        else:
            text = (
                f"the {len(refit['epochs'])} networks trained for {epochs} epochs and kept the "
                f"weights of epochs {kept}"
            )
        print(f"\nRefitted on all rows, {text} (best validation score).", file=out)


def _verdict(baselines, tuned):
    """One sentence: did the tuned network beat the best baseline, by how much, and is the
    difference larger than the spread over the folds?"""
    finite = [row for row in baselines if np.isfinite(row[1])]
    if not finite:
        return "  No baseline could be scored to compare with."
    name, mean, std = max(finite, key=lambda row: row[1])
    gap = tuned[1] - mean
    spread = max(std, tuned[2])
    if abs(gap) <= spread:
        return (
            f"  The tuned network and the best baseline ({name}) are within the spread over "
            f"the folds of each other ({gap:+.4f}, fold std up to {spread:.4f}): no clear "
            "winner on this table."
        )
    word = "beat" if gap > 0 else "fell short of"
    return (
        f"  The tuned network {word} the best baseline ({name}) by {abs(gap):.4f}, more "
        f"than the fold std ({spread:.4f})."
    )


def _to_json(value, indent=""):
    """JSON text of ``value``, indented by two spaces, with each list or object of plain
    values on one line when that line stays within 88 characters (class counts, a column's
    role): a table's columns then take a line each, not three."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value:
        return flat
    plain = not any(isinstance(item, dict | list) for item in _items(value))
    if plain and len(indent) + len(flat) <= 88:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        parts = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_to_json(item, inner)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}"
    parts = [inner + _to_json(item, inner) for item in value]
    return "[\n" + ",\n".join(parts) + "\n" + indent + "]"


def _items(value):
    return value.values() if isinstance(value, dict) else value


def write_report(report, path):
    """Write the report of :func:`build_report` to ``path`` as JSON (UTF-8).

    Parameters
    ----------
    report : dict
    path : str
    """
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_to_json(report) + "\n")


def _refit(pipeline, search, choice, n_jobs, X, y):
    """The saved model: the chosen candidate, or the ensemble, fitted on all rows."""
    results = search.cv_results_
    ensemble = choice["ensemble"]
    if ensemble is None or not ensemble["saved"]:
        return clone(pipeline).set_params(**results["params"][choice["best"]]).fit(X, y)
    members = [clone(pipeline).set_params(**results["params"][i]) for i in ensemble["candidates"]]
    kind = EnsembleClassifier if is_classifier(pipeline) else EnsembleRegressor
    return kind(members, weights=ensemble["weights"], n_jobs=n_jobs).fit(X, y)


def run_tune(args, out=None, err=None):
    """Run ``skdeep tune`` with parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        Arguments of the ``tune`` sub-command (see ``skdeep tune --help``).
    out, err : file-like, default=None
        Streams for the results and for progress; ``sys.stdout`` and ``sys.stderr`` by
        default.

    Returns
    -------
    model : estimator
        The saved model, fitted on all rows: a pipeline, or an :class:`EnsembleClassifier`
        or :class:`EnsembleRegressor` of pipelines.

    Raises
    ------
    ValueError
        For problems with the data or the options (one line each, for the command line).
    FileNotFoundError
        When the table does not exist.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    started = time.perf_counter()
    _check_outputs(args)
    X, y, y_fit, task, numeric, categorical, facts = _load_problem(args, out)
    # The out-of-fold predictions are kept by the rows' positions.
    X = X.reset_index(drop=True)
    scoring_name, scorer = _get_scorer(args.scoring, task)
    pipeline, cv, baselines = _models(args, task, numeric, categorical)
    space = search_space(task, args.max_iter)

    n_fits = (args.n_iter + 1) * args.cv
    print(
        f"\nSearching around skdeep's defaults: (the defaults + {args.n_iter} settings) x "
        f"{args.cv} folds = {n_fits} fits (coarse-to-fine random search, {scoring_name}):",
        file=out,
        flush=True,
    )
    method = "predict_proba" if task == "classification" else "predict"
    recorder = OutOfFoldRecorder(scorer, space, len(X), method)
    progress = _ProgressScorer(recorder, n_fits, err, "search")
    search = make_search(
        pipeline,
        space,
        n_iter=args.n_iter,
        cv=cv,
        scoring=progress,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        # Expected during a search: networks that end at max_iter, candidates that fail
        # (reported below), and categories that occur only in a validation fold.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.filterwarnings("ignore", message="Found unknown categories")
        warnings.filterwarnings("ignore", message="One or more of the test scores are non-finite")
        # scikit-learn announcing changes to its linear baselines' defaults (1.9: scoring,
        # l1_ratios and fitted attributes of LogisticRegressionCV); the baselines run at
        # today's defaults, which is what the report compares with.
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"sklearn\.linear_model")
        # Threads, not processes: the training kernels release the GIL, and threads share
        # the data, the progress counter and the out-of-fold predictions. BLAS gets one
        # thread per fit for the same reason: the fits already occupy the cores.
        with joblib.parallel_config(backend="threading"):
            try:
                search.fit(X, y_fit)
            except ValueError as exc:
                raise ValueError(f"the search failed: {_short_reason(exc)}") from None
            finally:
                progress.finish()
            if not np.isfinite(search.cv_results_["mean_test_score"]).any():
                reason = f": {progress.error}" if progress.error else ""
                raise ValueError(f"scoring with {scoring_name!r} failed in every fold{reason}")
            # Made now, so that its clock starts with the baselines.
            baseline_progress = _ProgressScorer(scorer, len(baselines) * args.cv, err, "baselines")
            baseline_scores = {
                name: cross_validate(
                    model,
                    X,
                    y_fit,
                    cv=cv,
                    scoring=baseline_progress,
                    n_jobs=args.n_jobs,
                    error_score=np.nan,
                )["test_score"]
                for name, model in baselines.items()
            }
            baseline_progress.finish()

            # The folds as the search split them (the splitters shuffle with a fixed seed).
            choosing = time.perf_counter()
            folds = [rows for _, rows in cv.split(X, y_fit)]
            classes = np.unique(y_fit) if task == "classification" else None
            choice = choose_model(search, recorder, scorer, y_fit, folds, classes)
            refitting = time.perf_counter()
            try:
                model = _refit(pipeline, search, choice, args.n_jobs, X, y_fit)
            except ValueError as exc:
                raise ValueError(f"the refit on all rows failed: {_short_reason(exc)}") from None
            n_networks = len(_networks(model))
            print(
                f"  refit: {n_networks} network{'s' * (n_networks > 1)} on all rows "
                f"({time.perf_counter() - refitting:.0f} s)",
                file=err,
                flush=True,
            )

    seconds = {
        "search": progress.seconds,
        "baselines": baseline_progress.seconds,
        "ensemble": refitting - choosing,
        "refit": time.perf_counter() - refitting,
        "total": time.perf_counter() - started,
    }
    report = build_report(
        args, facts, scoring_name, search, choice, model, baseline_scores, seconds
    )
    _print_results(report, out)
    rows = report["refit"]["rows"]
    if report["saved"] == "ensemble":
        ensemble = report["ensemble"]
        what = (
            f"an ensemble of {len(ensemble['settings'])} settings (weights "
            f"{_weights_text(ensemble['weights'])}; each a pipeline of column selection and "
            f"network, refitted on all {rows} rows)"
        )
    else:
        what = f"the pipeline (column selection and network, refitted on all {rows} rows)"
    print(
        f"\nSaved {what} to {args.output} in {report['seconds']['total']:.0f} s. "
        f"Use it with:\n{save_model(model, args.output)}\n"
        "  model.predict(new_rows)  # a DataFrame with the same columns",
        file=out,
    )
    if args.report is not None:
        write_report(report, args.report)
        print(f"\nWrote the report of the run to {args.report}.", file=out)
    return model
