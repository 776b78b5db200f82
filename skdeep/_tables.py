"""Tables as they come: the columns of a DataFrame (or array) as the network's input matrix.

:class:`TableEncoding` learns at ``fit`` what each column is and turns a table into one float
matrix, the same way at ``fit`` and ``predict``:

- numeric columns keep their values; a missing value (NaN, None, ``pd.NA``) becomes the
  column's training median, and each column that had missing values in training gains an
  indicator column (1 where the value was missing);
- categorical columns (by default those whose dtype says so: pandas ``category``, ``object``,
  string and ``bool``) become levels: levels seen fewer than ``min_count`` times in training
  are pooled into one level "other", which also takes the levels never seen in training, and
  a missing value is a level of its own. A column with at most ``max_one_hot`` levels is
  one-hot encoded (two levels: one column of -1 / +1, 0 for an unseen level); a column with
  more becomes an integer code (``0 .. n_levels - 1`` for the kept levels, ``n_levels`` for
  "other") that the network turns into a learned vector (the categorical vectors of
  :mod:`skdeep._network`).

The output holds the value columns (numeric values, missing indicators, +-1 and one-hot
columns, in that order) followed by the code columns, the order the network's input table
expects. Plain numeric arrays pass through untouched unless they hold missing values.
"""

import numbers

import numpy as np
import pandas as pd

from ._warnings import warn_at_user_line

# The medians of a large array are those of this many of its rows, evenly spaced.
MEDIAN_ROWS = 100_000
_BLOCK_ROWS = 65_536
_BLOCK_COLUMNS = 16
# Below this many rows, a column of distinct values is not evidence of an identifier.
_MIN_ROWS_FOR_IDENTIFIER = 20


class _Missing:
    """The level of a missing categorical value (one object, so that it can be a level)."""

    def __repr__(self):
        return "<missing>"

    def __reduce__(self):
        return (_missing, ())


def _missing():
    return MISSING


MISSING = _Missing()


def is_dataframe(X):
    return isinstance(X, pd.DataFrame)


def pandas_if_polars(X):
    """A polars DataFrame as a pandas one (polars' ``to_pandas``, which needs pyarrow);
    anything else as it is."""
    if type(X).__module__.split(".")[0] == "polars" and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X


def _is_categorical_dtype(dtype):
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def _is_time_dtype(dtype):
    return (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def _columns(X):
    """``(names, getter)``: a name per column and a function giving a column's values."""
    if is_dataframe(X):
        return [str(c) for c in X.columns], lambda j: X.iloc[:, j]
    X = np.asarray(X) if not hasattr(X, "shape") else X
    return [f"x{j}" for j in range(X.shape[1])], lambda j: X[:, j]


def categorical_mask(X, categorical_features):
    """Which columns of ``X`` are categorical, by the rule of ``categorical_features``.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    categorical_features : "from_dtype", None, array-like of str, int or bool

    Returns
    -------
    ndarray of shape (n_features,), bool
    """
    n_features = X.shape[1]
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str):  # "from_dtype" (the constraint checked the value)
        if not is_dataframe(X):
            return np.zeros(n_features, dtype=bool)
        return np.array([_is_categorical_dtype(d) for d in X.dtypes], dtype=bool)
    spec = np.asarray(categorical_features)
    if spec.size == 0:
        return np.zeros(n_features, dtype=bool)
    if spec.dtype.kind == "b":
        if spec.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask needs one entry per column of X "
                f"({n_features}), got shape {spec.shape}."
            )
        return spec.astype(bool)
    mask = np.zeros(n_features, dtype=bool)
    if spec.dtype.kind in "iu":
        if spec.min() < 0 or spec.max() >= n_features:
            raise ValueError(
                f"categorical_features has column indices outside 0..{n_features - 1}: "
                f"{sorted(int(j) for j in spec if not 0 <= j < n_features)}."
            )
        mask[spec] = True
        return mask
    if spec.dtype.kind in "US" or spec.dtype == object:
        if not is_dataframe(X):
            raise ValueError(
                "categorical_features names columns, but X has no column names (it is not a "
                "DataFrame). Pass column indices or a boolean mask instead, or pass X as a "
                "DataFrame."
            )
        names = [str(c) for c in X.columns]
        unknown = [str(c) for c in spec if str(c) not in names]
        if unknown:
            raise ValueError(
                f"categorical_features names columns that X does not have: {unknown}. X's "
                f"columns are {names}."
            )
        mask[[names.index(str(c)) for c in spec]] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, or an array of column names, "
        f"column indices or booleans; got {categorical_features!r}."
    )


