"""Compilation options shared by every numba kernel.

One place decides how kernels are compiled, so that the fastmath flags (if any) and the
on-disk cache are the same for the whole engine.
"""

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
