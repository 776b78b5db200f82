"""Training control: early stopping, schedules, history, partial_fit, weights, divergence."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._schedules import learning_rate_at


def _same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.coefs_, b.coefs_, strict=True))


# ----------------------------------------------------------------------------- early stopping


def test_restore_best_weights_gives_the_best_epochs_weights_exactly(digits_split):
    X_tr, X_val, y_tr, y_val = digits_split
    params = dict(hidden_layer_sizes=(64,), dropout=0.2, learning_rate_init=0.01, random_state=0)
    stopped = RegularizedMLPClassifier.like_sklearn(
        early_stopping=True, monitor="val_loss", patience=3, max_iter=100, **params
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    history = pd.DataFrame(stopped.history_)
    best = int(history["val_loss"].idxmin()) + 1
    assert stopped.best_epoch_ == best < stopped.n_iter_
    # Stopped after patience + 1 epochs without improvement.
    assert stopped.n_iter_ - best == 4
    # Retraining for exactly best_epoch_ epochs reproduces the restored weights bit for bit.
    replay = RegularizedMLPClassifier.like_sklearn(max_iter=best, **params).fit(X_tr, y_tr)
    assert _same_weights(stopped, replay)
    np.testing.assert_allclose(
        log_loss(y_val, stopped.predict_proba(X_val)), history["val_loss"].min(), rtol=1e-9
    )


def test_without_restore_the_last_epoch_is_kept(digits_split):
    X_tr, X_val, y_tr, y_val = digits_split
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.02, random_state=0)
    last = RegularizedMLPClassifier.like_sklearn(
        early_stopping=True, monitor="val_loss", patience=2, restore_best_weights=False,
        max_iter=100, **params,
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)  # fmt: skip
    assert last.n_iter_ < 100
    replay = RegularizedMLPClassifier.like_sklearn(max_iter=last.n_iter_, **params).fit(X_tr, y_tr)
    assert _same_weights(last, replay)


def test_patience_and_min_delta_mean_n_iter_no_change_and_tol(digits_split):
    X_tr, _, y_tr, _ = digits_split
    common = dict(early_stopping=True, max_iter=200, random_state=0)
    a = RegularizedMLPClassifier.like_sklearn(n_iter_no_change=4, tol=1e-3, **common).fit(
        X_tr, y_tr
    )
    b = RegularizedMLPClassifier.like_sklearn(patience=4, min_delta=1e-3, **common).fit(X_tr, y_tr)
    assert a.n_iter_ == b.n_iter_ < 200
    assert _same_weights(a, b)
    assert a.validation_scores_ == b.validation_scores_
    assert a.best_validation_score_ == max(a.validation_scores_)


def test_early_stopping_split_errors(iris_raw):
    X, y = iris_raw
    with pytest.raises(ValueError, match="The validation set is too small.*at least 2 valid"):
        RegularizedMLPRegressor.like_sklearn(early_stopping=True, validation_fraction=0.005).fit(
            X, y
        )
    y_rare = y.copy()
    y_rare[0] = 5  # a class with a single sample cannot be in both parts
    with pytest.raises(ValueError, match="too few to hold each of the 3 classes"):
        RegularizedMLPClassifier.like_sklearn(early_stopping=True, validation_fraction=0.012).fit(
            X, y
        )
    with pytest.raises(ValueError, match=r"1 member.*too few members are: \['5'\]"):
        RegularizedMLPClassifier.like_sklearn(early_stopping=True).fit(X, y_rare)
    # Binary targets: named as scikit-learn's MLP names them, with the classes they stand for.
    y_binary = np.array(["a"] * 50 + ["b"])
    with pytest.raises(ValueError, match=r"too few members are: \['True'\] \(True: class 'b'"):
        RegularizedMLPClassifier.like_sklearn(early_stopping=True).fit(X[:51], y_binary)
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        RegularizedMLPClassifier.like_sklearn().fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="`y_val` has classes not in `self.classes_`"):
        RegularizedMLPClassifier.like_sklearn().fit(X, y, X_val=X, y_val=y_rare)


def test_validation_split_is_stratified():
    X, y = make_classification(200, weights=[0.9, 0.1], random_state=0)
    clf = RegularizedMLPClassifier.like_sklearn(
        early_stopping=True, validation_fraction=0.2, max_iter=3
    )
    clf.fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.validation_scores_) == 3


def test_validation_data_through_a_pipeline_with_metadata_routing(digits_split):
    X_tr, X_val, y_tr, y_val = digits_split
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = RegularizedMLPClassifier.like_sklearn(max_iter=5, random_state=0)
        mlp.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        pipe.fit(X_tr * 100, y_tr, X_val=X_val * 100, y_val=y_val)
    fitted = pipe.named_steps["mlp"]
    # The validation set went through the scaler: its score matches the pipeline's.
    assert fitted.history_[-1]["val_score"] == pytest.approx(pipe.score(X_val * 100, y_val))


# -------------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    "schedule, params, expected",
    [
        ("constant", {}, [0.1] * 7),
        ("step", {"lr_decay": 0.5, "lr_step_size": 3}, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]),
        ("exponential", {"lr_decay": 0.9}, [0.1 * 0.9**e for e in range(7)]),
        (
            "cosine",
            {"warmup_epochs": 2},
            [0.05, 0.1] + [0.05 * (1 + math.cos(math.pi * e / 5)) for e in range(5)],
        ),
        ("invscaling", {"power_t": 0.5}, [0.1 / math.sqrt(1 + 150 * e) for e in range(7)]),
    ],
)
def test_schedule_learning_rates_per_epoch(schedule, params, expected, iris_raw):
    X, y = iris_raw
    clf = RegularizedMLPClassifier.like_sklearn(
        learning_rate=schedule, learning_rate_init=0.1, solver="sgd", max_iter=7,
        n_iter_no_change=100, random_state=0, **params,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_allclose([row["learning_rate"] for row in clf.history_], expected)


def test_default_decay_factors():
    assert learning_rate_at("step", 1.0, 10) == 0.5
    assert learning_rate_at("exponential", 1.0, 2) == pytest.approx(0.95**2)


def test_adaptive_divides_by_five_on_plateau(iris_raw):
    X, y = iris_raw
    clf = RegularizedMLPClassifier.like_sklearn(
        learning_rate="adaptive", learning_rate_init=0.1, solver="adam", tol=10.0,
        n_iter_no_change=2, max_iter=10, random_state=0,
    ).fit(X, y)  # fmt: skip
    # With tol=10 only the first epoch counts as progress (on -inf); then every
    # n_iter_no_change + 1 = 3 epochs without progress divide the rate by 5.
    lrs = [row["learning_rate"] for row in clf.history_]
    np.testing.assert_allclose(lrs, [0.1] * 4 + [0.02] * 3 + [0.004] * 3)


# ----------------------------------------------------------------------- history, progress


def test_history_and_progress_output(capsys, digits_split):
    X_tr, X_val, y_tr, y_val = digits_split
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=4, verbose=1, random_state=0)
    clf.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    history = pd.DataFrame(clf.history_)
    assert list(history.columns) == [
        "epoch", "loss", "val_loss", "val_score", "learning_rate", "seconds",
    ]  # fmt: skip
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["loss"].tolist() == clf.loss_curve_
    assert (history["seconds"] > 0).all()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    # scikit-learn's words first, then the validation records it lacks.
    assert lines[0].startswith("Iteration 1, loss = ") and "val_score = " in lines[0]
    silent = RegularizedMLPClassifier.like_sklearn(max_iter=2).fit(X_tr, y_tr)
    assert capsys.readouterr().out == ""
    assert list(pd.DataFrame(silent.history_).columns) == [
        "epoch", "loss", "learning_rate", "seconds",
    ]  # fmt: skip


# ------------------------------------------------------------------- partial_fit, warm start


@pytest.mark.parametrize("Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_partial_fit_many_epochs_equals_fit(Estimator, iris_raw):
    X, y = iris_raw
    params = dict(dropout=0.1, batch_normalization=True, batch_size=32, random_state=0)
    fitted = Estimator.like_sklearn(max_iter=6, n_iter_no_change=100, **params).fit(X, y)
    incremental = Estimator.like_sklearn(**params)
    for _ in range(6):
        kwargs = {"classes": np.unique(y)} if Estimator is RegularizedMLPClassifier else {}
        incremental.partial_fit(X, y, **kwargs)
    assert _same_weights(fitted, incremental)
    assert fitted.loss_curve_ == incremental.loss_curve_
    for a, b in zip(
        fitted.batch_norm_running_var_, incremental.batch_norm_running_var_, strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_refuses_early_stopping(iris_raw):
    X, y = iris_raw
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        RegularizedMLPClassifier.like_sklearn(early_stopping=True).partial_fit(
            X, y, classes=[0, 1, 2]
        )


def test_warm_start_fit_restarts_the_schedule(iris_raw):
    X, y = iris_raw
    clf = RegularizedMLPClassifier.like_sklearn(
        learning_rate="cosine", learning_rate_init=0.1, max_iter=4, warm_start=True,
        n_iter_no_change=100, random_state=0,
    )  # fmt: skip
    clf.fit(X, y).fit(X, y)
    lrs = [row["learning_rate"] for row in clf.history_]
    assert lrs[:4] == lrs[4:] and lrs[0] == 0.1
    assert [row["epoch"] for row in clf.history_] == list(range(1, 9))
    assert clf.n_iter_ == 4 and clf.loss_ == clf.loss_curve_[-1]


def test_partial_fit_rejects_unknown_classes(iris_raw):
    X, y = iris_raw
    clf = RegularizedMLPClassifier.like_sklearn().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y)


# ------------------------------------------------------------------- sample and class weights


@pytest.mark.parametrize("Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_integer_weights_equal_repeated_rows(Estimator, iris_raw):
    X, y = iris_raw
    rng = np.random.RandomState(0)
    w = rng.randint(0, 4, size=len(y))
    params = dict(hidden_layer_sizes=(10,), batch_size=1000, shuffle=False, max_iter=20)
    weighted = Estimator.like_sklearn(random_state=0, **params).fit(X, y, sample_weight=w)
    repeated = Estimator.like_sklearn(random_state=0, **params).fit(
        X.repeat(w, axis=0), y.repeat(w)
    )
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)


def test_sample_weight_weights_the_validation_metric(digits_split):
    X_tr, X_val, y_tr, y_val = digits_split
    w_val = (y_val == 3) * 1.0 + 1e-12
    clf = RegularizedMLPClassifier.like_sklearn(max_iter=3, random_state=0)
    clf.fit(X_tr, y_tr, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    mask = y_val == 3
    # Essentially all the weight sits on class 3, so the score is the accuracy on it.
    expected = (clf.predict(X_val[mask]) == 3).mean()
    assert clf.history_[-1]["val_score"] == pytest.approx(expected, abs=1e-9)


def test_class_weight_balanced_improves_minority_recall():
    X, y = make_classification(
        2000, n_features=10, weights=[0.95, 0.05], class_sep=0.6, flip_y=0, random_state=0
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, random_state=0)
    params = dict(hidden_layer_sizes=(32,), max_iter=50, random_state=0)
    plain = RegularizedMLPClassifier.like_sklearn(**params).fit(X_tr, y_tr)
    balanced = RegularizedMLPClassifier.like_sklearn(class_weight="balanced", **params).fit(
        X_tr, y_tr
    )
    plain_recall = recall_score(y_te, plain.predict(X_te))
    balanced_recall = recall_score(y_te, balanced.predict(X_te))
    assert balanced_recall > plain_recall + 0.1


# --------------------------------------------------------------------- divergence, clipping


def test_clip_norm_bounds_each_step(iris_raw):
    X, y = iris_raw
    params = dict(solver="sgd", momentum=0.0, penalty=None, batch_size=150, random_state=0)
    lr, clip = 0.5, 0.01
    clf = RegularizedMLPClassifier.like_sklearn(
        max_iter=1, learning_rate_init=lr, clip_norm=clip, warm_start=True, **params
    ).fit(X, y)
    before = np.concatenate([c.ravel() for c in clf.coefs_ + clf.intercepts_])
    clf.fit(X, y)
    after = np.concatenate([c.ravel() for c in clf.coefs_ + clf.intercepts_])
    step = np.linalg.norm(after - before)
    assert step == pytest.approx(lr * clip, rel=1e-6)  # the raw gradient is far larger


def test_divergence_rolls_back_optimizer_state_and_warns_once(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    reg = RegularizedMLPRegressor.like_sklearn(
        solver="sgd", learning_rate_init=1e6, random_state=0
    )
    for _ in range(5):  # the first epoch explodes but stays finite; a later one overflows
        before = [c.copy() for c in reg.coefs_] if hasattr(reg, "coefs_") else None
        velocity = reg._training.kernel.state1.copy() if before else None
        n_epochs = len(getattr(reg, "loss_curve_", []))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reg.partial_fit(X, y)
        if caught:
            break
    assert [str(w.message)[:17] for w in caught] == ["Training diverged"]
    assert all(np.array_equal(a, b) for a, b in zip(before, reg.coefs_, strict=True))
    np.testing.assert_array_equal(reg._training.kernel.state1, velocity)
    assert len(reg.loss_curve_) == n_epochs and np.isfinite(reg.loss_curve_).all()


def test_partial_fit_tracks_best_loss(iris_raw):
    X, y = iris_raw
    clf = RegularizedMLPClassifier.like_sklearn(random_state=0)
    for _ in range(5):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.best_epoch_ == int(np.argmin(clf.loss_curve_)) + 1


@pytest.mark.parametrize("batch_size, width, single", [(32, 128, True), (256, 256, False)])
def test_small_products_train_with_one_blas_thread(monkeypatch, batch_size, width, single):
    from threadpoolctl import threadpool_info

    import skdeep._training as training

    seen = []
    real = training.train_epochs

    def recording(*args, **kwargs):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_epochs", recording)
    X, y = make_classification(300, 10, random_state=0)
    before = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(width,), batch_size=batch_size, max_iter=1
    ).fit(X, y)
    assert seen == [{1} if single else before]
    assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == before


def test_fits_in_other_threads_leave_the_blas_threads_alone(monkeypatch):
    # The BLAS thread count is process-wide: threads limiting and restoring it concurrently
    # would race, so only the main thread sets it.
    import threading

    from threadpoolctl import threadpool_info

    import skdeep._training as training

    seen = []
    real = training.train_epochs

    def recording(*args, **kwargs):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_epochs", recording)
    X, y = make_classification(300, 10, random_state=0)
    before = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    worker = threading.Thread(
        target=RegularizedMLPClassifier.like_sklearn(
            hidden_layer_sizes=(16,), batch_size=32, max_iter=1
        ).fit,
        args=(X, y),
    )
    worker.start()
    worker.join()
    assert seen == [before]


def _sgd_epochs(lr, lr_factors=None, n_epochs=1):
    """Epochs of plain SGD (one full batch each) on a small regression, through the training
    layer with the given learning-rate factors per parameter group; returns (before, after)
    views of the fitted attributes."""
    import dataclasses

    from skdeep._network import NetworkLayout
    from skdeep._training import TrainingState, train

    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    Y = (X[:, :1] - X[:, 1:2] ** 2).copy()
    sw = np.ones(50)
    est = RegularizedMLPRegressor.like_sklearn(
        hidden_layer_sizes=(6,), solver="sgd", momentum=0.0, alpha=0.0, batch_size=50,
        learning_rate_init=lr, random_state=0,
    )  # fmt: skip
    layout = NetworkLayout([4, 6, 1], False)
    theta, bn_state = layout.initialize("he_uniform", "relu", np.float64, rng)
    before = layout.unpack(theta.copy(), bn_state)
    state = TrainingState()
    state.set_parameters(theta, bn_state, continue_optimizer=False, seed=lambda: 7)
    config = dataclasses.replace(est._training_config(layout, 50, False), lr_factors=lr_factors)
    for _ in range(n_epochs):
        train(state, layout, X, Y, sw, config, validation=None, incremental=True)
    return before, layout.unpack(state.kernel.theta, state.kernel.bn_state)


def test_a_group_learning_rate_factor_of_zero_freezes_the_group_exactly():
    before, after = _sgd_epochs(0.1, {"biases": 0.0}, n_epochs=5)
    for b0, b1 in zip(before["intercepts_"], after["intercepts_"], strict=True):
        np.testing.assert_array_equal(b1, b0)
    assert not np.array_equal(before["coefs_"][0], after["coefs_"][0])


def test_a_group_learning_rate_factor_of_two_doubles_that_groups_step_under_sgd():
    _, factor_two = _sgd_epochs(0.1, {"biases": 2.0})
    _, doubled = _sgd_epochs(0.2)
    _, plain = _sgd_epochs(0.1)
    for name in ("intercepts_", "coefs_"):
        for a, b, c in zip(factor_two[name], doubled[name], plain[name], strict=True):
            # After one step from the same point, the biases moved as with twice the rate,
            # and the weights as with the plain rate, bit for bit.
            np.testing.assert_array_equal(a, b if name == "intercepts_" else c)
    assert not np.array_equal(factor_two["intercepts_"][0], plain["intercepts_"][0])


def test_unknown_parameter_group_is_a_clear_error():
    from skdeep._network import NetworkLayout

    with pytest.raises(ValueError, match="Unknown parameter groups \\['bias'\\]"):
        NetworkLayout([3, 2, 1], False).optimizer_vectors(np.float64, {"bias": 0.5})