def _numeric_values(values, name):
    """A column's values as float64 (missing as NaN), or a clear error naming it."""
    if isinstance(values, pd.Series):
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        values = values.to_numpy(dtype=object)
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        sample = next((v for v in values if _not_a_number(v)), None)
        raise ValueError(
            f"Column {name!r} holds values that are not numbers (for example {sample!r}) but "
            "is not a categorical feature. List it in categorical_features (or leave "
            "categorical_features='from_dtype' and give it the object, string or category "
            "dtype)."
        ) from None
    return out


def _not_a_number(value):
    if value is None or isinstance(value, numbers.Number):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return True
    return False


def _category_values(values):
    """A categorical column as an object array, missing values as :data:`MISSING`."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    values = np.asarray(values, dtype=object).copy()
    missing = pd.isna(values)
    values[missing] = MISSING
    return values


def _unhashable(name):
    return ValueError(
        f"Column {name!r} holds values that cannot be categories (they are not hashable). "
        "Convert them to strings or numbers."
    )


class _Column:
    """What fit learned about one input column."""

    def __init__(self, name, kind, **learned):
        self.name = name
        self.kind = kind  # "numeric", "binary", "one_hot" or "code"
        self.__dict__.update(learned)


class TableEncoding:
    """What each column of a table is, and the network's input matrix of any table like it.

    Parameters
    ----------
    categorical_features : "from_dtype", None, or array-like of str, int or bool
        Which columns are categorical (see :func:`categorical_mask`).
    max_one_hot : int
        Columns with at most this many levels (after pooling) are one-hot encoded; columns
        with more become codes of learned vectors.
    min_count : int
        Levels seen fewer times in training are pooled into the level "other".
    missing_indicators : bool
        Whether a numeric column with missing values in training gains an indicator column.

    Attributes
    ----------
    is_categorical : ndarray of shape (n_features,), bool
    category_levels : tuple of int
        Rows of each code column's table of vectors (its kept levels and "other").
    n_values : int
        Number of value columns of the output (the code columns follow them).
    feature_names_out : list of str
        A name for each output column.
    """

    def __init__(self, categorical_features, max_one_hot, min_count, missing_indicators):
        self.categorical_features = categorical_features
        self.max_one_hot = int(max_one_hot)
        self.min_count = int(min_count)
        self.missing_indicators = bool(missing_indicators)

    # ---------------------------------------------------------------------------- fitting

    def fit(self, X):
        """Learn each column's kind, median or levels from the training table ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        self
        """
        self.is_categorical = categorical_mask(X, self.categorical_features)
        names, column = _columns(X)
        n = X.shape[0]
        self._check_dtypes(X, names)
        # A float array (the estimator validated it) without categorical columns: the
        # numeric columns at once, and the output keeps its dtype.
        self.array_mode = not is_dataframe(X) and not self.is_categorical.any()
        self.columns = []
        empty, identifiers = [], []
        if self.array_mode:
            self._fit_array(X, names, empty)
        else:
            for j, name in enumerate(names):
                if self.is_categorical[j]:
                    spec = self._fit_categorical(_category_values(column(j)), name)
                    if spec.n_distinct == n and n >= _MIN_ROWS_FOR_IDENTIFIER:
                        identifiers.append(name)
                else:
                    values = _numeric_values(column(j), name)
                    spec = self._fit_numeric(values, name)
                    if np.isnan(spec.median):
                        spec.median = 0.0
                        empty.append(name)
                    elif _is_row_index(values):
                        identifiers.append(name)
                self.columns.append(spec)
        numeric_dtypes = [
            X.dtypes.iloc[j]
            for j in range(len(names))
            if is_dataframe(X) and not self.is_categorical[j]
        ]
        self.dtype = np.dtype(np.float64)
        if self.array_mode:
            self.dtype = X.dtype
        elif numeric_dtypes and all(d == np.float32 for d in numeric_dtypes):
            self.dtype = np.dtype(np.float32)
        if empty:
            warn_at_user_line(
                f"Columns {empty} have no values in the training data (every value is "
                "missing): the model ignores them.",
                UserWarning,
            )
        if identifiers:
            warn_at_user_line(
                f"Columns {identifiers} look like identifiers (a different value in every "
                "row): they carry no pattern that holds for new rows, and a model can only "
                "memorize them. Drop them from X unless they mean something (or set "
                "min_category_count=2, which pools a categorical one into one level).",
                UserWarning,
            )
        self._layout_outputs()
        return self

    @staticmethod
    def _check_dtypes(X, names):
        if not is_dataframe(X):
            return
        for name, dtype in zip(names, X.dtypes, strict=True):
            if _is_time_dtype(dtype):
                raise ValueError(
                    f"Column {name!r} holds dates or durations ({dtype}); the model takes "
                    "numbers and categories. Convert it to numbers first, for example the "
                    "days since a reference date (df[col] - reference).dt.days, or its parts "
                    "(df[col].dt.year, .dt.month, .dt.dayofweek)."
                )

    def _fit_array(self, X, names, empty):
        # Counted block by block and the medians of at most MEDIAN_ROWS evenly spaced rows:
        # the memory of a large X's fit stays that of the data and the network.
        missing_rows = np.zeros(X.shape[1], dtype=np.int64)
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            missing_rows += np.isnan(X[start : start + _BLOCK_ROWS]).sum(axis=0)
        sample = X[:: max(1, -(-X.shape[0] // MEDIAN_ROWS))]
        medians = np.zeros(X.shape[1])
        with np.errstate(all="ignore"):
            for start in range(0, X.shape[1], _BLOCK_COLUMNS):
                block = sample[:, start : start + _BLOCK_COLUMNS]
                if not missing_rows.any():
                    medians[start : start + block.shape[1]] = np.median(block, axis=0)
                    continue
                # A column without a value in the sample keeps 0; np.nanmedian would warn
                # about it, and silencing that with catch_warnings is not safe in the
                # threads that fit ensemble members (warning filters are process-wide).
                valued = start + np.flatnonzero(~np.isnan(block).all(axis=0))
                if valued.size:
                    medians[valued] = np.nanmedian(sample[:, valued], axis=0)
        medians = np.where(np.isnan(medians), 0.0, medians)  # -inf and inf in the middle
        for j, name in enumerate(names):
            if missing_rows[j] == X.shape[0]:
                medians[j] = 0.0
                empty.append(name)
        self.columns = [
            _Column(
                name,
                "numeric",
                median=float(medians[j]),
                indicator=bool(self.missing_indicators and 0 < missing_rows[j] < X.shape[0]),
            )
            for j, name in enumerate(names)
        ]
        self._medians = medians.astype(X.dtype)
        self._indicators = np.flatnonzero([c.indicator for c in self.columns])

    def _fit_numeric(self, values, name):
        _check_finite(values, name)
        missing = np.isnan(values)
        median = np.nan if missing.all() else float(np.median(values[~missing]))
        return _Column(
            name,
            "numeric",
            median=median,
            indicator=bool(self.missing_indicators and missing.any() and not missing.all()),
        )

    def _fit_categorical(self, values, name):
        try:
            counts = pd.Series(values).value_counts(sort=False)
        except TypeError:
            raise _unhashable(name) from None
        # Most frequent first, ties by their text: the same levels in the same order on
        # every run (the order sets which one-hot column or table row a level gets).
        pairs = zip(counts.to_numpy(), counts.index, strict=True)
        order = sorted(pairs, key=lambda c: (-c[0], str(c[1])))
        kept = [level for count, level in order if count >= self.min_count]
        has_rare = len(kept) < len(order)
        if len(kept) + has_rare > self.max_one_hot:
            kind = "code"
        elif len(kept) == 2 and not has_rare:
            kind = "binary"
        else:
            kind = "one_hot"
        return _Column(
            name,
            kind,
            levels=kept,
            index=pd.Index(kept, dtype=object),
            has_rare=has_rare,
            n_distinct=len(order),
        )

    def _layout_outputs(self):
        """Output column of every part, and the names of the output columns."""
        names, codes = [], []
        numeric = [c for c in self.columns if c.kind == "numeric"]
        names += [c.name for c in numeric]
        names += [f"{c.name}_missing" for c in numeric if c.indicator]
        for c in self.columns:
            if c.kind == "binary":
                names.append(f"{c.name}={c.levels[1]}")
        for c in self.columns:
            if c.kind == "one_hot":
                names += [f"{c.name}={level}" for level in c.levels]
                names += [f"{c.name}=other"] if c.has_rare else []
        for c in self.columns:
            if c.kind == "code":
                codes.append(c)
                names.append(c.name)
        self.n_values = len(names) - len(codes)
        self.category_levels = tuple(len(c.levels) + 1 for c in codes)
        self.feature_names_out = names

    # ---------------------------------------------------------------------- persistence

    def to_plain(self):
        """What fit learned, as plain containers, strings, numbers and arrays only (so that
        a file of it names no type but these: see :meth:`from_plain`)."""
        state = dict(self.__dict__, dtype=self.dtype.str)
        state["columns"] = [
            {
                key: [None if level is MISSING else level for level in value]
                if key == "levels"
                else value
                for key, value in column.__dict__.items()
                if key != "index"
            }
            for column in self.columns
        ]
        return state

    @classmethod
    def from_plain(cls, state):
        """The encoding of a :meth:`to_plain` state."""
        encoding = cls.__new__(cls)
        encoding.__dict__.update(state, dtype=np.dtype(state["dtype"]), columns=[])
        for learned in state["columns"]:
            column = _Column(**learned)
            if "levels" in learned:
                # A missing value is stored as None (never a level itself: it is missing).
                column.levels = [MISSING if level is None else level for level in column.levels]
                column.index = pd.Index(column.levels, dtype=object)
            encoding.columns.append(column)
        return encoding

    # ------------------------------------------------------------------------ transform

    def transform(self, X):
        """The network's input matrix of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Columns in the order of the training table (a float array, validated, when the
            training table was one).

        Returns
        -------
        ndarray of shape (n_samples, n_values + n_codes), C-contiguous
            In the training array's dtype; for a table, float32 when every numeric column
            of the training table was float32, else float64.
        """
        if self.array_mode and not is_dataframe(X):
            return self._transform_array(X)
        names, column = _columns(X)
        self._check_dtypes(X, names)
        n = X.shape[0]
        out = np.empty((n, len(self.feature_names_out)), dtype=self.dtype)
        values, indicators, binary, one_hot, codes = [], [], [], [], []
        for j, spec in enumerate(self.columns):
            if spec.kind == "numeric":
                x = _numeric_values(column(j), spec.name)
                _check_finite(x, spec.name)
                missing = np.isnan(x)
                if missing.any():
                    x = np.where(missing, spec.median, x)
                values.append(x)
                if spec.indicator:
                    indicators.append(missing)
                continue
            levels = self._level_codes(_category_values(column(j)), spec)
            if spec.kind == "binary":
                binary.append(np.select([levels == 0, levels == 1], [-1.0, 1.0], 0.0))
            elif spec.kind == "one_hot":
                width = len(spec.levels) + spec.has_rare
                block = np.zeros((n, width))
                known = levels < width
                block[np.flatnonzero(known), levels[known]] = 1.0
                one_hot.append(block)
            else:
                codes.append(levels)
        parts = (
            [v[:, None] for v in values]
            + [m[:, None] for m in indicators]
            + [b[:, None] for b in binary]
            + one_hot
            + [c[:, None] for c in codes]
        )
        start = 0
        for part in parts:
            out[:, start : start + part.shape[1]] = part
            start += part.shape[1]
        return out

    def _transform_array(self, X):
        """A validated float array: itself when nothing is missing and no indicator is
        due, else with medians filled in and the indicator columns appended."""
        if not any(
            np.isnan(X[start : start + _BLOCK_ROWS]).any()
            for start in range(0, X.shape[0], _BLOCK_ROWS)
        ):
            if not len(self._indicators):
                return X
            return np.hstack([X, np.zeros((X.shape[0], len(self._indicators)), X.dtype)])
        missing = np.isnan(X)
        filled = np.where(missing, self._medians, X)
        return np.ascontiguousarray(
            np.hstack([filled, missing[:, self._indicators].astype(X.dtype)])
        )

    @staticmethod
    def _level_codes(values, spec):
        """Each value's level: its index among the kept levels, ``len(levels)`` ("other")
        for a rare or unseen one. (A one-hot column without rare levels has no column
        "other": an unseen level gets zeros.)"""
        try:
            codes = spec.index.get_indexer(values)
        except TypeError:
            raise _unhashable(spec.name) from None
        return np.where(codes < 0, len(spec.levels), codes)


def _check_finite(values, name):
    if np.isinf(values).any():
        raise ValueError(
            f"Input X contains infinity in column {name!r}. Replace infinite values (by NaN, "
            "which the model treats as missing, or by a large finite number)."
        )


def _is_row_index(values):
    """Whether a numeric column is a run of consecutive integers in some order (0..n-1,
    1..n, ...): a row number, not a measurement."""
    n = values.shape[0]
    if n < _MIN_ROWS_FOR_IDENTIFIER or np.isnan(values).any():
        return False
    if not np.array_equal(values, np.round(values)):
        return False
    low, high = values.min(), values.max()
    return high - low == n - 1 and np.unique(values).shape[0] == n
