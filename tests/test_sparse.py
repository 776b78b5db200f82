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
    # Seeded: unseeded runs scored 0.926 to 0.95 (seeds 0-5: 0.942-0.954).
    model = RegularizedMLPClassifier(random_state=0)
    pipe = make_pipeline(OneHotEncoder(handle_unknown="ignore"), model)
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


# --------------------------------------------------- one fitted model, any container of rows

_VARIANTS = {
    "plain": dict(input_scaling=None, numeric_embeddings=None, scaling_layer=False),
    "robust scaling": dict(numeric_embeddings=None, scaling_layer=False),
    "numeric embeddings": dict(input_scaling=None, numeric_embeddings="periodic"),
    "scaling layer": dict(input_scaling=None, numeric_embeddings=None, scaling_layer=True),
    "defaults": {},
    "categorical vectors": dict(categorical_features=[0], max_one_hot_levels=3),
    "missing indicators": dict(missing_indicators=True),
}


def _mixed_rows(seed=0, n=240):
    """Rows whose first column is a 6-level category (as numbers) and whose others are
    numeric, a third of the cells zero; a gap in column 2 of every 9th training row."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6)) * (rng.uniform(size=(n, 6)) > 0.3)
    X[:, 0] = rng.randint(0, 6, n)
    y = (X[:, 1] + X[:, 0] % 2 + rng.normal(scale=0.3, size=n) > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
def test_the_same_rows_predict_alike_dense_sparse_and_as_a_dataframe(variant):
    # One model, fitted on dense rows, given the same rows as CSR, CSC, COO or a DataFrame:
    # the same predictions (the model's centring, embeddings and encoding apply to them all).
    pd = pytest.importorskip("pandas")
    X, y = _mixed_rows()
    X_fit = X.copy()
    if variant == "missing indicators":
        X_fit[::9, 2] = np.nan
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0, **_VARIANTS[variant])
    model = _quiet(lambda: RegularizedMLPClassifier(**params).fit(X_fit, y))
    expected = model.predict_proba(X)
    for rows in (
        sp.csr_matrix(X),
        sp.csc_matrix(X),
        sp.coo_matrix(X),
        sp.csr_array(X),
        pd.DataFrame(X),
    ):
        np.testing.assert_array_equal(model.predict_proba(rows), expected, err_msg=type(rows))
    # More rows than one block of densified rows: the blocks are stacked in order.
    many = np.repeat(X, 30, axis=0)
    np.testing.assert_array_equal(
        model.predict_proba(sp.csr_matrix(many)), model.predict_proba(many)
    )


def test_a_model_fitted_on_sparse_rows_predicts_dense_rows_alike():
    X, y = _mixed_rows()
    model = _quiet(
        lambda: RegularizedMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0).fit(
            sp.csr_matrix(X), y
        )
    )
    expected = model.predict_proba(sp.csr_matrix(X))
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.predict_proba(sp.csc_matrix(X)), expected, rtol=1e-12)


def test_sparse_rows_continue_a_dense_fit_and_score_its_validation_data():
    # partial_fit and X_val take the dense rows the sparse ones stand for.
    X, y = _mixed_rows()
    # A constant rate: the default schedule has ended after max_iter, and would not move.
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0, learning_rate="constant")
    dense, sparse = (_quiet(lambda: RegularizedMLPClassifier(**params).fit(X, y)) for _ in "ab")
    before = dense.predict_proba(X)
    _quiet(lambda: dense.partial_fit(X, y))
    assert np.abs(dense.predict_proba(X) - before).max() > 1e-3
    _quiet(lambda: sparse.partial_fit(sp.csr_matrix(X), y))
    np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    fits = [
        _quiet(lambda Xv=Xv: RegularizedMLPClassifier(**params).fit(X, y, X_val=Xv, y_val=y))
        for Xv in (X, sp.csr_matrix(X))
    ]
    assert fits[0].validation_scores_ == fits[1].validation_scores_


def test_a_table_model_refuses_sparse_rows_for_its_categorical_columns():
    pd = pytest.importorskip("pandas")
    X, y = _mixed_rows()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(6)])
    frame["colour"] = np.where(y == 1, "red", "blue")
    model = _quiet(lambda: RegularizedMLPClassifier(max_iter=2, random_state=0).fit(frame, y))
    with pytest.raises(ValueError, match=r"categorical columns \['colour'\].*DataFrame"):
        model.predict(sp.csr_matrix(frame.drop(columns="colour").assign(colour=0.0)))


def _with_duplicates(X):
    """``X`` as a CSR matrix whose stored values are split over two entries per cell."""
    rows, columns = np.nonzero(X)
    halves = X[rows, columns] / 2
    order = np.argsort(np.r_[rows, rows], kind="stable")
    indices = np.r_[columns, columns][order]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=X.shape[0]) * 2)]
    return sp.csr_matrix((np.r_[halves, halves][order], indices, indptr), shape=X.shape)


@pytest.mark.parametrize("input_scaling", ["robust", None])
def test_duplicate_entries_train_and_predict_as_their_sum(input_scaling):
    X, y = _mixed_rows()
    duplicated = _with_duplicates(X)
    assert not duplicated.has_canonical_format and duplicated.nnz == 2 * np.count_nonzero(X)
    np.testing.assert_allclose(duplicated.toarray(), X)
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    params["input_scaling"] = input_scaling
    summed = _quiet(lambda: RegularizedMLPClassifier(**params).fit(sp.csr_matrix(X), y))
    split = _quiet(lambda: RegularizedMLPClassifier(**params).fit(duplicated, y))
    np.testing.assert_allclose(split.coefs_[0], summed.coefs_[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        summed.predict_proba(duplicated), summed.predict_proba(X), rtol=1e-12, atol=1e-14
    )
    scaler = RobustSmoothClipScaler().fit(X)
    np.testing.assert_array_equal(
        scaler.transform(duplicated).toarray(), scaler.transform(sp.csr_matrix(X)).toarray()
    )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_a_sparse_multilabel_target_under_the_default_early_stopping(fmt):
    X, y = _mixed_rows(n=600)  # enough rows for early_stopping="auto" to hold some out
    Y = np.c_[y, 1 - y, X[:, 1] > 0].astype(int)
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    sparse = _quiet(
        lambda: RegularizedMLPClassifier(**params).fit(X, sp.csr_matrix(Y).asformat(fmt))
    )
    dense = _quiet(lambda: RegularizedMLPClassifier(**params).fit(X, Y))
    assert sparse.validation_scores_ == dense.validation_scores_  # it held out rows
    assert len(sparse.validation_scores_) > 0
    np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))


def test_wide_sparse_rows_predict_as_the_dense_rows_to_rounding():
    # 3,000 features: the densified blocks hold fewer rows than the dense path's.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1500, 3000)) * (rng.uniform(size=(1500, 3000)) > 0.9)
    y = (X[:, :10].sum(axis=1) > 0).astype(int)
    params = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0, numeric_embeddings=None)
    model = _quiet(lambda: RegularizedMLPClassifier(**params).fit(X[:200], y[:200]))
    np.testing.assert_allclose(
        model.predict_proba(sp.csr_matrix(X)), model.predict_proba(X), rtol=1e-12, atol=1e-15
    )
