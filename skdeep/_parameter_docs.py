"""The docstring text of each constructor parameter, shared by both estimators.

Each entry is the parameter's type and its description (numpydoc, the description indented
8 spaces as in a class docstring). :func:`skdeep._parameters.parameters_section` puts them
into the estimators' docstrings with each estimator's own default.
"""

DOCS = {
    "hidden_layer_sizes": """array-like of shape (n_layers - 2,) or int
        Width of each hidden layer.
""",
    "activation": """{"relu", "leaky_relu", "elu", "tanh", "logistic", "sigmoid", "identity", \
"selu", "mish", "gelu", "silu"}
        Hidden-layer activation. ``"sigmoid"`` is an alias of ``"logistic"``. Leaky ReLU uses
        slope 0.01 for negative inputs, ELU uses alpha 1.0; SELU, Mish, GELU (exact, with the
        normal CDF) and SiLU (``x * sigmoid(x)``, also called swish) are the smooth
        activations of recent tabular recipes. See ``parametric_activation``.
""",
    "solver": """{"adam", "adamw", "sgd", "rmsprop", "adagrad", "lbfgs"}
        Optimizer. ``"sgd"`` uses ``momentum`` and ``nesterovs_momentum``; ``"rmsprop"`` uses
        ``rho``; ``"adam"`` and ``"adamw"`` use ``beta_1``, ``beta_2``, ``epsilon``.
        ``"adamw"`` is Adam with decoupled weight decay (``weight_decay`` defaults to 0.01 for
        it). ``"lbfgs"`` minimizes the full-batch objective (the whole training set as one
        batch, L2 penalty included) with scipy's L-BFGS-B, as scikit-learn does: often best
        on small data. It runs at most ``max_iter`` iterations and ``max_fun`` objective
        evaluations and stops when every gradient entry is below ``tol``; the mini-batch
        options (``batch_size``, ``shuffle``, the schedules, early stopping) and the per-step
        rules (dropout, ``weight_decay``, ``clip_norm``) do not apply, an L1 or elastic-net
        penalty raises an error, and batch normalization normalizes with the training set's
        statistics, which become the running statistics. The parameter groups' learning-rate
        factors do not apply (L-BFGS has no per-parameter step sizes). ``partial_fit`` is not
        available with it.
""",
    "alpha": """float
        Strength of the ``penalty``. As in scikit-learn, each mini-batch divides the penalty by
        its number of samples.
""",
    "penalty": """{"l2", "l1", "elasticnet"} or None
        Penalty on the dense-layer weights (never biases or batch-norm parameters):
        ``alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)`` for ``"elasticnet"``.
        The L1 part is applied with a proximal (soft-threshold) step, so weights become exactly
        zero.
""",
    "l1_ratio": """float in [0, 1]
        Mix of L1 in the elastic net; only used when ``penalty="elasticnet"``.
""",
    "weight_decay": """float or None
        Decoupled weight decay: weights are multiplied by ``1 - lr * weight_decay`` at every
        step, separately from the loss (AdamW). None means 0.01 for ``solver="adamw"`` and 0
        otherwise.
""",
    "dropout": """float or array-like of floats in [0, 1)
        Dropout rate after each hidden layer (one rate for all, or one per hidden layer).
        Inverted dropout: inference uses every unit without rescaling.
""",
    "input_dropout": """float in [0, 1)
        Dropout rate on the input features.
""",
    "batch_normalization": """bool
        Batch normalization after every hidden dense layer, before its activation.
""",
    "batch_norm_momentum": """float in [0, 1)
        Running statistics are updated as ``momentum * running + (1 - momentum) * batch``.
""",
    "weight_init": """str
        ``"random_normal"`` (std 0.01), ``"glorot_uniform"``, ``"glorot_normal"`` (aliases
        ``"xavier_*"``), ``"he_uniform"``, ``"he_normal"``, ``"lecun_uniform"``,
        ``"lecun_normal"``, ``"sklearn"`` or ``"data_aware"``. ``"sklearn"`` draws weights and
        biases exactly as scikit-learn's MLP does (from ``U(-a, a)``, ``a = sqrt(6 / (n_in +
        n_out))``, or ``sqrt(2 / (n_in + n_out))`` with the logistic activation): the same
        ``random_state`` gives the same initial network. ``"auto"`` uses He uniform for ReLU-family
        hidden layers (and GELU, SiLU, Mish), LeCun normal for SELU and Glorot uniform
        elsewhere. ``"data_aware"`` draws as ``"auto"``, then rescales each layer, first to
        last, so that its pre-activations have unit standard deviation on (a sample of up to
        1024 rows of) the training data, and sets each unit's bias so that its hyperplane
        passes through a random convex combination of 5 training rows.
""",
    "batch_size": """int or "auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``. Larger values are clipped.
""",
    "even_batches": """bool
        Split each epoch's ``n`` rows into ``ceil(n / batch_size)`` mini-batches whose sizes
        differ by at most one row, instead of full batches and a last one of the
        ``n % batch_size`` rows left over (scikit-learn's batching, ``False``). A last batch of
        a few rows takes a full step on a few rows' gradient in every epoch, which costs
        accuracy: on ``concrete`` (``python -m benchmarks.last_batch``), 601 training rows in
        batches of 200 scored about 0.07 R² below 600 rows.
""",
    "learning_rate": """{"constant", "step", "exponential", "cosine", "adaptive", "invscaling", \
"log_cosine", "flat_cosine"}
        Learning-rate schedule, applied to every mini-batch solver (scikit-learn applies its
        schedules to ``"sgd"`` only): per epoch, except ``"log_cosine"`` and
        ``"flat_cosine"``, which change at every mini-batch step over the ``max_iter`` epochs
        of a fit. ``"log_cosine"``: ``lr_cycles`` cosine cycles from 0 up to
        ``learning_rate_init`` and back, each twice as long as the one before
        (``0.5 * (1 - cos(2 pi log2(1 + (2**lr_cycles - 1) t)))`` at progress ``t``);
        ``"flat_cosine"``: constant for the first half, then half a cosine down to 0.
        ``"step"``: multiply by ``lr_decay`` every ``lr_step_size`` epochs;
        ``"exponential"``: multiply by ``lr_decay`` every epoch;
        ``"cosine"``: half a cosine from ``learning_rate_init`` to 0 over ``max_iter`` epochs;
        ``"adaptive"``: divide by 5 whenever more than ``patience`` (by default
        ``n_iter_no_change``) epochs pass without improvement (reduce on plateau), stopping
        once it falls below 1e-6;
        ``"invscaling"``: ``learning_rate_init / (samples_seen + 1) ** power_t``.
""",
    "learning_rate_init": """float
        Initial (peak, for the schedules that rise first) learning rate. The
        classifier's default (0.04) and the regressor's (0.2) are both meant for
        ``parametrization="ntk"``, whose dense weights train at this rate times
        ``fan_in ** -0.5``; with ``"standard"``, divide by about ``sqrt(width)``.
""",
    "lr_decay": """float in (0, 1] or None
        Decay factor of ``"step"`` (None means 0.5) and ``"exponential"`` (None means 0.95).
""",
    "lr_step_size": """int
        Epochs per stair of ``"step"``.
""",
    "warmup_epochs": """int
        Epochs of linear warm-up from ``learning_rate_init / warmup_epochs`` to
        ``learning_rate_init`` before the schedule starts.
""",
    "power_t": """float
        Exponent of the ``"invscaling"`` schedule.
""",
    "max_iter": """int
        Maximum number of epochs (iterations with ``solver="lbfgs"``); the length of the
        per-step schedules.
""",
    "shuffle": """bool
        Shuffle the samples every epoch.
""",
    "random_state": """int, RandomState instance or None
        Controls initialization, shuffling, the validation split and dropout masks.
""",
    "tol": """float
        Improvement below which an epoch counts as no progress (see ``min_delta``); with
        ``solver="lbfgs"``, the gradient entry size below which it stops.
""",
    "verbose": """bool
        Print one line per epoch (per iteration with ``solver="lbfgs"``).
""",
    "warm_start": """bool
        Continue from the previous fit's weights.
""",
    "momentum": """float
        Momentum of ``solver="sgd"``.
""",
    "nesterovs_momentum": """bool
        Use Nesterov momentum with ``solver="sgd"``.
""",
    "rho": """float
        Decay of RMSProp's squared-gradient average.
""",
    "clip_norm": """float or None
        When set, each mini-batch's loss gradient is rescaled to at most this global L2 norm
        (penalty gradients and weight decay are not clipped).
""",
    "early_stopping": """bool or "auto"
        Monitor a validation set: stop when its metric stops improving for ``patience``
        epochs (never, with the default ``n_iter_no_change=np.inf``) and keep the best
        epoch's weights (``restore_best_weights``). The validation set is ``X_val`` /
        ``y_val`` given to ``fit``, or else ``validation_fraction`` of the training data
        (stratified for single-label classification). ``"auto"`` does so when ``X_val`` is
        given or the validation part would have at least 50 rows (fewer make the best epoch
        a matter of chance; for a classifier, also every class with 2 rows), and otherwise
        trains on all rows for ``max_iter`` epochs with the ``n_iter_no_change`` rule on the
        training loss; ``partial_fit`` ignores it (``True`` there is an error). Not used by
        ``solver="lbfgs"``.
""",
    "validation_fraction": """float
        Fraction of the training data held out for early stopping when no ``X_val`` is given.
""",
    "monitor": """{"val_score", "val_loss"}
        What early stopping watches: the validation score (accuracy, or R² for regression,
        as in scikit-learn) or the validation loss (as in Keras).
""",
    "patience": """int or None
        Training stops once more than ``patience`` consecutive epochs fail to improve the
        monitored value by ``min_delta``. None uses ``n_iter_no_change``.
""",
    "min_delta": """float or None
        Smallest change that counts as an improvement. None uses ``tol``.
""",
    "restore_best_weights": """bool or "last"
        With early stopping, end with the weights of the best epoch (``best_epoch_``) rather
        than the last one; ``"last"`` takes the last of several equally good epochs (ties are
        common for accuracy). With ``n_iter_no_change=np.inf`` the whole schedule trains and
        the best epoch on the validation part is kept: best-epoch selection without early
        stopping.
""",
    "beta_1": """float in [0, 1)
        Decay rate of Adam's first-moment (mean) estimate.
""",
    "beta_2": """float in [0, 1)
        Decay rate of Adam's second-moment (uncentred variance) estimate.
""",
    "epsilon": """float
        Numerical stability term of Adam, RMSProp and AdaGrad.
""",
    "n_iter_no_change": """int or np.inf
        Training stops once more than this many consecutive epochs fail to improve the
        training loss (or, with early stopping, the monitored validation metric) by ``tol``
        (see ``patience``). ``np.inf`` never stops early: the fit runs its ``max_iter``
        epochs, the whole schedule (without a ``ConvergenceWarning`` for the schedules over
        the whole run, ``"log_cosine"`` and ``"flat_cosine"``; any other still warns that
        ``max_iter`` was reached, as scikit-learn does).
""",
    "max_fun": """int
        Most evaluations of the objective; used only by ``solver="lbfgs"``.
""",
    "input_scaling": """{"robust"} or None
        ``"robust"``: the features are centred by their median, scaled by their
        inter-quartile range and clipped smoothly to +-3 (:class:`~skdeep.preprocessing.\
RobustSmoothClipScaler`, fitted on the first call's training data), so outliers and values
        far outside the training range give bounded inputs.
""",
    "numeric_embeddings": """{"periodic", "auto"} or None
        ``"periodic"``: each feature ``x`` with more than two distinct values in the first
        call's training data enters the network as itself and, after all the raw features,
        ``embedding_dim`` values ``c + W cos(2 pi w x + b)`` of its own learnable
        ``embedding_frequencies`` frequencies ``w``, phases ``b``, map ``W`` and intercepts
        ``c`` (the "PBLD" embeddings of RealMLP); two-valued features (flags, one-hot levels)
        enter as themselves only. It is an error when no feature has more than two values;
        ``"auto"`` then embeds nothing instead, and embeds at most ``max_embedded_features``
        features.
""",
    "max_embedded_features": """int or None
        With ``numeric_embeddings="auto"``, when more features qualify, the embeddings
        describe only this many: those whose quantile bins explain the most variance of the
        (encoded) targets in the first call's training data; the others enter as
        themselves. The embeddings' cost grows with the features they describe while their
        gain does not (:doc:`/user_guide/numeric_embeddings`). None embeds every qualifying
        feature. Read when the network is created: ``warm_start`` and ``partial_fit`` keep
        the features it chose.
""",
    "embedding_frequencies": """int
        Frequencies per feature of the periodic embeddings.
""",
    "embedding_dim": """int
        Values each feature's embedding maps its frequencies to.
""",
    "embedding_frequency_scale": """float
        Standard deviation of the initial frequencies (in units of the scaled inputs).
""",
    "scaling_layer": """bool
        A learnable factor (initially 1) multiplies each input of the first dense layer.
""",
    "parametric_activation": """bool
        Every hidden unit computes ``z + a * (f(z) - z)`` with its own learnable ``a``
        (initially 1: the plain activation ``f``).
""",
    "parametrization": """{"standard", "ntk"}
        ``"ntk"`` trains each dense layer's weights as the neural-tangent-kernel
        parametrization (``W x / sqrt(fan_in)`` with unit-scale ``W``) does: with the learning
        rate times ``fan_in ** -0.5`` for Adam, AdamW, RMSProp and AdaGrad (``fan_in ** -1``
        for SGD), their weight decay unchanged. It lets one learning rate suit layers of any
        width.
""",
    "bias_lr_factor": """float
        Learning-rate factor of the dense layers' biases: their learning rate is
        ``learning_rate_init`` times this (0 freezes them). Decoupled weight decay, where it
        applies (weights and embeddings), follows the group's rate.
""",
    "scaling_lr_factor": """float
        Learning-rate factor of the scaling layer's factors: their learning rate is
        ``learning_rate_init`` times this (0 freezes them). Decoupled weight decay, where it
        applies (weights and embeddings), follows the group's rate.
""",
    "embedding_lr_factor": """float
        Learning-rate factor of the numeric embeddings' parameters: their learning rate is
        ``learning_rate_init`` times this (0 freezes them). Decoupled weight decay, where it
        applies (weights and embeddings), follows the group's rate.
""",
    "activation_lr_factor": """float
        Learning-rate factor of the parametric activations' mixes: their learning rate is
        ``learning_rate_init`` times this (0 freezes them). Decoupled weight decay, where it
        applies (weights and embeddings), follows the group's rate.
""",
    "lr_cycles": """int
        Cycles of ``learning_rate="log_cosine"``.
""",
    "dropout_schedule": """{"constant", "flat_cosine"}
        ``"flat_cosine"``: the dropout rates stay for the first half of the ``max_iter``
        epochs of a fit, then follow half a cosine down to 0, step by step.
""",
    "weight_decay_schedule": """{"constant", "flat_cosine"}
        The same for the strength of the decoupled weight decay.
""",
    "training_dtype": """{"auto", "float32", "float64"}
        The floating-point type the network trains and predicts in. ``"auto"``: that of
        ``X`` (float32 input trains in float32, any other input in float64), as scikit-learn
        does. float32 halves the memory and speeds up the matrix products; on the defaults'
        benchmark tables it scores as float64 does (see :doc:`/user_guide/defaults`).
""",
    "categorical_features": """"from_dtype", None, or array-like of str, int or bool
        Which columns of ``X`` are categorical. ``"from_dtype"``: the columns of a pandas
        DataFrame whose dtype is ``category``, ``object``, string or ``bool`` (none of an
        array, as in :class:`~sklearn.ensemble.HistGradientBoostingClassifier`). Also a list
        of column names (with a DataFrame), of column indices, or a boolean mask; None: every
        column is a number. See :doc:`/user_guide/tables`.
""",
    "max_one_hot_levels": """int
        A categorical column with at most this many levels (after pooling rare ones) is
        one-hot encoded (two levels: one input of -1 / +1); one with more gets a learned
        vector per level.
""",
    "category_embedding_dim": """int
        Values of each level's learned vector.
""",
    "min_category_count": """int
        Levels seen fewer times in the training data share one level "other", which also
        takes levels never seen in training (1: every level seen in training keeps its own,
        as in scikit-learn's encoders).
""",
    "missing_indicators": """bool
        Missing numbers (NaN, None, ``pd.NA``) are replaced by the column's training median;
        with ``missing_indicators``, each numeric column that had missing values in training
        also gets an input that is 1 where the value was missing.
""",
    "n_ensembles": """int
        Number of networks (members) whose predictions are averaged: probabilities for the
        classifier, predictions in the target's units for the regressor. With more than one,
        the fitted members are in ``estimators_``, ``predict(X, return_std=True)`` of the
        regressor gives their spread, and ``predict_members`` / ``predict_proba_members``
        give each member's output. See ``ensemble`` and :doc:`/user_guide/ensembles`.
""",
    "ensemble": """{"independent", "snapshot", "shared", "shared_mini"}
        How the ``n_ensembles`` members are made. ``"independent"``: separate networks with
        their own random state, fitted in parallel (``n_jobs``); when early stopping holds
        data out, the rows are split into ``n_ensembles`` folds and member ``i`` picks its
        best epoch on fold ``i`` (so every row trains all members but one; cross-validation
        bagging), otherwise every member is given all rows (and applies a single network's
        early-stopping rule to them). ``"snapshot"``: one training
        run; its members are the network at the ends of the last ``n_ensembles`` cycles of
        ``learning_rate="log_cosine"`` (which has ``lr_cycles`` of them), the last member
        being the fitted network, at no extra training cost. ``"shared"``: one network
        whose dense weights the members share, each member with its own scales of every
        dense layer's input and output and its own biases after every dense layer
        (BatchEnsemble, as TabM uses it), trained on every row at once; ``"shared_mini"``:
        own scales of the first layer's input, and own scales and biases of the output
        only. A shared ensemble trains on dense rows.
""",
    "n_jobs": """int or None
        Members of ``ensemble="independent"`` fitted at the same time, in threads (the
        compiled training releases the GIL) unless a :func:`joblib.parallel_config`
        context names another backend (dask's, say): None means 1 unless in such a
        context, -1 means all cores.
""",
    "label_smoothing": """float in [0, 1)
        Train on the targets ``(1 - label_smoothing) * y + label_smoothing / K`` (``K``
        classes, or 2 for each output of a binary or multilabel problem) instead of the
        one-hot ``y``: the network is penalized for confidence, so ``predict_proba`` stays
        away from 0 and 1 (the probability of the right class tends to
        ``1 - label_smoothing + label_smoothing / K`` at most).
""",
    "class_weight": """dict, "balanced" or None
        Weights of the classes, multiplied into the sample weights (also those of the
        validation set, so its score is then class-weighted too). ``"balanced"`` uses
        ``n_samples / (n_classes * np.bincount(y))`` of the data at hand, i.e. per call with
        ``partial_fit``.
""",
    "loss": """{"squared_error", "poisson", "absolute_error", "huber", "quantile"}
        Loss function: half the squared error; half the Poisson deviance with a log link
        (the network's output ``z`` predicts ``exp(z)``), for counts and other non-negative
        targets whose variance grows with their mean; the absolute error (predicts the
        conditional median); the Huber loss (squared within ``huber_epsilon``, absolute
        beyond: robust to outliers in y); or the pinball loss of ``quantile`` (predicts that
        conditional quantile, or several at once), as HistGradientBoostingRegressor names
        them. With ``"poisson"`` the targets must be non-negative; they are divided by their
        (weighted) mean per output, not centred, so that ``exp(0)`` starts at the mean. The
        robust losses centre the targets by their median and scale them by their
        inter-quartile range / 1.349, which quantiles follow (a quantile of ``a * y + b`` is
        ``a`` times that of ``y`` plus ``b``). See ``target_scale_`` and
        :doc:`/user_guide/regression_losses`. ``"absolute_error"`` and ``"quantile"`` are not
        differentiable where the residual is 0 and do not train with ``solver="lbfgs"``;
        ``"huber"`` does.
""",
    "quantile": """float in (0, 1), sequence of floats in (0, 1) or None
        The level of ``loss="quantile"`` (required there, ignored by the other losses), as in
        HistGradientBoostingRegressor: 0.9 predicts the conditional 90% quantile. With a
        sequence of distinct levels the network has one output per level and target, trained
        together, and ``predict`` returns shape ``(n_samples, n_quantiles)`` (``(n_samples,
        n_targets, n_quantiles)`` for several targets), the levels in the order given; the
        predictions are rearranged so that they never cross (a higher level never gets a
        lower prediction).
""",
    "huber_epsilon": """float
        Threshold of ``loss="huber"``, in units of the target's scale (``target_scale_``, its
        inter-quartile range / 1.349): residuals within it are penalized by their square,
        beyond it by their absolute value, as HuberRegressor's ``epsilon`` (default 1.35)
        does in units of its scale estimate.
""",
}
