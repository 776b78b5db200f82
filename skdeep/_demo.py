"""``skdeep demo``: the classic overfitting experiment on the digits data.

A deep ReLU network (six hidden layers of 100 units) is trained on only 300 of the 1797
8x8 digit images, once without regularization and then with each of weight decay, an L1
penalty, dropout, batch normalization and early stopping, and with the package's defaults.
Each technique runs twice: at the strength of the lecture notes ("textbook") and at the
strength :class:`~skdeep.model_selection.CoarseToFineSearchCV` picks on a validation part
of the 300 training samples ("searched"; the test samples are never used to choose). Every
setting is trained with five seeds; the demo prints the mean training and test accuracy
and the gap between them, says in a few sentences what the table shows, and saves the
table, the learning curves (train and test accuracy per epoch) and their plot.

The experiment runs under three conditions (:data:`CONDITIONS`): the clean digits, the
digits with noisy training labels, and the digits with columns of pure noise appended.
The last two are the lecture's causes of overfitting (noise in the training set, and
meaningless features that let the network find chance correlations), so they show where
regularization has something to remove and where it has not.

The network, the data size and the textbook strengths follow the lecture notes (MNIST
there, 300 training samples, six 100-unit ReLU layers, weight decay lambda = 0.1, dropout
rate 0.2); the digits data ships with scikit-learn, so the demo needs no download. The
notes train with plain SGD (learning rate 0.01, batches of 100): on these 300 digits, 200
such epochs (600 steps) leave the network short of memorizing them (train accuracy 0.99),
so there is no overfitting for a regularizer to remove. The demo trains with Adam
(learning rate 0.001, batches of 32) for 100 epochs instead, which fits all 300 training
digits: the overfitting the techniques are meant for.
"""

import csv
import dataclasses
import os
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import joblib
import numpy as np
from scipy.stats import loguniform, randint, ttest_rel, uniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from ._callbacks import HAS_CALLBACKS
from ._mlp import RegularizedMLPClassifier
from ._search import CoarseToFineSearchCV

# The lecture's network on top of scikit-learn's configuration (like_sklearn), not of the
# estimators' tabular-recipe defaults, so that the networks differ only in the technique
# under test; every epoch runs (no stopping on the training loss).
BASE_PARAMS = dict(
    hidden_layer_sizes=(100,) * 6,
    activation="relu",
    weight_init="he_uniform",
    penalty=None,
    solver="adam",
    learning_rate_init=0.001,
    batch_size=32,
    n_iter_no_change=np.inf,
)

# Seeds of the networks of every setting; the table shows means over them. Five give the
# paired t-test four degrees of freedom: a consistent change of about a hundredth shows.
SEEDS = (0, 1, 2, 3, 4)

# Early stopping and the searches hold out this share of the training samples.
HOLDOUT_FRACTION = 0.2

# A change counts when a paired t-test over the seeds (every setting uses the same SEEDS)
# gives a p-value below this. With five seeds that takes a consistent difference: the
# seeds alone move a setting's test accuracy by up to a few hundredths.
_P_VALUE = 0.05

# Share of the training labels changed to another class under the "label-noise" condition,
# and the number of noise columns appended under "noise-features"; both chosen once, before
# any run, not tuned to what the techniques do. 30 % wrong labels is a badly labelled set
# that still has a majority of right ones; 256 columns (four per pixel) make most of what
# the network sees noise, as the lecture's doubled MNIST images with white noise.
LABEL_NOISE_SHARE = 0.3
N_NOISE_FEATURES = 256


@dataclass(frozen=True)
class Condition:
    """One condition the experiment runs under.

    Attributes
    ----------
    name : str
        Name in ``--conditions``, the table and ``summary.csv``.
    description : str
        What the condition changes, as printed above its table.
    """

    name: str
    description: str


CONDITIONS = (
    Condition("clean", "the digits as they are"),
    Condition(
        "label-noise",
        f"{LABEL_NOISE_SHARE:.0%} of the training labels changed to another class at random "
        "(the test labels are right)",
    ),
    Condition(
        "noise-features",
        f"{N_NOISE_FEATURES} columns of uniform noise in [0, 1] appended to the 64 pixels of "
        "every training and test image",
    ),
)
CONDITION_NAMES = tuple(c.name for c in CONDITIONS)


