"""``skdeep demo``: the overfitting experiment, its search, summary and files."""

import csv
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skdeep import RegularizedMLPClassifier
from skdeep._callbacks import HAS_CALLBACKS
from skdeep._demo import (
    BASE_PARAMS,
    TECHNIQUES,
    Run,
    holdout_indices,
    load_split,
    run_demo,
    run_setting,
    search_strength,
    summarize,
    warm_up,
)

TECHNIQUE = {t.name: t for t in TECHNIQUES}
needs_callbacks = pytest.mark.skipif(not HAS_CALLBACKS, reason="curves need sklearn.callback")


def run_cli(*args):
    """Run ``python -m skdeep ARGS`` in a fresh process, as a user would."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "skdeep", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_demo_prints_the_table_the_summary_and_saves_its_files(tmp_path):
    out = tmp_path / "out"
    result = run_cli("demo", "--epochs", 3, "--n-train", 100, "--output", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr

    summary = read_csv(out / "summary.csv")
    assert list(summary[0]) == ["technique", "strength", "train_accuracy", "test_accuracy", "gap"]
    assert summary[0]["technique"] == "none"
    labels = [row["technique"] for row in summary]
    for technique in TECHNIQUES[1:]:
        assert f"{technique.name}, textbook" in labels
        assert f"{technique.name}, search" in labels
    for row in summary:
        train, test, gap = (float(row[k]) for k in ("train_accuracy", "test_accuracy", "gap"))
        assert 0 <= test <= 1 and 0 <= train <= 1
        assert gap == pytest.approx(train - test, abs=2e-4)
        # Every row of the CSV is a row of the printed table, with the same numbers.
        printed = next(
            line for line in result.stdout.splitlines() if line.startswith(row["technique"] + "  ")
        )
        assert row["strength"] in printed
        *_, printed_test, _, printed_gap, _, _ = printed.split()  # ... test (sd) gap epochs sec
        printed_test, printed_gap = float(printed_test), float(printed_gap)
        assert printed_test == pytest.approx(test, abs=6e-4)
        assert printed_gap == pytest.approx(gap, abs=6e-4)
    assert "Without regularization the network fits its 100 training digits" in result.stdout
    assert "At the strengths the search picked on held-out training samples" in result.stdout
    assert "At the lecture's strengths" in result.stdout

    if HAS_CALLBACKS:
        curves = read_csv(out / "learning_curves.csv")
        assert {row["technique"] for row in curves} == set(labels)
        assert len([row for row in curves if row["technique"] == "none"]) == 3
        png = out / "learning_curves.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"Saved {out / 'summary.csv'}, " in result.stdout


def test_the_search_never_sees_the_test_set():
    X_train, X_test, y_train, y_test = load_split(100, random_state=0)
    fit_idx, hold_idx = holdout_indices(y_train)
    real = (X_train, X_test, y_train, y_test)
    # Test samples that would fail any fit or score that touched them.
    poisoned = (X_train, np.full_like(X_test, np.nan), y_train, np.full_like(y_test, -1))
    with threadpool_limits(1, user_api="blas"):
        picked = [
            search_strength(TECHNIQUE["dropout"], split, fit_idx, hold_idx, n_epochs=3)
            for split in (real, poisoned)
        ]
    assert picked[0] == picked[1]
    assert 0 <= picked[0]["dropout"] <= 0.6 and picked[0]["dropout"] != 0.2


@needs_callbacks
def test_curves_are_the_networks_of_the_table():
    split = load_split(100, random_state=1)
    fit_idx, hold_idx = holdout_indices(split[2], random_state=1)
    params = {**BASE_PARAMS, "dropout": 0.2, "max_iter": 4, "batch_size": 32}
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(2) as pool:
        run = run_setting(
            TECHNIQUE["dropout"], "textbook", params, split, fit_idx, hold_idx, pool, (5, 6)
        )
        alone = RegularizedMLPClassifier.like_sklearn(**params, random_state=5)
        alone.fit(split[0], split[2])
    assert len(run.train_curve) == len(run.test_curve) == 4
    # The first seed's curves end at the table's numbers, which a plain fit reproduces: the
    # callback that scores each epoch does not change the training.
    assert run.train_curve[-1] == run.train_accuracy[0] == alone.score(split[0], split[2])
    assert run.test_curve[-1] == run.test_accuracy[0] == alone.score(split[1], split[3])
    assert run.epochs.tolist() == [4, 4]


@needs_callbacks
def test_early_stopping_trains_on_the_fitted_part_and_keeps_its_best_epoch():
    split = load_split(100, random_state=0)
    fit_idx, hold_idx = holdout_indices(split[2])
    technique = TECHNIQUE["early stopping"]
    params = {**BASE_PARAMS, **technique.textbook, "patience": 2, "max_iter": 40}
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(2) as pool:
        run = run_setting(technique, "textbook", params, split, fit_idx, hold_idx, pool, (0,))
    assert run.n_fit == 80  # a fifth of the 100 training samples is the validation set
    assert run.best_epoch is not None and run.best_epoch < run.epochs[0] <= 40
    assert len(run.test_curve) == run.epochs[0]
    assert run.test_curve[run.best_epoch - 1] == run.test_accuracy[0]


def _run(chosen_by, train, test, technique="dropout", strength="0.2"):
    train, test = np.asarray(train), np.asarray(test)
    n = len(test)
    return Run(
        technique, chosen_by, strength, {}, train, test, np.zeros(n), np.zeros(n), n_fit=300
    )


def test_summary_counts_only_changes_a_paired_test_finds():
    base = _run("baseline", [1, 1, 1], [0.920, 0.925, 0.930], technique="none")
    runs = [
        base,
        # +0.03 on every seed: raises test accuracy and narrows the gap.
        _run("search", [1, 1, 1], [0.950, 0.955, 0.960], "dropout", "0.1"),
        # +0.01 on average, but -0.02 on one seed and +0.03 on another: no evidence.
        _run("search", [1, 1, 1], [0.90, 0.935, 0.96], "weight decay", "0.01"),
        # Lower test accuracy, and a lower train accuracy: a smaller gap too.
        _run("textbook", [0.90, 0.91, 0.92], [0.85, 0.86, 0.87], "L1 penalty", "0.1"),
        _run("textbook", [1, 1, 1], [0.921, 0.925, 0.929], "batch normalization", "on"),
        # Lower test accuracy at the same train accuracy: a wider gap.
        _run("textbook", [1, 1, 1], [0.89, 0.895, 0.90], "early stopping", "patience 20"),
    ]
    first, searched, textbook = summarize(runs)
    assert "scores 0.925 on the test digits, a gap of 0.075 (means over 3 seeds" in first
    assert "paired t-test over the seeds gives p < 0.05" in first
    assert searched == (
        "At the strengths the search picked on held-out training samples, test accuracy rises "
        "with dropout (0.1: 0.955); the gap narrows with dropout (0.1: 0.045)."
    )
    assert textbook == (
        "At the lecture's strengths, no technique raises test accuracy by more than the seeds "
        "move it; the gap narrows with L1 penalty (0.1: 0.050); the gap widens with early "
        "stopping (patience 20: 0.105); test accuracy falls with L1 penalty (0.1: 0.860) and "
        "early stopping (patience 20: 0.895)."
    )


def test_one_seed_is_no_evidence():
    runs = [
        _run("baseline", [1.0], [0.90], technique="none"),
        _run("search", [1.0], [0.95], "dropout", "0.1"),
    ]
    assert "no technique raises test accuracy" in summarize(runs)[1]


def test_warm_up_says_when_it_compiles():
    err = io.StringIO()
    warm_up(err, notice_after=0.0)  # any fit takes longer than no time at all
    assert err.getvalue().startswith("skdeep: compiling the training kernels")
    err = io.StringIO()
    warm_up(err, notice_after=600.0)
    assert err.getvalue() == ""


def test_the_unregularized_network_overfits():
    """Full length, one seed: the setup gives the techniques something to fix."""
    X_train, X_test, y_train, y_test = load_split()
    with threadpool_limits(1, user_api="blas"):
        clf = RegularizedMLPClassifier.like_sklearn(**BASE_PARAMS, max_iter=100, random_state=0)
        clf.fit(X_train, y_train)
    assert clf.score(X_train, y_train) == 1.0
    assert clf.score(X_train, y_train) - clf.score(X_test, y_test) > 0.05


def test_demo_without_matplotlib_still_prints_the_table(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    out, err = io.StringIO(), io.StringIO()
    runs = run_demo(tmp_path / "out", n_train=100, n_epochs=1, out=out, err=err)
    assert runs[0].technique == "none" and len(runs) == 2 * len(TECHNIQUES) - 1
    assert 'pip install "skdeep[plot]"' in err.getvalue()
    assert not (tmp_path / "out" / "learning_curves.png").exists()
    assert (tmp_path / "out" / "summary.csv").exists()


def test_demo_rejects_impossible_training_sizes(tmp_path):
    result = run_cli("demo", "--n-train", 60, "--output", tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "n_train (--n-train) must be between 100 and 1787" in lines[0]
