"""Ensemble members (``n_ensembles > 1``): independent and snapshot members, their averaged
predictions, the members' spread (``return_std``) and the errors of settings that cannot
work."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score

import skdeep._mlp
from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._members import _folds, snapshot_epochs

SMALL = dict(hidden_layer_sizes=(16,), max_iter=8, random_state=0)


@pytest.fixture(scope="module")
def independent_regressor(diabetes):
    X, y = diabetes
    return RegularizedMLPRegressor(n_ensembles=3, **SMALL).fit(X, y)


def test_independent_members_average_their_predictions(independent_regressor, diabetes):
    X, _ = diabetes
    model = independent_regressor
    assert len(model.estimators_) == 3
    assert all(m.n_ensembles == 1 for m in model.estimators_)
    members = model.predict_members(X)
    assert members.shape == (3, X.shape[0])
    # Different seeds and different held-out folds: different networks.
    assert not np.allclose(members[0], members[1])
    np.testing.assert_allclose(model.predict(X), members.mean(axis=0))
    mean, std = model.predict(X, return_std=True)
    np.testing.assert_allclose(mean, members.mean(axis=0))
    np.testing.assert_allclose(std, members.std(axis=0))
    assert (std > 0).all()
    assert model.n_features_in_ == X.shape[1]
    # An ensemble has no single network of its own.
    assert not hasattr(model, "coefs_")


def test_each_member_holds_out_its_own_fold(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=4, early_stopping=True, **SMALL)
    # The folds of the fit: its generator draws the members' seeds first.
    rng = np.random.RandomState(SMALL["random_state"])
    rng.randint(np.iinfo(np.int32).max, size=4)
    folds = _folds(model, X, y, None, rng)
    held_out = np.concatenate([val for _, val in folds])
    # Every row is held out by exactly one member, so it trains the other three.
    np.testing.assert_array_equal(np.sort(held_out), np.arange(X.shape[0]))
    for train, val in folds:
        assert np.intersect1d(train, val).size == 0
        assert train.size + val.size == X.shape[0]
    fitted = model.fit(X, y)
    for member, (train, val) in zip(fitted.estimators_, folds, strict=True):
        # Its epochs saw the training part of its fold only (t_ counts the rows seen), and
        # its best epoch (restored) was scored on the held-out rows of its fold.
        assert member.t_ == train.size * member.n_iter_
        np.testing.assert_allclose(
            member.best_validation_score_, member.score(X[val], y[val]), rtol=1e-4
        )


def test_members_train_on_all_rows_without_a_held_out_fold(diabetes, cancer):
    X, y = diabetes
    rng = np.random.RandomState(0)
    no_stopping = RegularizedMLPRegressor(n_ensembles=3, early_stopping=False)
    assert _folds(no_stopping, X, y, None, rng) == [None] * 3
    # "auto" needs 50 held-out rows per fold, as a single network's own split does.
    auto = RegularizedMLPRegressor(n_ensembles=9)
    assert _folds(auto, X, y, None, rng) == [None] * 9
    assert _folds(auto, X, y, X, rng) == [None] * 9  # the caller's X_val
    # A class with fewer rows than members: every member must see every class.
    Xc, yc = cancer
    yc = yc.copy()
    yc[:2] = 2
    clf = RegularizedMLPClassifier(n_ensembles=3, early_stopping=True)
    assert _folds(clf, Xc, yc, None, rng) == [None] * 3


def test_classifier_members_average_probabilities(cancer):
    X, y = cancer
    model = RegularizedMLPClassifier(n_ensembles=3, **SMALL).fit(X, y)
    members = model.predict_proba_members(X)
    assert members.shape == (3, X.shape[0], 2)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, members.mean(axis=0))
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba)
    assert model.score(X, y) > 0.9


def test_multilabel_members_threshold_the_averaged_probabilities():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
    model = RegularizedMLPClassifier(n_ensembles=2, **SMALL).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape
    np.testing.assert_array_equal(model.predict(X), (proba > 0.5).astype(int))


def test_quantile_members_give_a_spread_per_level(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(
        n_ensembles=2, loss="quantile", quantile=[0.1, 0.5, 0.9], **SMALL
    ).fit(X, y)
    mean, std = model.predict(X, return_std=True)
    assert mean.shape == std.shape == (X.shape[0], 3)
    # Each member's levels never cross, so neither do their means.
    assert (np.diff(mean, axis=1) >= 0).all()
    assert np.isfinite(model.score(X, y))


def test_members_fit_in_threads_as_serially(diabetes):
    X, y = diabetes
    serial = RegularizedMLPRegressor(n_ensembles=3, **SMALL).fit(X, y)
    threads = RegularizedMLPRegressor(n_ensembles=3, n_jobs=2, **SMALL).fit(X, y)
    np.testing.assert_array_equal(threads.predict(X), serial.predict(X))


def test_ensembles_pickle_and_take_any_container(cancer, independent_regressor, diabetes):
    X, y = cancer
    for kind in ("independent", "snapshot"):
        model = RegularizedMLPClassifier(n_ensembles=2, ensemble=kind, **SMALL).fit(X, y)
        loaded = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        framed = clone(model).fit(frame, y)
        np.testing.assert_allclose(framed.predict_proba(frame), model.predict_proba(X))
    Xd, _ = diabetes
    np.testing.assert_allclose(
        independent_regressor.predict(sp.csr_matrix(Xd)), independent_regressor.predict(Xd)
    )


def test_sample_weights_reach_the_members(diabetes):
    X, y = diabetes
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 3.0)
    plain = RegularizedMLPRegressor(n_ensembles=2, **SMALL).fit(X, y)
    weighted = RegularizedMLPRegressor(n_ensembles=2, **SMALL).fit(X, y, sample_weight=weights)
    assert not np.allclose(weighted.predict(X), plain.predict(X))
    doubled = RegularizedMLPRegressor(n_ensembles=2, **SMALL).fit(X, y, sample_weight=2 * weights)
    np.testing.assert_allclose(doubled.predict(X), weighted.predict(X), rtol=1e-4)


def test_warm_start_continues_every_member(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, warm_start=True, **SMALL).fit(X, y)
    first = [m.coefs_[0].copy() for m in model.estimators_]
    curves = [len(m.loss_curve_) for m in model.estimators_]
    model.fit(X, y)
    assert [len(m.loss_curve_) for m in model.estimators_] == [2 * c for c in curves]
    assert not np.allclose(model.estimators_[0].coefs_[0], first[0])


def test_snapshot_epochs_are_the_cycle_ends():
    # log_cosine's 4 cycles over 64 epochs end after 64 * (1, 3, 7, 15) / 15 epochs.
    assert snapshot_epochs(4, "log_cosine", 4, 64, "adamw") == (4, 13, 30)
    assert snapshot_epochs(2, "log_cosine", 4, 64, "adamw") == (30,)
    assert snapshot_epochs(1, "log_cosine", 4, 64, "adamw") == ()


def test_snapshot_members_are_the_network_after_their_epochs(cancer, monkeypatch):
    X, y = cancer
    params = dict(
        SMALL, early_stopping=False, learning_rate="constant", dropout_schedule="constant",
        weight_decay_schedule="constant",
    )  # fmt: skip
    # The snapshot epochs of a schedule whose first epochs do not depend on max_iter.
    monkeypatch.setattr(skdeep._mlp, "snapshot_epochs", lambda *args: (1, 3))
    model = RegularizedMLPClassifier(n_ensembles=3, ensemble="snapshot", **params).fit(X, y)
    assert len(model.estimators_) == 3
    for epochs, member in zip((1, 3), model.estimators_, strict=False):
        alone = RegularizedMLPClassifier(**dict(params, max_iter=epochs)).fit(X, y)
        for a, b in zip(member.coefs_, alone.coefs_, strict=True):
            np.testing.assert_array_equal(a, b)
    # The last member is the fitted network.
    np.testing.assert_array_equal(model.estimators_[-1].coefs_[0], model.coefs_[0])
    np.testing.assert_allclose(model.predict_proba(X), model.predict_proba_members(X).mean(axis=0))


def test_snapshot_members_with_the_default_schedule(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, ensemble="snapshot", **SMALL)
    model.set_params(max_iter=16, early_stopping=False).fit(X, y)
    assert len(model.estimators_) == 2
    assert model._ensemble_fitted == ("snapshot", 2)
    # A refit as a single network forgets the members.
    model.set_params(n_ensembles=1).fit(X, y)
    assert not hasattr(model, "estimators_")
    with pytest.raises(ValueError, match="single network"):
        model.predict(X, return_std=True)


def test_early_stopping_before_a_cycle_end_warns_about_fewer_members(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(
        n_ensembles=4, ensemble="snapshot", early_stopping=True, patience=1,
        hidden_layer_sizes=(16,), max_iter=40, random_state=0,
    )  # fmt: skip
    with pytest.warns(UserWarning, match="the fit ended after") as record:
        model.fit(X, y)
    assert record[0].filename == __file__
    assert len(model.estimators_) < 4


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(ensemble="snapshot", learning_rate="constant"), "has no cycles"),
        (dict(ensemble="snapshot", solver="lbfgs"), "has no cycles"),
        (dict(ensemble="snapshot", n_ensembles=5), "Raise lr_cycles to 5"),
        (dict(ensemble="snapshot", n_ensembles=4, max_iter=4), "too few"),
        (dict(early_stopping=True, n_ensembles=30), "at least 60 needed"),
    ],
)
def test_settings_that_cannot_make_members_are_errors(diabetes, params, match):
    X, y = diabetes
    model = RegularizedMLPRegressor(**{**SMALL, "n_ensembles": 2, **params})
    with pytest.raises(ValueError, match=match):
        model.fit(X[:40], y[:40])


def test_partial_fit_and_mismatched_warm_starts_are_errors(diabetes, independent_regressor):
    X, y = diabetes
    with pytest.raises(AttributeError, match="no attribute 'partial_fit'") as error:
        RegularizedMLPRegressor(n_ensembles=2).partial_fit(X, y)
    # scikit-learn's message names the missing method; its cause says why and what to do.
    assert "partial_fit trains one network" in str(error.value.__cause__)
    assert not hasattr(RegularizedMLPClassifier(n_ensembles=2), "partial_fit")
    model = pickle.loads(pickle.dumps(independent_regressor))
    with pytest.raises(ValueError, match="Set warm_start=False"):
        model.set_params(warm_start=True, n_ensembles=2).fit(X, y)
    with pytest.raises(ValueError, match='ensemble="independent" of 3 members'):
        model.set_params(n_ensembles=1).fit(X, y)
    with pytest.raises(ValueError, match="partial_fit continue the fitted model"):
        model.partial_fit(X, y)
    single = RegularizedMLPRegressor(warm_start=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="a single network"):
        single.set_params(n_ensembles=2).fit(X, y)
    with pytest.raises(ValueError, match="n_ensembles > 1"):
        single.predict_members(X)
    with pytest.raises(ValueError, match="n_ensembles > 1"):
        RegularizedMLPClassifier(**SMALL).fit(X[:50], y[:50] > 150).predict_proba_members(X)


def test_members_in_cross_validation(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = cross_val_score(RegularizedMLPClassifier(n_ensembles=2, **SMALL), X, y, cv=3)
    assert scores.mean() > 0.9


def test_ensembles_round_trip_through_skops(cancer, diabetes):
    sio = pytest.importorskip("skops.io")
    from skdeep import skops_trusted_types

    X, y = cancer
    Xr, yr = diabetes
    fitted = [
        RegularizedMLPClassifier(n_ensembles=2, **SMALL).fit(X, y),
        RegularizedMLPRegressor(n_ensembles=2, ensemble="snapshot", **SMALL).fit(Xr, yr),
    ]
    for model, rows in zip(fitted, (X, Xr), strict=True):
        data = sio.dumps(model)
        assert set(sio.get_untrusted_types(data=data)) <= set(skops_trusted_types())
        loaded = sio.loads(data, trusted=skops_trusted_types())
        np.testing.assert_array_equal(loaded.predict(rows), model.predict(rows))
        for got, expected in zip(loaded.estimators_, model.estimators_, strict=True):
            assert got.loss_curve_ == expected.loss_curve_


@pytest.mark.parametrize("kind", ["shared", "shared_mini"])
def test_shared_members_are_one_network_with_a_member_axis(cancer, kind):
    X, y = cancer
    model = RegularizedMLPClassifier(n_ensembles=4, ensemble=kind, **SMALL).fit(X, y)
    assert not hasattr(model, "estimators_")
    # The dense weights are shared; each member has its own scales (and output biases).
    assert [c.shape[1] for c in model.coefs_] == [16, 1]
    assert all(s.shape[0] == 4 for s in model.member_scales_)
    assert len(model.member_scales_) == (4 if kind == "shared" else 2)
    members = model.predict_proba_members(X)
    assert members.shape == (4, X.shape[0], 2)
    assert not np.allclose(members[0], members[1])
    np.testing.assert_allclose(model.predict_proba(X), members.mean(axis=0))
    np.testing.assert_array_equal(model.predict(X), model.classes_[members.mean(0).argmax(1)])
    assert model.score(X, y) > 0.9


def test_shared_regressor_spread_and_one_member(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=3, ensemble="shared", **SMALL).fit(X, y)
    mean, std = model.predict(X, return_std=True)
    members = model.predict_members(X)
    np.testing.assert_allclose(mean, members.mean(axis=0))
    np.testing.assert_allclose(std, members.std(axis=0))
    assert (std > 0).all()
    # One member is the single network, bit for bit.
    one = RegularizedMLPRegressor(n_ensembles=1, ensemble="shared", **SMALL).fit(X, y)
    single = RegularizedMLPRegressor(**SMALL).fit(X, y)
    np.testing.assert_array_equal(one.predict(X), single.predict(X))
    assert one.member_scales_ == [] and single.member_scales_ == []


def test_shared_members_are_monitored_on_their_mean(cancer, diabetes):
    X, y = cancer
    model = RegularizedMLPClassifier(
        n_ensembles=3, ensemble="shared", early_stopping=True, restore_best_weights=True,
        **SMALL,
    )  # fmt: skip
    model.fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    # The best epoch's weights are restored: its score is the ensemble's on the same rows.
    assert model.best_validation_score_ == model.score(X[400:], y[400:])
    X, y = diabetes
    model = RegularizedMLPRegressor(
        n_ensembles=3, ensemble="shared_mini", early_stopping=True, restore_best_weights=True,
        **SMALL,
    )  # fmt: skip
    model.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    members = model.predict_members(X[300:])
    member_scores = [r2_score(y[300:], m) for m in members]
    # R² of the members' mean, not of any one member.
    np.testing.assert_allclose(model.best_validation_score_, model.score(X[300:], y[300:]), 1e-5)
    assert min(abs(model.best_validation_score_ - s) for s in member_scores) > 1e-4


def test_warm_start_takes_the_ensembles_parameters_now(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, **SMALL).fit(X, y)
    model.set_params(warm_start=True, max_iter=3, learning_rate="constant").fit(X, y)
    for member in model.estimators_:
        assert member.max_iter == 3 and member.warm_start
        assert len(member.loss_curve_) == SMALL["max_iter"] + 3


def test_a_refused_fit_leaves_the_fitted_model_alone(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(**SMALL).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match="has no cycles"):
        model.set_params(n_ensembles=2, ensemble="snapshot", learning_rate="constant").fit(
            X * 100 + 5, y
        )
    with pytest.raises(ValueError, match="trains on dense rows"):
        model.set_params(ensemble="shared").fit(sp.csr_matrix(X * 100 + 5), y)
    np.testing.assert_array_equal(model.predict(X), before)


def test_member_sample_weights_are_checked_before_the_folds(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, early_stopping=True, **SMALL)
    a = clone(model).fit(X, y, sample_weight=2.0)
    b = clone(model).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-4)
    with pytest.raises(ValueError, match="sample_weight.shape"):
        clone(model).fit(X, y, sample_weight=np.ones(len(y) + 5))


def test_snapshot_members_records_end_at_their_epoch(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, ensemble="snapshot", **SMALL)
    model.set_params(max_iter=16, early_stopping=False).fit(X, y)
    (epoch,) = snapshot_epochs(2, "log_cosine", 4, 16, "adamw")
    first, last = model.estimators_
    assert first.n_iter_ == epoch and len(first.loss_curve_) == epoch
    assert first.loss_curve_ == model.loss_curve_[:epoch] and len(last.loss_curve_) == 16
    with pytest.raises(ValueError, match="member of a snapshot ensemble"):
        first.partial_fit(X, y)


def test_shared_members_continue_and_refuse_what_they_cannot(diabetes):
    X, y = diabetes
    model = RegularizedMLPRegressor(n_ensembles=2, ensemble="shared", **SMALL).fit(X, y)
    before = model.predict(X)
    model.set_params(learning_rate="constant").partial_fit(X, y)
    assert len(model.loss_curve_) == SMALL["max_iter"] + 1
    assert not np.allclose(model.predict(X), before)
    with pytest.raises(ValueError, match="architecture .*members of a shared ensemble"):
        model.set_params(warm_start=True, n_ensembles=3).fit(X, y)
    with pytest.raises(ValueError, match='ensemble="shared" trains on dense rows'):
        RegularizedMLPRegressor(n_ensembles=2, ensemble="shared").fit(sp.csr_matrix(X), y)
    sio = pytest.importorskip("skops.io")
    from skdeep import skops_trusted_types

    loaded = sio.loads(sio.dumps(model), trusted=skops_trusted_types())
    np.testing.assert_array_equal(loaded.predict(X, return_std=True)[1], model.predict(X, True)[1])