@dataclass(frozen=True)
class Technique:
    """One row pair of the demo.

    Attributes
    ----------
    name : str
        Name in the table and in ``summary.csv``.
    textbook : dict
        Parameters at the lecture's strength (added to :data:`BASE_PARAMS`).
    space : dict or None
        What the coarse-to-fine search tries (on top of ``textbook``); None: nothing.
    recipe : bool
        Start from the estimator's own defaults instead of :data:`BASE_PARAMS`.
    """

    name: str
    textbook: dict
    space: dict | None = None
    recipe: bool = False


# L1: the lecture's lambda = 0.1, as an L1 term. Early stopping: patience 20, generous
# because 60 validation samples make the validation accuracy move in steps of 1/60.
TECHNIQUES = (
    Technique("none", {}),
    Technique("weight decay", {"weight_decay": 0.1}, {"weight_decay": loguniform(1e-4, 1.0)}),
    Technique("L1 penalty", {"penalty": "l1", "alpha": 0.1}, {"alpha": loguniform(1e-5, 1.0)}),
    Technique("dropout", {"dropout": 0.2}, {"dropout": uniform(0.0, 0.6)}),
    Technique(
        "batch normalization",
        {"batch_normalization": True},
        {"batch_normalization": [False, True]},
    ),
    Technique(
        "early stopping",
        # The validation fraction matters only in the search, whose fits have no X_val.
        {"early_stopping": True, "patience": 20, "validation_fraction": HOLDOUT_FRACTION},
        {"patience": randint(2, 61)},
    ),
    # The defaults' early_stopping="auto" holds out a fifth of 300 rows for early stopping;
    # here it is the same fifth as early stopping's, so that "train acc" is on the rows the
    # network fitted, and so is it in the search's fits (of 240 rows, too few for "auto").
    Technique(
        "defaults",
        {"early_stopping": True, "validation_fraction": HOLDOUT_FRACTION},
        {"weight_decay": loguniform(1e-4, 1.0)},
        recipe=True,
    ),
)

# Candidates per search: two rounds of four (a one-parameter range needs few).
N_CANDIDATES, N_ROUNDS = 8, 2


@dataclass
class Run:
    """One setting of the demo, trained with every seed.

    Attributes
    ----------
    technique : str
        Name of the technique.
    chosen_by : {"textbook", "search", "baseline"}
        Where the strength comes from.
    strength : str
        The strength, as printed (``"0.1"``, ``"patience 20"``, ``"on"``, ...).
    params : dict
        Parameters of the :class:`~skdeep.RegularizedMLPClassifier` (without the seed).
    train_accuracy, test_accuracy : ndarray of shape (n_seeds,)
        Accuracy of each seed's network on the samples it was fitted on and on the test
        set.
    epochs : ndarray of shape (n_seeds,)
        Epochs trained (``n_iter_``).
    seconds : ndarray of shape (n_seeds,)
        Training time, without the per-epoch scoring done for the curves.
    train_curve, test_curve : list of float
        First seed: accuracy on the fitted samples and on the test set after each epoch
        (empty without scikit-learn's callbacks).
    best_epoch : int or None
        First seed: epoch whose weights the network kept (early stopping only).
    n_fit : int
        Number of samples the weights were fitted on.
    zero_weight_share : float
        First seed: share of the dense-layer weights that are exactly zero.
    condition : str
        Name of the :class:`Condition` the setting ran under.
    """

    technique: str
    chosen_by: str
    strength: str
    params: dict
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    epochs: np.ndarray
    seconds: np.ndarray
    train_curve: list = field(default_factory=list, repr=False)
    test_curve: list = field(default_factory=list, repr=False)
    best_epoch: int | None = None
    n_fit: int = 0
    zero_weight_share: float = 0.0
    condition: str = "clean"

    @property
    def gap(self):
        """Mean train minus mean test accuracy."""
        return float(self.train_accuracy.mean() - self.test_accuracy.mean())

    @property
    def label(self):
        """Row name of the table."""
        if self.chosen_by == "baseline":
            return self.technique
        return f"{self.technique}, {self.chosen_by}"


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


