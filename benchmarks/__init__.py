"""skdeep's benchmark harness: skdeep and its peers side by side, ratios from one run.

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``) from the repository root; see
``benchmarks/NOTES.md`` ("How to run") and ``python -m benchmarks --help``.

Every workload runs in its own child process (so the environment, e.g. the BLAS variables,
is set per run and one workload's memory does not leak into the next); inside it, skdeep and
its peers run in the same process, one after the other. Workloads that measure fresh
processes (tuning, scale, cold start) start further processes from the scripts in
``benchmarks/fresh/``, which import nothing from this package.
"""
