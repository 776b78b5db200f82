"""Saving fitted models: skops files that name only skdeep's public classes, and pickle."""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep
from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor, skops_trusted_types
from skdeep._ensemble_selection import EnsembleClassifier, EnsembleRegressor
from skdeep.preprocessing import RobustSmoothClipScaler

from .paths import DATA_DIR

sio = pytest.importorskip("skops.io")

RNG = np.random.RandomState(0)
N = 160
X_NUM = RNG.normal(size=(N, 5))
Y_REG = X_NUM[:, 0] - 0.5 * X_NUM[:, 1] ** 2 + RNG.normal(scale=0.2, size=N)
Y_CLF = np.where(X_NUM[:, 0] + X_NUM[:, 2] > 0, "yes", "no")
FRAME = pd.DataFrame(
    {
        "size": X_NUM[:, 0],
        "gap": np.where(np.arange(N) % 7 == 0, np.nan, X_NUM[:, 1]),
        "colour": pd.Categorical(RNG.choice(["red", "green", "blue", "grey"], N)),
        "city": RNG.choice([f"c{i}" for i in range(30)], N).astype(object),
        "flag": RNG.uniform(size=N) > 0.5,
        "maybe": pd.Series(RNG.choice(["p", "q", None], N), dtype=object),
    }
)
SPARSE = sp.csr_matrix(X_NUM * (RNG.uniform(size=X_NUM.shape) > 0.5))

# Every kind of fitted model: the input (array, table, sparse), each loss and each solver.
CASES = {
    "classifier, array": (RegularizedMLPClassifier(), X_NUM, Y_CLF),
    "classifier, table": (RegularizedMLPClassifier(max_one_hot_levels=5), FRAME, Y_CLF),
    "classifier, sparse": (RegularizedMLPClassifier(), SPARSE, Y_CLF),
    "classifier, multiclass": (RegularizedMLPClassifier(), X_NUM, (Y_REG * 2).astype(int)),
    "classifier, multilabel": (
        RegularizedMLPClassifier(),
        X_NUM,
        np.c_[Y_CLF == "yes", Y_REG > 0].astype(int),
    ),
    "classifier, like scikit-learn": (RegularizedMLPClassifier.like_sklearn(), X_NUM, Y_CLF),
    "regressor, table": (RegularizedMLPRegressor(), FRAME, Y_REG),
    "regressor, sparse": (RegularizedMLPRegressor(), SPARSE, Y_REG),
    "regressor, two targets": (RegularizedMLPRegressor(), X_NUM, np.c_[Y_REG, -Y_REG]),
    "regressor, poisson": (RegularizedMLPRegressor(loss="poisson"), X_NUM, np.exp(Y_REG / 3)),
    "regressor, quantiles": (
        RegularizedMLPRegressor(loss="quantile", quantile=[0.2, 0.8]),
        X_NUM,
        Y_REG,
    ),
    "regressor, batch norm": (RegularizedMLPRegressor(batch_normalization=True), X_NUM, Y_REG),
    "regressor, early stopping": (RegularizedMLPRegressor(early_stopping=True), X_NUM, Y_REG),
    **{
        f"regressor, {solver}": (RegularizedMLPRegressor.like_sklearn(solver=solver), X_NUM, Y_REG)
        for solver in ("sgd", "adagrad", "rmsprop", "adam", "adamw", "lbfgs")
    },
}


