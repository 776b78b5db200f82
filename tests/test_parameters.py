"""The parameter table: the estimators' signatures, constraints and like_sklearn values."""

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import validate_parameter_constraints

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._parameter_docs import DOCS
from skdeep._parameters import (
    ARCHITECTURE,
    CLASSIFIER_PARAMETERS,
    KEEP,
    REGRESSOR_PARAMETERS,
    SKLEARN_VALUES,
    _default_text,
)

ESTIMATORS = {
    "classifier": (RegularizedMLPClassifier, CLASSIFIER_PARAMETERS, MLPClassifier),
    "regressor": (RegularizedMLPRegressor, REGRESSOR_PARAMETERS, MLPRegressor),
}


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_the_signature_is_the_table(kind):
    Est, table, _ = ESTIMATORS[kind]
    signature = inspect.signature(Est.__init__).parameters
    assert sorted(n for n in signature if n != "self") == sorted(p.name for p in table)
    for p in table:
        # By their text: np.inf and tuples compare as values there too.
        assert repr(signature[p.name].default) == repr(p.default_of(kind)), p.name
    # The defaults and like_sklearn's values satisfy the constraints they come with.
    for params in (Est().get_params(), Est.like_sklearn().get_params()):
        validate_parameter_constraints(Est._parameter_constraints, params, Est.__name__)


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_like_sklearn_gives_scikit_learns_defaults(kind):
    Est, table, Peer = ESTIMATORS[kind]
    params = Est.like_sklearn().get_params()
    for p in table:
        expected = p.default_of(kind) if p.sklearn is KEEP else p.sklearn
        assert repr(params[p.name]) == repr(expected), p.name
    # Every parameter scikit-learn's MLP has takes its default there.
    peer = Peer().get_params()
    shared = set(peer) & set(params)
    assert len(shared) >= 20
    for name in shared - {"random_state", "verbose", "warm_start"}:
        assert repr(params[name]) == repr(peer[name]), name
    assert set(SKLEARN_VALUES) <= {p.name for p in (*CLASSIFIER_PARAMETERS, *REGRESSOR_PARAMETERS)}


def _table(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "city": rng.choice([f"c{i}" for i in range(20)], n).astype(object),
        }
    )
    return X, (X["a"] > 0).astype(int)


CHANGED = {
    "hidden_layer_sizes": (5,),
    "batch_normalization": True,
    "numeric_embeddings": None,
    "embedding_frequencies": 4,
    "embedding_dim": 2,
    "scaling_layer": False,
    "parametric_activation": False,
    "category_embedding_dim": 3,
}


def test_the_architecture_parameters_are_those_that_change_the_network():
    assert sorted(ARCHITECTURE) == sorted(CHANGED)
    X, y = _table()
    base = dict(hidden_layer_sizes=(8, 8), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, value in CHANGED.items():
            model = RegularizedMLPClassifier(**base).fit(X, y)
            model.set_params(warm_start=True, **{name: value})
            with pytest.raises(ValueError, match=f"architecture \\(.*{name}.*\\) changed"):
                model.fit(X, y)
        # A parameter outside the list (the dropout rate) continues the same network.
        RegularizedMLPClassifier(**base).fit(X, y).set_params(warm_start=True, dropout=0.3).fit(
            X, y
        )


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_the_docstring_documents_every_parameter_of_the_table(kind):
    docscrape = pytest.importorskip("numpydoc.docscrape")
    Est, table, _ = ESTIMATORS[kind]
    if Est.__doc__ is None:
        pytest.skip("docstrings stripped (python -OO)")
    entries = docscrape.ClassDoc(Est)["Parameters"]
    # In the signature's order, each with the text of the table and this estimator's default.
    signature = [n for n in inspect.signature(Est.__init__).parameters if n != "self"]
    assert [entry.name for entry in entries] == signature
    for entry in entries:
        assert entry.type.endswith(f", default={_default_text(Est().get_params()[entry.name])}")
        assert entry.desc, entry.name
    assert " ".join(entries[0].desc) in " ".join(DOCS[entries[0].name].split())
    types = {entry.name: entry.type for entry in entries}
    assert types["activation"].endswith('default="selu"' if kind == "classifier" else '"mish"')
    assert types["n_iter_no_change"] == "int or np.inf, default=np.inf"
    # The shared texts filled in keep the other sections whole.
    attributes = [entry.name for entry in docscrape.ClassDoc(Est)["Attributes"]]
    assert {"coefs_", "validation_scores_", "out_activation_"} <= set(attributes)
    if kind == "regressor":
        assert {"target_mean_", "target_scale_"} <= set(attributes)


def test_every_parameter_has_one_text():
    names = {p.name for p in (*CLASSIFIER_PARAMETERS, *REGRESSOR_PARAMETERS)}
    assert set(DOCS) == names
    for name, text in DOCS.items():
        kind, description = text.split("\n", 1)
        assert kind and "default=" not in kind, name
        assert description.startswith(" " * 8) and description.strip(), name