def apply_condition(name, split, random_state=0):
    """The split under condition ``name`` (see :data:`CONDITIONS`).

    Parameters
    ----------
    name : {"clean", "label-noise", "noise-features"}
        ``"label-noise"`` changes :data:`LABEL_NOISE_SHARE` of the training labels to
        another class, each drawn uniformly from the other classes; ``"noise-features"``
        appends :data:`N_NOISE_FEATURES` columns of uniform noise in [0, 1] (the range of
        the scaled pixels) to the training and the test images.
    split : tuple of ndarray
        ``(X_train, X_test, y_train, y_test)`` from :func:`load_split`; left unchanged.
    random_state : int, default=0
        Seed of the noise; every setting and seed of a condition sees the same data.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
    """
    X_train, X_test, y_train, y_test = split
    rng = np.random.default_rng(random_state)
    if name == "label-noise":
        classes, codes = np.unique(y_train, return_inverse=True)
        n_wrong = round(LABEL_NOISE_SHARE * len(y_train))
        rows = rng.choice(len(y_train), n_wrong, replace=False)
        # A shift of 1 to k - 1 classes (mod k) is a uniform draw among the other classes.
        codes[rows] = (codes[rows] + rng.integers(1, len(classes), n_wrong)) % len(classes)
        y_train = classes[codes]
    elif name == "noise-features":
        X_train = np.hstack([X_train, rng.random((len(X_train), N_NOISE_FEATURES))])
        X_test = np.hstack([X_test, rng.random((len(X_test), N_NOISE_FEATURES))])
    elif name != "clean":
        raise ValueError(f"unknown condition {name!r}; expected one of {CONDITION_NAMES}")
    return X_train, X_test, y_train, y_test


def holdout_indices(y_train, random_state=0):
    """Indices of the fitted and the held-out part of the training samples (stratified).

    Early stopping's validation set and every search's validation part are the same
    :data:`HOLDOUT_FRACTION` of the training samples.

    Parameters
    ----------
    y_train : ndarray of shape (n_train,)
        Labels of the training samples.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    fit_idx, hold_idx : ndarray of int
        Positions of the fitted and of the held-out samples in the training samples.
    """
    return train_test_split(
        np.arange(len(y_train)),
        test_size=HOLDOUT_FRACTION,
        random_state=random_state,
        stratify=y_train,
    )


def _params(technique, extra, n_epochs, n_fit):
    if technique.recipe:
        params = {**technique.textbook, **extra}
        # The recipe's own number of epochs, unless a quick run asks for fewer (at least
        # 2: its learning-rate schedule needs two steps to schedule).
        default_epochs = RegularizedMLPClassifier().max_iter
        if n_epochs < default_epochs:
            params["max_iter"] = max(n_epochs, 2)
    else:
        params = {**BASE_PARAMS, **technique.textbook, **extra, "max_iter": n_epochs}
        # With a small --n-train a batch would be clipped to the data anyway; saying so
        # up front avoids the estimator's warning about it.
        params["batch_size"] = min(params["batch_size"], n_fit)
    return params


def _estimator(technique, params):
    if technique.recipe:
        return RegularizedMLPClassifier(**params)
    return RegularizedMLPClassifier.like_sklearn(**params)


def _describe(technique, params):
    """The strength of ``technique`` in ``params``, as printed."""
    if technique.name == "none":
        return "-"
    if technique.name == "early stopping":
        return f"patience {params['patience']}"
    if technique.name == "batch normalization":
        return "on" if params["batch_normalization"] else "off"
    if technique.recipe:
        wd = params.get("weight_decay")
        return "as is" if wd is None else f"weight decay {wd:.3g}"
    name = next(iter(technique.space))
    return f"{params[name]:.3g}"


class _EpochScores:
    """A scikit-learn callback that scores the network after each epoch of its fit."""

    def __init__(self, X_fit, y_fit, X_test, y_test):
        self.data = (X_fit, y_fit, X_test, y_test)
        self.train, self.test = [], []
        self.seconds = 0.0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        # An epoch abandoned after a divergence ends without a model.
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        started = time.perf_counter()
        X_fit, y_fit, X_test, y_test = self.data
        # score() predicts in inference mode: no dropout, batch norm's running statistics.
        self.train.append(fitted_estimator.score(X_fit, y_fit))
        self.test.append(fitted_estimator.score(X_test, y_test))
        self.seconds += time.perf_counter() - started
        return False


def _fit_one(technique, params, seed, split, fit_idx, hold_idx, curves):
    """Fit one network; returns its accuracies, epochs, seconds and the curve recorder."""
    X_train, X_test, y_train, y_test = split
    clf = _estimator(technique, {**params, "random_state": seed})
    fit_args = {}
    X_fit, y_fit = X_train, y_train
    if params.get("early_stopping") is True:
        X_fit, y_fit = X_train[fit_idx], y_train[fit_idx]
        fit_args = {"X_val": X_train[hold_idx], "y_val": y_train[hold_idx]}
    recorder = None
    if curves and HAS_CALLBACKS:
        recorder = _EpochScores(X_fit, y_fit, X_test, y_test)
        clf.set_callbacks(recorder)
    started = time.perf_counter()
    clf.fit(X_fit, y_fit, **fit_args)
    seconds = time.perf_counter() - started - (recorder.seconds if recorder else 0.0)
    return clf, clf.score(X_fit, y_fit), clf.score(X_test, y_test), seconds, recorder


