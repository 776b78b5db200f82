"""skdeep.inspection: TrainingHistoryDisplay draws the history it is given."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep.inspection import TrainingHistoryDisplay

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the headless backend)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _params(**extra):
    return dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0, **extra)


def test_draws_loss_validation_curves_and_best_epoch(cancer_split):
    X_train, X_val, y_train, y_val = cancer_split
    clf = RegularizedMLPClassifier.like_sklearn(
        **_params(early_stopping=True, monitor="val_loss", patience=2, max_iter=60)
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.best_epoch_ < clf.n_iter_  # early stopping ended training after the best epoch

    display = TrainingHistoryDisplay.from_estimator(clf, name="net")

    epochs = np.arange(1, clf.n_iter_ + 1)
    np.testing.assert_array_equal(display.line_.get_xdata(), epochs)
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(
        display.val_loss_line_.get_ydata(), [row["val_loss"] for row in clf.history_]
    )
    np.testing.assert_array_equal(display.val_score_line_.get_ydata(), clf.validation_scores_)
    assert list(display.best_epoch_line_.get_xdata()) == [clf.best_epoch_] * 2
    # Losses share the left axis; the score has its own axis on the right.
    assert display.line_.axes is display.ax_ is display.val_loss_line_.axes
    assert display.val_score_line_.axes is display.score_ax_ is not display.ax_
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"
    assert display.score_ax_.get_ylabel() == "validation accuracy"
    assert display.ax_.get_title() == "net"
    legend = display.score_ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "training loss",
        "validation loss",
        "validation accuracy",
        f"best epoch ({clf.best_epoch_})",
    ]


def test_without_validation_data_only_the_training_loss(cancer_split):
    X_train, _, y_train, _ = cancer_split
    clf = RegularizedMLPClassifier.like_sklearn(**_params(max_iter=5)).fit(X_train, y_train)
    display = TrainingHistoryDisplay.from_estimator(clf)
    assert display.val_loss_line_ is None
    assert display.val_score_line_ is None
    assert display.score_ax_ is None
    assert len(display.ax_.get_lines()) == 2  # the loss and the best-epoch marker
    # Without validation data best_epoch_ is the epoch of the lowest training loss.
    assert clf.best_epoch_ == int(np.argmin(clf.loss_curve_)) + 1
    assert display.best_epoch_line_.get_xdata()[0] == clf.best_epoch_
    assert display.ax_.get_title() == ""


def test_draws_on_the_given_axes_and_passes_line_options(cancer_split):
    X_train, X_val, y_train, y_val = cancer_split
    clf = RegularizedMLPClassifier.like_sklearn(**_params(max_iter=4)).fit(
        X_train, y_train, X_val=X_val, y_val=y_val
    )
    fig, (left, right) = plt.subplots(1, 2)
    display = TrainingHistoryDisplay.from_estimator(
        clf, ax=right, color="black", linewidth=3, show_val_score=False, show_best_epoch=False
    )
    assert display.ax_ is right and display.figure_ is fig
    assert display.line_.get_color() == "black" and display.line_.get_linewidth() == 3
    assert display.val_loss_line_ is not None
    assert display.val_score_line_ is None and display.best_epoch_line_ is None
    assert left.get_lines() == []


def test_pipeline_regressor_and_warm_start_epochs(diabetes):
    X, y = diabetes
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        RegularizedMLPRegressor.like_sklearn(**_params(max_iter=3, warm_start=True)),
    )
    pipe.fit(X_train, y_train)  # epochs 1-3 without validation data
    X_val_scaled = pipe[0].transform(X_val)
    pipe[-1].fit(pipe[0].transform(X_train), y_train, X_val=X_val_scaled, y_val=y_val)

    display = TrainingHistoryDisplay.from_estimator(pipe)

    np.testing.assert_array_equal(display.line_.get_xdata(), [1, 2, 3, 4, 5, 6])
    scores = display.val_score_line_.get_ydata()
    assert np.isnan(scores[:3]).all() and np.isfinite(scores[3:]).all()
    assert display.score_ax_.get_ylabel() == "validation R²"


def test_scikit_learn_mlp(cancer_split):
    X_train, _, y_train, _ = cancer_split
    mlp = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, random_state=0)
    mlp.fit(X_train, y_train)
    display = TrainingHistoryDisplay.from_estimator(mlp)
    np.testing.assert_array_equal(display.line_.get_ydata(), mlp.loss_curve_)
    np.testing.assert_array_equal(display.val_score_line_.get_ydata(), mlp.validation_scores_)
    assert display.val_loss_line_ is None and display.best_epoch_line_ is None


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(RegularizedMLPClassifier.like_sklearn())


def test_direct_construction_and_plot():
    display = TrainingHistoryDisplay(
        epoch=[1, 2, 3], loss=[1.0, 0.5, 0.25], val_score=[0.5, 0.7, 0.6], best_epoch=2
    ).plot(name="given")
    np.testing.assert_array_equal(display.val_score_line_.get_ydata(), [0.5, 0.7, 0.6])
    assert display.val_loss_line_ is None
    assert display.score_ax_.get_ylabel() == "validation score"
    assert display.ax_.get_title() == "given"


def test_missing_matplotlib_gives_an_install_hint(monkeypatch, cancer_split):
    X_train, _, y_train, _ = cancer_split
    clf = RegularizedMLPClassifier.like_sklearn(**_params(max_iter=2)).fit(X_train, y_train)
    # A None entry in sys.modules makes the import fail, as if matplotlib were not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skdeep\[plot\]"'):
        TrainingHistoryDisplay.from_estimator(clf)
    with pytest.raises(ImportError, match="matplotlib"):
        TrainingHistoryDisplay(epoch=[1], loss=[1.0]).plot()


def test_a_lower_is_better_score_is_labelled_negated(diabetes):
    X, y = diabetes
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    reg = RegularizedMLPRegressor(loss="quantile", quantile=0.9, **_params(max_iter=3))
    reg.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    display = TrainingHistoryDisplay.from_estimator(reg)
    assert display.score_ax_.get_ylabel() == "validation pinball loss, negated"
    assert (display.val_score_line_.get_ydata() < 0).all()
