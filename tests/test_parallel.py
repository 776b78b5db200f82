"""Parallel fits and distributed searches: loky processes, threads and a dask cluster.

Each parallel run must give the serial results (every fit is seeded), worker processes must
load the compiled kernels from numba's on-disk cache instead of compiling them again, and
parallel fits must not oversubscribe the cores with BLAS threads.
"""

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import cloudpickle
import distributed
import joblib
import numpy as np
import pytest
import threadpoolctl
from joblib.externals.loky import get_reusable_executor
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import RegularizedMLPClassifier, RegularizedMLPRegressor
from skdeep._kernels._epoch import run_epoch
from skdeep.model_selection import CoarseToFineSearchCV

# Worker processes cannot import this test module (pytest imports it with importlib), so
# its helper functions travel by value (cloudpickle serializes for both loky and dask).
cloudpickle.register_pickle_by_value(sys.modules[__name__])

GRID = {
    "mlp__dropout": [0.0, 0.2],
    "mlp__batch_normalization": [False, True],
    "mlp__alpha": [1e-4, 1e-2],
}


def pipeline():
    net = RegularizedMLPClassifier.like_sklearn(
        hidden_layer_sizes=(32,), batch_size=32, learning_rate_init=0.01, max_iter=6,
        random_state=0,
    )  # fmt: skip
    return Pipeline([("scale", StandardScaler()), ("mlp", net)])


def grid_search(**params):
    return GridSearchCV(pipeline(), GRID, cv=3, error_score="raise", **params)


@pytest.fixture(scope="module")
def serial(digits_600):
    return grid_search(n_jobs=1).fit(*digits_600)


def assert_same_results(search, reference):
    assert search.cv_results_["params"] == reference.cv_results_["params"]
    for split in range(3):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(search.cv_results_[key], reference.cv_results_[key])
    assert search.best_params_ == reference.best_params_
    assert search.best_score_ == reference.best_score_


# Direct fits, serial and parallel: both estimators, both dtypes, and the techniques that draw
# random numbers during training (dropout, batch norm) or keep optimizer state.
CLF, REG = RegularizedMLPClassifier, RegularizedMLPRegressor
FIT_JOBS = [
    (CLF, dict(batch_normalization=True, dropout=0.2, input_dropout=0.1), np.float64, 0),
    (REG, dict(solver="sgd", learning_rate_init=0.01), np.float64, 1),
    (CLF, dict(solver="rmsprop", penalty="elasticnet"), np.float32, 2),
    (REG, dict(hidden_layer_sizes=(32, 16), batch_normalization=True, dropout=0.3), np.float32, 3),
]


def fit_jobs(xy):
    """``(unfitted estimator, X, y)`` of each of FIT_JOBS."""
    jobs = []
    for Est, params, dtype, seed in FIT_JOBS:
        X, y = xy(Est, n=1500, p=20, seed=seed)
        est = Est.like_sklearn(
            **{"hidden_layer_sizes": (32,), "max_iter": 8, "random_state": seed, **params}
        )
        jobs.append((est, X.astype(dtype), y))
    return jobs


def fit_result(est, X, y):
    est.fit(X, y)
    return [c.copy() for c in est.coefs_], est.predict(X), list(est.loss_curve_)