def run_setting(
    technique, chosen_by, params, split, fit_idx, hold_idx, pool, seeds=SEEDS, condition="clean"
):
    """Train one setting with every seed (two at a time) and collect a :class:`Run`.

    Parameters
    ----------
    technique : Technique
        The technique the setting belongs to.
    chosen_by : str
        ``"textbook"``, ``"search"`` or ``"baseline"``.
    params : dict
        Parameters of the networks (without the seed).
    split : tuple of ndarray
        ``(X_train, X_test, y_train, y_test)`` from :func:`load_split`.
    fit_idx, hold_idx : ndarray of int
        From :func:`holdout_indices` (early stopping fits on the first part).
    pool : concurrent.futures.Executor
        Runs the fits.
    seeds : sequence of int, default=SEEDS
        One network per seed; the first one's curves are recorded.
    condition : str, default="clean"
        Name of the condition ``split`` is under, recorded in the :class:`Run`.

    Returns
    -------
    Run
    """
    futures = [
        pool.submit(_fit_one, technique, params, seed, split, fit_idx, hold_idx, i == 0)
        for i, seed in enumerate(seeds)
    ]
    results = [f.result() for f in futures]
    first, _, _, _, recorder = results[0]
    weights = np.concatenate([w.ravel() for w in first.coefs_])
    return Run(
        technique=technique.name,
        chosen_by=chosen_by,
        strength=_describe(technique, params),
        params=params,
        train_accuracy=np.array([r[1] for r in results]),
        test_accuracy=np.array([r[2] for r in results]),
        epochs=np.array([r[0].n_iter_ for r in results]),
        seconds=np.array([r[3] for r in results]),
        train_curve=recorder.train if recorder else [],
        test_curve=recorder.test if recorder else [],
        best_epoch=first.best_epoch_ if params.get("early_stopping") is True else None,
        n_fit=len(fit_idx) if params.get("early_stopping") is True else len(split[2]),
        zero_weight_share=float(np.mean(weights == 0)),
        condition=condition,
    )


def search_strength(technique, split, fit_idx, hold_idx, n_epochs, random_state=0):
    """The strength a coarse-to-fine search picks on the held-out training samples.

    Parameters
    ----------
    technique : Technique
        Its ``space`` is searched, on top of its textbook parameters.
    split : tuple of ndarray
        ``(X_train, X_test, y_train, y_test)``; only the training part is used.
    fit_idx, hold_idx : ndarray of int
        The search fits on ``fit_idx`` and scores accuracy on ``hold_idx``, both parts of
        the training samples.
    n_epochs : int
        Epochs per network.
    random_state : int, default=0
        Seed of the candidates' networks and of the search's sampling.

    Returns
    -------
    params : dict
        The setting's parameters with the picked strength.
    """
    X_train, _, y_train, _ = split
    params = _params(technique, {}, n_epochs, len(fit_idx))
    search = CoarseToFineSearchCV(
        _estimator(technique, {**params, "random_state": random_state}),
        technique.space,
        n_iter=N_CANDIDATES,
        n_rounds=N_ROUNDS,
        cv=[(fit_idx, hold_idx)],
        scoring="accuracy",
        refit=False,
        n_jobs=2,
        random_state=random_state,
    )
    with joblib.parallel_config(backend="threading"):
        search.fit(X_train, y_train)
    best = {**search.best_params_}
    for name, value in best.items():
        if isinstance(value, (np.floating, np.integer)):
            best[name] = value.item()
    return _params(technique, best, n_epochs, len(y_train))


def paired_p_value(a, b):
    """p-value of a paired t-test of ``a`` against ``b`` (one value per seed, same seeds).

    Where every seed changes by the same amount the t statistic is 0/0 or infinite: the
    p-value is then 1 for no change and 0 for a change, the test's limits. NaN for fewer
    than two seeds, which are no evidence either way.

    Parameters
    ----------
    a, b : ndarray of shape (n_seeds,)

    Returns
    -------
    float
    """
    if len(a) < 2:
        return np.nan
    diff = np.asarray(a) - np.asarray(b)
    if np.all(diff == diff[0]):
        return 1.0 if diff[0] == 0 else 0.0
    return float(ttest_rel(a, b).pvalue)


