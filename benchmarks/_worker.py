"""Child-process entry point: run one workload (or the machine probe) and write its JSON.

``python -m benchmarks._worker NAME --out FILE [--quick] [--repeats N]``. The parent
(:mod:`benchmarks.run`) starts one such process per workload with the environment it chose
(e.g. without the OpenBLAS pins), so what threadpoolctl records here is what the workload ran.
A failure is written to the JSON as a traceback instead of a result, so the parent can report
it and go on with the other workloads.
"""

import argparse
import importlib
import json
import time
import traceback

from ._util import log, machine_info

# Workload name -> module implementing ``config``, ``run``, ``render``, ``NAME``, ``TITLE``.
WORKLOADS = {
    "W1": "benchmarks.w1_throughput",
    "W2": "benchmarks.w2_small_data",
    "W3": "benchmarks.w3_tuning",
    "W4": "benchmarks.w4_scale",
    "W5": "benchmarks.w5_cold_start",
    "W6": "benchmarks.w6_sparse",
    "W7": "benchmarks.w7_tables",
    "W8": "benchmarks.w8_wide",
    "W9": "benchmarks.w9_losses",
    "ACC": "benchmarks.accuracy",
}


def load(name):
    """The module of workload ``name`` (a key of :data:`WORKLOADS`)."""
    return importlib.import_module(WORKLOADS[name])


def workload_config(name, quick, repeats=None):
    """Settings of workload ``name``, with ``repeats`` overridden when given."""
    cfg = load(name).config(quick)
    if repeats is not None and "repeats" in cfg:
        cfg["repeats"] = repeats
    return cfg


def main(argv=None):
    """Run one workload and write ``{"result": ...}`` or ``{"error": ...}`` to ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    parser.add_argument("name", choices=[*WORKLOADS, "machine"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        if args.name == "machine":
            payload = {"result": machine_info()}
        else:
            cfg = workload_config(args.name, args.quick, args.repeats)
            payload = {"result": load(args.name).run(cfg)}
    except Exception:  # report any failure to the parent instead of dying silently
        log(f"{args.name} failed")
        payload = {"error": traceback.format_exc()}
    payload["seconds"] = time.perf_counter() - start
    with open(args.out, "w") as out:
        json.dump(payload, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