def assert_same_fits(a, b):
    coefs_a, pred_a, curve_a = a
    coefs_b, pred_b, curve_b = b
    for wa, wb in zip(coefs_a, coefs_b, strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(pred_a, pred_b)
    assert curve_a == curve_b


def blas_threads():
    """Thread counts of every BLAS library loaded in this process."""
    return [
        info["num_threads"]
        for info in threadpoolctl.threadpool_info()
        if info["user_api"] == "blas"
    ]


def kernel_cache_hits():
    """Loads of the epoch kernel from numba's disk cache in this process."""
    from skdeep._kernels._epoch import run_epoch

    return sum(run_epoch.stats.cache_hits.values())


def worker_report(X, y):
    """Fit a network in this process; report its BLAS threads and numba cache use."""
    import os

    import threadpoolctl

    from skdeep import RegularizedMLPClassifier
    from skdeep._kernels._epoch import run_epoch

    RegularizedMLPClassifier.like_sklearn(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(
        X, y
    )
    blas = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    stats = run_epoch.stats
    return {
        "pid": os.getpid(),
        "blas_threads": blas,
        "cache_hits": sum(stats.cache_hits.values()),
        "cache_misses": sum(stats.cache_misses.values()),
    }


def test_the_epoch_kernel_reports_cache_statistics(digits_600):
    # numba's Dispatcher counts, per signature, loads from the on-disk cache (hits) and
    # compilations (misses); the kernels cache next to their sources.
    worker_report(*digits_600)
    stats = run_epoch.stats
    if os.environ.get("NUMBA_CACHE_DIR"):
        assert stats.cache_path.startswith(os.environ["NUMBA_CACHE_DIR"])
    else:  # next to the kernels' sources, where every process of this install finds it
        assert stats.cache_path.endswith(os.path.join("_kernels", "__pycache__"))
    assert sum(stats.cache_hits.values()) + sum(stats.cache_misses.values()) >= 1


def test_fits_and_searches_in_loky_processes_equal_serial_ones(xy, digits_600, serial):
    jobs = fit_jobs(xy)
    serial_fits = [fit_result(clone(est), X, y) for est, X, y in jobs]
    fitted = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(clone(est).fit)(X, y) for est, X, y in jobs
    )
    for model, (_, X, _), expected in zip(fitted, jobs, serial_fits, strict=True):
        coefs, pred, curve = [model.coefs_, model.predict(X), model.loss_curve_]
        # Loky workers run BLAS with cpu_count // n_jobs threads, and OpenBLAS may sum a
        # product in another order with another thread count: equal up to float rounding
        # (bit-identical results are promised for the same seed, process and threads).
        for wa, wb in zip(coefs, expected[0], strict=True):
            np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(pred, expected[1], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(curve, expected[2], rtol=1e-5)
    # A grid search with n_jobs=2 (loky): its scores are exactly the serial search's.
    assert_same_results(grid_search(n_jobs=2).fit(*digits_600), serial)


def test_loky_workers_use_one_blas_thread_per_core_and_the_kernel_cache(digits_600, serial):
    # serial (above) compiled or loaded the kernels in this process, so the cache is filled.
    # Start fresh workers: reused ones may have compiled before the cache existed.
    get_reusable_executor().shutdown(wait=True, kill_workers=True)
    n_jobs = 2
    reports = joblib.Parallel(n_jobs=n_jobs, backend="loky")(
        joblib.delayed(worker_report)(*digits_600) for _ in range(4)
    )
    # joblib's loky backend starts its workers with OMP/OPENBLAS/MKL_NUM_THREADS set to
    # cpu_count // n_jobs (1 on 2 cores), so n_jobs fits use the cores without
    # oversubscription.
    expected = max(joblib.cpu_count() // n_jobs, 1)
    for report in reports:
        assert report["pid"] != os.getpid()
        assert report["blas_threads"] and set(report["blas_threads"]) == {expected}
        assert report["cache_misses"] == 0  # nothing compiled in the worker
        assert report["cache_hits"] >= 1  # the kernel came from the on-disk cache


def test_fits_and_searches_in_threads_equal_serial_ones(xy, digits_600, serial):
    # The kernels release the GIL (nogil=True), so threads train in parallel.
    jobs = fit_jobs(xy)
    serial_fits = [fit_result(clone(est), X, y) for est, X, y in jobs]
    barrier = threading.Barrier(len(jobs), timeout=120)

    def work(job):
        est, X, y = job
        barrier.wait()  # start together, so the compiled (nogil) kernels overlap
        return fit_result(clone(est), X, y)

    for _ in range(2):
        with ThreadPoolExecutor(len(jobs)) as pool:
            threaded = list(pool.map(work, jobs))
        for a, b in zip(serial_fits, threaded, strict=True):
            assert_same_fits(a, b)
    # A grid search on joblib's threading backend.
    with joblib.parallel_backend("threading", n_jobs=2):
        search = grid_search().fit(*digits_600)
    assert_same_results(search, serial)


def test_threading_backend_with_limited_blas_threads(digits_600, serial):
    # The threading backend does not touch BLAS: its threads share the process's BLAS
    # thread pools, so n_jobs=2 threads on 2 cores may each start 2 BLAS threads. BLAS
    # limits are process-wide, so the caller (not each fit) sets them around the search.
    outside = blas_threads()
    with joblib.parallel_backend("threading", n_jobs=2):
        inside = joblib.Parallel()(joblib.delayed(blas_threads)() for _ in range(2))
    assert inside == [outside, outside]
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with joblib.parallel_backend("threading", n_jobs=2):
            inside = joblib.Parallel()(joblib.delayed(blas_threads)() for _ in range(2))
            search = grid_search().fit(*digits_600)
    assert all(set(threads) == {1} for threads in inside)
    assert blas_threads() == outside  # restored
    assert_same_results(search, serial)


def test_coarse_to_fine_search_on_threads_and_processes(digits_600):
    X, y = digits_600
    space = {"mlp__alpha": [1e-4, 1e-2, 1.0], "mlp__dropout": [0.0, 0.1, 0.2, 0.3]}
    params = dict(n_iter=6, n_rounds=2, cv=3, random_state=0, error_score="raise")
    reference = CoarseToFineSearchCV(pipeline(), space, n_jobs=1, **params).fit(X, y)
    processes = CoarseToFineSearchCV(pipeline(), space, n_jobs=2, **params).fit(X, y)
    with joblib.parallel_backend("threading", n_jobs=2):
        threads = CoarseToFineSearchCV(pipeline(), space, **params).fit(X, y)
    for search in (processes, threads):
        assert search.cv_results_["params"] == reference.cv_results_["params"]
        np.testing.assert_array_equal(
            search.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
        )
        assert search.best_params_ == reference.best_params_


@pytest.mark.slow  # starts a dask cluster of two worker processes
def test_dask_cluster_gives_the_serial_results_from_cached_kernels(digits_600, serial):
    X, y = digits_600
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            with joblib.parallel_backend("dask"):
                search = grid_search().fit(X, y)
                # Independent ensemble members are fitted through joblib too.
                members = RegularizedMLPClassifier(
                    n_ensembles=2, n_jobs=2, hidden_layer_sizes=(16,), max_iter=4, random_state=0
                ).fit(X, y)
            assert_same_results(search, serial)
            alone = clone(members).set_params(n_jobs=1).fit(X, y)
            np.testing.assert_array_equal(members.predict_proba(X), alone.predict_proba(X))
            # Fresh worker processes ran the fits: their kernels came from the disk cache.
            ran = client.run(kernel_cache_hits)
            assert len(ran) == 2 and sum(ran.values()) >= 1
            reports = client.run(worker_report, X, y)
            assert len(reports) == 2
            for report in reports.values():
                assert report["cache_misses"] == 0
                assert report["cache_hits"] >= 1
                # dask's nanny starts workers with OMP/MKL/OPENBLAS_NUM_THREADS=1
                # (distributed.nanny.pre-spawn-environ): one BLAS thread per worker thread.
                assert set(report["blas_threads"]) == {1}
    finally:
        cluster.close()


@pytest.mark.slow  # starts a dask cluster of two worker processes
def test_dask_ml_incremental_streams_a_dask_array_through_partial_fit(digits_600):
    dask_array = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = digits_600
    # Six blocks of 100 rows: Incremental calls partial_fit once per block (in order, with
    # shuffle_blocks=False).
    X_blocks = dask_array.from_array(X, chunks=(100, X.shape[1]))
    y_blocks = dask_array.from_array(y, chunks=100)
    make = lambda: RegularizedMLPClassifier.like_sklearn(  # noqa: E731
        hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0
    )
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster):
            incremental = wrappers.Incremental(make(), scoring="accuracy", shuffle_blocks=False)
            for _ in range(5):  # five passes over the blocks
                incremental.partial_fit(X_blocks, y_blocks, classes=np.arange(10))
            fitted = incremental.estimator_
            score = incremental.score(X_blocks, y_blocks)
    finally:
        cluster.close()
    assert len(fitted.loss_curve_) == 30
    # The same thirty partial_fit calls in this process give the same network.
    local = make()
    for _ in range(5):
        for start in range(0, 600, 100):
            chunk = slice(start, start + 100)
            local.partial_fit(X[chunk], y[chunk], classes=np.arange(10))
    np.testing.assert_allclose(fitted.coefs_[0], local.coefs_[0])
    assert score == pytest.approx(local.score(X, y)) and score > 0.8