def _compare(a, b):
    """-1, 0 or 1: whether ``a`` is lower than ``b``, not shown to differ, or higher.

    ``a`` and ``b`` hold one value per seed, the same seeds in the same order, so the test
    is a paired t-test (:func:`paired_p_value`); a change counts when its p-value is below
    :data:`_P_VALUE`.
    """
    if not paired_p_value(a, b) < _P_VALUE:
        return 0
    return 1 if np.mean(a) > np.mean(b) else -1


def _join(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def summarize(runs):
    """Two or three sentences on what the table shows, computed from the runs.

    A technique raises (lowers) test accuracy, or narrows (widens) the gap, when a paired
    t-test of its seeds against the unregularized networks' gives a p-value below
    :data:`_P_VALUE` (see :func:`_compare`); otherwise the change is not shown by these
    seeds.

    Parameters
    ----------
    runs : list of Run
        The runs of one condition; the first is the unregularized setting.

    Returns
    -------
    list of str
    """
    base = runs[0]
    base_gaps = base.train_accuracy - base.test_accuracy
    fitted = {
        "label-noise": " with their wrong labels",
        "noise-features": " with their noise columns",
    }.get(base.condition, "")
    sentences = [
        f"Without regularization the network fits its {base.n_fit} training digits{fitted} "
        f"(train accuracy {base.train_accuracy.mean():.3f}) and scores "
        f"{base.test_accuracy.mean():.3f} on the test digits, a gap of {base.gap:.3f} (means "
        f"over {len(base.test_accuracy)} seeds; a change below counts when a paired t-test "
        f"over the seeds gives p < {_P_VALUE})."
    ]
    for chosen_by, intro in (
        ("search", "At the strengths the search picked on held-out training samples"),
        ("textbook", "At the lecture's strengths"),
    ):
        raise_, lower, narrow, widen = [], [], [], []
        for run in runs[1:]:
            if run.chosen_by != chosen_by:
                continue
            test = _compare(run.test_accuracy, base.test_accuracy)
            entry = f"{run.technique} ({run.strength}: {run.test_accuracy.mean():.3f})"
            if test > 0:
                raise_.append(entry)
            elif test < 0:
                lower.append(entry)
            gap = _compare(run.train_accuracy - run.test_accuracy, base_gaps)
            if gap:
                entry = f"{run.technique} ({run.strength}: {run.gap:.3f})"
                (narrow if gap < 0 else widen).append(entry)
        parts = [
            f"test accuracy rises with {_join(raise_)}"
            if raise_
            else "no technique raises test accuracy by more than the seeds move it"
        ]
        if narrow:
            parts.append(f"the gap narrows with {_join(narrow)}")
        if widen:
            parts.append(f"the gap widens with {_join(widen)}")
        if lower:
            parts.append(f"test accuracy falls with {_join(lower)}")
        sentences.append(f"{intro}, {'; '.join(parts)}.")
    return sentences


def by_condition(runs):
    """The runs grouped by condition, in the order they ran.

    Parameters
    ----------
    runs : list of Run

    Returns
    -------
    dict
        Condition name -> list of its runs.
    """
    groups = {}
    for run in runs:
        groups.setdefault(run.condition, []).append(run)
    return groups


def lesson(runs):
    """One sentence across the conditions: where regularization raises test accuracy.

    A technique counts for a condition when either of its strengths raises test accuracy
    over the unregularized networks of that condition (:func:`_compare`).

    Parameters
    ----------
    runs : list of Run
        The runs of every condition, each condition's unregularized setting first.

    Returns
    -------
    str
    """
    parts = []
    for condition, group in by_condition(runs).items():
        base = group[0]
        helped = []
        for run in group[1:]:
            if _compare(run.test_accuracy, base.test_accuracy) > 0 and run.technique not in helped:
                helped.append(run.technique)
        where = "the clean digits" if condition == "clean" else condition.replace("-", " ")
        if helped:
            verb = "raise" if len(helped) > 1 or helped == ["defaults"] else "raises"
            parts.append(f"with {where}, {_join(helped)} {verb} test accuracy")
        else:
            parts.append(f"with {where}, no technique raises test accuracy")
    return (
        f"In short: {'; '.join(parts)} (at the lecture's or the searched strength, "
        f"p < {_P_VALUE})."
    )


def _sd(values):
    return f"({values.std(ddof=1):.3f})" if len(values) > 1 else ""


def format_table(runs):
    """The results as a plain-text table (means over the seeds).

    Parameters
    ----------
    runs : list of Run
        The first run of each condition is its unregularized setting, the reference of
        the p-values.

    Returns
    -------
    str
    """
    header = (
        f"{'technique':<30}{'strength':>20}{'train acc':>10}{'test acc':>10}{'(sd)':>8}"
        f"{'gap':>7}{'p':>7}{'epochs':>7}{'sec':>6}"
    )
    lines = [header, "-" * len(header)]
    for group in by_condition(runs).values():
        lines.extend(format_row(run, group[0]) for run in group)
    return "\n".join(lines)


def format_row(run, base):
    """One row of :func:`format_table`.

    Parameters
    ----------
    run : Run
    base : Run
        The unregularized setting of the same condition; its own row has no p-value.

    Returns
    -------
    str
    """
    p = paired_p_value(run.test_accuracy, base.test_accuracy)
    p = "" if run is base or not np.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.4f}")
    return (
        f"{run.label:<30}{run.strength:>20}{run.train_accuracy.mean():>10.3f}"
        f"{run.test_accuracy.mean():>10.3f}{_sd(run.test_accuracy):>8}{run.gap:>7.3f}"
        f"{p:>7}{run.epochs.mean():>7.0f}{run.seconds.mean():>6.1f}"
    )


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
    n_seeds = len(runs[0].test_accuracy)
    notes = [
        f"Means over {n_seeds} seeds. train acc: on the samples the network was fitted on; "
        "test acc: on the held-out test digits, (sd) its standard deviation over the seeds; "
        "gap = train - test; p: paired t-test of the test accuracies against the "
        "unregularized networks' of the same condition; sec: training time per network (two "
        "trained at a time), without compiling. Under label noise, train acc is on the labels "
        "as given, wrong ones included. Each condition compares 12 settings with the "
        f"unregularized networks at p < {_P_VALUE}: about one in twenty settings that change "
        "nothing passes by chance."
    ]
    for run in runs:
        if run.params.get("early_stopping") is True and run.chosen_by == "textbook":
            note = (
                f"{run.technique}: trained on {run.n_fit} of the {n_train} training samples; "
                f"the other {n_train - run.n_fit} were the validation set of early stopping."
            )
            if note not in notes:  # the same under every condition
                notes.append(note)
    for run in runs:
        if run.params.get("penalty") == "l1":
            notes.append(
                f"{run.label} ({run.condition}): {run.zero_weight_share:.0%} of the weights "
                "are exactly zero."
            )
    return notes


