"""The command line: ``python -m skdeep demo`` and ``python -m skdeep tune``."""

import importlib
import io
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.metrics import get_scorer
from sklearn.model_selection import (
    ParameterSampler,
    StratifiedKFold,
    cross_val_predict,
    cross_validate,
)
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import skdeep
import skdeep._cli_tune
from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep.__main__ import main
from skdeep._cli import build_parser
from skdeep._cli_tune import (
    _verdict,
    column_selection,
    detect_task,
    read_table,
    run_tune,
    save_model,
    search_space,
    split_columns,
)
from skdeep._ensemble_selection import (
    EnsembleClassifier,
    EnsembleRegressor,
    OutOfFoldRecorder,
    fold_scores,
    greedy_selection,
)


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


@pytest.fixture(scope="module")
def leaky_csv(tmp_path_factory):
    """An id sorted by the target would give a leaked, perfect score; a 91/9 target makes
    plain accuracy look good for the majority guess."""
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=n)
    y = np.where(x + rng.normal(0, 1, n) > 1.6, "yes", "no")
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "target": y})
    frame = frame.sort_values("target").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, n + 1))
    path = tmp_path_factory.mktemp("tables") / "leaky.csv"
    frame.to_csv(path, index=False)
    return path


def pipelines(model):
    """The pipelines of a saved model: itself, or the members of an ensemble."""
    return getattr(model, "estimators_", [model])


# A quick search on the leaky table, for the tests of the output rather than the model.
QUICK = ["--n-iter", 2, "--cv", 2, "--max-iter", 5, "--n-jobs", 1]
QUICK_SPACE = search_space("classification", max_iter=5)
PROGRESS_LINE = re.compile(r"^  (search|baselines): (\d+)/(\d+) fits \(\d+ s\)$")


