"""The estimators: RegularizedMLPClassifier and RegularizedMLPRegressor."""

import inspect
import textwrap
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    check_X_y,
    column_or_1d,
    validate_data,
)

from ._callbacks import HAS_CALLBACKS, CallbackSupportMixin, EpochTasks
from ._data_init import data_aware_init
from ._inference import PREDICT_BLOCK, raw_output
from ._inputs import InputPipeline
from ._losses import LOSSES, target_standardization
from ._members import (
    SHARED_ENSEMBLES,
    fit_independent,
    member_outputs,
    snapshot_epochs,
    snapshot_members,
)
from ._network import NetworkLayout
from ._parameters import (
    ARCHITECTURE,
    CLASSIFIER_PARAMETERS,
    REGRESSOR_PARAMETERS,
    SHARED_PARAMETERS,
    SKLEARN_VALUES,
    constraints,
    parameters_section,
)
from ._schedules import STEP_SCHEDULES
from ._tables import TableEncoding, is_dataframe, pandas_if_polars
from ._training import TrainingConfig, TrainingState, train, train_lbfgs, validation_function
from ._warnings import warn_at_user_line

# Decoupled weight decay used by solver="adamw" when weight_decay is None (PyTorch's default).
_ADAMW_DEFAULT_DECAY = 0.01

# _input_matrix called without a target (None is a target a user can pass: an error).
_NO_Y = object()

# Sparse rows given to a model fitted on dense data are made dense in blocks of at most this
# many values.
_DENSE_BLOCK_VALUES = 1 << 22
# The smallest validation part early_stopping="auto" holds out.
_MIN_AUTO_VALIDATION = 50


def _native_byte_order(X):
    """``X`` with float data in native byte order, so big-endian float32 stays float32."""
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and not dtype.isnative:
        return X.astype(dtype.newbyteorder("="))
    return X


