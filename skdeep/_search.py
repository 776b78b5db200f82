"""Coarse-to-fine random search: random search in rounds that zoom in on the best region."""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

# Names of the scipy.stats distributions whose range can be narrowed, by kind.
_LOG_NAMES = {"loguniform", "reciprocal"}
_LINEAR_NAMES = {"uniform"}
_INTEGER_NAMES = {"randint"}


def _same(a, b):
    """Whether two parameter values are equal (also for tuples, lists and None)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays, whose == is elementwise
        return a is b


class _Range:
    """A numeric search range that can zoom in around a value.

    The range lives in a *search space*: ``log(value)`` for log-uniform ranges, the value
    itself for uniform and integer ranges. Its width in that space shrinks by a constant
    factor per round; it never leaves the original bounds.

    Parameters
    ----------
    kind : {"log", "linear", "int"}
        Log-uniform, uniform or uniform-integer.
    low, high : float
        Smallest and largest value (both included), in value space.
    """

    def __init__(self, kind, low, high):
        self.kind = kind
        self.bounds = (self._to_space(low), self._to_space(high))
        self.interval = self.bounds

    def _to_space(self, value):
        return float(np.log(value)) if self.kind == "log" else float(value)

    def _position(self, value):
        """``value`` in the search space. A value the range cannot hold (None, text, or 0
        and below on a log scale: an estimator's "no penalty", say) counts as its low end."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            return self.bounds[0]
        if not np.isfinite(value) or (self.kind == "log" and value <= 0):
            return self.bounds[0]
        return self._to_space(value)

    def _from_space(self, value):
        return float(np.exp(value)) if self.kind == "log" else float(value)

    @property
    def width(self):
        """Width of the current interval in the search space."""
        return self.interval[1] - self.interval[0]

    def zoom(self, value, factor):
        """Shrink the width by ``factor`` and center the interval on ``value``.

        The interval is shifted to stay inside the original bounds.
        """
        lo_bound, hi_bound = self.bounds
        width = factor * self.width
        center = min(max(self._position(value), lo_bound), hi_bound)
        lo = min(max(center - width / 2, lo_bound), hi_bound - width)
        self.interval = (lo, lo + width)

    def distribution(self):
        """The scipy.stats distribution of the current interval."""
        lo, hi = self.interval
        if self.kind == "int":
            # The nominal interval stays continuous so rounding never accumulates; the
            # distribution samples the integers inside it.
            lo_int, hi_int = int(np.ceil(lo - 1e-9)), int(np.floor(hi + 1e-9))
            return stats.randint(lo_int, max(hi_int, lo_int) + 1)
        if self.kind == "log":
            lo_value, hi_value = self._from_space(lo), self._from_space(hi)
            if hi_value <= lo_value:  # a range that has collapsed onto one value
                hi_value = np.nextafter(lo_value, np.inf)
            return stats.loguniform(lo_value, hi_value)
        return stats.uniform(lo, hi - lo)


def _numeric_range(name, dist):
    """The :class:`_Range` of a scipy.stats frozen distribution, or an error."""
    dist_name = getattr(getattr(dist, "dist", None), "name", None)
    if dist_name in _LOG_NAMES | _LINEAR_NAMES | _INTEGER_NAMES:
        low, high = (float(v) for v in dist.support())
        if dist_name in _INTEGER_NAMES:
            return _Range("int", low, high)
        if dist_name in _LINEAR_NAMES:
            return _Range("linear", low, high)
        # loguniform(a, b, loc=...) is not log-uniform in the value: the median of a
        # log-uniform distribution is the geometric mean of its bounds.
        if low > 0 and np.isclose(dist.median(), np.sqrt(low * high), rtol=1e-6):
            return _Range("log", low, high)
    raise ValueError(
        f"CoarseToFineSearchCV cannot narrow the distribution of {name!r} ({dist!r}). It "
        "narrows scipy.stats.loguniform, scipy.stats.uniform and scipy.stats.randint "
        "distributions (numeric ranges) and lists (categorical choices); give one of these."
    )


class _SameSplits:
    """A CV splitter that repeats the splits of the first ``split`` call.

    Every round of the search then scores its candidates on the same folds, so that scores
    of different rounds are comparable, also for shuffling splitters without a fixed seed.
    """

    def __init__(self, cv):
        self.cv = cv
        self._splits = None

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.cv.get_n_splits(X, y, groups)

    def split(self, X, y=None, **params):
        if self._splits is None:
            self._splits = list(self.cv.split(X, y, **params))
        return iter(self._splits)


class CoarseToFineSearchCV(BaseSearchCV):
    """Random search in rounds, each zooming in on the best region found so far.

    The first round samples ``n_iter / n_rounds`` candidates from ``param_distributions``,
    like :class:`~sklearn.model_selection.RandomizedSearchCV` (with the same
    ``random_state``, they are its first candidates, unless the space is made of lists
    alone). After every round, the search space is narrowed around the best candidates of
    all rounds so far, and the next round samples from the narrowed space:

    - a numeric range (``scipy.stats.loguniform``, ``uniform`` or ``randint``) keeps its
      kind, shrinks to ``shrink`` times its width and is centered on the best candidate's
      value, shifted where needed to stay inside the original range. Log-uniform ranges
      shrink and center in log space (their ratio ``high / low`` is raised to the power
      ``shrink``), integer ranges stay integer;
    - a list of choices (categorical, also of numbers or tuples such as
      ``hidden_layer_sizes``) keeps only the values used by the ``n_best`` best
      candidates.

    Every round scores its candidates on the same cross-validation splits.
    ``cv_results_`` holds the candidates of all rounds together (with a ``round``
    column), and the best candidate is chosen among all of them, as in
    ``RandomizedSearchCV``.

    ``initial_candidates`` adds settings of your own to the first round, such as the
    estimator as given (``[{}]``): the search's best is then never worse on its folds than
    they are, and the later rounds zoom in on them when they win.

    Parameters
    ----------
    estimator : estimator object
        The estimator (or pipeline) to tune. It needs a ``score`` method, or ``scoring``
        must be given.
    param_distributions : dict
        Parameter names (``"mlp__alpha"`` for a pipeline step) mapped to a
        ``scipy.stats.loguniform``, ``scipy.stats.uniform`` or ``scipy.stats.randint``
        distribution, or to a list of choices. :func:`mlp_search_space` returns such a
        dict.
    n_iter : int, default=30
        Total number of sampled candidates over all rounds, as in ``RandomizedSearchCV``,
        so that both searches cost the same for the same ``n_iter`` (the
        ``initial_candidates`` come on top). Every round samples ``n_iter // n_rounds``
        candidates; the first ``n_iter % n_rounds`` rounds one more. Must be at least
        ``n_rounds``.
    n_rounds : int, default=3
        Number of rounds. ``n_rounds=1`` is a plain random search.
    n_best : int, default=3
        Number of best candidates (of all rounds so far) whose values of a categorical
        parameter are kept for the next round. Numeric ranges center on the best one.
    shrink : float in (0, 1), default=0.5
        Factor by which every numeric range's width (in log space for log-uniform ranges)
        shrinks from one round to the next.
    initial_candidates : list of dict, default=None
        Settings scored in the first round in addition to the ``n_iter`` sampled ones, and
        before them in ``cv_results_``: each a dict of parameter names (of the estimator,
        ``"mlp__alpha"`` for a pipeline step) and values, such as a known good setting, or
        ``{}`` for the estimator as given. A parameter of ``param_distributions`` that a
        dict leaves out takes the estimator's own value, also when the later rounds zoom in
        on the candidate; values outside a range or list are allowed (a range then centers on
        its nearest end, a list keeps its choices when the best candidates use none of them).
        Ties rank the earlier candidate first, so an initial candidate wins a tie with a
        sampled one.
    scoring : str, callable, list, tuple or dict, default=None
        As in ``RandomizedSearchCV``. With several metrics, ``refit`` must name the one
        that selects the best candidates (it also guides the narrowing).
    n_jobs : int, default=None
        Number of jobs to run in parallel, as in ``RandomizedSearchCV``. Each round runs
        its ``candidates x splits`` fits in parallel; the rounds run one after the other.
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data set, as in ``RandomizedSearchCV``.
    cv : int, cross-validation generator or iterable, default=None
        Splitting strategy, as in ``RandomizedSearchCV`` (5-fold by default, stratified
        for classifiers). The splits are drawn once and reused in every round.
    verbose : int, default=0
        Verbosity: 1 and more prints each round's number of candidates and search space.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``RandomizedSearchCV``.
    random_state : int, RandomState instance or None, default=None
        Controls the sampling of the candidates in every round. Pass an int for
        reproducible results (the estimator's own ``random_state`` controls its training).
    error_score : "raise" or float, default=np.nan
        Score of a failed fit, as in ``RandomizedSearchCV``. Failed candidates rank last
        and are never zoomed in on.
    return_train_score : bool, default=False
        Also compute training scores, as in ``RandomizedSearchCV``.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        The results of every candidate of every round, as in ``RandomizedSearchCV``
        (``pandas.DataFrame(search.cv_results_)`` gives a table), plus the column
        ``round`` (0 for the first round).
    best_estimator_ : estimator
        The best candidate refitted on the whole data (when ``refit`` is not False).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Index of the best candidate in ``cv_results_``.
    param_distributions_ : list of dict
        The distributions each round sampled from: ``param_distributions_[0]`` is
        ``param_distributions``, the later ones are narrowed (``dist.support()`` gives a
        narrowed range's bounds).
    n_candidates_ : list of int
        Number of candidates evaluated in each round (the first round's count includes the
        ``initial_candidates``).
    n_rounds_ : int
        Number of rounds run. Fewer than ``n_rounds`` only when a space made of lists
        alone has no untried combination left.
    scorer_ : function or dict
        The scorer(s) used, as in ``RandomizedSearchCV``.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds taken to refit the best candidate.
    multimetric_ : bool
        Whether several metrics were evaluated.
    classes_ : ndarray of shape (n_classes,)
        Class labels of the best estimator (classifiers only).
    n_features_in_ : int
        Number of features seen during fit (when the best estimator defines it).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (when the best estimator defines them).

    See Also
    --------
    mlp_search_space : A ready search space for the regularized MLPs.
    sklearn.model_selection.RandomizedSearchCV : One round of random search.
    sklearn.model_selection.HalvingRandomSearchCV : Random search that gives more resources
        (samples, or epochs) to fewer candidates in each round.

    Notes
    -----
    This is the "coarse to fine" scheme of hyper-parameter tuning for neural networks:
    sample the whole space at random, then sample more densely in the smaller region where
    the best candidates were. With a fixed budget it spends most candidates near good
    settings, at the price of exploring less; it helps most when few parameters matter and
    their good values form one region (a learning rate, a penalty strength). Narrowing
    follows the best cross-validation scores, so later rounds can chase noise when many
    candidates score alike: use enough folds.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import RegularizedMLPClassifier
    >>> from skdeep.model_selection import CoarseToFineSearchCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pipe = make_pipeline(
    ...     StandardScaler(),
    ...     RegularizedMLPClassifier(
    ...         hidden_layer_sizes=(16,), max_iter=10, random_state=0
    ...     ),
    ... )
    >>> search = CoarseToFineSearchCV(
    ...     pipe,
    ...     {
    ...         "regularizedmlpclassifier__learning_rate_init": loguniform(
    ...             1e-5, 1e-1
    ...         ),
    ...         "regularizedmlpclassifier__batch_normalization": [False, True],
    ...     },
    ...     n_iter=6,
    ...     n_rounds=2,
    ...     cv=3,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> search.n_candidates_
    [3, 3]
    >>> search.cv_results_["round"]
    array([0, 0, 0, 1, 1, 1])
    >>> low, high = search.param_distributions_[1][
    ...     "regularizedmlpclassifier__learning_rate_init"].support()
    >>> # the ratio 1e4 of the first round, to the power 0.5
    >>> round(float(high / low))
    100
    >>> print(f"{search.best_score_:.3f}")
    0.970
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "n_best": [Interval(Integral, 1, None, closed="left")],
        "shrink": [Interval(Real, 0, 1, closed="neither")],
        "initial_candidates": [list, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=30,
        n_rounds=3,
        n_best=3,
        shrink=0.5,
        initial_candidates=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.n_rounds = n_rounds
        self.n_best = n_best
        self.shrink = shrink
        self.initial_candidates = initial_candidates
        self.random_state = random_state
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    @property
    def n_features_in_(self):
        """Number of features seen during fit; only available when ``refit`` is not False."""
        # Redefined only for its docstring: scikit-learn's refers to its own glossary.
        return super().n_features_in_

    def _parse_space(self):
        """Ranges of the numeric parameters and choices of the categorical ones."""
        ranges, choices = {}, {}
        for name, dist in self.param_distributions.items():
            if not isinstance(name, str):
                raise ValueError(f"Parameter names must be strings, got {name!r}.")
            if hasattr(dist, "rvs"):
                ranges[name] = _numeric_range(name, dist)
            elif isinstance(dist, (list, tuple, np.ndarray)) and len(dist) > 0:
                choices[name] = list(dist)
            else:
                raise ValueError(
                    f"The search space of {name!r} must be a non-empty list of choices or a "
                    f"scipy.stats distribution, got {dist!r}."
                )
        return ranges, choices

    def _initial_candidates(self):
        """The ``initial_candidates``, checked: dicts of the estimator's parameters."""
        if self.initial_candidates is None:
            return []
        known = self.estimator.get_params(deep=True)
        candidates = []
        for i, candidate in enumerate(self.initial_candidates):
            if not isinstance(candidate, dict):
                raise ValueError(
                    f"initial_candidates[{i}] must be a dict of parameter names and values, "
                    f"got {candidate!r}."
                )
            unknown = [name for name in candidate if name not in known]
            if unknown:
                raise ValueError(
                    f"initial_candidates[{i}] sets {unknown[0]!r}, which is not a parameter "
                    f"of the estimator {type(self.estimator).__name__}."
                )
            candidates.append(dict(candidate))
        return candidates

    def _round_sizes(self):
        base, extra = divmod(self.n_iter, self.n_rounds)
        return [base + (r < extra) for r in range(self.n_rounds)]

    def _ranking_key(self, results):
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        raise ValueError(
            "CoarseToFineSearchCV with several metrics needs refit set to the name of the "
            f"metric that selects the best candidates, got refit={self.refit!r}."
        )

    def _sample(self, distributions, n, rng, tried):
        """``n`` candidates from ``distributions``; untried grid points for lists alone."""
        if any(hasattr(d, "rvs") for d in distributions.values()):
            return list(ParameterSampler(distributions, n, random_state=rng))
        untried = [p for p in ParameterGrid(distributions) if not any(_same(p, t) for t in tried)]
        return [untried[i] for i in sorted(rng.permutation(len(untried))[:n])]

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        # BaseSearchCV.fit has validated the parameters' types; this runs before any fit.
        if self.n_iter < self.n_rounds:
            raise ValueError(
                f"n_iter={self.n_iter} is the total number of candidates over all rounds, so "
                f"it must be at least n_rounds={self.n_rounds} (one candidate per round)."
            )
        if isinstance(self.scoring, (list, tuple, dict)) and not isinstance(self.refit, str):
            self._ranking_key({})  # several metrics and none named: fail before any fit
        ranges, choices = self._parse_space()
        initial = self._initial_candidates()
        # The values of the parameters a candidate leaves out: the estimator's own.
        own = self.estimator.get_params(deep=True)
        rng = check_random_state(self.random_state)
        cv = _SameSplits(self._checked_cv_orig)
        self.param_distributions_ = []
        self.n_candidates_ = []
        # Spelled out with the estimator's own values, so that a list-only space never
        # samples an initial candidate again.
        tried = [
            {name: candidate.get(name, own.get(name)) for name in self.param_distributions}
            for candidate in initial
        ]
        results = None
        sizes = self._round_sizes()
        # scikit-learn >= 1.9 hands the search's callback task: rounds are its subtasks, and
        # each round's fits (candidates x folds) theirs, as in its own searches.
        search_task = None
        if callback_ctx is not None:
            search_task = callback_ctx.subcontext(task_name="search", max_subtasks=len(sizes))
            search_task.call_on_fit_task_begin(estimator=self)
        for round_, size in enumerate(sizes):
            if round_ == 0:
                distributions = dict(self.param_distributions)
            else:
                self._narrow(ranges, choices, results, own)
                distributions = {
                    name: ranges[name].distribution() if name in ranges else choices[name]
                    for name in self.param_distributions
                }
            sampled = self._sample(distributions, size, rng, tried)
            tried.extend(sampled)
            candidates = initial + sampled if round_ == 0 else sampled
            if not candidates:
                break
            if self.verbose > 0:
                print(f"Round {round_}: {len(candidates)} candidates from")
                for name, dist in distributions.items():
                    if hasattr(dist, "rvs"):
                        low, high = dist.support()
                        dist = f"{dist.dist.name} {low:.4g} .. {high:.4g}"
                    print(f"    {name}: {dist}")
            self.param_distributions_.append(distributions)
            self.n_candidates_.append(len(candidates))
            more_results = {"round": [round_] * len(candidates)}
            if search_task is None:
                results = evaluate_candidates(candidates, cv, more_results=more_results)
                continue
            round_task = search_task.subcontext(
                task_name="round",
                max_subtasks=len(candidates) * self.n_splits_,
                sequential_subtasks=False,
            )
            round_task.call_on_fit_task_begin(estimator=self)
            results = evaluate_candidates(
                candidates, cv, more_results=more_results, callback_ctx=round_task
            )
            round_task.call_on_fit_task_end(estimator=self)
        if search_task is not None:
            search_task.call_on_fit_task_end(estimator=self)
        self.n_rounds_ = len(self.n_candidates_)

    def _narrow(self, ranges, choices, results, own):
        """Zoom every range in on the best candidate; keep the choices of the ``n_best``.

        ``own`` holds the estimator's parameters, the values of those a candidate leaves out.
        """
        scores = np.asarray(results[self._ranking_key(results)], dtype=float)
        if np.isnan(scores).all():
            return  # every fit failed: nothing to zoom in on
        order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
        order = order[~np.isnan(scores[order])]  # failed candidates never win
        top = [{**own, **results["params"][i]} for i in order[: self.n_best]]
        for name, range_ in ranges.items():
            range_.zoom(top[0][name], self.shrink)
        for name, values in choices.items():
            kept = [v for v in values if any(_same(v, p[name]) for p in top)]
            # Empty only when the best are initial candidates with values of their own.
            choices[name] = kept or values