def plot_runs(runs, path, title=None):
    """Save the learning curves of the runs as a PNG: a row of panels per condition, one
    panel per technique.

    Each panel shows the first seed's train and test accuracy per epoch at the textbook
    strength (solid) and at the searched strength (dashed).

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

    rows = {}
    for run in runs:
        rows.setdefault(run.condition, {}).setdefault(run.technique, []).append(run)
    n_rows = len(rows)
    n_cols = max(len(panels) for panels in rows.values())
    fig = Figure(figsize=(3.0 * n_cols, 2.7 * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    n_epochs = max(len(run.train_curve) for run in runs)
    styles = {"baseline": "-", "textbook": "-", "search": "--"}
    for row_axes, (condition, panels) in zip(axes, rows.items(), strict=True):
        for ax, (technique, group) in zip(row_axes, panels.items(), strict=False):
            for run in group:
                epochs = np.arange(1, len(run.train_curve) + 1)
                label = f"{run.chosen_by} ({run.strength})" if run.chosen_by != "baseline" else ""
                style = styles[run.chosen_by]
                ax.plot(epochs, run.train_curve, style, color="C0", label=f"train {label}")
                ax.plot(epochs, run.test_curve, style, color="C3", label=f"test {label}")
            ax.set_title(f"{condition}: {technique}", fontsize=9)
            ax.set_xlim(0, max(n_epochs, 1))
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right", fontsize=6)
        for ax in row_axes[len(panels) :]:
            ax.set_visible(False)
        row_axes[0].set_ylabel("accuracy")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)


def save_summary_csv(runs, path):
    """Write one row per setting: ``condition, technique, strength, train_accuracy,
    test_accuracy, gap, p_value``.

    The technique is the table's row name (``"dropout, search"``); the unregularized
    networks are ``none``, with an empty p-value. Accuracies are means over the seeds;
    the p-value is the paired t-test of the setting's test accuracies against the
    unregularized networks' of the same condition (:func:`paired_p_value`).

    Parameters
    ----------
    runs : list of Run
    path : str or path-like
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "condition",
                "technique",
                "strength",
                "train_accuracy",
                "test_accuracy",
                "gap",
                "p_value",
            ]
        )
        for group in by_condition(runs).values():
            base = group[0]
            for run in group:
                p = paired_p_value(run.test_accuracy, base.test_accuracy)
                writer.writerow(
                    [
                        run.condition,
                        run.label,
                        run.strength,
                        f"{run.train_accuracy.mean():.4f}",
                        f"{run.test_accuracy.mean():.4f}",
                        f"{run.gap:.4f}",
                        "" if run is base or not np.isfinite(p) else f"{p:.4g}",
                    ]
                )