def progress_lines(stderr):
    """The progress lines: (phase, fits done, fits in all)."""
    return [
        (match[1], int(match[2]), int(match[3]))
        for match in map(PROGRESS_LINE.match, stderr.splitlines())
        if match
    ]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_tune_searches_around_the_defaults(task):
    space = search_space(task)
    names = [
        "mlp__activation", "mlp__dropout", "mlp__hidden_layer_sizes", "mlp__learning_rate_init",
        "mlp__max_iter", "mlp__numeric_embeddings", "mlp__weight_decay",
    ]  # fmt: skip
    estimator = RegularizedMLPClassifier if task == "classification" else RegularizedMLPRegressor
    if task == "classification":
        names.append("mlp__label_smoothing")
    assert sorted(space) == sorted(names)
    # Every default lies in its range or is the first of its choices.
    defaults = estimator().get_params()
    for name, values in space.items():
        default = defaults[name.removeprefix("mlp__")]
        if isinstance(values, list):
            assert values[0] == default or name == "mlp__max_iter", name
            assert default in values, name
        else:
            low, high = values.support()
            assert low <= default <= high, name
    assert space["mlp__numeric_embeddings"] == ["auto", None]
    assert space["mlp__max_iter"] == [32, 64, 128]
    low, high = space["mlp__learning_rate_init"].support()
    assert (low, high) == pytest.approx((defaults["learning_rate_init"] / 3,
                                         defaults["learning_rate_init"] * 3))  # fmt: skip
    # Every sample is a valid setting of the estimator.
    for params in ParameterSampler(space, 20, random_state=0):
        net = estimator(**{k.removeprefix("mlp__"): v for k, v in params.items()})
        net._validate_params()
    # --max-iter caps the epochs.
    assert search_space(task, max_iter=50)["mlp__max_iter"] == [32, 50]
    assert search_space(task, max_iter=5)["mlp__max_iter"] == [5]


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
        "scikit-learn MLP defaults", "skdeep defaults", "skdeep, tuned (saved model)",
    ):  # fmt: skip
        assert re.search(rf"{re.escape(model)}.*\s0\.\d{{4}}\s+0\.\d{{4}}", result.stdout), model
    assert "the best baseline (" in result.stdout
    assert "The saved model is " in result.stdout
    assert "Best settings" in result.stdout or "Settings of the ensemble" in result.stdout
    assert "dropout" in result.stdout
    # Not on a terminal, a short run prints one progress line per phase, at its end: the
    # search scores the defaults and 2 settings on 2 folds.
    assert progress_lines(result.stderr) == [("search", 6, 6), ("baselines", 8, 8)]

    model = joblib.load(model_path)
    # The network takes the table's columns itself (the identifier left out before it).
    network = pipelines(model)[0][-1]
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
    sio = pytest.importorskip("skops.io")
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(tmp_path / "d.csv", index=False)
    result = run_cli(
        "tune", "d.csv", "--target", "target", "--n-iter", 1, "--cv", 2, "--max-iter", 5,
        "--output", "d.skops", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "regression" in result.stdout and "dummy (mean)" in result.stdout
    # A name ending in .skops saves with skops, and the output says how to load it.
    assert 'skops.io.load("d.skops", trusted=skdeep.skops_trusted_types())' in result.stdout
    scores = {
        name: float(mean)
        for name, mean in re.findall(r"^  (\S.*?)\s+(-?\d+\.\d{4})\s+\d+\.\d{4}$",
                                     result.stdout, flags=re.M)
    }  # fmt: skip
    assert scores["RidgeCV"] > 0.4 and scores["HistGradientBoosting defaults"] > 0.2
    # scikit-learn's MLP gets a standardized target: on raw diabetes targets (25 to 346) its
    # defaults score far below 0; standardized, they learn something.
    assert scores["scikit-learn MLP defaults"] > 0.0
    path = tmp_path / "d.skops"
    assert set(sio.get_untrusted_types(file=path)) <= set(skdeep.skops_trusted_types())
    model = sio.load(path, trusted=skdeep.skops_trusted_types())
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


def test_tune_sets_aside_a_leaking_row_number_and_hints_at_imbalance(leaky_csv, tmp_path):
    common = ["--n-iter", 1, "--cv", 2, "--max-iter", 5, "--n-jobs", 1]
    result = run_cli("tune", leaky_csv, "--target", "target", *common, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "Ignored column 'id': whole numbers rising or falling row by row, like a row number "
        "(--keep-column id keeps it)." in result.stdout
    )
    assert "Hint: the classes are imbalanced" in result.stdout
    assert "--scoring balanced_accuracy" in result.stdout
    # With another scoring, no hint; --keep-column keeps the column, and the report says so.
    kept = run_cli(
        "tune", leaky_csv, "--target", "target", "--keep-column", "id",
        "--scoring", "balanced_accuracy", "--report", "report.json", *common, cwd=tmp_path,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert "Ignored column 'id'" not in kept.stdout and "Features: 3 numeric" in kept.stdout
    assert "Hint:" not in kept.stdout
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["column_roles"]["id"] == {
        "role": "numeric",
        "kept_by": "--keep-column",
        "reason": "whole numbers rising or falling row by row, like a row number",
    }
    assert report["scoring"] == "balanced_accuracy"
    assert report["task_detection"] == "detected because its values are not numbers"
    wrong = run_cli("tune", leaky_csv, "--target", "target", "--keep-column", "nope", *common,
                    cwd=tmp_path)  # fmt: skip
    assert_one_line_error(wrong, "--keep-column names no feature column: nope")


def printed_scores(stdout):
    """The rows of tune's table: model -> (mean, std), as printed."""
    return dict(
        (name, (mean, std))
        for name, mean, std in re.findall(
            r"^  (\S.*?)\s+(-?\d+\.\d{4}|nan)\s+(\d+\.\d{4}|nan)$", stdout, flags=re.M
        )
    )


def test_tune_report_holds_the_printed_results(leaky_csv, tmp_path):
    result = run_cli(
        "tune", leaky_csv, "--target", "target", "--report", "report.json", *QUICK, cwd=tmp_path
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Wrote the report of the run to report.json." in result.stdout
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    table = pd.read_csv(leaky_csv)

    assert report["skdeep_version"] == skdeep.__version__
    assert report["data"] == str(leaky_csv)
    assert (report["rows"], report["columns"], report["rows_without_target"]) == (200, 4, 0)
    assert (report["target"], report["task"]) == ("target", "classification")
    assert report["task_detection"] == "detected because its values are not numbers"
    assert report["class_counts"] == table["target"].value_counts().to_dict()
    assert report["class_counts"] == {"no": 182, "yes": 18}
    assert report["column_roles"] == {
        "id": {
            "role": "identifier",
            "reason": "whole numbers rising or falling row by row, like a row number",
        },
        "x": {"role": "numeric"},
        "z": {"role": "numeric"},
        "target": {"role": "target"},
    }
    assert (report["scoring"], report["folds"]) == ("accuracy", 2)

    # The same models, in the same order, with the printed numbers.
    printed = printed_scores(result.stdout)
    assert list(report["scores"]) == list(printed) == [
        "dummy (most frequent class)", "LogisticRegressionCV", "HistGradientBoosting defaults",
        "scikit-learn MLP defaults", "skdeep defaults", "skdeep, tuned (saved model)",
    ]  # fmt: skip
    for name, score in report["scores"].items():
        assert (f"{score['mean']:.4f}", f"{score['std']:.4f}") == printed[name], name
        assert len(score["folds"]) == 2
        assert score["mean"] == pytest.approx(np.mean(score["folds"]))
        assert score["std"] == pytest.approx(np.std(score["folds"]))
    # Predicting "no" everywhere scores its share in every stratified fold.
    assert report["scores"]["dummy (most frequent class)"]["folds"] == [0.91, 0.91]
    assert "  " + report["verdict"] + "\n" in result.stdout
    assert report["verdict"].startswith("The tuned network ")
    assert "(skdeep defaults)" not in report["verdict"]  # the baselines are other models'

    # The saved model is the best of the defaults, the settings and their ensemble.
    search, ensemble = report["search"], report["ensemble"]
    defaults = report["scores"]["skdeep defaults"]["mean"]
    tuned = report["scores"]["skdeep, tuned (saved model)"]["mean"]
    assert set(search) == {
        "settings", "fits", "failed_fits", "best_setting", "best_score", "best_sampled"
    }  # fmt: skip
    assert (search["settings"], search["fits"], search["failed_fits"]) == (2, 6, 0)
    assert search["best_score"] >= max(defaults, search["best_sampled"]["mean"])
    assert search["best_sampled"]["setting"] in (1, 2)
    assert (search["best_setting"] == 0) == (search["best_score"] == defaults)
    assert tuned >= search["best_score"] >= defaults
    assert set(report["default_params"]) == {key.removeprefix("mlp__") for key in QUICK_SPACE}
    assert report["default_params"]["hidden_layer_sizes"] == [128, 128, 128]
    assert report["saved"] in ("defaults", "best setting", "ensemble")
    if ensemble is not None:
        assert sum(ensemble["weights"]) == pytest.approx(1)
        assert len(ensemble["settings"]) == len(ensemble["weights"]) == len(ensemble["members"])
        assert ensemble["score"]["mean"] >= search["best_score"] - 1e-12
        assert ensemble["saved"] == (report["saved"] == "ensemble")
    if report["saved"] == "ensemble":
        assert tuned == ensemble["score"]["mean"] > search["best_score"]
        assert len(ensemble["settings"]) > 1
        assert "an ensemble of" in result.stdout
    else:
        assert tuned == search["best_score"]
        assert report["saved"] == ("defaults" if search["best_setting"] == 0 else "best setting")

    # The printed settings are the report's.
    printed = printed_settings(result.stdout)
    if report["saved"] == "ensemble":
        assert printed["weight"] == [f"{w:.2f}" for w in ensemble["weights"]]
        columns = ensemble["members"]
    elif report["saved"] == "best setting":
        columns = [report["best_params"], report["default_params"]]
    else:
        columns = [report["default_params"]]
        assert report["best_params"] == report["default_params"]
    for key in report["default_params"]:
        assert printed[key] == [settings_text(column[key]) for column in columns], key
    assert all(isinstance(size, int) for size in report["best_params"]["hidden_layer_sizes"])

    # 200 rows are too few to hold out a validation part (early_stopping="auto").
    assert report["refit"]["rows"] == 200 and report["refit"]["best_epoch"] is None
    assert all(1 <= epochs <= 64 for epochs in report["refit"]["epochs"])
    assert report["model"] == "model.joblib" and (tmp_path / "model.joblib").exists()
    seconds = report["seconds"]
    assert seconds["search"] > 0 and seconds["baselines"] > 0
    assert set(seconds) == {"search", "baselines", "ensemble", "refit", "total"}
    assert seconds["total"] >= seconds["search"] + seconds["baselines"] - 0.1  # rounded
    assert f" in {seconds['total']:.0f} s." in result.stdout


def settings_text(value):
    """A setting as the settings table prints it."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(tuple(value)) if isinstance(value, list) else str(value)


def printed_settings(stdout):
    """The printed settings table: parameter -> the values in its columns."""
    block = re.search(r"^(Best settings|Settings of the ensemble).*:\n((?:  .*\n)+)", stdout, re.M)
    rows = re.findall(r"^  (\w+) +(.+)$", block[2], flags=re.M)
    return {name: re.split(r"\s{2,}", values.strip()) for name, values in rows}


@pytest.mark.parametrize(
    "report, expected",
    [
        ("no/report.json", "cannot write the report to no/report.json: the folder"),
        (".", "--report . is a folder; give a file name such as report.json"),
        ("model.joblib", "--report model.joblib is the --output file; give another file name"),
        ("t.csv", "--report t.csv is the data file; give another file name"),
    ],
)
def test_tune_refuses_a_report_it_cannot_write_before_searching(report, expected, tmp_path):
    (tmp_path / "t.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    result = run_cli("tune", "t.csv", "--target", "y", "--report", report, cwd=tmp_path)
    assert_one_line_error(result, expected)
    assert not (tmp_path / "model.joblib").exists()
    assert (tmp_path / "t.csv").read_text().startswith("a,y\n")


def test_tune_progress_in_a_log_is_periodic(leaky_csv, tmp_path, monkeypatch):
    # With no interval, every fit prints its line, and each phase ends with one more.
    monkeypatch.setattr(skdeep._cli_tune, "PROGRESS_INTERVAL", 0)
    args = build_parser().parse_args(
        ["tune", str(leaky_csv), "--target", "target", "--output", str(tmp_path / "m.joblib"),
         *map(str, QUICK)]
    )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()  # not terminals
    run_tune(args, out=out, err=err)
    # The search fits the defaults and 2 settings on 2 folds.
    assert progress_lines(err.getvalue()) == [("search", i, 6) for i in (1, 2, 3, 4, 5, 6, 6)] + [
        ("baselines", i, 8) for i in (1, 2, 3, 4, 5, 6, 7, 8, 8)
    ]
    assert not progress_lines(out.getvalue())


def test_tune_progress_on_a_terminal_is_one_updating_line():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = skdeep._cli_tune._ProgressScorer(lambda *args: 1.0, 2, stream, "search")
    assert [progress(None, None, None) for _ in range(2)] == [1.0, 1.0]
    progress.finish()
    assert stream.getvalue() == (
        "\r  search: 1/2 fits (0 s)\r  search: 2/2 fits (0 s)\r  search: 2/2 fits (0 s)\n"
    )
    assert 0 <= progress.seconds < 1


def test_console_script_runs_main():
    # tomllib needs Python 3.11; the one line of interest is easy to find without it.
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    scripts = pyproject.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    target = re.search(r'^skdeep\s*=\s*"([\w.]+):(\w+)"', scripts, re.MULTILINE)
    assert getattr(importlib.import_module(target[1]), target[2]) is main


# ------------------------------------------------------------- the defaults and the ensemble


def test_tune_scores_the_defaults_on_the_same_folds_and_never_saves_less(tmp_path):
    frame = load_iris(as_frame=True).frame
    frame.to_csv(tmp_path / "iris.csv", index=False)
    args = build_parser().parse_args(
        ["tune", str(tmp_path / "iris.csv"), "--target", "target", "--n-iter", "1", "--cv", "2",
         "--max-iter", "2", "--n-jobs", "1", "--output", str(tmp_path / "m.joblib"),
         "--report", str(tmp_path / "r.json")]
    )  # fmt: skip
    out = io.StringIO()
    model = run_tune(args, out=out, err=io.StringIO())
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    # The defaults row: the estimator with its defaults (only the seed set) behind the same
    # column selection, cross-validated on the same folds with the same scorer.
    X, y = frame.drop(columns="target"), frame["target"].to_numpy()
    defaults = Pipeline(
        [("columns", column_selection(list(X.columns))),
         ("mlp", RegularizedMLPClassifier(random_state=0))]
    )  # fmt: skip
    with threadpool_limits(1, user_api="blas"):
        expected = cross_validate(
            defaults, X, y, cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="accuracy"
        )["test_score"]
    assert report["scores"]["skdeep defaults"]["folds"] == pytest.approx(expected, abs=1e-12)
    assert "  skdeep defaults " in out.getvalue()
    # With one sampled setting, the saved model still scores at least as well as the defaults.
    tuned = report["scores"]["skdeep, tuned (saved model)"]["mean"]
    assert tuned >= report["scores"]["skdeep defaults"]["mean"]
    if report["saved"] == "defaults":
        assert "The saved model is skdeep's defaults" in out.getvalue()
        assert model.named_steps["mlp"].get_params() == defaults[-1].get_params()
    assert model.predict(X.head(3)).shape == (3,)


def test_out_of_fold_recorder_keeps_what_cross_val_predict_gives():
    X, y = load_iris(return_X_y=True, as_frame=True)
    pipeline = Pipeline(
        [("columns", column_selection(list(X.columns))),
         ("mlp", RegularizedMLPClassifier(max_iter=3, random_state=0))]
    )  # fmt: skip
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    scorer = get_scorer("neg_log_loss")
    recorder = OutOfFoldRecorder(scorer, ["mlp__dropout"], len(X), "predict_proba")
    scores = cross_validate(pipeline, X, y, cv=cv, scoring=recorder)["test_score"]
    oof = recorder.predictions[recorder.key({"mlp__dropout": 0.15})]
    np.testing.assert_allclose(
        oof, cross_val_predict(pipeline, X, y, cv=cv, method="predict_proba"), rtol=1e-12
    )
    # Scored from the kept predictions, the folds score as the search scored them.
    folds = [rows for _, rows in cv.split(X, y)]
    np.testing.assert_allclose(fold_scores(scorer, oof, y, folds, np.arange(3)), scores)


def test_greedy_selection_adds_with_replacement_and_keeps_the_best_ensemble():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    candidates = [y + 1, y - 1, y + 3]  # biased; the first two cancel out
    steps = []

    def score(predictions):
        steps.append(predictions)
        return -float(np.mean((predictions - y) ** 2))

    counts, best = greedy_selection(candidates, score, n_steps=5)
    # Step 1 takes the best alone (the first of the tied two), step 2 the one that cancels
    # it; later steps cannot improve, and the best ensemble along the way is returned.
    np.testing.assert_array_equal(counts, [1, 1, 0])
    assert best == 0.0
    assert len(steps) == 5 * 3
    # A candidate can be added again: three times the same as one, twice as much as another.
    counts, best = greedy_selection([y + 2, y - 1], score, n_steps=3)
    np.testing.assert_array_equal(counts, [1, 2])
    assert best == 0.0
    with pytest.raises(ValueError, match="n_steps"):
        greedy_selection(candidates, score, n_steps=0)


def test_greedy_selection_of_class_probabilities_beats_the_best_alone():
    y = np.array(["no", "no", "yes", "yes"], dtype=object)
    classes = np.array(["no", "yes"], dtype=object)
    folds = [np.array([0, 1]), np.array([2, 3])]
    # Each candidate gets one row wrong, a different one; their average gets every row right.
    yes = [[0.4, 0.1, 0.9, 0.4], [0.1, 0.6, 0.6, 0.9], [0.6, 0.4, 0.6, 0.4]]
    proba = [np.column_stack([1 - np.array(p), p]) for p in yes]
    scorer = get_scorer("accuracy")
    np.testing.assert_array_equal(fold_scores(scorer, proba[0], y, folds, classes), [1.0, 0.5])
    np.testing.assert_array_equal(fold_scores(scorer, proba[1], y, folds, classes), [0.5, 1.0])

    def mean_score(averaged):
        return float(np.mean(fold_scores(scorer, averaged, y, folds, classes)))

    counts, best = greedy_selection(proba, mean_score, n_steps=10)
    np.testing.assert_array_equal(counts, [1, 1, 0])
    assert best == 1.0 > max(mean_score(p) for p in proba)
    # A scorer that fails on the predictions gives NaN, not an error.
    assert np.isnan(fold_scores(get_scorer("r2"), proba[0], y, folds, classes)).all()


@pytest.fixture(scope="module")
def iris_frame():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]


def tiny_pipeline(estimator, columns, **params):
    return Pipeline(
        [("columns", column_selection(columns)),
         ("mlp", estimator(max_iter=3, random_state=0, **params))]
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_saved_ensemble_averages_its_members_and_saves(kind, iris_frame, tmp_path):
    X, labels = iris_frame
    X = X.copy()
    columns = list(X.columns)
    if kind == "classifier":
        y, estimator, ensemble, method = labels, RegularizedMLPClassifier, EnsembleClassifier, (
            "predict_proba")  # fmt: skip
    else:
        y = X.pop("petal width (cm)").to_numpy()
        columns = list(X.columns)
        estimator, ensemble, method = RegularizedMLPRegressor, EnsembleRegressor, "predict"
    members = [tiny_pipeline(estimator, columns), tiny_pipeline(estimator, columns, dropout=0.0)]
    model = ensemble(members, weights=[3, 1]).fit(X, y)
    assert not hasattr(members[0], "classes_")  # fitted copies, not the given members
    assert model.n_features_in_ == X.shape[1]
    assert list(model.feature_names_in_) == list(X.columns)
    np.testing.assert_allclose(model.weights_, [0.75, 0.25])
    expected = sum(
        w * getattr(m, method)(X) for w, m in zip([0.75, 0.25], model.estimators_, strict=True)
    )
    np.testing.assert_allclose(getattr(model, method)(X), expected, rtol=1e-12)
    if kind == "classifier":
        assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
        np.testing.assert_array_equal(
            model.predict(X), model.classes_[np.argmax(model.predict_proba(X), axis=1)]
        )
        assert model.score(X, y) > 0.5
    # It pickles, and it saves with skops trusting skdeep's types only.
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(getattr(again, method)(X), getattr(model, method)(X))
    sio = pytest.importorskip("skops.io")
    model_path = str(tmp_path / "model.skops")
    save_model(model, model_path)
    assert set(sio.get_untrusted_types(file=model_path)) <= set(skdeep.skops_trusted_types())
    loaded = sio.load(model_path, trusted=skdeep.skops_trusted_types())
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))
    with pytest.raises(ValueError, match="non-negative"):
        ensemble(members, weights=[1.0, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="2 non-negative numbers"):
        ensemble(members, weights=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="not all be 0"):
        ensemble(members, weights=[0, 0]).fit(X, y)
