"""Sparse input: CSR rows go to the compiled kernels as they are, never densified."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep.preprocessing import RobustSmoothClipScaler


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("extra", [{}, {"batch_normalization": True, "scaling_layer": True}])
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_sparse_trains_exactly_like_dense(Est, extra, solver):
    # Without input dropout (whose masks are drawn per stored value) the same rows, sparse
    # or dense, give the same network to rounding.
    X, y = _digits()
    params = dict(hidden_layer_sizes=(16,), max_iter=10, random_state=0, solver=solver, **extra)
    dense = _quiet(lambda: Est.like_sklearn(**params).fit(X, y))
    for fmt in ("csr", "csc", "coo"):
        Xs = sp.csr_matrix(X).asformat(fmt)
        sparse = _quiet(lambda Xs=Xs: Est.like_sklearn(**params).fit(Xs, y))
        np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-9, atol=1e-12)


def test_sparse_partial_fit_early_stopping_weights_and_validation_data():
    X, y = _digits()
    Xs = sp.csr_matrix(X)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    clf = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(16,), early_stopping=True, max_iter=15, random_state=0
    )
    _quiet(lambda: clf.fit(Xs, y, sample_weight=weights))
    assert clf.validation_scores_ and np.isfinite(clf.validation_scores_).all()
    dense = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(16,), early_stopping=True, max_iter=15, random_state=0
    )
    _quiet(lambda: dense.fit(X, y, sample_weight=weights))
    np.testing.assert_allclose(clf.validation_scores_, dense.validation_scores_)
    streams = []
    for rows in (Xs, X):
        stream = RegularizedMLPClassifier.like_sklearn(
            hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
        )
        for _ in range(5):
            for start in range(0, 400, 100):
                chunk = slice(start, start + 100)
                stream.partial_fit(rows[chunk], y[chunk], classes=np.arange(10))
        streams.append(stream)
    np.testing.assert_allclose(streams[0].predict_proba(Xs), streams[1].predict_proba(X))
    assert streams[0].score(Xs, y) > 0.6
    reg = RegularizedMLPRegressor.like_sklearn(max_iter=5, random_state=0)
    _quiet(lambda: reg.fit(Xs[:300], y[:300], X_val=Xs[300:], y_val=y[300:]))
    assert len(reg.history_[0]) == 6 and np.isfinite(reg.history_[-1]["val_loss"])


def test_input_dropout_drops_stored_values_only():
    X, y = _digits()
    Xs = sp.csr_matrix(X)
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=30, random_state=0)
    plain = _quiet(lambda: RegularizedMLPClassifier.like_sklearn(**params).fit(Xs, y))
    dropped = _quiet(
        lambda: RegularizedMLPClassifier.like_sklearn(input_dropout=0.2, **params).fit(Xs, y)
    )
    dense = _quiet(
        lambda: RegularizedMLPClassifier.like_sklearn(input_dropout=0.2, **params).fit(X, y)
    )
    # Different masks (one per stored value, not per entry), the same training problem.
    assert not np.allclose(dropped.coefs_[0], plain.coefs_[0])
    assert dropped.score(Xs, y) > 0.95 and abs(dropped.score(Xs, y) - dense.score(X, y)) < 0.03


def test_the_defaults_take_a_one_hot_encoder_pipeline():
    # OneHotEncoder's default output is sparse: the recipe's input parts adapt (robust
    # scaling without centring, no embeddings of sparse columns).
    X, y = load_breast_cancer(return_X_y=True)
    binned = KBinsDiscretizer(n_bins=5, encode="ordinal", quantile_method="averaged_inverted_cdf")
    codes = binned.fit_transform(X).astype(int)
    pipe = make_pipeline(OneHotEncoder(handle_unknown="ignore"), RegularizedMLPClassifier())
    scores = cross_val_score(pipe, codes, y, cv=3)
    assert scores.mean() > 0.93
    fitted = pipe.fit(codes, y)[-1]
    assert fitted.embedded_features_.shape == (0,)
    np.testing.assert_array_equal(fitted.input_scaler_.center_, 0.0)


def test_periodic_embeddings_of_sparse_x_are_a_clear_error():
    X, y = _digits()
    with pytest.raises(ValueError, match="'periodic' cannot describe sparse X"):
        RegularizedMLPClassifier(numeric_embeddings="periodic").fit(sp.csr_matrix(X), y)


def test_robust_scaling_of_sparse_x_scales_without_centring():
    rng = np.random.RandomState(0)
    dense = rng.normal(size=(200, 5)) * (rng.uniform(size=(200, 5)) < 0.3)
    scaler = RobustSmoothClipScaler().fit(sp.csc_matrix(dense))
    np.testing.assert_array_equal(scaler.center_, 0.0)
    # Stored zeros and duplicate entries (summed) change nothing.
    coo = sp.coo_matrix(dense)
    odd = sp.coo_matrix(
        (
            np.r_[coo.data, 0.0, 0.0, 1.5, -1.5],
            (np.r_[coo.row, 0, 5, 7, 7], np.r_[coo.col, 1, 2, 3, 3]),
        ),
        shape=dense.shape,
    )
    np.testing.assert_allclose(RobustSmoothClipScaler().fit(odd).scale_, scaler.scale_)
    out = scaler.transform(sp.csr_matrix(dense))
    assert sp.issparse(out) and out.nnz == sp.csr_matrix(dense).nnz
    # The quantiles count the zeros: the same scale as the dense fit of a zero-median column.
    spread = np.percentile(dense, 75, axis=0) - np.percentile(dense, 25, axis=0)
    fallback = 0.5 * (dense.max(axis=0) - dense.min(axis=0))
    expected = 1.0 / np.where(spread > 0, spread, fallback)
    np.testing.assert_allclose(scaler.scale_, expected)
    u = dense * expected
    np.testing.assert_allclose(out.toarray(), u / np.sqrt(1 + (u / 3.0) ** 2))


def test_a_wide_sparse_matrix_is_never_densified():
    # 600 x 400,000 float32 would take 960 MB dense; the fit's peak stays far below it.
    rng = np.random.RandomState(0)
    n, d = 600, 400_000
    # Nine stored values per row: eight anywhere, one among the first 50 columns.
    rows = np.repeat(np.arange(n), 9)
    columns = np.column_stack([rng.randint(0, d, (n, 8)), rng.randint(0, 50, n)]).ravel()
    X = sp.csr_matrix((rng.uniform(0.5, 1.5, 9 * n).astype(np.float32), (rows, columns)), (n, d))
    y = (np.asarray(X[:, :25].sum(axis=1)).ravel() > 0).astype(int)
    clf = RegularizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    # Load (or compile) the kernels first: tracing would slow that down many times over.
    _quiet(lambda: clone(clf).fit(X[:200, :1000], y[:200]).predict_proba(X[:5, :1000]))
    tracemalloc.start()
    try:
        _quiet(lambda: clf.fit(X, y))
        clf.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Measured 115 MB: the weights (400,000 x 4, 6.4 MB), the optimizer's vectors and the
    # training loop's snapshots of them. Dense, X would take 960 MB and even one dense
    # mini-batch of 200 rows 320 MB.
    assert peak < 200e6, peak
    assert clf.coefs_[0].shape == (d, 4)
