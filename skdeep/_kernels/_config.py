"""Compilation options shared by every numba kernel.

One place decides how kernels are compiled, so that the fastmath flags (if any) and the
on-disk cache are the same for the whole engine.
"""

# ``nnan`` and ``ninf`` are deliberately absent: divergence detection relies on NaN checks.
FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": set(FASTMATH)}