class _BaseRegularizedMLP(CallbackSupportMixin, BaseEstimator):
    """Shared parameters, validation and training of the regularized MLP estimators."""

    _class_weight = None
    # The fitted loss's parameters as the kernels take them (none for most losses).
    _loss_parameters = np.zeros(0)

    _parameter_constraints: dict = constraints(SHARED_PARAMETERS)

    def __init__(self, **params):
        # Each estimator spells out its full signature (scikit-learn reads the parameter
        # names from it); the shared base only stores what it is given, unchanged.
        for name, value in params.items():
            setattr(self, name, value)

    @classmethod
    def like_sklearn(cls, **params):
        """The estimator configured as scikit-learn's MLP: its defaults, every recipe part off.

        scikit-learn's parameters take scikit-learn's default values, and every technique
        that scikit-learn's MLP does not have is switched off (no input scaling, embeddings,
        scaling layer, parametric activation, dropout, batch normalization, label smoothing,
        schedules or learning-rate factors; the standard parametrization; training in the
        input's dtype; scikit-learn's own initialization, ``weight_init="sklearn"``, so that
        the same ``random_state`` starts from the same weights and biases). The remaining
        differences are listed in :doc:`/coming_from_sklearn` (the regressor standardizes
        its targets, for example).

        Parameters
        ----------
        **params
            Parameters that override that configuration.

        Returns
        -------
        estimator
            A new, unfitted estimator.

        Examples
        --------
        >>> from skdeep import RegularizedMLPClassifier
        >>> clf = RegularizedMLPClassifier.like_sklearn(random_state=0)
        >>> (
        ...     clf.get_params()["hidden_layer_sizes"],
        ...     clf.get_params()["numeric_embeddings"],
        ... )
        ((100,), None)
        """
        config = {
            name: value for name, value in SKLEARN_VALUES.items() if name in cls._get_param_names()
        }
        return cls(**{**config, **params})

    # ------------------------------------------------------------------ validation helpers

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or isinstance(s, bool) or s <= 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must contain positive integers, got {sizes}. Give one "
                "width per hidden layer, e.g. hidden_layer_sizes=(100, 50)."
            )
        return [int(s) for s in sizes]

    def _dropout_rates(self, n_hidden):
        """Input rate followed by one rate per hidden layer, as float64 array."""
        rates = self.dropout
        if isinstance(rates, Real):
            hidden = [float(rates)] * n_hidden
        else:
            hidden = [float(r) for r in np.asarray(rates, dtype=float).ravel()]
            if len(hidden) != n_hidden:
                raise ValueError(
                    f"dropout has {len(hidden)} rates but there are {n_hidden} hidden layers; "
                    "give a single rate or one rate per hidden layer."
                )
            if any(not 0.0 <= r < 1.0 for r in hidden):
                raise ValueError(
                    f"Every dropout rate must be in [0, 1), got {hidden}. A rate of 1 would "
                    "drop every unit."
                )
        return np.array([float(self.input_dropout), *hidden], dtype=np.float64)

    def _check_solver_supported(self):
        # L-BFGS needs a smooth objective. The per-step rules (dropout, decoupled weight decay,
        # clipping, the schedules) do not apply to it, as scikit-learn's lbfgs ignores
        # batch_size and the learning rate; an L1 penalty would change the objective itself.
        loss = LOSSES.get(getattr(self, "loss", None))  # the classifier's losses are smooth
        if self.solver == "lbfgs" and loss is not None and not loss.smooth:
            raise ValueError(
                f"solver='lbfgs' minimizes the full-batch objective with scipy's L-BFGS and "
                f"cannot use loss={loss.name!r}, which is not differentiable everywhere. Use a "
                "mini-batch solver such as solver='adam'."
            )
        if self.solver == "lbfgs" and self.penalty in ("l1", "elasticnet") and self.alpha > 0:
            raise ValueError(
                f"solver='lbfgs' minimizes the full-batch objective with scipy's L-BFGS and "
                f"cannot use penalty={self.penalty!r} (|w| is not differentiable at 0). Use "
                "penalty='l2' or None, or a mini-batch solver such as solver='adam'."
            )

    def _partial_fit_available(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. lbfgs is not stochastic."
            )
        if self.n_ensembles > 1 and self.ensemble not in SHARED_ENSEMBLES:
            raise AttributeError(
                f"partial_fit trains one network for one epoch, and n_ensembles="
                f"{self.n_ensembles} asks for an ensemble, which only fit trains (its members "
                "hold out their own rows, or are snapshots at the ends of a full schedule). Use "
                "fit, or n_ensembles=1 for partial_fit."
            )
        return True

    def _penalty_strengths(self):
        """Return ``(l2, l1)`` coefficients of the loss penalty."""
        if self.penalty is None:
            return 0.0, 0.0
        if self.penalty == "l2":
            return float(self.alpha), 0.0
        if self.penalty == "l1":
            return 0.0, float(self.alpha)
        return float(self.alpha) * (1.0 - self.l1_ratio), float(self.alpha) * self.l1_ratio

    def _effective_weight_decay(self):
        if self.weight_decay is None:
            return _ADAMW_DEFAULT_DECAY if self.solver == "adamw" else 0.0
        return float(self.weight_decay)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warn_at_user_line(
                f"Got batch_size={self.batch_size} larger than the number of samples "
                f"({n_samples}); it is clipped to {n_samples}.",
                UserWarning,
            )
        return min(self.batch_size, n_samples)

    def _predicted_raw(self, X):
        """The network's raw outputs for the rows of ``X`` (validated and encoded here).

        Sparse rows reach a model fitted on dense data as the dense rows they stand for,
        a block at a time (the memory stays that of a block): such a model centres its inputs,
        embeds them or imputes them, and none of that keeps zeros zero.
        """
        check_is_fitted(self)
        if not sp.issparse(X) or self._inputs.takes_sparse_as_is():
            return self._raw_output(self._input_matrix(X, reset=False))
        X = X.tocsr()
        rows = max(1, min(PREDICT_BLOCK, _DENSE_BLOCK_VALUES // max(1, X.shape[1])))
        # One block even for no rows, so that an empty X gets scikit-learn's error.
        blocks = range(0, max(1, X.shape[0]), rows)
        return np.vstack(
            [self._raw_output(self._input_matrix(X[i : i + rows], reset=False)) for i in blocks]
        )

    def _input_matrix(self, X, reset, y=_NO_Y):
        """``X`` validated and encoded as the network's input (codes of categorical
        features in the last columns, see :mod:`skdeep._tables`), and ``y`` validated along
        (when given). ``reset`` learns the table's encoding."""
        X = pandas_if_polars(X)
        if reset:
            self._inputs = InputPipeline()
            table = is_dataframe(X) or not (
                self.categorical_features is None or isinstance(self.categorical_features, str)
            )
        else:
            if sp.issparse(X) and not self._inputs.takes_sparse_as_is():
                X = self._inputs.dense_rows(X, self.n_features_in_)
            table = self._inputs.is_table
        if table:
            return self._table_matrix(X, reset, y)
        # A model pickled before tables were taken, or fit on sparse X, has no encoding: it
        # takes no missing values.
        allow_nan = reset or self._inputs.encoding is not None
        kwargs = dict(
            dtype=(np.float64, np.float32),
            reset=reset,
            accept_sparse="csr",
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        if y is _NO_Y:
            X = validate_data(self, _native_byte_order(X), **kwargs)
        else:
            X, y = validate_data(
                self,
                _native_byte_order(X),
                y,
                multi_output=True,
                y_numeric=not isinstance(self, ClassifierMixin),
                **kwargs,
            )
        if sp.issparse(X):
            if not np.isfinite(X.data).all():
                raise ValueError(
                    "Input X contains NaN: sparse X must be complete. Fill in the missing "
                    "values, or pass X dense (missing values are then imputed, with an "
                    "indicator column)."
                )
        else:
            X = np.require(X, requirements=["C"])
            if reset:
                self._inputs.encoding = self._table_encoding().fit(X)
            X = self._inputs.encode(X)
        return X if y is _NO_Y else (X, y)

    def _table_encoding(self):
        return TableEncoding(
            self.categorical_features,
            self.max_one_hot_levels,
            self.min_category_count,
            self.missing_indicators,
        )

    def _table_matrix(self, X, reset, y):
        """A table (DataFrame, or array with categorical columns) as the network's input."""
        validate_data(self, X, reset=reset, skip_check_array=True)
        if not hasattr(X, "shape") or len(X.shape) != 2:
            X = np.asarray(X, dtype=object)
            if X.ndim != 2:
                raise ValueError(
                    f"Expected a 2D table (rows and columns), got an array of shape "
                    f"{X.shape}. Reshape it, or pass a DataFrame."
                )
        if X.shape[0] < 1:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        if reset:
            self._inputs.encoding = self._table_encoding().fit(X)
        encoded = self._inputs.encode(X)
        if y is _NO_Y:
            return encoded
        return check_X_y(
            encoded,
            y,
            multi_output=True,
            dtype=None,
            y_numeric=not isinstance(self, ClassifierMixin),
        )

    # -------------------------------------------------------------------- fitted state

    def __getstate__(self):
        # Only containers, numbers, strings and arrays besides the estimator (and its public
        # input scaler): a skops file of the model names no private type to trust.
        state = dict(super().__getstate__())  # a copy: the model keeps its objects
        if isinstance(state.get("_training"), TrainingState):
            state["_training"] = state["_training"].to_plain()
        if isinstance(state.get("_inputs"), InputPipeline):
            state["_inputs"] = state["_inputs"].to_plain()
        return state

    def __setstate__(self, state):
        # Pickles written before the state was kept plain hold the objects themselves.
        if isinstance(state.get("_training"), dict):
            state["_training"] = TrainingState.from_plain(state["_training"])
        if isinstance(state.get("_inputs"), dict):
            state["_inputs"] = InputPipeline.from_plain(state["_inputs"])
        super().__setstate__(state)
        # Parameters added after the model was pickled take the value that switches their
        # technique off (the model was trained without it), else their defaults.
        defaults = inspect.signature(type(self).__init__).parameters
        for name in self._get_param_names():
            if name not in self.__dict__:
                setattr(self, name, SKLEARN_VALUES.get(name, defaults[name].default))
        if "coefs_" in self.__dict__ and "_training" not in self.__dict__:
            self._upgrade_pickled_state()
        if "coefs_" in self.__dict__ and "_inputs" not in self.__dict__:
            # Pickled before the input state had one owner.
            table = self.__dict__.pop("_table", None)
            if isinstance(table, dict):
                table = TableEncoding.from_plain(table)
            self._inputs = InputPipeline(
                table, self.input_scaler_, self.embedded_features_, self.coefs_[0].dtype
            )

    def _upgrade_pickled_state(self):
        """Bring a model pickled by skdeep 0.1.0 before the training state had one owner
        (``_kernel_state`` and monitor fields on the estimator) up to date, so that
        ``partial_fit`` and ``warm_start`` continue it."""
        legacy = self.__dict__
        self._network_spec = NetworkLayout(
            [self.n_features_in_, *(c.shape[1] for c in self.coefs_)],
            len(self.batch_norm_gamma_) > 0,
        ).spec()
        self._set_network(self._layout(), *self._layout().pack(self, self.coefs_[0].dtype))
        self.input_scaler_ = None
        self.embedded_features_ = np.zeros(0, dtype=np.intp)
        self.is_categorical_ = np.zeros(self.n_features_in_, dtype=bool)
        legacy_losses = ("squared_error", "softmax_cross_entropy", "sigmoid_cross_entropy")
        if "_loss_kind" in legacy and isinstance(self, ClassifierMixin):
            self._loss = legacy_losses[int(legacy.pop("_loss_kind"))]
        training = TrainingState()
        training.kernel = legacy.pop("_kernel_state", None)
        training.loss_curve = self.loss_curve_
        training.history = self.history_
        training.t = self.t_
        training.n_iter = self.n_iter_
        training.loss = self.loss_
        monitor = training.monitor
        monitor.best_loss = self.best_loss_
        monitor.best_epoch = self.best_epoch_
        monitor.validation_scores = self.validation_scores_
        monitor.best_validation_score = self.best_validation_score_
        monitor.no_improvement = legacy.pop("_no_improvement_count", 0)
        monitor.plateau_scale = legacy.pop("_plateau_scale", 1.0)
        monitor.best_value = legacy.pop("_best_monitored", -np.inf)
        self._training = training

    def _layout(self):
        return NetworkLayout(**self._network_spec)

    def _new_layout(self, n_features, n_outputs, embedded_features):
        """The layout the parameters ask for, embedding ``embedded_features``."""
        encoding = self._inputs.encoding
        return NetworkLayout(
            [n_features, *self._hidden_sizes(), n_outputs],
            self.batch_normalization,
            n_frequencies=self.embedding_frequencies if self.numeric_embeddings else 0,
            embedding_dim=self.embedding_dim,
            embedded_features=embedded_features,
            scaling_layer=self.scaling_layer,
            parametric_activation=self.parametric_activation,
            category_levels=() if encoding is None else encoding.category_levels,
            category_dim=self.category_embedding_dim,
            n_members=self._shared_members_asked(),
            member_adapters="mini" if self.ensemble == "shared_mini" else "all",
        )

    def _shared_members_asked(self):
        """The members of a shared-weight ensemble the parameters ask for (1: none)."""
        return self.n_ensembles if self.ensemble in SHARED_ENSEMBLES else 1

    def _shared_members(self):
        """The members of the fitted shared-weight ensemble (1: a single network)."""
        return getattr(self, "_network_spec", {}).get("n_members", 1)

    def _member_raws(self, X):
        """Each member's raw outputs for the rows of ``X``, C-contiguous (n_samples,
        n_outputs) arrays, for a fitted shared-weight ensemble."""
        raw = self._predicted_raw(X)
        k = self._shared_members()
        width = raw.shape[1] // k
        return [np.ascontiguousarray(raw[:, m * width : (m + 1) * width]) for m in range(k)]

    def _averages_members(self):
        """Whether the fitted model's predictions average members (of any kind)."""
        return hasattr(self, "estimators_") or self._shared_members() > 1

    def _set_network(self, layout, theta, bn_state):
        """Set the fitted parameter attributes as views of ``theta`` and ``bn_state``."""
        for name, value in layout.fitted_attributes(theta, bn_state).items():
            setattr(self, name, value)

    def _raw_output(self, X):
        # In the wider of X's and the weights' dtypes: float32-trained weights predict
        # float64 input in float64, whose rounding does not depend on the rows' order.
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        X = self._inputs.scale(X, dtype)
        layout = self._layout()
        theta, bn_state = layout.pack(self, dtype)
        raw = raw_output(X, layout, theta, bn_state, self.activation)
        if not np.isfinite(raw).all():
            raise ValueError(
                "The network's outputs overflowed for this input (largest |X| value: "
                f"{np.abs(X).max():.3g}, largest |weight|: {np.abs(theta).max():.3g}). Either "
                "the features are far outside the range seen in training (scale them the same "
                "way as the training data, e.g. StandardScaler) or the weights are huge (a "
                "diverged fit: lower learning_rate_init and refit)."
            )
        return raw

    # --------------------------------------------------------------------------- fitting

    def _validate_sample_weight(self, sample_weight, X, y, name="sample_weight"):
        sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if self._class_weight is not None:
            sw = sw * compute_sample_weight(self._class_weight, y).astype(X.dtype)
        if not sw.sum() > 0:
            raise ValueError(f"{name} sums to zero: at least one sample needs a positive weight.")
        return np.ascontiguousarray(sw)

    def _fit(self, X, y, sample_weight, incremental, X_val=None, y_val=None, sw_val=None):
        self._check_solver_supported()
        self._check_one_training_run(X, incremental)
        if incremental and self.early_stopping and self.early_stopping != "auto":
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call runs one epoch, "
                "so there is nothing to stop. Set early_stopping=False, or use fit."
            )
        first_call = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        given = (X, y, sample_weight)
        X, y, Y, sw = self._training_data(X, y, sample_weight, incremental, first_call)
        # One generator, drawn from in a fixed order: initialization, the kernel's seed, the
        # validation split.
        random_state = check_random_state(self.random_state)
        layout = self._network_to_train(X, Y, incremental, first_call, random_state)
        if X_val is not None:
            X_val, Y_val, sw_val = self._validate_validation_data(X_val, y_val, sw_val, X.dtype)
        elif self._holds_out(incremental, y):
            X, Y, sw, X_val, Y_val, sw_val = self._split_validation(X, Y, sw, y, random_state)
        # Monitored whenever there is a validation set (partial_fit never has one).
        config = self._training_config(
            layout, X.shape[0], bool(self.early_stopping) and X_val is not None
        )
        validation = None
        if X_val is not None:
            validation = validation_function(
                X_val, Y_val, sw_val, layout, config, self._validation_score
            )
        tasks = self._epoch_tasks(layout, *given, 1 if incremental else self.max_iter)
        epochs = tasks if tasks is not None and tasks.active else None
        training = self._training
        if self.solver == "lbfgs":
            train_lbfgs(training, layout, X, Y, sw, config, validation, self.max_fun, epochs)
        else:
            train(training, layout, X, Y, sw, config, validation, incremental, epochs)
        for name, value in training.fitted_attributes().items():
            setattr(self, name, value)
        self._set_network(layout, training.kernel.theta, training.kernel.bn_state)
        self._keep_snapshots(layout, training)
        if tasks is not None:
            tasks.finish()
        return self

    def _snapshots_wanted(self):
        return self.n_ensembles > 1 and self.ensemble == "snapshot"

    def _snapshot_epochs(self):
        """The epochs after which the training run keeps a snapshot member."""
        if not self._snapshots_wanted():
            return ()
        return snapshot_epochs(
            self.n_ensembles, self.learning_rate, self.lr_cycles, self.max_iter, self.solver
        )

    def _check_one_training_run(self, X, incremental):
        """Errors for a training run the fitted model or the ensemble settings rule out,
        raised before anything of the fitted model changes."""
        self._snapshot_epochs()  # raises for snapshot settings without cycles
        if sp.issparse(X) and self._shared_members_asked() > 1:
            raise ValueError(
                f'ensemble="{self.ensemble}" trains on dense rows, and X is sparse. Pass '
                'X.toarray() if it fits in memory, or use ensemble="independent", whose members '
                "train on sparse rows."
            )
        if self.__dict__.get("_training", False) is None and (self.warm_start or incremental):
            raise ValueError(
                "This is a member of a snapshot ensemble: it predicts, and does not continue "
                "training. Continue the ensemble itself (warm_start or partial_fit on the "
                "estimator whose estimators_ hold it)."
            )
        fitted = getattr(self, "_ensemble_fitted", None)
        if (self.warm_start or incremental) and fitted and fitted[0] == "independent":
            raise ValueError(
                f'warm_start and partial_fit continue the fitted model, an ensemble="independent" '
                f"of {fitted[1]} members, and these settings train a single network"
                + (
                    ""
                    if incremental
                    else f' (n_ensembles={self.n_ensembles}, ensemble="{self.ensemble}")'
                )
                + (
                    ". Use fit (with warm_start=True to continue every member)."
                    if incremental
                    else ". Set warm_start=False to fit a new model, or keep the fitted "
                    "ensemble's n_ensembles and ensemble to continue it."
                )
            )

    def _keep_snapshots(self, layout, training):
        """Make the members of ``ensemble="snapshot"`` from the run's snapshots (and forget
        the members of a previous fit otherwise)."""
        self.__dict__.pop("estimators_", None)
        self.__dict__.pop("_ensemble_fitted", None)
        snapshots, training.snapshots = training.snapshots, []
        if self._snapshots_wanted():
            self.estimators_ = snapshot_members(
                self, layout, snapshots, self._snapshot_epochs(), self.n_ensembles
            )
            self._ensemble_fitted = ("snapshot", self.n_ensembles)
        elif layout.n_members > 1:
            self._ensemble_fitted = (self.ensemble, layout.n_members)

    def _training_data(self, X, y, sample_weight, incremental, first_call):
        """The training rows as the network takes them (encoded, scaled, in the training
        dtype), the validated ``y``, the encoded targets and the sample weights. The first
        call learns the table encoding, the target encoding and the input scaler."""
        X, y = self._input_matrix(X, first_call, y)
        if not sp.issparse(X):
            X = np.require(X, requirements=["C", "W"])
        if not first_call:
            dtype = self._inputs.dtype
        elif self.training_dtype != "auto":
            dtype = np.dtype(self.training_dtype)
        else:
            dtype = X.dtype
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        sw = self._validate_sample_weight(sample_weight, X, y).astype(dtype)
        Y = self._encode_targets(y, incremental, first_call, sw).astype(dtype)
        Y = self._training_targets(Y)
        if first_call:
            self._inputs.fit_scaler(X, self.input_scaling)
            self._inputs.dtype = dtype
            self.input_scaler_ = self._inputs.scaler
            self.is_categorical_ = self._inputs.is_categorical(self.n_features_in_)
        return self._inputs.scale(X, dtype), y, Y, sw

    def _network_to_train(self, X, Y, incremental, first_call, random_state):
        """The layout of the network this call trains, with its parameters handed to the
        training state: a new, initialized network on the first call, else the fitted one."""
        if first_call:
            embedded = self._inputs.embedded_columns(
                X, Y, self.numeric_embeddings, self.max_embedded_features
            )
            layout = self._new_layout(X.shape[1], Y.shape[1], embedded)
            data_aware = self.weight_init == "data_aware"
            theta, bn_state = layout.initialize(
                "auto" if data_aware else self.weight_init,
                self.activation,
                X.dtype,
                random_state,
                frequency_scale=self.embedding_frequency_scale,
            )
            if data_aware:
                data_aware_init(layout, theta, bn_state, X, self.activation, random_state)
            self._start_network(layout, theta, bn_state, Y)
            self._network_spec = layout.spec()
            self._inputs.embedded = np.asarray(layout.embedded_features, dtype=np.intp)
            self.embedded_features_ = self._inputs.embedded
            self.n_layers_ = layout.n_layers + 1
            self.n_outputs_ = Y.shape[1]
            self._training = TrainingState()
        else:
            self._check_same_network(X.shape[1], Y.shape[1])
            layout = self._layout()
            theta, bn_state = layout.pack(self, self.coefs_[0].dtype)
        self._training.set_parameters(
            theta,
            bn_state,
            continue_optimizer=incremental and not first_call,
            seed=lambda: random_state.randint(np.iinfo(np.int64).max),
        )
        return layout

    def _epoch_tasks(self, layout, X, y, sample_weight, max_epochs):
        """The callback tasks of this fit (None where scikit-learn has no callbacks)."""
        if not HAS_CALLBACKS:
            return None
        lbfgs = self.solver == "lbfgs"
        return EpochTasks(
            self,
            X,
            y,
            sample_weight,
            # L-BFGS begins one iteration more than it runs (see train_lbfgs).
            max_epochs + lbfgs,
            "iteration" if lbfgs else "epoch",
            layout.fitted_attributes,
        )

    def _start_network(self, layout, theta, bn_state, Y):
        """Adjust the initial parameters to the training targets ``Y`` (in place)."""

    def _validation_score(self, raw, Y_val, sw_val):
        """The monitored validation score of raw outputs (larger is better)."""
        loss = LOSSES[self._loss]
        score = loss.validation_score(raw, Y_val, sw_val, self._loss_parameters)
        return score if loss.greater_is_better else -score

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Shared-weight ensembles train on dense rows only.
        tags.input_tags.sparse = self._shared_members_asked() == 1
        # Missing values are imputed (dense X). (The "categorical" tag would mean X holds
        # integer codes; categorical columns come from a DataFrame's dtypes or
        # categorical_features instead.)
        tags.input_tags.allow_nan = True
        return tags

    def _check_same_network(self, n_features, n_outputs):
        embedded = self._network_spec["embedded_features"] if self.numeric_embeddings else ()
        # The fitted layout's spec with today's defaults filled in (older models' specs lack
        # the newer arguments).
        if self._new_layout(n_features, n_outputs, embedded).spec() != self._layout().spec():
            raise ValueError(
                f"The network's architecture ({', '.join(ARCHITECTURE[:-1])} or "
                f"{ARCHITECTURE[-1]}, or the members of a shared ensemble: n_ensembles with "
                'ensemble="shared" or "shared_mini") changed since the previous fit; warm_start '
                "and partial_fit continue the same network. Set warm_start=False (or create a new "
                "estimator) to train a new one."
            )

    def _check_schedule(self, n_steps):
        # log_cosine starts at 0: a fit of one step would not move at all.
        if self.learning_rate in STEP_SCHEDULES and n_steps < 2:
            raise ValueError(
                f"learning_rate={self.learning_rate!r} schedules the learning rate over the "
                f"mini-batch steps of the max_iter={self.max_iter} epochs of a fit, and needs "
                "at least 2 of them (here 1). Raise max_iter, use smaller batches, or use "
                "learning_rate='constant'."
            )

    def _training_targets(self, Y):
        """The encoded targets as trained on (label smoothing changes them)."""
        return Y

    def _lr_factors(self):
        return {
            "biases": float(self.bias_lr_factor),
            "scaling": float(self.scaling_lr_factor),
            "embeddings": float(self.embedding_lr_factor),
            "activation": float(self.activation_lr_factor),
        }

    def _training_config(self, layout, n_samples, early_stopping):
        """The :class:`TrainingConfig` of this call, from the estimator's parameters."""
        l2, l1 = self._penalty_strengths()
        lbfgs = self.solver == "lbfgs"
        # The full-batch solver has no mini-batches (and no clipping warning); train_lbfgs
        # ignores the per-step rules (dropout, weight decay, clipping, schedules).
        batch_size = n_samples if lbfgs else self._batch_size(n_samples)
        if not lbfgs:
            self._check_schedule(self.max_iter * -(-n_samples // batch_size))
        if self.batch_normalization and batch_size < 2 and layout.n_layers > 1:
            raise ValueError(
                "batch_normalization needs at least 2 samples per mini-batch to compute batch "
                f"statistics, but batches here have {batch_size} sample. Use a larger "
                "batch_size (and at least 2 training samples) or batch_normalization=False."
            )
        return TrainingConfig(
            activation=self.activation,
            loss=self._loss,
            loss_parameters=self._loss_parameters,
            dropout_rates=self._dropout_rates(layout.n_layers - 1),
            bn_momentum=float(self.batch_norm_momentum),
            solver=self.solver,
            momentum=float(self.momentum),
            nesterov=bool(self.nesterovs_momentum),
            beta_1=float(self.beta_1),
            beta_2=float(self.beta_2),
            epsilon=float(self.epsilon),
            rho=float(self.rho),
            l2=l2,
            l1=l1,
            weight_decay=self._effective_weight_decay(),
            clip_norm=0.0 if self.clip_norm is None else float(self.clip_norm),
            batch_size=batch_size,
            shuffle=bool(self.shuffle),
            even_batches=bool(self.even_batches),
            learning_rate=self.learning_rate,
            learning_rate_init=float(self.learning_rate_init),
            power_t=self.power_t,
            lr_decay=self.lr_decay,
            lr_step_size=self.lr_step_size,
            warmup_epochs=self.warmup_epochs,
            max_iter=self.max_iter,
            patience=self.n_iter_no_change if self.patience is None else self.patience,
            min_delta=self.tol if self.min_delta is None else self.min_delta,
            tol=float(self.tol),
            early_stopping=early_stopping,
            monitor=self.monitor,
            restore_best_weights=(
                "last" if self.restore_best_weights == "last" else bool(self.restore_best_weights)
            ),
            verbose=bool(self.verbose),
            lr_factors=self._lr_factors(),
            # The NTK parametrization's effective rate per layer: Adam-type steps do not scale
            # with the gradient (fan_in ** -0.5), SGD steps do (fan_in ** -1).
            fan_in_power=(
                0.0
                if self.parametrization == "standard"
                else (1.0 if self.solver == "sgd" else 0.5)
            ),
            lr_cycles=int(self.lr_cycles),
            dropout_schedule=self.dropout_schedule,
            weight_decay_schedule=self.weight_decay_schedule,
            snapshot_epochs=self._snapshot_epochs(),
        )

    def _validate_validation_data(self, X_val, y_val, sw_val, dtype):
        if y_val is None:
            raise ValueError("X_val was given without y_val; pass both or neither.")
        X_val, y_val = self._input_matrix(X_val, False, y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        sw_val = self._validate_sample_weight(sw_val, X_val, y_val, "sample_weight_val")
        Y_val = self._encode_targets(y_val, True, False, sw_val, name="y_val").astype(dtype)
        return self._inputs.scale(X_val, dtype), Y_val, sw_val.astype(dtype)

    def _holds_out(self, incremental, y):
        """Whether ``fit`` splits ``validation_fraction`` off the training data."""
        if incremental or self.solver == "lbfgs" or not self.early_stopping:
            return False
        return self.early_stopping != "auto" or self._can_hold_out(y)

    def _validation_size(self, n_samples):
        return int(np.ceil(self.validation_fraction * n_samples))

    def _can_hold_out(self, y):
        """Whether ``early_stopping="auto"`` splits off a validation part from ``y``'s rows:
        only when it has at least :data:`_MIN_AUTO_VALIDATION` rows (fewer make the best epoch
        a coin toss: a score moves in steps of at least 2 %) and leaves 2 to train on."""
        n_samples = _num_samples(y)
        n_val = self._validation_size(n_samples)
        return n_val >= _MIN_AUTO_VALIDATION and n_samples - n_val >= 2

    def _split_validation(self, X, Y, sw, y, random_state):
        n_val = self._validation_size(X.shape[0])
        # The class counts first, then the sizes, in scikit-learn's order (and words).
        stratify = self._stratify_labels(y, n_val)
        if n_val < 2 or X.shape[0] - n_val < 2:
            raise ValueError(
                f"The validation set is too small: early_stopping needs at least 2 validation "
                f"and 2 training samples, but validation_fraction={self.validation_fraction} of "
                f"{X.shape[0]} samples gives {n_val} for validation. Adjust "
                "validation_fraction, pass X_val and y_val, or turn early_stopping off."
            )
        X_train, X_val, Y_train, Y_val, sw_train, sw_val = train_test_split(
            X, Y, sw, random_state=random_state, test_size=n_val, stratify=stratify
        )
        return (
            X_train if sp.issparse(X_train) else np.ascontiguousarray(X_train),
            np.ascontiguousarray(Y_train),
            np.ascontiguousarray(sw_train),
            X_val if sp.issparse(X_val) else np.ascontiguousarray(X_val),
            np.ascontiguousarray(Y_val),
            np.ascontiguousarray(sw_val),
        )

    def _stratify_labels(self, y, n_val):
        return None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            The input data: numbers, or a table with categorical, string, boolean and
            missing values (see ``categorical_features`` and :doc:`/user_guide/tables`). It
            trains in ``training_dtype`` (with ``"auto"``, float32 input in float32,
            anything else in float64).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each mini-batch loss is the weighted mean. They also weight
            the validation split's loss and score.
        X_val : array-like of shape (n_val_samples, n_features), default=None
            A validation set, used instead of splitting ``validation_fraction`` off the
            training data. Its loss and score are recorded in ``history_`` every epoch, and
            early stopping (when on) monitors it. Inside a ``Pipeline``, route it with
            metadata routing and ``Pipeline(..., transform_input=["X_val"])`` so it passes
            through the preprocessing steps.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
                default=None
            Targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.n_ensembles > 1 and self.ensemble == "independent":
            return fit_independent(self, X, y, sample_weight, (X_val, y_val, sample_weight_val))
        return self._fit(X, y, sample_weight, False, X_val, y_val, sample_weight_val)


# The docstring parts both estimators share, written once and put into both docstrings (at
# their "%(common_attributes)s" and "%(shared_sections)s" lines) below the classes.
_COMMON_ATTRIBUTES = """    coefs_ : list of ndarray
        Weight matrix of each layer, shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        Bias vector of each layer.
    batch_norm_gamma_, batch_norm_beta_ : list of ndarray
        Batch-norm scale and shift per hidden layer (empty lists without batch norm).
    batch_norm_running_mean_, batch_norm_running_var_ : list of ndarray
        Running statistics used at inference.
    loss_ : float
        Training objective of the last epoch.
    loss_curve_ : list of float
        Training objective (loss plus penalty) per epoch (per iteration with
        ``solver="lbfgs"``), over all calls.
    history_ : list of dict
        One row per epoch (``pandas.DataFrame(est.history_)`` gives a table): ``epoch``,
        ``loss``, ``val_loss`` and ``val_score`` (when there is a validation set),
        ``learning_rate`` and ``seconds``.
    best_epoch_ : int or None
        Epoch (as numbered in ``history_``) with the best monitored value.
    best_loss_ : float or None
        Lowest training objective (None with early stopping).
    n_iter_ : int
        Epochs run by the last call to ``fit`` or ``partial_fit`` (iterations with
        ``solver="lbfgs"``).
    t_ : int
        Training samples seen, over all calls.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X is a DataFrame with string column names.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (for the regressor with several quantile levels, the
        number of targets times the number of levels).
    activation_mix_ : list of ndarray
        The ``a`` of each hidden layer's parametric activation (empty list without).
    member_scales_ : list of ndarray of shape (n_members, n_units)
        With ``ensemble="shared"`` or ``"shared_mini"``: each member's scales of a dense
        layer's input or output, in the order of the forward pass (the first are the first
        dense layer's inputs'); empty list otherwise.
    member_intercepts_ : list of ndarray of shape (n_members, n_units)
        Each member's biases added after a dense layer (shared-weight ensembles; empty list
        otherwise).
    input_scale_ : ndarray of shape (n_inputs,)
        Factors of the scaling layer (shape (0,) without).
    embedded_features_ : ndarray of shape (n_embedded,)
        Indices of the features the numeric embeddings describe (shape (0,) without).
    embedding_frequencies_, embedding_phases_ : ndarray of shape (n_embedded, \
embedding_frequencies)
        Frequencies and phases of the numeric embeddings (shape (0,) without).
    embedding_coefs_ : ndarray of shape (n_embedded, embedding_frequencies, embedding_dim)
        Each embedded feature's map from its cosines to its embedding values.
    embedding_intercepts_ : ndarray of shape (n_embedded, embedding_dim)
        Each embedded feature's offsets of its embedding values.
    input_scaler_ : RobustSmoothClipScaler or None
        The fitted input scaling (None without ``input_scaling``) of the network's value
        inputs.
    is_categorical_ : ndarray of shape (`n_features_in_`,), bool
        Which columns of ``X`` were taken as categorical.
    category_embeddings_ : ndarray of shape (n_vectors, category_embedding_dim)
        The learned vectors of the levels of the categorical columns with more than
        ``max_one_hot_levels`` levels, each column's levels (and its level "other", last) in
        turn (shape (0,) without such columns).
"""

_SHARED_SECTIONS = """\
    skdeep.model_selection.CoarseToFineSearchCV : Tunes the regularization by cross-validation.
    skdeep.inspection.TrainingHistoryDisplay : Plots the training and validation curves.

    Notes
    -----
    Every epoch runs in one compiled call over a flat parameter vector (see
    :doc:`/architecture`). The techniques follow their papers: dropout [1]_, batch
    normalization [2]_, Adam [3]_ and decoupled weight decay (AdamW) [4]_, Glorot [5]_ and He
    [6]_ initialization, SELU [7]_, and, in the defaults, periodic numeric embeddings [8]_ and
    the tabular recipe of RealMLP [9]_ (:doc:`/user_guide/defaults` says what was measured).
    Where a parameter shared with scikit-learn's MLP behaves differently, the user guide says
    so (:doc:`/coming_from_sklearn`).

    References
    ----------
    .. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov,
       "Dropout: a simple way to prevent neural networks from overfitting", JMLR 15, 2014.
    .. [2] S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training
       by reducing internal covariate shift", ICML 2015.
    .. [3] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    .. [4] I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019.
    .. [5] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [6] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015.
    .. [7] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-normalizing neural
       networks", NeurIPS 2017.
    .. [8] Y. Gorishniy, I. Rubachev and A. Babenko, "On embeddings for numerical features in
       tabular deep learning", NeurIPS 2022.
    .. [9] D. Holzmüller, L. Grinsztajn and I. Steinwart, "Better by default: strong pre-tuned
       MLPs and boosted trees on tabular data", NeurIPS 2024.

"""


def _with_shared_docs(parameters, estimator):
    """Fill a class docstring's shared parts: the parameter table's texts and the sections."""

    def decorate(cls):
        if cls.__doc__:  # None under python -OO
            names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
            shared = {
                "%(parameters)s": parameters_section(parameters, estimator, names),
                "%(common_attributes)s": _COMMON_ATTRIBUTES,
                "%(shared_sections)s": _SHARED_SECTIONS,
            }
            cls.__doc__ = _fill_fields(cls.__doc__, shared)
        return cls

    return decorate


def _fill_fields(doc, fields):
    """``doc`` with each line that holds a field alone replaced by the field's text.

    The text is indented as far as the field's line is (the texts are written with their
    sections 4 spaces in; the indentation is whatever the docstring's is, so that a formatter
    that re-indents docstrings leaves them whole).
    """
    lines = []
    for line in doc.split("\n"):
        text = fields.get(line.strip())
        if text is not None:
            prefix = line[: len(line) - len(line.lstrip(" "))]
            line = textwrap.indent(textwrap.dedent(text).rstrip("\n"), prefix)
        lines.append(line)
    return "\n".join(lines)


@_with_shared_docs(CLASSIFIER_PARAMETERS, "classifier")
class RegularizedMLPClassifier(ClassifierMixin, _BaseRegularizedMLP):
    """Multilayer perceptron classifier with dropout, batch norm, penalties and weight decay.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: every parameter it shares
    has the same name and meaning. Training runs in a compiled (numba) epoch kernel.

    The defaults are not scikit-learn's: they are a tabular recipe (robust input scaling,
    periodic numeric embeddings, a scaling layer, three 128-wide layers of parametric SELU,
    AdamW with scheduled dropout and weight decay, a multi-cycle learning-rate schedule, label
    smoothing, and the best epoch on a held-out 20 %) chosen by measurement on 19 real tables;
    see :doc:`/user_guide/defaults`. :meth:`like_sklearn` gives scikit-learn's configuration.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    %(common_attributes)s
    validation_scores_ : list of float or None
        Validation accuracy per epoch of the last ``fit`` with early stopping.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    out_activation_ : str
        ``"softmax"`` or ``"logistic"``.

    See Also
    --------
    RegularizedMLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP, whose parameters it shares.
    %(shared_sections)s

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import RegularizedMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RegularizedMLPClassifier(
    ...     dropout=0.1, random_state=0, max_iter=300
    ... ).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    def __init__(
        self,
        hidden_layer_sizes=(128, 128, 128),
        activation="selu",
        *,
        solver="adamw",
        alpha=0.0,
        penalty="l2",
        l1_ratio=0.15,
        weight_decay=0.02,
        dropout=0.15,
        input_dropout=0.0,
        batch_normalization=False,
        batch_norm_momentum=0.9,
        weight_init="data_aware",
        batch_size="auto",
        learning_rate="log_cosine",
        learning_rate_init=0.04,
        lr_decay=None,
        lr_step_size=10,
        warmup_epochs=0,
        power_t=0.5,
        max_iter=64,
        shuffle=True,
        even_batches=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        clip_norm=None,
        early_stopping="auto",
        validation_fraction=0.2,
        monitor="val_score",
        patience=None,
        min_delta=None,
        restore_best_weights="last",
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        n_iter_no_change=np.inf,
        max_fun=15000,
        input_scaling="robust",
        numeric_embeddings="auto",
        max_embedded_features=32,
        embedding_frequencies=16,
        embedding_dim=3,
        embedding_frequency_scale=0.1,
        scaling_layer=True,
        parametric_activation=True,
        parametrization="ntk",
        bias_lr_factor=0.1,
        scaling_lr_factor=6.0,
        embedding_lr_factor=0.1,
        activation_lr_factor=0.1,
        lr_cycles=4,
        dropout_schedule="flat_cosine",
        weight_decay_schedule="flat_cosine",
        training_dtype="float32",
        categorical_features="from_dtype",
        max_one_hot_levels=9,
        category_embedding_dim=8,
        min_category_count=1,
        missing_indicators=True,
        n_ensembles=1,
        ensemble="independent",
        n_jobs=None,
        label_smoothing=0.1,
        class_weight=None,
    ):
        params = dict(locals())
        del params["self"], params["__class__"]
        super().__init__(**params)

    _parameter_constraints: dict = constraints(CLASSIFIER_PARAMETERS)

    @property
    def _class_weight(self):
        return self.class_weight

    def _can_hold_out(self, y):
        if not super()._can_hold_out(y):
            return False
        if type_of_target(y) not in ("binary", "multiclass"):
            return True
        _, counts = np.unique(y, return_counts=True)
        return self._validation_size(_num_samples(y)) >= len(counts) and counts.min() >= 2

    def _stratify_labels(self, y, n_val):
        if type_of_target(y) not in ("binary", "multiclass"):
            return None
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            rare = classes[counts < 2]
            if len(classes) == 2:
                # The names scikit-learn's MLP gives them: it stratifies on the binary
                # indicator (True for the second class).
                names = [str(bool(np.flatnonzero(classes == c)[0])) for c in rare]
                negative, positive = classes[0].item(), classes[1].item()
                names = f"{names} (True: class {positive!r}, False: class {negative!r})"
            else:
                names = str([str(c) for c in rare])
            raise ValueError(
                "The least populated classes in y have only 1 member, which is too few: "
                "early_stopping needs every class in both the training and the validation "
                f"part. Classes with too few members are: {names}. Pass X_val and y_val, or "
                "turn early_stopping off."
            )
        if n_val < len(classes):
            raise ValueError(
                f"early_stopping splits off a stratified validation set of {n_val} samples, "
                f"too few to hold each of the {len(classes)} classes. Increase "
                "validation_fraction, pass X_val and y_val, or turn early_stopping off."
            )
        return y

    def _fit_label_binarizer(self, y):
        """The label encoding of ``partial_fit``: from ``classes_`` (or a multilabel ``y``)."""
        self._label_binarizer = LabelBinarizer()
        if type_of_target(y).startswith("multilabel"):
            self._label_binarizer.fit(y)
        else:
            self._label_binarizer.fit(self.classes_)

    def _encode_targets(self, y, incremental, first_call, sample_weight, name="y"):
        check_classification_targets(y)
        if first_call and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            if not hasattr(self, "_label_binarizer"):
                self._fit_label_binarizer(y)
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}."
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                where = "" if name == "y" else " (the classes of the training data y)"
                raise ValueError(
                    f"`{name}` has classes not in `self.classes_`{where}. `self.classes_` has "
                    f"{self.classes_}. '{name}' has {classes}."
                )
        Y = self._label_binarizer.transform(y)
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        self._loss = "softmax_cross_entropy" if multiclass else "sigmoid_cross_entropy"
        self.out_activation_ = LOSSES[self._loss].out_activation
        return np.ascontiguousarray(Y)

    def _training_targets(self, Y):
        """Smoothed labels: ``(1 - eps) y + eps / K`` (K classes, or 2 for a sigmoid unit)."""
        eps = float(self.label_smoothing)
        if eps == 0.0:
            return Y
        n_choices = LOSSES[self._loss].n_choices(Y.shape[1])
        return np.ascontiguousarray((1.0 - eps) * Y + eps / n_choices, dtype=Y.dtype)

    def _validation_score(self, raw, Y_val, sw_val):
        if self._single_class():
            return 1.0  # every prediction is the one class
        return super()._validation_score(raw, Y_val, sw_val)

    @available_if(_BaseRegularizedMLP._partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever appear. Required on the first call; later calls must
            pass None or the same classes.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._fit_label_binarizer(y)
        return self._fit(X, y, sample_weight, incremental=True)

    def _single_class(self):
        return len(self.classes_) == 1 and self._label_binarizer.y_type_ != "multilabel-indicator"

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_`` (for multilabel targets, the
            probability of each label); float64 unless both ``X`` and the fitted weights are
            float32.
        """
        if self._averages_members():
            return self.predict_proba_members(X).mean(axis=0)
        return self._proba_of(self._predicted_raw(X))

    def _proba_of(self, raw):
        """The probabilities of one network's raw outputs (overwritten)."""
        if self._single_class():
            return np.ones_like(raw)
        proba = LOSSES[self._loss].inverse_link(raw)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1.0 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels (an indicator matrix for multilabel targets).
        """
        if self._averages_members():
            return self._decisions(self.predict_proba(X))
        raw = self._predicted_raw(X)
        if self._single_class():
            return np.repeat(self.classes_, raw.shape[0])
        return self._label_binarizer.inverse_transform(LOSSES[self._loss].decisions(raw))

    def _decisions(self, proba):
        """The labels of averaged probabilities (as the single network decides on its own)."""
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return self._label_binarizer.inverse_transform((proba > 0.5).astype(int))
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba_members(self, X):
        """Each ensemble member's probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_members, n_samples, n_classes)
            Member ``i``'s :meth:`predict_proba`; their mean over the first axis is
            :meth:`predict_proba`. A ValueError for a single network (``n_ensembles=1``).
        """
        if self._shared_members() > 1:
            return np.stack([self._proba_of(raw) for raw in self._member_raws(X)])
        return member_outputs(self, X, "predict_proba", "predict_proba_members")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@_with_shared_docs(REGRESSOR_PARAMETERS, "regressor")
class RegularizedMLPRegressor(RegressorMixin, _BaseRegularizedMLP):
    """Multilayer perceptron regressor with dropout, batch norm, penalties and weight decay.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`. Targets are standardized
    internally (per output) and predictions mapped back, so raw-scale targets such as prices
    train well without a ``TransformedTargetRegressor``; ``loss_curve_`` is therefore in units
    of the standardized targets.

    The defaults are the tabular recipe of :class:`RegularizedMLPClassifier` (see
    :doc:`/user_guide/defaults`) with ``activation="mish"`` and ``learning_rate_init=0.2``;
    :meth:`like_sklearn` gives scikit-learn's configuration.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(common_attributes)s
    validation_scores_ : list of float or None
        Validation R² per epoch of the last ``fit`` with early stopping.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    target_mean_ : ndarray of shape (n_outputs,)
        Mean of each target, subtracted before training (0 with ``loss="poisson"``).
        Predictions are ``target_scale_ * z + target_mean_`` for the network's output ``z``
        (``target_scale_ * exp(z)`` with ``loss="poisson"``).
    target_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each target (its mean with ``loss="poisson"``), divided out
        before training; 1 where that is 0 (a constant target, which is then predicted
        exactly).
    out_activation_ : str
        ``"identity"``, or ``"exp"`` with ``loss="poisson"``.

    See Also
    --------
    RegularizedMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP, whose parameters it shares.
    %(shared_sections)s

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from skdeep import RegularizedMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = RegularizedMLPRegressor(random_state=0).fit(X_train, y_train)
    >>> print(f"held-out R²: {reg.score(X_test, y_test):.3f}")
    held-out R²: 0.323
    """

    _parameter_constraints: dict = constraints(REGRESSOR_PARAMETERS)
    _loss = "squared_error"
    # Outputs of the network per target column, and whether predictions have an axis of
    # quantile levels (a sequence of levels was given): the fitted loss's setting.
    _outputs_per_target = 1
    _levels_axis = False

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(128, 128, 128),
        activation="mish",
        *,
        solver="adamw",
        alpha=0.0,
        penalty="l2",
        l1_ratio=0.15,
        weight_decay=0.02,
        dropout=0.15,
        input_dropout=0.0,
        batch_normalization=False,
        batch_norm_momentum=0.9,
        weight_init="data_aware",
        batch_size="auto",
        learning_rate="log_cosine",
        learning_rate_init=0.2,
        lr_decay=None,
        lr_step_size=10,
        warmup_epochs=0,
        power_t=0.5,
        max_iter=64,
        shuffle=True,
        even_batches=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        clip_norm=None,
        early_stopping="auto",
        validation_fraction=0.2,
        monitor="val_score",
        patience=None,
        min_delta=None,
        restore_best_weights="last",
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        n_iter_no_change=np.inf,
        max_fun=15000,
        input_scaling="robust",
        numeric_embeddings="auto",
        max_embedded_features=32,
        embedding_frequencies=16,
        embedding_dim=3,
        embedding_frequency_scale=0.1,
        scaling_layer=True,
        parametric_activation=True,
        parametrization="ntk",
        bias_lr_factor=0.1,
        scaling_lr_factor=6.0,
        embedding_lr_factor=0.1,
        activation_lr_factor=0.1,
        lr_cycles=4,
        dropout_schedule="flat_cosine",
        weight_decay_schedule="flat_cosine",
        training_dtype="float32",
        categorical_features="from_dtype",
        max_one_hot_levels=9,
        category_embedding_dim=8,
        min_category_count=1,
        missing_indicators=True,
        n_ensembles=1,
        ensemble="independent",
        n_jobs=None,
        quantile=None,
        huber_epsilon=1.35,
    ):
        params = dict(locals())
        del params["self"], params["__class__"]
        super().__init__(**params)

    def _encode_targets(self, y, incremental, first_call, sample_weight, name="y"):
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{type(self).__name__} needs numeric targets, but y has values such as "
                    f"{y.ravel()[0]!r} ({exc}). For class labels use RegularizedMLPClassifier."
                ) from None
        Y = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(np.float64)
        loss = LOSSES[self.loss]
        if loss.check_targets is not None:
            loss.check_targets(Y)
        setting = loss.setting(self)
        if first_call:
            # A constant target has no spread to scale by: scale 1, its own units (as
            # scikit-learn trains on), so that later data (partial_fit, warm_start) can move
            # the network. _start_network makes the predictions exactly the constant.
            self.target_mean_, self.target_scale_ = target_standardization(loss, Y, sample_weight)
            self._loss = loss.name
            self._loss_parameters = loss.kernel_parameters(setting, Y.shape[1])
            self._outputs_per_target = loss.outputs_per_target(setting)
            # A sequence of levels keeps its axis in the predictions, even of one level.
            self._levels_axis = loss.per_output and not isinstance(
                getattr(self, loss.parameter), Real
            )
            self.out_activation_ = loss.out_activation
        elif Y.shape[1] != len(self.target_mean_):
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{len(self.target_mean_)}."
            )
        else:
            self._check_same_loss(loss, loss.kernel_parameters(setting, Y.shape[1]))
        # Models pickled before constant targets had a scale have scale 0 there.
        divisor = np.where(self.target_scale_ > 0, self.target_scale_, 1.0)
        Y = (Y - self.target_mean_) / divisor
        # One output per quantile level (the outputs of a target adjacent).
        return np.ascontiguousarray(np.repeat(Y, self._outputs_per_target, axis=1))

    def _check_same_loss(self, loss, parameters):
        """Raise unless ``loss`` with ``parameters`` is the loss the model was fitted with."""
        fitted = LOSSES[self._loss]
        if loss.name != fitted.name or not np.array_equal(parameters, self._loss_parameters):
            fitted_setting = (
                f", {fitted.parameter}={self._fitted_setting()}" if fitted.parameter else ""
            )
            setting = (
                f", {loss.parameter}={getattr(self, loss.parameter)!r}" if loss.parameter else ""
            )
            raise ValueError(
                f"The model was fitted with loss={self._loss!r}{fitted_setting}; warm_start "
                f"and partial_fit cannot continue it with loss={self.loss!r}{setting}. Set "
                "warm_start=False to fit anew."
            )

    def _fitted_setting(self):
        """The fitted loss's setting for one target, as a user would write it."""
        setting = self._levels().tolist()
        return setting if self._levels_axis else setting[0]

    def _levels(self):
        """The fitted loss's parameters for one target (the quantile levels, in order)."""
        return self._loss_parameters[: self._outputs_per_target]

    def _start_network(self, layout, theta, bn_state, Y):
        # An output whose training targets are all equal starts (and, with nothing to learn,
        # stays) at exactly that value: zero output weights and bias give a raw output of 0
        # and zero gradients for as long as the targets stay equal.
        constant = np.ptp(Y, axis=0) == 0
        if constant.any():
            views = layout.unpack(theta, bn_state)
            views["coefs_"][-1][:, constant] = 0.0
            views["intercepts_"][-1][constant] = 0.0

    @available_if(_BaseRegularizedMLP._partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        The target standardization is fixed by the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X, return_std=False):
        """Predict using the trained model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        return_std : bool, default=False
            Also return the standard deviation of the ensemble members' predictions (the
            members' disagreement, in the target's units; not a calibrated interval: see
            :doc:`/user_guide/ensembles`). Needs ``n_ensembles > 1``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, in float64 unless both ``X`` and the fitted weights are
            float32: with ensemble members, their mean.
        y_std : ndarray of the shape of ``y``
            The members' standard deviation (``ddof=0``); only with ``return_std=True``.
        """
        if self._averages_members() or return_std:
            if self._shared_members() > 1:
                members = self.predict_members(X)
            else:
                members = member_outputs(self, X, "predict", "predict(X, return_std=True)")
            mean = members.mean(axis=0)
            return (mean, members.std(axis=0)) if return_std else mean
        return self._predictions_of(self._predicted_raw(X))

    def _predictions_of(self, raw):
        """The predictions of one network's raw outputs, in the targets' units."""
        dtype = raw.dtype
        # In float64, then back. Huge weights times a huge target scale can overflow even
        # float64: that is reported below, not warned about.
        with np.errstate(over="ignore", invalid="ignore"):
            raw = LOSSES[self._loss].inverse_link(raw)
            # (rows, targets, outputs per target): each target's outputs in its units.
            raw = raw.reshape(raw.shape[0], -1, self._outputs_per_target)
            y = raw * self.target_scale_[:, None] + self.target_mean_[:, None]
        if not np.isfinite(y).all() or np.abs(y).max() > np.finfo(dtype).max:
            raise ValueError(
                f"Predictions exceed the range of {dtype} (largest network output "
                f"{np.abs(raw).max():.3g} times target scale {self.target_scale_.max():.3g}). "
                "The weights are huge (lower learning_rate_init and refit) or the targets are "
                "extreme: rescale them, or fit on float64 data."
            )
        y = y.astype(dtype, copy=False)
        if self._outputs_per_target > 1:
            # Never crossing: the k-th smallest prediction goes to the k-th smallest level
            # (monotone rearrangement), in the order the levels were given.
            levels = self._levels()
            y = np.sort(y, axis=2)[:, :, np.argsort(np.argsort(levels))]
        if not self._levels_axis:
            y = y[:, :, 0]
            return y.ravel() if y.shape[1] == 1 else y
        return y[:, 0, :] if y.shape[1] == 1 else y

    def predict_members(self, X):
        """Each ensemble member's predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_members, ...)
            Member ``i``'s :meth:`predict` (shape (n_samples,), (n_samples, n_outputs), or
            with several quantile levels (n_samples, n_levels) or (n_samples, n_outputs,
            n_levels)); their mean over the first axis is
            :meth:`predict`. A ValueError for a single network (``n_ensembles=1``).
        """
        if self._shared_members() > 1:
            return np.stack([self._predictions_of(raw) for raw in self._member_raws(X)])
        return member_outputs(self, X, "predict", "predict_members")

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions, as scikit-learn's regressors.

        With several quantile levels (``loss="quantile"`` and a sequence of levels), R² of
        the level nearest 0.5. R² measures how well the predictions follow the mean; for a
        quantile, the pinball loss (:func:`sklearn.metrics.mean_pinball_loss`) is the score
        that fits, and ``best_validation_score_`` records it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R² of ``self.predict(X)`` (of its level nearest 0.5) with respect to ``y``.
        """
        if not self._levels_axis:
            return super().score(X, y, sample_weight)
        levels = self._levels()
        nearest = int(np.argmin(np.abs(levels - 0.5)))
        return r2_score(y, self.predict(X)[..., nearest], sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