def save_curves_csv(runs, path):
    """Write the first seed's per-epoch accuracies of every setting to a CSV file.

    Columns ``condition, technique, epoch, train_accuracy, test_accuracy``.

    Parameters
    ----------
    runs : list of Run
    path : str or path-like
    """
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["condition", "technique", "epoch", "train_accuracy", "test_accuracy"])
        for run in runs:
            for epoch, (tr, te) in enumerate(
                zip(run.train_curve, run.test_curve, strict=True), start=1
            ):
                writer.writerow([run.condition, run.label, epoch, tr, te])


def _matplotlib_available():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def warm_up(err, notice_after=2.0):
    """Load (or, on a first run, compile) the training kernels before anything is timed.

    Prints a one-line notice when that takes longer than ``notice_after`` seconds, which
    happens when numba compiles the kernels (once per installation).

    Parameters
    ----------
    err : file-like
        Where the notice goes.
    notice_after : float, default=2.0
        Seconds to wait before printing the notice (loading cached kernels takes less).

    Returns
    -------
    seconds : float
    """
    X, _, y, _ = load_split(20)
    clf = RegularizedMLPClassifier.like_sklearn(
        **{**BASE_PARAMS, "max_iter": 1, "batch_size": 10}, random_state=0
    )
    started = time.perf_counter()
    worker = threading.Thread(target=lambda: _quiet_fit(clf, X, y), daemon=True)
    worker.start()
    worker.join(notice_after)
    if worker.is_alive():
        print(
            "skdeep: compiling the training kernels (first run only; about half a minute)...",
            file=err,
            flush=True,
        )
        worker.join()
    return time.perf_counter() - started


def _quiet_fit(clf, X, y):
    clf.fit(X, y)  # the caller ignores the ConvergenceWarning of its single epoch


