"""The input pipeline: how validated rows become the matrix the network takes.

One object, learnt on the first call's training data and kept as the estimator's single
fitted input state (``_inputs``): the table encoding (:class:`~skdeep._tables.TableEncoding`:
categorical columns, missing values), the robust input scaler, the columns the numeric
embeddings describe and the dtype the network trains in. Checking rows against the fitted
estimator (their number of features and names) stays with the estimator, where scikit-learn's
``validate_data`` keeps that state.

A model fitted on sparse X has no table encoding and takes sparse rows as they are; so does a
model pickled before tables were taken (it takes no missing values either).
"""

import numbers

import numpy as np
import scipy.sparse as sp

from ._tables import MISSING, TableEncoding
from .preprocessing import RobustSmoothClipScaler

__all__ = ["InputPipeline"]


class InputPipeline:
    """The fitted steps between a user's rows and the network's input.

    Parameters
    ----------
    encoding : TableEncoding or None
        The table encoding; None for a model fitted on sparse X.
    scaler : RobustSmoothClipScaler or None
        Fitted on the value columns (not the categorical codes); None without
        ``input_scaling``.
    embedded : ndarray of shape (n_embedded,), dtype intp
        The input columns the numeric embeddings describe.
    dtype : numpy dtype or None
        The dtype the network trains in (None until the first fit sets it).
    """

    def __init__(self, encoding=None, scaler=None, embedded=None, dtype=None):
        self.encoding = encoding
        self.scaler = scaler
        self.embedded = np.zeros(0, dtype=np.intp) if embedded is None else embedded
        self.dtype = dtype

    @property
    def is_table(self):
        """Whether rows go through the table path (a DataFrame or categorical columns)."""
        return self.encoding is not None and not self.encoding.array_mode

    @property
    def n_codes(self):
        """Number of categorical code columns at the end of the network's input."""
        return 0 if self.encoding is None else len(self.encoding.category_levels)

    def is_categorical(self, n_features):
        """Which of the ``n_features`` input columns are categorical, shape (n_features,)."""
        if self.encoding is None:
            return np.zeros(n_features, dtype=bool)
        return self.encoding.is_categorical

    def takes_sparse_as_is(self):
        """Whether sparse rows go to the kernels unchanged: for a model fitted on sparse X.

        A model fitted on dense X has an encoding; the scaler and embedding checks are for
        models pickled before tables were taken, which have none.
        """
        return (
            self.encoding is None
            and len(self.embedded) == 0
            and (self.scaler is None or not np.any(self.scaler.center_))
        )

    def dense_rows(self, X, n_features):
        """Sparse ``X`` for a model fitted on dense data: the dense array it stands for."""
        # A sparse matrix holds numbers: categorical columns with other levels cannot be in it.
        wordy = [
            column.name
            for column in (self.encoding.columns if self.encoding is not None else ())
            if column.kind != "numeric"
            and not all(
                isinstance(v, (numbers.Number, np.bool_)) or v is MISSING for v in column.levels
            )
        ]
        if wordy:
            raise ValueError(
                f"This model was fitted on a table with categorical columns {wordy}, whose "
                "levels a sparse matrix cannot hold. Pass the rows as a DataFrame with the "
                "training table's columns."
            )
        if X.shape[1] != n_features:
            return X  # validation reports the mismatch
        return X.toarray()

    def encode(self, X):
        """Validated rows through the table encoding (sparse rows pass as they are)."""
        if self.encoding is None or sp.issparse(X):
            return X
        return self.encoding.transform(X)

    def fit_scaler(self, X, input_scaling):
        """Fit the scaler of ``input_scaling`` on the value columns of encoded ``X``."""
        n_values = X.shape[1] - self.n_codes
        self.scaler = (
            RobustSmoothClipScaler().fit(X[:, :n_values] if self.n_codes else X)
            if input_scaling == "robust" and n_values > 0
            else None
        )
        return self

    def scale(self, X, dtype):
        """Encoded ``X`` through the fitted scaler, then in ``dtype``.

        Scaled in ``X``'s precision, so that values beyond float32's range are clipped before
        any cast; categorical codes are indices, not values, and pass unscaled.
        """
        if self.scaler is not None and self.n_codes:
            n_values = X.shape[1] - self.n_codes
            X = np.hstack([self.scaler.transform(X[:, :n_values]), X[:, n_values:]])
        elif self.scaler is not None:
            X = self.scaler.transform(X)
        if sp.issparse(X):
            out = X.astype(dtype)
            out.sum_duplicates()  # each stored value once, in column order, for the kernels
            if not np.isfinite(out.data).all():
                raise ValueError(_overflow_message(abs(X).max(), dtype, "a MaxAbsScaler"))
            return out
        with np.errstate(over="ignore"):
            out = np.require(X, dtype=dtype, requirements=["C"])
        if out.dtype != X.dtype and not np.isfinite(out).all():
            raise ValueError(_overflow_message(np.abs(X).max(), dtype, "a StandardScaler"))
        return out

    def embedded_columns(self, X, Y, numeric_embeddings, max_features=None):
        """The columns of scaled training ``X`` the numeric embeddings describe: those with
        more than two values, none for sparse X (an error where the user asked for them);
        with ``"auto"``, at most ``max_features`` of them, those most associated with the
        encoded targets ``Y`` (shape (n_samples, n_outputs); see :func:`binned_association`).
        """
        if numeric_embeddings is None:
            return ()
        if sp.issparse(X):
            if numeric_embeddings == "periodic":
                raise ValueError(
                    "numeric_embeddings='periodic' cannot describe sparse X: an embedding "
                    "of 0 is not 0, so it would fill in every zero. Set "
                    "numeric_embeddings=None or 'auto' (which embeds no column of sparse X), "
                    "or pass X as a dense array."
                )
            return ()
        columns = _non_binary_columns(X[:, : X.shape[1] - self.n_codes])
        if len(columns) == 0 and numeric_embeddings == "periodic":
            raise ValueError(
                "numeric_embeddings='periodic' embeds the columns with more than two distinct "
                "values, but every column of X has at most two (flags or one-hot levels). Set "
                "numeric_embeddings=None, or 'auto' to embed such columns only when there are "
                "any."
            )
        if numeric_embeddings == "auto" and max_features is not None:
            if len(columns) > max_features:
                strength = binned_association(X[:, columns], Y)
                # Stable: among equally strong columns, the first ones.
                columns = np.sort(columns[np.argsort(-strength, kind="stable")[:max_features]])
        return columns

    def to_plain(self):
        """This pipeline as plain containers, numbers, strings, arrays and the public scaler
        (see :meth:`from_plain`), so that a skops file names no private type."""
        return {
            "encoding": None if self.encoding is None else self.encoding.to_plain(),
            "scaler": self.scaler,
            "embedded": self.embedded,
            "dtype": None if self.dtype is None else np.dtype(self.dtype).name,
        }

    @classmethod
    def from_plain(cls, state):
        """The pipeline of a :meth:`to_plain` state."""
        encoding = state["encoding"]
        return cls(
            None if encoding is None else TableEncoding.from_plain(encoding),
            state["scaler"],
            state["embedded"],
            None if state["dtype"] is None else np.dtype(state["dtype"]),
        )


