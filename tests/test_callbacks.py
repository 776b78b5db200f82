"""scikit-learn's callback API (sklearn.callback): one task per epoch, alone and nested."""

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep.model_selection import CoarseToFineSearchCV

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9: no callbacks")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


class TaskRecorder:
    """A callback that records every task it is told about (begin and end, in order)."""

    max_propagation_depth = None  # auto-propagated to every nested estimator

    def __init__(self, stop_after=None, predict_on=None):
        self.events = []
        self.empty_ends = 0
        self.stop_after = stop_after
        self.predict_on = predict_on
        self.predictions = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.estimator_name, context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.estimator_name, context.task_name))
        if context.task_name in ("epoch", "iteration"):
            if fitted_estimator is None:  # a task that ended without a model
                self.empty_ends += 1
                return False
            if self.predict_on is not None:
                self.predictions.append(fitted_estimator.predict(self.predict_on))
            n_epochs = sum(e[0] == "end" and e[2] == context.task_name for e in self.events)
            return self.stop_after is not None and n_epochs >= self.stop_after
        return False

    def ends(self, task_name):
        return sum(e[0] == "end" and e[-1] == task_name for e in self.events)


def test_one_task_per_epoch_and_a_model_after_each(cancer):
    X, y = cancer
    recorder = TaskRecorder(predict_on=X)
    clf = RegularizedMLPClassifier(max_iter=12, early_stopping=False, random_state=0)
    assert clf.set_callbacks(recorder) is clf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert recorder.events[0] == ("setup", "RegularizedMLPClassifier")
    assert recorder.events[1] == ("begin", "RegularizedMLPClassifier", "fit")
    assert recorder.events[-2] == ("end", "RegularizedMLPClassifier", "fit")
    assert recorder.events[-1] == ("teardown", "RegularizedMLPClassifier")
    assert recorder.ends("epoch") == clf.n_iter_ == 12
    # Each epoch's fitted_estimator predicts with the weights of that epoch: the last one
    # is the final model, and the first differs from it.
    np.testing.assert_array_equal(recorder.predictions[-1], clf.predict(X))
    assert len(recorder.predictions) == 12
    assert (recorder.predictions[0] != recorder.predictions[-1]).any()