def _fitted(name):
    model, X, y = CASES[name]
    model = clone(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.set_params(max_iter=4, random_state=0).fit(X, y), X, y


def _outputs(model, X):
    out = [model.predict(X)]
    if hasattr(model, "predict_proba"):
        out.append(model.predict_proba(X))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_skops_round_trips_every_kind_of_model(name, tmp_path):
    model, X, y = _fitted(name)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    # Only skdeep's public classes: the estimator, and its input scaler when it has one.
    assert set(untrusted) <= set(skops_trusted_types())
    assert type(model).__module__ + "." + type(model).__qualname__ in untrusted
    loaded = sio.load(path, trusted=skops_trusted_types())
    for got, expected in zip(_outputs(loaded, X), _outputs(model, X), strict=True):
        np.testing.assert_array_equal(got, expected)
    for attribute in ("loss_curve_", "history_", "validation_scores_", "best_epoch_", "t_"):
        # By their text: an L-BFGS history holds NaN learning rates (NaN != NaN).
        assert repr(getattr(loaded, attribute)) == repr(getattr(model, attribute)), attribute
    # The public records are the training state's own lists again (they grow together).
    assert loaded.loss_curve_ is loaded._training.loss_curve
    # The loaded model continues training as the original does (optimizer state, random
    # generator and early stopping's records included).
    if model.solver == "lbfgs" or model.early_stopping is True:
        return  # no partial_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in (model, loaded):
            m.set_params(learning_rate="constant").partial_fit(X, y)
    for got, expected in zip(_outputs(loaded, X), _outputs(model, X), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert loaded.loss_curve_ == model.loss_curve_ and len(loaded.loss_curve_) == 5


@pytest.mark.parametrize("name", ["regressor, early stopping", "classifier, table"])
def test_a_loaded_model_continues_a_warm_start_fit_alike(name):
    model, X, y = _fitted(name)
    loaded = sio.loads(sio.dumps(model), trusted=skops_trusted_types())
    if model.early_stopping is True:
        assert len(model.validation_scores_) == 4  # early stopping's records, saved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for m in (model, loaded):
            m.set_params(warm_start=True, max_iter=3).fit(X, y)
    for got, expected in zip(_outputs(loaded, X), _outputs(model, X), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert loaded.loss_curve_ == model.loss_curve_ and len(model.loss_curve_) == 7
    assert loaded.validation_scores_ == model.validation_scores_


def test_a_model_pickled_by_skdeep_0_1_0_saves_again_with_skops():
    with open(DATA_DIR / "skdeep-0.1.0-models.pkl", "rb") as f:
        saved = pickle.load(f)
    for name in ("clf", "reg"):
        old = saved[name]
        for loaded in (
            pickle.loads(pickle.dumps(old)),
            sio.loads(sio.dumps(old), trusted=skops_trusted_types()),
        ):
            np.testing.assert_array_equal(loaded.predict(saved["X"]), old.predict(saved["X"]))
    again = sio.loads(sio.dumps(saved["clf"]), trusted=skops_trusted_types())
    for m in (saved["clf"], again):
        m.partial_fit(saved["X"], saved["y_clf"])
    np.testing.assert_array_equal(
        again.predict_proba(saved["X"]), saved["clf"].predict_proba(saved["X"])
    )


def test_the_trusted_types_are_the_classes_skops_names():
    classes = [
        RegularizedMLPClassifier,
        RegularizedMLPRegressor,
        RobustSmoothClipScaler,
        EnsembleClassifier,
        EnsembleRegressor,
    ]
    assert skops_trusted_types() == [f"{c.__module__}.{c.__qualname__}" for c in classes]
    assert "skops_trusted_types" in skdeep.__all__


def test_a_pipeline_with_scikit_learn_parts_needs_no_other_type():
    model = make_pipeline(StandardScaler(), RegularizedMLPRegressor(max_iter=3, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_NUM, Y_REG)
    data = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=data)) <= set(skops_trusted_types())
    np.testing.assert_array_equal(
        sio.loads(data, trusted=skops_trusted_types()).predict(X_NUM), model.predict(X_NUM)
    )


def test_skops_refuses_a_model_until_its_types_are_trusted():
    model, X, _ = _fitted("classifier, array")
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(sio.dumps(model))


def test_the_fitted_state_is_kept_as_plain_data():
    # A model's saved state holds its private training and input state as dictionaries of
    # arrays, numbers, strings and lists (and the public input scaler); loaded, they are
    # objects again.
    model, X, _ = _fitted("classifier, table")
    state = model.__getstate__()
    assert isinstance(state["_training"], dict) and isinstance(state["_inputs"], dict)
    assert type(model._training).__name__ == "TrainingState"  # the model itself unchanged

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, bool, int, float, np.ndarray, np.generic))

    inputs = dict(state["_inputs"])
    assert inputs.pop("scaler") is model.input_scaler_
    assert plain(state["_training"]) and plain(inputs)
    for dumps, loads in ((pickle.dumps, pickle.loads), (_joblib_dumps, _joblib_loads)):
        loaded = loads(dumps(model))
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert type(loaded._inputs).__name__ == "InputPipeline"
        assert type(loaded._inputs.encoding).__name__ == "TableEncoding"
        assert loaded._inputs.dtype == model.coefs_[0].dtype


@pytest.mark.parametrize("case", ["classifier, table", "regressor, sparse"])
def test_a_model_pickled_before_the_input_state_had_one_owner_loads(case):
    # Such models kept the table encoding as _table beside input_scaler_ and
    # embedded_features_; loading builds the one input state from them.
    model, X, _ = _fitted(case)
    state = model.__getstate__()
    inputs = state.pop("_inputs")
    state["_table"] = inputs["encoding"]
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    assert "_table" not in old.__dict__
    assert old._inputs.dtype == model.coefs_[0].dtype
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    old.set_params(warm_start=True, max_iter=2).fit(X, model.predict(X))


def _joblib_dumps(model):
    import io

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def _joblib_loads(data):
    import io

    return joblib.load(io.BytesIO(data))
