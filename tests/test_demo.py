"""``skdeep demo``: the overfitting experiment, its search, summary and files."""

import csv
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.stats import ttest_rel
from threadpoolctl import threadpool_limits

from skdeep import RegularizedMLPClassifier
from skdeep._callbacks import HAS_CALLBACKS
from skdeep._demo import (
    BASE_PARAMS,
    CONDITION_NAMES,
    LABEL_NOISE_SHARE,
    N_NOISE_FEATURES,
    TECHNIQUES,
    Run,
    apply_condition,
    holdout_indices,
    lesson,
    load_split,
    paired_p_value,
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


def _sections(stdout):
    """The printed output cut at each condition's heading: condition name -> its text."""
    sections = {}
    for part in stdout.split("\nCondition ")[1:]:
        name, _, text = part.partition(":")
        sections[name] = text
    return sections


def test_demo_prints_the_table_the_summary_and_saves_its_files(tmp_path):
    out = tmp_path / "out"
    result = run_cli("demo", "--epochs", 3, "--n-train", 100, "--output", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr

    summary = read_csv(out / "summary.csv")
    assert list(summary[0]) == [
        "condition", "technique", "strength", "train_accuracy", "test_accuracy", "gap", "p_value",
    ]  # fmt: skip
    assert [row["condition"] for row in summary[:: len(summary) // 3]] == list(CONDITION_NAMES)
    sections = _sections(result.stdout)
    assert list(sections) == list(CONDITION_NAMES)
    for condition in CONDITION_NAMES:
        rows = [row for row in summary if row["condition"] == condition]
        assert rows[0]["technique"] == "none" and rows[0]["p_value"] == ""
        labels = [row["technique"] for row in rows]
        for technique in TECHNIQUES[1:]:
            assert f"{technique.name}, textbook" in labels
            assert f"{technique.name}, search" in labels
        for row in rows:
            train, test, gap = (float(row[k]) for k in ("train_accuracy", "test_accuracy", "gap"))
            assert 0 <= test <= 1 and 0 <= train <= 1
            assert gap == pytest.approx(train - test, abs=2e-4)
            # Every row of the CSV is a row of its condition's printed table, with the same
            # numbers.
            printed = next(
                line
                for line in sections[condition].splitlines()
                if line.startswith(row["technique"] + "  ")
            )
            assert row["strength"] in printed
            fields = printed[50:].split()  # after the technique and strength columns
            assert float(fields[1]) == pytest.approx(test, abs=6e-4)
            assert float(fields[3]) == pytest.approx(gap, abs=6e-4)
            if row["p_value"]:
                assert 0 <= float(row["p_value"]) <= 1
                printed_p = fields[4]
                if printed_p == "<0.001":
                    assert float(row["p_value"]) < 0.001
                else:
                    assert float(printed_p) == pytest.approx(float(row["p_value"]), abs=6e-5)
            else:
                assert len(fields) == 6  # no p-value column in the unregularized row
        assert (
            "Without regularization the network fits its 100 training digits"
            in (sections[condition])
        )
        assert (
            "At the strengths the search picked on held-out training samples"
            in (sections[condition])
        )
        assert "At the lecture's strengths" in sections[condition]
    assert "with their wrong labels" in sections["label-noise"]
    assert "In short: with the clean digits, " in result.stdout

    if HAS_CALLBACKS:
        curves = read_csv(out / "learning_curves.csv")
        assert list(curves[0]) == [
            "condition", "technique", "epoch", "train_accuracy", "test_accuracy",
        ]  # fmt: skip
        assert {(row["condition"], row["technique"]) for row in curves} == {
            (row["condition"], row["technique"]) for row in summary
        }
        assert len([row for row in curves if row["technique"] == "none"]) == 3 * 3
        png = out / "learning_curves.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"Saved {out / 'summary.csv'}, " in result.stdout


def test_demo_runs_the_conditions_asked_for(tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "demo", "--epochs", 1, "--n-train", 100, "--conditions", "noise-features", "--output", out
    )
    assert result.returncode == 0, result.stderr
    assert list(_sections(result.stdout)) == ["noise-features"]
    assert "In short" not in result.stdout  # nothing to compare across
    assert {row["condition"] for row in read_csv(out / "summary.csv")} == {"noise-features"}

    wrong = run_cli("demo", "--conditions", "clean,label_noise", "--output", out)
    assert wrong.returncode == 1
    lines = wrong.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in wrong.stderr
    assert "unknown condition (--conditions) 'label_noise'" in lines[0]
    assert "clean, label-noise, noise-features" in lines[0]


def test_label_noise_changes_the_stated_share_of_training_labels_only():
    split = load_split(300, random_state=0)
    X_train, X_test, y_train, y_test = apply_condition("label-noise", split, random_state=3)
    assert np.mean(y_train != split[2]) == LABEL_NOISE_SHARE  # every changed label is wrong
    assert set(np.unique(y_train)) == set(np.unique(split[2]))
    assert X_train is split[0] and X_test is split[1] and y_test is split[3]
    # Each wrong class is drawn among the nine others: no class is favoured much.
    wrong = y_train[y_train != split[2]]
    assert np.bincount(wrong, minlength=10).max() < 0.25 * len(wrong)
    again = apply_condition("label-noise", split, random_state=3)
    assert np.array_equal(again[2], y_train)


def test_noise_features_append_uniform_columns_to_both_sets():
    split = load_split(300, random_state=0)
    X_train, X_test, y_train, y_test = apply_condition("noise-features", split)
    assert X_train.shape == (300, 64 + N_NOISE_FEATURES)
    assert X_test.shape == (len(split[1]), 64 + N_NOISE_FEATURES)
    assert np.array_equal(X_train[:, :64], split[0]) and np.array_equal(X_test[:, :64], split[1])
    noise = np.vstack([X_train[:, 64:], X_test[:, 64:]])
    assert noise.min() >= 0 and noise.max() < 1 and abs(noise.mean() - 0.5) < 0.01
    # Pure noise: no column tells the classes apart on the training rows.
    assert np.abs(np.corrcoef(X_train[:, 64:].T, y_train)[-1, :-1]).max() < 0.3
    assert y_train is split[2] and y_test is split[3]
    assert all(a is b for a, b in zip(apply_condition("clean", split), split, strict=True))
    with pytest.raises(ValueError, match="unknown condition 'dirty'"):
        apply_condition("dirty", split)


def test_p_values_are_the_paired_t_test_and_its_limits():
    a, b = np.array([0.93, 0.94, 0.92]), np.array([0.92, 0.925, 0.921])
    assert paired_p_value(a, b) == pytest.approx(ttest_rel(a, b).pvalue)
    assert paired_p_value(b, b) == 1.0  # the same networks
    assert paired_p_value(b + 0.01, b) == 0.0  # the same change on every seed
    assert np.isnan(paired_p_value(a[:1], b[:1]))


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


def _run(chosen_by, train, test, technique="dropout", strength="0.2", condition="clean"):
    train, test = np.asarray(train), np.asarray(test)
    n = len(test)
    return Run(
        technique,
        chosen_by,
        strength,
        {},
        train,
        test,
        np.zeros(n),
        np.zeros(n),
        n_fit=300,
        condition=condition,
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


def test_the_lesson_names_what_helps_under_each_condition():
    base = [0.70, 0.71, 0.72]
    runs = [
        _run("baseline", [1, 1, 1], [0.92, 0.925, 0.93], "none"),
        _run("textbook", [1, 1, 1], [0.921, 0.925, 0.929], "dropout"),
        _run("baseline", [1, 1, 1], base, "none", condition="label-noise"),
        _run("textbook", [1, 1, 1], [0.75, 0.77, 0.78], "dropout", condition="label-noise"),
        _run("search", [1, 1, 1], [0.76, 0.76, 0.79], "dropout", condition="label-noise"),
        _run("search", [1, 1, 1], [0.72, 0.73, 0.75], "defaults", condition="label-noise"),
        _run("textbook", [1, 1, 1], [0.60, 0.61, 0.62], "L1 penalty", condition="label-noise"),
        _run("baseline", [1, 1, 1], base, "none", condition="noise-features"),
        _run("search", [1, 1, 1], [0.73, 0.74, 0.75], "defaults", condition="noise-features"),
    ]
    assert lesson(runs) == (
        "In short: with the clean digits, no technique raises test accuracy; with label noise, "
        "dropout and defaults raise test accuracy; with noise features, defaults raise test "
        "accuracy (at the lecture's or the searched strength, p < 0.05)."
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
    runs = run_demo(
        tmp_path / "out", n_train=100, n_epochs=1, conditions=["clean"], out=out, err=err
    )
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
