"""Tables as they come: DataFrames with categorical, string, boolean and missing values."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._tables import MISSING

FAST = dict(max_iter=15, random_state=0)


def make_table(n=400, seed=0):
    """A table with every kind of column, and a target that depends on all of them."""
    rs = np.random.RandomState(seed)
    df = pd.DataFrame(
        {
            "num": rs.normal(size=n),
            "num_nan": np.where(rs.uniform(size=n) < 0.2, np.nan, rs.normal(size=n)),
            "color": pd.Categorical(rs.choice(["red", "green", "blue"], n)),
            "flag": rs.uniform(size=n) < 0.5,
            "city": rs.choice([f"c{i}" for i in range(30)], n).astype(object),
            "grade": pd.array(rs.choice(["a", "b", None], n), dtype="string"),
        }
    )
    city = df["city"].str[1:].astype(int)
    y = (
        df["num"]
        + (df["color"] == "red")
        + (city % 3)
        + df["flag"]
        + df["num_nan"].fillna(2.0)
        + rs.normal(0, 0.2, n)
    ).to_numpy()
    return df, y


def kinds(model):
    return {c.name: c.kind for c in model._inputs.encoding.columns}


def test_raw_dataframe_fits_predicts_and_encodes_each_kind():
    df, y = make_table()
    reg = RegularizedMLPRegressor(**FAST).fit(df, y)
    assert list(reg.feature_names_in_) == list(df.columns)
    assert reg.n_features_in_ == 6
    np.testing.assert_array_equal(reg.is_categorical_, [False, False, True, True, True, True])
    assert kinds(reg) == {
        "num": "numeric", "num_nan": "numeric", "color": "one_hot", "flag": "binary",
        "city": "code", "grade": "one_hot",
    }  # fmt: skip
    names = reg._inputs.encoding.feature_names_out
    # Values first (numbers, the indicator, the +-1 column, one-hot levels), codes last.
    assert names[:3] == ["num", "num_nan", "num_nan_missing"]
    assert "grade=<missing>" in names and names[-1] == "city"
    # 30 cities, plus the row "other"; vectors of category_embedding_dim.
    assert reg.category_embeddings_.shape == (31, 8)
    assert reg.score(df, y) > 0.8
    assert np.isfinite(reg.predict(df)).all()


def test_classifier_on_raw_dataframe_predicts_proba():
    df, y = make_table()
    labels = np.where(y > np.median(y), "high", "low")
    clf = RegularizedMLPClassifier(**FAST).fit(df, labels)
    proba = clf.predict_proba(df)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(clf.predict(df)) <= {"high", "low"}
    assert clf.score(df, labels) > 0.8


def test_cross_validation_grid_search_clone_and_pickle():
    df, y = make_table(300)
    scores = cross_val_score(RegularizedMLPRegressor(**FAST), df, y, cv=3)
    assert np.isfinite(scores).all() and scores.mean() > 0.0
    search = GridSearchCV(
        RegularizedMLPRegressor(**FAST), {"category_embedding_dim": [2, 4]}, cv=2
    ).fit(df, y)
    assert search.best_estimator_.category_embeddings_.shape[1] in (2, 4)
    model = clone(search.best_estimator_).fit(df, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(df), model.predict(df))


def test_learned_vectors_carry_a_high_cardinality_signal():
    # The target is a per-level value of a 60-level column: without the column nothing is
    # learnable; with its learned vectors, most of it is.
    rs = np.random.RandomState(1)
    n = 1500
    level = rs.randint(0, 60, n)
    effect = rs.normal(size=60)
    df = pd.DataFrame({"noise": rs.normal(size=n), "shop": [f"s{i}" for i in level]})
    y = effect[level] + rs.normal(0, 0.1, n)
    reg = RegularizedMLPRegressor(max_iter=40, random_state=0).fit(df[:1000], y[:1000])
    assert kinds(reg)["shop"] == "code"
    assert reg.score(df[1000:], y[1000:]) > 0.8


def test_rare_levels_are_pooled_with_unseen_ones():
    df, y = make_table()
    df["city"] = df["city"].astype(object)
    df.loc[df.index[:3], "city"] = ["rare_a", "rare_b", "rare_b"]  # seen 1 and 2 times
    reg = RegularizedMLPRegressor(min_category_count=3, **FAST).fit(df, y)
    rows = df.iloc[[0, 1, 0]].copy()
    rows["city"] = ["rare_a", "rare_b", "never_seen"]
    pred = reg.predict(rows)
    # Rare levels and an unseen level share the code "other": the same prediction when the
    # rest of the row is the same (rows 0 and 2).
    assert pred[0] == pytest.approx(pred[2], rel=1e-12)
    codes = reg._inputs.encoding.transform(rows)[:, -1]
    assert codes[0] == codes[1] == codes[2] == len(reg._inputs.encoding.columns[4].levels)
    # With min_category_count=1 (the default) every level keeps its own vector.
    kept = RegularizedMLPRegressor(**FAST).fit(df, y)
    assert (
        kept._inputs.encoding.transform(rows)[:, -1][0]
        != kept._inputs.encoding.transform(rows)[:, -1][1]
    )


def test_one_hot_threshold_and_unseen_levels_in_one_hot_columns():
    df, y = make_table()
    # Every categorical column one-hot: the 30 cities give 30 columns, no vectors.
    wide = RegularizedMLPRegressor(max_one_hot_levels=50, **FAST).fit(df, y)
    assert kinds(wide)["city"] == "one_hot"
    assert wide.category_embeddings_.shape == (0,)
    # max_one_hot_levels=0: every categorical column gets learned vectors.
    narrow = RegularizedMLPRegressor(max_one_hot_levels=0, **FAST).fit(df, y)
    assert {kinds(narrow)[c] for c in ("color", "flag", "city", "grade")} == {"code"}
    # An unseen colour (a one-hot column without rare levels) sets no colour column at all.
    row = df.iloc[[0]].copy()
    row["color"] = pd.Categorical(["purple"])
    encoded = wide._inputs.encoding.transform(row)
    colour = [
        i for i, n in enumerate(wide._inputs.encoding.feature_names_out) if n.startswith("color=")
    ]
    assert encoded[0, colour].sum() == 0.0
    assert np.isfinite(wide.predict(row)).all()


def test_two_level_column_is_one_plus_minus_one_input():
    df, y = make_table()
    reg = RegularizedMLPRegressor(**FAST).fit(df, y)
    column = reg._inputs.encoding.feature_names_out.index(
        "flag=" + str(reg._inputs.encoding.columns[3].levels[1])
    )
    encoded = reg._inputs.encoding.transform(df)[:, column]
    assert set(np.unique(encoded)) == {-1.0, 1.0}
    assert sum(name.startswith("flag=") for name in reg._inputs.encoding.feature_names_out) == 1


def test_missing_categories_are_a_level_and_missing_at_predict_is_other():
    df, y = make_table()
    reg = RegularizedMLPRegressor(**FAST).fit(df, y)
    names = reg._inputs.encoding.feature_names_out
    assert "grade=<missing>" in names
    # color had no missing values in training: a missing colour is like an unseen one.
    row = df.iloc[[0]].copy()
    row["color"] = pd.Categorical([None], categories=["red", "green", "blue"])
    colour = [i for i, n in enumerate(names) if n.startswith("color=")]
    assert reg._inputs.encoding.transform(row)[0, colour].sum() == 0.0
    assert np.isfinite(reg.predict(row)).all()


@pytest.mark.parametrize("indicators", [True, False])
def test_missing_numbers_are_imputed_with_an_indicator(indicators):
    df, y = make_table()
    reg = RegularizedMLPRegressor(missing_indicators=indicators, **FAST).fit(df, y)
    names = reg._inputs.encoding.feature_names_out
    assert ("num_nan_missing" in names) is indicators
    median = np.nanmedian(df["num_nan"])
    missing_row = df.iloc[[0]].copy()
    missing_row["num_nan"] = np.nan
    encoded = reg._inputs.encoding.transform(missing_row)
    assert encoded[0, names.index("num_nan")] == pytest.approx(median)
    if indicators:
        assert encoded[0, names.index("num_nan_missing")] == 1.0
    # A column complete in training gets its median at predict time, with no indicator.
    as_median = df.iloc[[0]].copy()
    as_median["num"] = np.median(df["num"])
    unknown = df.iloc[[0]].copy()
    unknown["num"] = np.nan
    np.testing.assert_array_equal(reg.predict(unknown), reg.predict(as_median))


def test_medians_come_from_the_sample_without_touching_warning_filters(monkeypatch):
    """An array's medians come from evenly spaced rows; a column with values only outside
    them gets 0, and no RuntimeWarning escapes, in threads too (the members of an ensemble):
    the encoder avoids the warning instead of filtering it, which is not safe in threads."""
    import skdeep._tables

    monkeypatch.setattr(skdeep._tables, "MEDIAN_ROWS", 100)  # every 4th of 400 rows
    rs = np.random.RandomState(0)
    X = rs.normal(size=(400, 3))
    X[::2, 1] = np.nan  # values in odd rows only
    X[::3, 2] = np.nan
    y = X[:, 0] + rs.normal(scale=0.1, size=400)
    reg = RegularizedMLPRegressor(early_stopping=False, **FAST).fit(X, y)
    medians = [c.median for c in reg._inputs.encoding.columns]
    assert medians == pytest.approx([np.median(X[::4, 0]), 0.0, np.nanmedian(X[::4, 2])])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RegularizedMLPRegressor(n_ensembles=2, n_jobs=2, **FAST).fit(X, y)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_numpy_array_with_nan():
    rs = np.random.RandomState(3)
    X = rs.normal(size=(300, 4))
    y = X[:, 0] - X[:, 1] + rs.normal(0, 0.1, 300)
    X[rs.uniform(size=X.shape) < 0.1] = np.nan
    reg = RegularizedMLPRegressor(**FAST).fit(X, y)
    assert reg._inputs.encoding.feature_names_out[4:] == [f"x{j}_missing" for j in range(4)]
    pred = reg.predict(X)
    assert np.isfinite(pred).all() and reg.score(X, y) > 0.5
    # Cross-validation and a scikit-learn pipeline take NaN through to the estimator.
    assert np.isfinite(cross_val_score(RegularizedMLPRegressor(**FAST), X, y, cv=3)).all()


def test_complete_numeric_input_takes_the_array_path_unchanged():
    # A float32 array keeps its dtype and is the network's input as is.
    rs = np.random.RandomState(4)
    X = rs.normal(size=(200, 3)).astype(np.float32)
    y = rs.normal(size=200)
    reg = RegularizedMLPRegressor(**FAST).fit(X, y)
    assert reg._inputs.encoding.array_mode and reg._inputs.encoding.transform(X) is X
    # The same numbers as a DataFrame train the same network.
    frame = RegularizedMLPRegressor(**FAST).fit(pd.DataFrame(X, columns=list("abc")), y)
    np.testing.assert_array_equal(frame.coefs_[0], reg.coefs_[0])
    assert frame.coefs_[0].dtype == np.float32


def test_column_names_checked_as_scikit_learn_does():
    df, y = make_table()
    reg = RegularizedMLPRegressor(**FAST).fit(df, y)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        reg.predict(df[df.columns[::-1]])
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        reg.predict(df.drop(columns="city"))
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        reg.predict(df.assign(extra=1.0))


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2020-01-01", periods=400, freq="D"),
        pd.to_timedelta(np.arange(400), unit="h"),
    ],
    ids=["datetime", "timedelta"],
)
def test_dates_and_durations_get_a_clear_error(column):
    df, y = make_table()
    df["when"] = column
    with pytest.raises(ValueError, match=r"Column 'when' holds dates or durations.*\.dt\."):
        RegularizedMLPRegressor(**FAST).fit(df, y)


def test_awkward_columns_are_handled():
    df, y = make_table()
    df["empty"] = np.nan  # every value missing
    df["mixed"] = np.array([1, "a", 2.5, None] * 100, dtype=object)  # mixed types
    df["single"] = ["only_once"] + ["common"] * 399  # a one-row category
    with pytest.warns(UserWarning, match=r"Columns \['empty'\] have no values"):
        reg = RegularizedMLPRegressor(min_category_count=2, **FAST).fit(df, y)
    assert kinds(reg)["mixed"] == "one_hot"
    assert set(reg._inputs.encoding.columns[list(df.columns).index("mixed")].levels) == {
        1,
        "a",
        2.5,
        MISSING,
    }
    # The one-row level is pooled: "single" has one kept level and "other".
    single = reg._inputs.encoding.columns[list(df.columns).index("single")]
    assert single.levels == ["common"] and single.has_rare
    assert np.isfinite(reg.predict(df)).all()


@pytest.mark.parametrize("kind", ["strings", "row_numbers"])
def test_identifier_columns_warn_naming_them(kind):
    df, y = make_table()
    df["id"] = [f"user{i}" for i in range(400)] if kind == "strings" else np.arange(1, 401)
    with pytest.warns(UserWarning, match=r"Columns \['id'\] look like identifiers"):
        RegularizedMLPRegressor(**FAST).fit(df, y)
    # Continuous measurements are all distinct too, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RegularizedMLPRegressor(**FAST).fit(df.drop(columns="id"), y)


def test_categorical_features_by_name_index_and_mask():
    rs = np.random.RandomState(5)
    codes = rs.randint(0, 4, 300)
    X = np.column_stack([rs.normal(size=300), codes])
    y = np.array([0.0, 3.0, -1.0, 5.0])[codes] + rs.normal(0, 0.1, 300)
    by_index = RegularizedMLPRegressor(categorical_features=[1], **FAST).fit(X, y)
    by_mask = RegularizedMLPRegressor(categorical_features=[False, True], **FAST).fit(X, y)
    np.testing.assert_array_equal(by_index.predict(X), by_mask.predict(X))
    assert kinds(by_index) == {"x0": "numeric", "x1": "one_hot"}
    frame = pd.DataFrame({"a": X[:, 0], "b": codes})
    by_name = RegularizedMLPRegressor(categorical_features=["b"], **FAST).fit(frame, y)
    np.testing.assert_array_equal(by_name.predict(frame), by_index.predict(X))
    # None: the dtype decides nothing, every column is a number.
    assert (
        not RegularizedMLPRegressor(categorical_features=None, **FAST)
        .fit(frame, y)
        ._inputs.encoding.is_categorical.any()
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        (["b"], "names columns, but X has no column names"),
        ([True], r"one entry per column of X \(2\)"),
        ([5], r"column indices outside 0..1: \[5\]"),
    ],
)
def test_bad_categorical_features_get_clear_errors(spec, message):
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match=message):
        RegularizedMLPRegressor(categorical_features=spec, **FAST).fit(X, np.arange(10.0))


def test_unknown_column_name_and_non_numeric_numeric_column():
    df, y = make_table()
    with pytest.raises(ValueError, match=r"does not have: \['nope'\]"):
        RegularizedMLPRegressor(categorical_features=["nope"], **FAST).fit(df, y)
    with pytest.raises(ValueError, match=r"Column 'city' holds values that are not numbers"):
        RegularizedMLPRegressor(categorical_features=["color"], **FAST).fit(df, y)


def test_infinity_in_a_table_is_an_error_naming_the_column():
    df, y = make_table()
    df.loc[df.index[3], "num"] = np.inf
    with pytest.raises(ValueError, match="infinity in column 'num'"):
        RegularizedMLPRegressor(**FAST).fit(df, y)


def test_sparse_input_with_nan_is_an_error():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [np.nan, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="sparse X must be complete"):
        RegularizedMLPRegressor(**FAST).fit(X, [1.0, 2.0, 3.0])


def test_partial_fit_warm_start_and_validation_frames():
    df, y = make_table()
    reg = RegularizedMLPRegressor(learning_rate="constant", **FAST)
    reg.partial_fit(df[:200], y[:200])
    before = reg.coefs_[0].copy()
    reg.partial_fit(df[200:], y[200:])  # new rare / unseen levels are fine
    assert not np.array_equal(before, reg.coefs_[0])
    warm = RegularizedMLPRegressor(warm_start=True, **FAST).fit(df, y)
    warm.fit(df, y)
    assert np.isfinite(warm.predict(df)).all()
    val = RegularizedMLPRegressor(early_stopping=True, **FAST).fit(
        df[:300], y[:300], X_val=df[300:], y_val=y[300:]
    )
    assert len(val.validation_scores_) == val.n_iter_


def test_a_column_transformer_in_front_still_works():
    df, y = make_table()
    pre = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["color", "city"]),
        (StandardScaler(), ["num"]),
    )
    model = make_pipeline(pre, RegularizedMLPRegressor(**FAST)).fit(df, y)
    assert model[-1]._inputs.encoding.array_mode and not model[-1].is_categorical_.any()
    assert model.score(df, y) > 0.2  # the columns it was given explain part of y


def test_polars_dataframe_is_taken_like_pandas():
    import polars as pl

    df, y = make_table(300)
    frame = pl.from_pandas(df.drop(columns="color"))  # polars has no pandas Categorical
    reg = RegularizedMLPRegressor(**FAST).fit(frame, y)
    assert list(reg.feature_names_in_) == list(frame.columns)
    assert kinds(reg)["city"] == "code" and kinds(reg)["grade"] == "one_hot"
    same = RegularizedMLPRegressor(**FAST).fit(df.drop(columns="color"), y)
    np.testing.assert_allclose(reg.predict(frame), same.predict(df.drop(columns="color")))
