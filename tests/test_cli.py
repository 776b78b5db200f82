"""The command line: ``python -m skdeep demo`` and ``python -m skdeep tune``."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from skdeep.__main__ import main
from skdeep._cli_tune import _verdict, detect_task, read_table, search_space, split_columns
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris


def run_cli(*args, cwd=None):
    """Run ``python -m skdeep ARGS`` in a fresh process, as a user would."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "skdeep", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_main_without_a_command_prints_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skdeep ")
    for fragment in fragments:
        assert fragment in lines[0]


# ------------------------------------------------------------------------------------ tune


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    """A realistic table: text target, a categorical column, an identifier, gaps."""
    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame.insert(0, "clinic", rng.choice(["north", "south", "east"], len(frame)))
    frame.insert(1, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    features = frame.columns.drop("target")
    frame[features] = frame[features].mask(rng.random((len(frame), len(features))) < 0.05)
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    path = tmp_path_factory.mktemp("tables") / "cancer.csv"
    frame.to_csv(path, index=False)
    return path


def test_tune_searches_the_regularization_settings_and_the_activation():
    space = search_space()
    assert sorted(space) == [
        "mlp__activation",
        "mlp__alpha",
        "mlp__batch_normalization",
        "mlp__dropout",
        "mlp__hidden_layer_sizes",
        "mlp__learning_rate_init",
        "mlp__weight_decay",
    ]
    assert space["mlp__activation"] == ["relu", "tanh", "elu"]


def test_tune_saves_a_model_that_predicts(cancer_csv, tmp_path):
    model_path = tmp_path / "model.joblib"
    result = run_cli(
        "tune", cancer_csv, "--target", "target", "--n-iter", 2, "--cv", 2, "--max-iter", 10,
        "--n-jobs", 2, "--output", model_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "classification" in result.stdout
    assert "Ignored column 'patient_id'" in result.stdout
    for model in (
        "dummy (most frequent class)", "LogisticRegressionCV", "HistGradientBoosting defaults",
        "scikit-learn MLP defaults", "skdeep, tuned",
    ):  # fmt: skip
        assert re.search(rf"{re.escape(model)}.*\s0\.\d{{4}}\s+0\.\d{{4}}", result.stdout), model
    assert "the best baseline (" in result.stdout
    assert "Best settings:" in result.stdout and "dropout" in result.stdout
    assert "search: 4/4 fits" in result.stderr  # progress

    model = joblib.load(model_path)
    # The network takes the table's columns itself (the identifier left out before it).
    network = model[-1]
    assert "patient_id" not in network.feature_names_in_
    assert network.is_categorical_[list(network.feature_names_in_).index("clinic")]
    assert network.is_categorical_.sum() == 1
    table = pd.read_csv(cancer_csv)
    predictions = model.predict(table.drop(columns=["target"]))
    assert set(predictions) <= {"benign", "malignant"}
    assert (predictions == table["target"]).mean() > 0.8  # the dummy gets 0.63
    # New rows may hold unseen categories and gaps, and need not have the ignored column.
    new = table.drop(columns=["target", "patient_id"]).head(3).copy()
    new["clinic"] = ["mars", None, "north"]
    new.iloc[0, 3] = np.nan
    proba = model.predict_proba(new)
    assert proba.shape == (3, 2) and np.allclose(proba.sum(axis=1), 1)


def test_tune_regression(tmp_path):
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(tmp_path / "d.csv", index=False)
    result = run_cli(
        "tune", "d.csv", "--target", "target", "--n-iter", 1, "--cv", 2, "--max-iter", 5,
        "--output", "d.joblib", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "regression" in result.stdout and "dummy (mean)" in result.stdout
    scores = {
        name: float(mean)
        for name, mean in re.findall(r"^  (\S.*?)\s+(-?\d+\.\d{4})\s+\d+\.\d{4}$",
                                     result.stdout, flags=re.M)
    }  # fmt: skip
    assert scores["RidgeCV"] > 0.4 and scores["HistGradientBoosting defaults"] > 0.2
    # scikit-learn's MLP gets a standardized target: on raw diabetes targets (25 to 346) its
    # defaults score far below 0; standardized, they learn something.
    assert scores["scikit-learn MLP defaults"] > 0.0
    model = joblib.load(tmp_path / "d.joblib")
    predictions = model.predict(pd.read_csv(tmp_path / "d.csv").drop(columns=["target"]))
    assert predictions.dtype.kind == "f" and predictions.shape == (442,)


TUNE_ERRORS = {
    "missing file": (None, "no such file"),
    "empty": ("", "is empty"),
    "header only": ("a,b,y\n", "no data rows"),
    "unparsable": ("a,y\n1,2\n3,4,5,6\n", "could not parse"),
    "binary": (bytes(range(256)) * 4, "not utf-8 text"),
    "missing target": ("a,b\n1,2\n3,4\n", "no column 'y' in"),
    "one class": ("a,y\n" + "".join(f"{i},yes\n" for i in range(10)), "single value"),
    "rare class": ("a,y\n" + "".join(f"{i},{'b' if i < 2 else 'a'}\n" for i in range(10)),
                   "only 2 rows"),
}  # fmt: skip


@pytest.mark.parametrize("case", TUNE_ERRORS)
def test_tune_errors_are_one_line(case, tmp_path):
    content, expected = TUNE_ERRORS[case]
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = run_cli("tune", path, "--target", "y", "--output", tmp_path / "m.joblib")
    assert_one_line_error(result, "skdeep tune: error:", expected)
    assert not (tmp_path / "m.joblib").exists()


def test_tune_missing_target_lists_the_columns(cancer_csv, tmp_path):
    result = run_cli("tune", cancer_csv, "--target", "Target", "--output", tmp_path / "m")
    assert_one_line_error(result, "did you mean 'target'?", "clinic, patient_id, mean radius")


def test_tune_refuses_an_unwritable_output_before_searching(cancer_csv, tmp_path):
    result = run_cli("tune", cancer_csv, "--target", "target", "--output", tmp_path / "no" / "m")
    assert_one_line_error(result, "does not exist")


def test_tune_scoring_that_fails_in_every_fold(tmp_path):
    load_iris(as_frame=True).frame.to_csv(tmp_path / "iris.csv", index=False)
    result = run_cli(
        "tune", "iris.csv", "--target", "target", "--scoring", "roc_auc", "--n-iter", 1,
        "--cv", 2, "--max-iter", 2, "--output", "m.joblib", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [
        "skdeep tune: error: scoring with 'roc_auc' failed in every fold: "
        "ValueError: multi_class must be in ('ovo', 'ovr')"
    ]
    assert not (tmp_path / "m.joblib").exists()


def test_read_table_detects_the_separator(tmp_path):
    (tmp_path / "semi.csv").write_text("a;b;y\n1;2,5;x\n3;4;z\n")
    table = read_table(tmp_path / "semi.csv")
    assert list(table.columns) == ["a", "b", "y"]


def test_detect_task():
    assert detect_task(pd.Series(["a", "b"]))[0] == "classification"
    assert detect_task(pd.Series([True, False]))[0] == "classification"
    assert detect_task(pd.Series([1, 2, 3, 1]))[0] == "classification"
    assert detect_task(pd.Series([1.0, 2.0, 1.0]))[0] == "classification"
    assert detect_task(pd.Series([0.5, 1.0, 2.0]))[0] == "regression"
    assert detect_task(pd.Series(np.arange(100)))[0] == "regression"


def test_tune_verdict_names_the_best_baseline_and_the_spread():
    baselines = [("dummy", 0.6, 0.01), ("RidgeCV", 0.80, 0.02), ("broken", np.nan, np.nan)]
    assert "beat the best baseline (RidgeCV) by 0.0500, more than the fold std (0.0300)" in (
        _verdict(baselines, ("tuned", 0.85, 0.03))
    )
    assert "fell short of the best baseline (RidgeCV) by 0.1000" in _verdict(
        baselines, ("tuned", 0.70, 0.01)
    )
    assert "within the spread" in _verdict(baselines, ("tuned", 0.81, 0.01))
    assert "No baseline" in _verdict([("broken", np.nan, np.nan)], ("tuned", 0.8, 0.0))


def test_split_columns():
    rows = 30
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "number": rng.normal(size=rows),
            "count": rng.permutation(rows),  # distinct whole numbers, not in row order
            "flag": [True, False] * (rows // 2),
            "city": ["a", "b", "c"] * (rows // 3),
            "name": [f"n{i}" for i in range(rows)],
            "row": np.arange(rows),
            "countdown": np.arange(rows, 0, -1) * 3.0,
            "empty": [np.nan] * rows,
        }
    )
    numeric, categorical, ignored = split_columns(table)
    assert numeric == ["number", "count"]
    assert categorical == ["flag", "city"]
    assert [column for column, _ in ignored] == ["name", "row", "countdown", "empty"]
    # --keep-column keeps an identifier-like column, as what its dtype says.
    numeric, categorical, ignored = split_columns(table, keep={"row", "name"})
    assert numeric == ["number", "count", "row"]
    assert categorical == ["flag", "city", "name"]
    assert [column for column, _ in ignored] == ["countdown", "empty"]


def test_tune_sets_aside_a_leaking_row_number_and_hints_at_imbalance(tmp_path):
    # An id sorted by the target would give a leaked, perfect score; an 88/12 target makes
    # plain accuracy look good for the majority guess.
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=n)
    y = np.where(x + rng.normal(0, 1, n) > 1.6, "yes", "no")
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "target": y})
    frame = frame.sort_values("target").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, n + 1))
    frame.to_csv(tmp_path / "t.csv", index=False)
    common = ["--n-iter", 1, "--cv", 2, "--max-iter", 5, "--n-jobs", 1]
    result = run_cli("tune", "t.csv", "--target", "target", *common, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "Ignored column 'id': whole numbers rising or falling row by row, like a row number "
        "(--keep-column id keeps it)." in result.stdout
    )
    assert "Hint: the classes are imbalanced" in result.stdout
    assert "--scoring balanced_accuracy" in result.stdout
    # With another scoring, no hint; --keep-column keeps the column.
    kept = run_cli(
        "tune", "t.csv", "--target", "target", "--keep-column", "id",
        "--scoring", "balanced_accuracy", *common, cwd=tmp_path,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert "Ignored column 'id'" not in kept.stdout and "Features: 3 numeric" in kept.stdout
    assert "Hint:" not in kept.stdout
    wrong = run_cli("tune", "t.csv", "--target", "target", "--keep-column", "nope", *common,
                    cwd=tmp_path)  # fmt: skip
    assert_one_line_error(wrong, "--keep-column names no feature column: nope")


def test_console_script_runs_main():
    # tomllib needs Python 3.11; the one line of interest is easy to find without it.
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    scripts = pyproject.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    target = re.search(r'^skdeep\s*=\s*"([\w.]+):(\w+)"', scripts, re.MULTILINE)
    assert getattr(importlib.import_module(target[1]), target[2]) is main