def test_a_callback_can_stop_training_without_a_convergence_warning(cancer):
    X, y = cancer
    clf = RegularizedMLPClassifier(max_iter=50, early_stopping=False, random_state=0)
    clf.set_callbacks(TaskRecorder(stop_after=4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 4
    assert len(clf.loss_curve_) == 4


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_independent_members_are_subtasks_of_the_ensemble(n_jobs):
    """Each member is a subtask of the ensemble's fit, and the member's own fit task, with
    its epochs, is merged into it; in threads too."""
    X, y = load_diabetes(return_X_y=True)
    recorder = TaskRecorder()
    reg = RegularizedMLPRegressor(n_ensembles=3, max_iter=4, n_jobs=n_jobs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.set_callbacks(recorder).fit(X, y)
    assert recorder.events[1] == ("begin", "RegularizedMLPRegressor", "fit")
    assert recorder.events[-2] == ("end", "RegularizedMLPRegressor", "fit")
    # A member's subtask and its own fit are one task (scikit-learn merges them), which a
    # propagated callback sees as the member's fit.
    assert recorder.ends("fit") == 1 + 3
    assert recorder.ends("epoch") == reg.n_iter_.sum() == 12
    # Set up and torn down once, by the ensemble (the members get it propagated).
    assert recorder.events.count(("setup", "RegularizedMLPRegressor")) == 1
    assert recorder.events.count(("teardown", "RegularizedMLPRegressor")) == 1
    # The ensemble's callbacks do not stay on its members after the fit.
    assert all(not getattr(m, "_skl_callbacks", None) for m in reg.estimators_)


def test_scoring_monitor_scores_the_ensemble_and_each_members_epochs():
    X, y = load_diabetes(return_X_y=True)
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = RegularizedMLPRegressor(n_ensembles=2, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs().data_as_pandas
    assert (log.task_name == "epoch").sum() == 2 * 3
    fits = log[log.task_name == "fit"]
    # The ensemble's fit (scored on the fit's data) and each member's (on its own rows).
    ensemble = fits[fits.estimator_name == "RegularizedMLPRegressor"].iloc[0]
    assert ensemble.r2 == pytest.approx(reg.score(X, y))
    assert len(fits) == 1 + 2


@pytest.mark.parametrize("stop_after", [None, 3])
@pytest.mark.parametrize("batch_normalization", [False, True])
def test_lbfgs_iterations_are_tasks(cancer, stop_after, batch_normalization):
    X, y = cancer
    recorder = TaskRecorder(stop_after=stop_after, predict_on=X)
    clf = RegularizedMLPClassifier(
        solver="lbfgs", max_iter=8, batch_normalization=batch_normalization, random_state=0
    )
    with warnings.catch_warnings():
        # Stopped by the callback, L-BFGS has not failed to converge: no warning then.
        warnings.simplefilter("ignore" if stop_after is None else "error", ConvergenceWarning)
        clf.set_callbacks(recorder).fit(X, y)
    # Each iteration's model is the network of that iteration (with batch normalization,
    # with the running statistics of those weights): the last one is the final model.
    np.testing.assert_array_equal(recorder.predictions[-1], clf.predict(X))
    assert clf.n_iter_ == (8 if stop_after is None else 3)
    # One iteration more begins than runs (scipy reports an iteration once it has run, so
    # the next begins then); it ends as an empty task.
    begun = sum(e[0] == "begin" and e[2] == "iteration" for e in recorder.events)
    assert recorder.ends("iteration") == begun
    assert begun == clf.n_iter_ + (stop_after is None)


def test_partial_fit_is_a_task_of_one_epoch(cancer):
    X, y = cancer
    recorder = TaskRecorder()
    clf = RegularizedMLPClassifier(random_state=0).set_callbacks(recorder)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    assert recorder.ends("epoch") == 3
    assert recorder.ends("fit") == 3


def test_scoring_monitor_scores_every_epoch(cancer):
    X, y = cancer
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = RegularizedMLPClassifier(max_iter=10, early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs().data_as_pandas
    epochs = log[log.task_name == "epoch"]
    assert list(epochs.task_id) == list(range(10))
    # The scores are those of the network after each epoch: the last is the final model's.
    assert epochs.accuracy.iloc[-1] == pytest.approx(clf.score(X, y))
    assert epochs.accuracy.iloc[0] < epochs.accuracy.iloc[-1]


def test_scoring_monitor_on_a_regressor_with_sample_weight():
    X, y = load_diabetes(return_X_y=True)
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = RegularizedMLPRegressor(max_iter=6, early_stopping=False, random_state=0)
    sw = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.set_callbacks(monitor).fit(X, y, sample_weight=sw)
    epochs = monitor.get_logs().data_as_pandas.query("task_name == 'epoch'")
    assert len(epochs) == 6
    # The monitor passes the fit's sample weights on to its scorer.
    assert epochs.r2.iloc[-1] == pytest.approx(reg.score(X, y, sample_weight=sw))


def test_progress_bar_alone_and_in_a_pipeline(cancer, capsys):
    pytest.importorskip("rich")
    X, y = cancer
    clf = RegularizedMLPClassifier(max_iter=5, early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(callback.ProgressBar()).fit(X, y)
        out = capsys.readouterr().out
        assert "RegularizedMLPClassifier - fit" in out and "100%" in out
        pipe = make_pipeline(StandardScaler(), RegularizedMLPClassifier(max_iter=5))
        pipe.set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "fit-final-estimator | RegularizedMLPClassifier - fit" in out


def test_propagated_through_pipeline_and_grid_search(cancer):
    X, y = cancer
    recorder = TaskRecorder()
    pipe = make_pipeline(StandardScaler(), RegularizedMLPClassifier(max_iter=3, random_state=0))
    search = GridSearchCV(pipe, {"regularizedmlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.set_callbacks(recorder).fit(X, y)
    # 2 candidates x 2 folds + the refit, each 3 epochs (with max_iter=3, the validation
    # part that early_stopping="auto" holds out cannot stop a fit before its last epoch).
    assert recorder.ends("epoch") == 5 * 3
    fits = [e for e in recorder.events if e[:2] == ("end", "RegularizedMLPClassifier")]
    assert sum(e[2] == "fit" for e in fits) == 5
    # Set up and torn down once, by the outermost estimator.
    assert [e for e in recorder.events if e[0] in ("setup", "teardown")] == [
        ("setup", "GridSearchCV"),
        ("teardown", "GridSearchCV"),
    ]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_coarse_to_fine_search_rounds_are_tasks(cancer, n_jobs):
    X, y = cancer
    recorder = TaskRecorder()
    search = CoarseToFineSearchCV(
        RegularizedMLPClassifier(max_iter=2, random_state=0),
        {"alpha": loguniform(1e-5, 1)},
        n_iter=6,
        n_rounds=2,
        cv=2,
        random_state=0,
    )
    monitor = callback.ScoringMonitor(scoring="accuracy")
    # ScoringMonitor is not propagated: it goes on the network, which the search clones
    # with its callbacks (and, with n_jobs=2, pickles to the worker processes).
    search.set_params(estimator=search.estimator.set_callbacks(monitor), n_jobs=n_jobs)
    if n_jobs == 1:
        search.set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    log = monitor.get_logs().data_as_pandas
    assert (log.task_name == "epoch").sum() == (6 * 2 + 1) * 2  # fits x epochs, refit too
    if n_jobs == 1:
        assert recorder.ends("round") == 2
        # Each fold's fit is the network's own fit task, merged into the search's tree.
        assert recorder.events.count(("end", "RegularizedMLPClassifier", "fit")) == 13
        assert recorder.ends("epoch") == 13 * 2


def test_without_sklearn_callback_the_estimators_fit_as_before():
    # A scikit-learn without the callback module (< 1.9), in a fresh interpreter.
    code = textwrap.dedent(
        """
        import sys
        # scikit-learn's own modules load first (this one has callbacks); then any new
        # `from sklearn.callback import ...` fails, as it does before 1.9.
        import sklearn.linear_model, sklearn.model_selection, sklearn.pipeline
        sys.modules["sklearn.callback"] = None
        import warnings
        from sklearn.datasets import load_iris
        from skdeep import RegularizedMLPClassifier
        from skdeep._callbacks import HAS_CALLBACKS
        X, y = load_iris(return_X_y=True)
        clf = RegularizedMLPClassifier(max_iter=5, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y)
        print(HAS_CALLBACKS, hasattr(clf, "set_callbacks"), clf.n_iter_)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "5"]


def test_callbacks_must_follow_the_protocol():
    with pytest.raises(TypeError, match="FitCallback protocol"):
        RegularizedMLPClassifier().set_callbacks(object())


def test_a_callback_stop_keeps_the_best_epoch_of_early_stopping(cancer):
    X, y = cancer
    recorder = TaskRecorder(stop_after=6)
    # A constant learning rate (like_sklearn): the first epochs do not depend on max_iter.
    clf = RegularizedMLPClassifier.like_sklearn(
        max_iter=50, early_stopping=True, n_iter_no_change=50, learning_rate_init=0.01,
        random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop, not max_iter
        clf.set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 6
    best = int(np.argmax([row["val_score"] for row in clf.history_]))
    assert clf.best_epoch_ == best + 1
    # The kept weights are those of the best epoch, as when early stopping ends a fit.
    assert clf.best_epoch_ < 6  # else the test would show nothing
    again = clone(clf).set_callbacks()
    again.set_params(max_iter=clf.best_epoch_, restore_best_weights=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.fit(X, y)
    np.testing.assert_array_equal(again.coefs_[0], clf.coefs_[0])


def test_a_diverging_epoch_ends_as_an_empty_task():
    X = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(10, 2))
    y = np.random.RandomState(1).normal(size=10)
    reg = RegularizedMLPRegressor.like_sklearn(max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X / np.finfo(np.float64).max, y)
        recorder = TaskRecorder(predict_on=X)
        reg.set_callbacks(recorder).partial_fit(X, y)  # overflows: the epoch is thrown away
    assert recorder.empty_ends == 1 and recorder.predictions == []
    assert recorder.events[1:-1] == [
        ("begin", "RegularizedMLPRegressor", "fit"),
        ("begin", "RegularizedMLPRegressor", "epoch"),
        ("end", "RegularizedMLPRegressor", "epoch"),
        ("end", "RegularizedMLPRegressor", "fit"),
    ]


class Failing(TaskRecorder):
    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        super().on_fit_task_end(estimator, context, fitted_estimator=fitted_estimator)
        if context.task_name == "epoch":
            raise RuntimeError("a callback failed")
        return False


def test_a_failing_callback_stops_the_fit_and_is_still_torn_down(cancer):
    X, y = cancer
    failing = Failing()
    clf = RegularizedMLPClassifier(max_iter=5, random_state=0).set_callbacks(failing)
    with pytest.raises(RuntimeError, match="a callback failed"):
        clf.fit(X, y)
    assert failing.events[-1] == ("teardown", "RegularizedMLPClassifier")
    assert not hasattr(clf, "_callback_fit_ctx")


def test_callbacks_survive_clone_and_pickle(cancer):
    X, y = cancer
    recorder = TaskRecorder()
    clf = RegularizedMLPClassifier(max_iter=2, random_state=0).set_callbacks(recorder)
    assert clone(clf)._skl_callbacks == [recorder]  # scikit-learn's clone keeps them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        restored = pickle.loads(pickle.dumps(clf))
        np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
        restored.fit(X, y)  # the unpickled callback's copy records the refit
    assert restored._skl_callbacks[0].ends("epoch") == 2 + 2
    assert recorder.ends("epoch") == 2