def run_demo(
    output="skdeep-demo-output",
    *,
    n_train=300,
    n_epochs=100,
    conditions=CONDITION_NAMES,
    random_state=0,
    out=None,
    err=None,
):
    """Run the experiment, print the tables and the summary, save the CSVs and the plot.

    Parameters
    ----------
    output : str or path-like, default="skdeep-demo-output"
        Folder for ``summary.csv``, ``learning_curves.csv`` and ``learning_curves.png``
        (created if needed).
    n_train : int, default=300
        Number of training samples.
    n_epochs : int, default=100
        Epochs per network (the most for early stopping).
    conditions : sequence of str, default=CONDITION_NAMES
        The conditions to run (names of :data:`CONDITIONS`), in this order.
    random_state : int, default=0
        Seed of the split, of the conditions' noise and of the searches; the networks use
        seeds ``random_state`` to ``random_state + 4``.
    out, err : file-like, default=None
        Streams for the results and for notes; ``sys.stdout`` and ``sys.stderr`` by
        default.

    Returns
    -------
    list of Run

    Raises
    ------
    ValueError
        When ``n_train`` leaves too few samples of a class for training or testing, or a
        condition is unknown.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    n_samples, n_classes = 1797, 10
    # Early stopping's search holds out a fifth of a fifth of the training samples, and
    # every class needs a sample there.
    min_train = 100
    if not min_train <= n_train <= n_samples - n_classes:
        raise ValueError(
            f"n_train (--n-train) must be between {min_train} and {n_samples - n_classes} "
            f"(the digits data has {n_samples} samples of {n_classes} classes, and validation "
            f"parts of the training samples need each class), got {n_train}"
        )
    conditions = list(dict.fromkeys(conditions))
    unknown = [name for name in conditions if name not in CONDITION_NAMES]
    if unknown or not conditions:
        raise ValueError(
            f"unknown condition (--conditions) {', '.join(map(repr, unknown)) or 'none given'}; "
            f"choose one or more of {', '.join(CONDITION_NAMES)}, separated by commas"
        )
    can_plot = _matplotlib_available() and HAS_CALLBACKS
    if not _matplotlib_available():
        print(
            "skdeep: note: matplotlib is not installed, so no plot will be saved (pip install "
            '"skdeep[plot]").',
            file=err,
        )
    elif not HAS_CALLBACKS:
        print(
            "skdeep: note: the learning curves are recorded by scikit-learn's callbacks "
            "(scikit-learn 1.9 or later); without them, no curves and no plot.",
            file=err,
        )
    clean = load_split(n_train, random_state)
    seeds = tuple(random_state + s for s in SEEDS)
    n_fit = len(holdout_indices(clean[2], random_state)[0])
    runs = []
    with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        # The matrices are small (at most 1497 x 320), too small for BLAS threads to pay
        # off; the two cores go to two fits at a time instead.
        # Reaching max_iter is what the setup asks for. The filter is set once, here in the
        # main thread: filters are process-wide and catch_warnings is not thread-safe, so
        # the demo's own threads never touch them.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm_up(err)
        print(
            f"Digits: {len(clean[0])} training and {len(clean[1])} test samples; a 6x100 ReLU "
            f"net trained with Adam (learning rate 0.001, batches of 32) for {n_epochs} "
            f"epochs, {len(seeds)} seeds per setting. Searched strengths: "
            f"{N_CANDIDATES} candidates in {N_ROUNDS} rounds, fitted on {n_fit} "
            f"training samples and scored on the other {len(clean[0]) - n_fit}.",
            file=out,
            flush=True,
        )
        description = {c.name: c.description for c in CONDITIONS}
        for name in conditions:
            split = apply_condition(name, clean, random_state)
            fit_idx, hold_idx = holdout_indices(split[2], random_state)
            print(f"\nCondition {name}: {description[name]}.\n", file=out, flush=True)
            print(format_table([]), file=out, flush=True)
            group = _run_techniques(
                split, fit_idx, hold_idx, n_epochs, random_state, seeds, out, name
            )
            print("", file=out)
            for sentence in summarize(group):
                print(sentence, file=out)
            runs.extend(group)
    print("", file=out)
    if len(conditions) > 1:
        print(lesson(runs), file=out)
        print("", file=out)
    for note in format_notes(runs, len(clean[0])):
        print(note, file=out)
    _save_outputs(runs, output, len(clean[0]), can_plot, out)
    return runs


def _run_techniques(split, fit_idx, hold_idx, n_epochs, random_state, seeds, out, condition):
    """Every technique at the lecture's strength and at the searched one (a :class:`Run`
    each, printed as a table row as soon as it is known); two fits at a time."""
    runs = []
    with ThreadPoolExecutor(2) as pool:
        for technique in TECHNIQUES:
            settings = [
                (
                    "baseline" if technique.name == "none" else "textbook",
                    _params(technique, {}, n_epochs, len(split[2])),
                )
            ]
            if technique.space is not None:
                searched = search_strength(
                    technique, split, fit_idx, hold_idx, n_epochs, random_state
                )
                settings.append(("search", searched))
            for chosen_by, params in settings:
                if runs and runs[-1].technique == technique.name and runs[-1].params == params:
                    # The search picked the textbook setting: the same networks.
                    run = dataclasses.replace(runs[-1], chosen_by=chosen_by)
                else:
                    run = run_setting(
                        technique,
                        chosen_by,
                        params,
                        split,
                        fit_idx,
                        hold_idx,
                        pool,
                        seeds,
                        condition,
                    )
                runs.append(run)
                # Each row as soon as it is known: the whole demo takes a while.
                print(format_row(run, runs[0]), file=out, flush=True)
    return runs


def _save_outputs(runs, output, n_train, can_plot, out):
    """Write ``summary.csv``, the learning curves and their plot (where they can be made)
    to folder ``output`` and say so."""
    os.makedirs(output, exist_ok=True)
    written = [os.path.join(output, "summary.csv")]
    save_summary_csv(runs, written[0])
    if HAS_CALLBACKS:
        written.append(os.path.join(output, "learning_curves.csv"))
        save_curves_csv(runs, written[-1])
    if can_plot:
        written.append(os.path.join(output, "learning_curves.png"))
        plot_runs(
            runs,
            written[-1],
            title=f"Train and test accuracy per epoch ({n_train} training digits, "
            "6x100 ReLU net, Adam; first seed; a row per condition)",
        )
    print("\nSaved " + ", ".join(written), file=out)
