"""Input transformers for tabular networks."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["RobustSmoothClipScaler"]


class RobustSmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre by the median, scale by the inter-quartile range, then clip smoothly.

    Each column ``x`` becomes ``u / sqrt(1 + (u / clip)**2)`` with ``u = (x - median) / s``,
    where ``s`` is the column's inter-quartile range, or half its range when that is 0 (a
    column that is mostly one value with a few others, such as a rare binary flag). A
    constant column becomes 0. The smooth clip is close to the identity for ``|u|`` well
    below ``clip`` and bounded by ``clip``, so outliers and values far outside the training
    range reach a network as large but bounded inputs, never as extrapolations. This is the
    numeric input handling of the RealMLP recipe (Holzmüller et al., 2024).

    Sparse input (any scipy format; CSR comes out) is scaled and clipped but not centred
    (``center_`` is 0), as scikit-learn's ``RobustScaler`` requires for sparse data:
    subtracting a median would fill in the zeros. The quantiles still count the zeros.

    Read more in the :doc:`User Guide </user_guide/input_scaling>`.

    Parameters
    ----------
    clip : float, default=3.0
        Bound of the transformed values.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Median of each column.
    scale_ : ndarray of shape (n_features,)
        Factor of each column after centring: ``1 / s``, 0 for constant columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X is a DataFrame with string column names.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : Median and inter-quartile range, without clipping.
    sklearn.preprocessing.QuantileTransformer : A non-linear map to a uniform or normal
        distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.preprocessing import RobustSmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> RobustSmoothClipScaler().fit_transform(X).round(3).ravel()
    array([-0.949, -0.493,  0.   ,  0.493,  3.   ])
    """

    _parameter_constraints: dict = {"clip": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, clip=3.0):
        self.clip = clip

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute each column's median and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32), accept_sparse="csc")
        if sp.issparse(X):
            q25, q75, low, high = _sparse_column_quantiles(X, [0.25, 0.75, 0.0, 1.0])
            center = np.zeros(X.shape[1])
            spread, fallback = q75 - q25, 0.5 * (high - low)
        else:
            X64 = X.astype(np.float64, copy=False)
            q25, center, q75 = np.percentile(X64, [25.0, 50.0, 75.0], axis=0)
            spread = q75 - q25
            fallback = 0.5 * (X64.max(axis=0) - X64.min(axis=0))
        spread = np.where(spread > 0, spread, fallback)
        with np.errstate(divide="ignore", over="ignore"):
            scale = np.where(spread > 0, 1.0 / spread, 0.0)
        # A spread so small that 1 / spread overflows is a constant column for float64.
        self.scale_ = np.where(np.isfinite(scale), scale, 0.0)
        self.center_ = center
        return self

    def transform(self, X):
        """Scale and clip ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            In the dtype of ``X`` (float32 stays float32).
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=(np.float64, np.float32), reset=False, accept_sparse="csr"
        )
        if sp.issparse(X):
            # Zeros stay zeros (the clip maps 0 to 0): only the stored values change. The clip
            # is not additive, so duplicate entries of one cell are summed first.
            X = X.copy()
            X.sum_duplicates()
            X.data = self._scale_and_clip(X.data, X.indices, X.data.dtype)
            return X
        with np.errstate(over="ignore", invalid="ignore"):
            u = (X.astype(np.float64) - self.center_) * self.scale_
        # Constant columns are 0 whatever comes (even values whose difference overflows).
        u = np.where(self.scale_ > 0, u, 0.0)
        # Beyond 1e150, u**2 would overflow; the clip is then its bound to double precision.
        u = np.clip(u, -1e150, 1e150)
        out = u / np.sqrt(1.0 + (u / self.clip) ** 2)
        return out.astype(X.dtype, copy=False)

    def _scale_and_clip(self, values, columns, dtype):
        """The stored values ``values`` of the columns ``columns`` of a sparse ``X``,
        transformed (``center_`` is 0 there)."""
        scale = self.scale_[columns]
        with np.errstate(over="ignore", invalid="ignore"):
            u = np.clip(values.astype(np.float64) * scale, -1e150, 1e150)
        u = np.where(scale > 0, u, 0.0)
        return (u / np.sqrt(1.0 + (u / self.clip) ** 2)).astype(dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


def _sparse_column_quantiles(X, quantiles):
    """Per-column quantiles (numpy's linear interpolation) of a CSC matrix, zeros included.

    Vectorized over the columns: the stored values are sorted within each column, and each
    order statistic is read from them with the column's zeros counted in between the
    negative and the positive values.

    Returns
    -------
    ndarray of shape (len(quantiles), n_columns), float64
    """
    n, n_columns = X.shape
    X = X.copy()
    X.sum_duplicates()
    starts, counts = X.indptr[:-1], np.diff(X.indptr)
    column_of = np.repeat(np.arange(n_columns), counts)
    values = X.data.astype(np.float64)
    values = values[np.lexsort((values, column_of))]
    negatives = np.bincount(column_of, weights=X.data < 0, minlength=n_columns).astype(np.intp)
    zeros = n - counts
    padded = np.append(values, 0.0)  # a harmless target for columns with nothing stored

    def order_statistic(k):
        # The k-th smallest value of every column: its negative values, then its zeros,
        # then its positive values.
        stored = np.where(k < negatives, k, k - zeros)
        index = np.where((stored >= 0) & (stored < counts), starts + stored, len(values))
        in_zeros = (k >= negatives) & (k < negatives + zeros)
        return np.where(in_zeros, 0.0, padded[index])

    # One quantile at a time keeps the temporaries at a few vectors of n_columns.
    out = np.empty((len(quantiles), n_columns))
    for row, quantile in enumerate(quantiles):
        position = quantile * (n - 1)
        lower = int(np.floor(position))
        low, high = order_statistic(lower), order_statistic(min(lower + 1, n - 1))
        out[row] = low + (position - lower) * (high - low)
    return out
