"""How every numba kernel is compiled and cached.

One place decides the compilation options (the fastmath flags, if any) and the on-disk cache,
so that they are the same for the whole engine. Kernels are declared with :func:`kernel`.

numba keys its on-disk cache on the source file of each compiled function only. A kernel that
inlines helpers from other files (``run_epoch`` calls into ``_forward.py``, ``_optimizers.py``,
...) or reads constants of :mod:`skdeep._network` would keep running its cached machine code
after those files change. :func:`kernel` therefore stamps each kernel's cache entry with a
hash of all kernel sources and of the network description: any edit or upgrade of them makes
every cached kernel stale, and it is compiled anew. Where the cache lives (next to the
sources, or numba's user-wide fallback for read-only installs, or ``NUMBA_CACHE_DIR``) is
still numba's own choice.
"""

import hashlib
import warnings
from pathlib import Path

from numba import njit

# ``nnan`` and ``ninf`` are deliberately absent: divergence detection relies on NaN checks.
FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})

# error_model="numpy": a float division by zero gives inf/NaN (which the training loop then
# reports as divergence) instead of a Python exception. The exception checks of the default
# "python" model put a branch in every division, which stops loops from vectorizing (the
# Adam update runs about 3x slower with them).
JIT_OPTIONS = {
    "nogil": True,
    "cache": True,
    "fastmath": set(FASTMATH),
    "error_model": "numpy",
}

_KERNELS_DIR = Path(__file__).resolve().parent
# Every file whose content can change what a compiled kernel does.
_SOURCES = (*sorted(_KERNELS_DIR.glob("*.py")), _KERNELS_DIR.parent / "_network.py")


def sources_hash():
    """SHA-256 over the kernel sources and the network description (hex string).

    Raises
    ------
    OSError
        When a source file cannot be read (an installation without sources).
    """
    digest = hashlib.sha256()
    for path in _SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamped_cache_class():
    """numba's per-function cache with the kernel-sources hash as freshness stamp, or None.

    None when the sources cannot be read or numba's cache classes are not where this
    expects them (they are internal to numba): the kernels are then compiled without an
    on-disk cache, slower to start but never stale.
    """
    try:
        stamp = ("skdeep-kernel-sources", sources_hash())
        from numba.core import caching

        # numba 0.68 renamed CacheImpl (formerly _CacheImpl) and its locators.
        cache_impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
        base_locator = caching._CacheLocator
        compile_result_impl = caching.CompileResultCacheImpl
        function_cache = caching.FunctionCache
    except (OSError, ImportError, AttributeError) as exc:
        warnings.warn(
            f"skdeep compiles its kernels without an on-disk cache ({exc!r}); the first fit "
            "of every process will take longer.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None

    class KernelSourcesLocator(base_locator):
        """numba's own cache location, with the kernel-sources hash as the freshness stamp."""

        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            # numba reads other attributes of its locators (``_py_file`` in its warnings).
            return getattr(self._inner, name)

        def ensure_cache_path(self):
            self._inner.ensure_cache_path()

        def get_cache_path(self):
            return self._inner.get_cache_path()

        def get_source_stamp(self):
            return stamp

        def get_disambiguator(self):
            return self._inner.get_disambiguator()

        @classmethod
        def from_function(cls, py_func, py_file):
            for locator_class in cache_impl._locator_classes:
                inner = locator_class.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner)
            return None

    class KernelCacheImpl(compile_result_impl):
        _locator_classes = [KernelSourcesLocator]

    class KernelCache(function_cache):
        _impl_class = KernelCacheImpl

    return KernelCache


# Note: NUMBA_CACHE_LOCATOR_CLASSES (numba >= 0.68), when set, replaces every locator, this one
# included, and with it the stamp.
_KERNEL_CACHE = _stamped_cache_class()


def kernel(func=None, *, inline=False):
    """Compile ``func`` with :data:`JIT_OPTIONS` and the kernel-sources-stamped disk cache.

    Parameters
    ----------
    func : function
    inline : bool, default=False
        Inline the function into each compiled caller (numba's ``inline="always"``, at the
        level of numba's own IR) instead of compiling it on its own. For small helpers: a
        function compiled on its own is optimized and turned into machine code once for
        itself and again inside every compiled caller, which for a helper of a few lines
        costs more than typing its body at each call.

    Returns
    -------
    numba dispatcher (``func`` itself when ``NUMBA_DISABLE_JIT=1``)
    """
    if func is None:
        return lambda f: kernel(f, inline=inline)
    options = dict(JIT_OPTIONS, cache=_KERNEL_CACHE is not None)
    if inline:
        options["inline"] = "always"
    dispatcher = njit(**options)(func)
    if _KERNEL_CACHE is not None and hasattr(dispatcher, "_cache"):
        dispatcher._cache = _KERNEL_CACHE(dispatcher.py_func)
    return dispatcher
