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
from pathlib import Path

from numba import njit
from numba.core import caching

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
    """SHA-256 over the kernel sources and the network description (hex string)."""
    digest = hashlib.sha256()
    for path in _SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_STAMP = ("skdeep-kernel-sources", sources_hash())
# numba 0.68 renamed its cache classes (CacheImpl, InTreeCacheLocator, ...); older releases
# prefix them with an underscore.
_CacheImpl = getattr(caching, "CacheImpl", None) or caching._CacheImpl


class _KernelSourcesLocator(caching._CacheLocator):
    """numba's own cache location, with the kernel-sources hash as the freshness stamp."""

    def __init__(self, inner):
        self._inner = inner

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        return _STAMP

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func, py_file):
        for locator_class in _CacheImpl._locator_classes:
            inner = locator_class.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner)
        return None


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_KernelSourcesLocator]


class _KernelCache(caching.FunctionCache):
    _impl_class = _KernelCacheImpl


def kernel(func):
    """Compile ``func`` with :data:`JIT_OPTIONS` and the kernel-sources-stamped disk cache.

    Parameters
    ----------
    func : function

    Returns
    -------
    numba dispatcher (``func`` itself when ``NUMBA_DISABLE_JIT=1``)
    """
    dispatcher = njit(**JIT_OPTIONS)(func)
    if hasattr(dispatcher, "_cache"):  # not with NUMBA_DISABLE_JIT=1
        dispatcher._cache = _KernelCache(dispatcher.py_func)
    return dispatcher