def _non_binary_columns(X):
    """Indices of the columns of ``X`` with more than two distinct values.

    Numeric embeddings describe a feature by where its value lies on a line; a column with two
    values (a flag, a one-hot level) has nothing more to say than itself.
    """
    differs = X != X[0]
    # Per column, a second value: the first one that differs from row 0's (or row 0's).
    second = X[differs.argmax(axis=0), np.arange(X.shape[1])]
    return np.flatnonzero((differs & (X != second)).any(axis=0))


def binned_association(X, Y, n_bins=16, max_rows=10_000):
    """How much of the targets' variance each column's quantile bins explain.

    Per column, the rows are cut into ``n_bins`` bins of about equal counts (tied values stay
    in one bin) and the score is the share of the targets' total sum of squares that lies
    between the bins' means (the correlation ratio, summed over the target columns): 0 when
    the bins' means are equal, 1 when each bin's targets are constant. Unlike a correlation
    it sees any shape of dependence, periodic ones included, which is what the numeric
    embeddings are for. At most ``max_rows`` evenly spaced rows are read, unweighted.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    Y : ndarray of shape (n_samples, n_outputs)
    n_bins : int
    max_rows : int

    Returns
    -------
    ndarray of shape (n_columns,), float64, in [0, 1]
    """
    rows = np.unique(np.linspace(0, X.shape[0] - 1, min(max_rows, X.shape[0])).astype(np.intp))
    X = np.asarray(X[rows], dtype=np.float64)
    Y = np.asarray(Y[rows], dtype=np.float64).reshape(len(rows), -1)
    Y = Y - Y.mean(axis=0)
    total = float((Y**2).sum())
    if not total > 0.0:
        return np.zeros(X.shape[1])
    quantiles = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    scores = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        bins = np.searchsorted(np.quantile(X[:, j], quantiles), X[:, j], side="right")
        counts = np.bincount(bins, minlength=n_bins)
        between = 0.0
        for k in range(Y.shape[1]):
            sums = np.bincount(bins, weights=Y[:, k], minlength=n_bins)
            between += float((sums[counts > 0] ** 2 / counts[counts > 0]).sum())
        scores[j] = between / total
    return scores


def _overflow_message(largest, dtype, scaler):
    return (
        f"X has values beyond the range of {np.dtype(dtype)} (largest |X|: {largest:.3g}), "
        "the dtype this model trains and predicts in. Scale the features "
        f"(input_scaling='robust' or {scaler} in front), or use training_dtype='float64'."
    )
