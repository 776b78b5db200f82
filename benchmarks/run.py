"""Run the benchmarks and write ``benchmarks/RESULTS.md``.

From the repository root::

    python -m benchmarks.run                 # everything (several minutes; see NOTES.md)
    python -m benchmarks.run --quick         # smoke run on tiny sizes
    python -m benchmarks.run --only W1,W5    # a selection
    python -m benchmarks.run --native-blas   # children without OPENBLAS_CORETYPE/L2_SIZE

``python benchmarks/run.py`` and ``python -m benchmarks`` do the same. Each workload runs in a
child process (:mod:`benchmarks._worker`); the Markdown report and the raw numbers (a JSON file
next to it) are written when all selected workloads are done, and the report is also printed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import (  # noqa: E402
    BENCH_DIR,
    OPENBLAS_PINS,
    REPO_ROOT,
    bullets,
    child_env,
    log,
    md_table,
)
from benchmarks._worker import WORKLOADS, load  # noqa: E402


def parse_args(argv=None):
    """Command-line options of the harness."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="skdeep vs scikit-learn and skorch, side by side in one run.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and few epochs: proves the harness works, numbers mean nothing",
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated workloads to run (default: all of {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="override every workload's number of timed repeats (the best is reported)",
    )
    parser.add_argument(
        "--native-blas",
        action="store_true",
        help=f"unset {' and '.join(OPENBLAS_PINS)} in the child processes so OpenBLAS "
        "uses the kernel of this CPU (the kernel that ran is recorded)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="set OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS in the child "
        "processes (default: the libraries' own choice, usually one per core; with --quick: "
        "1, which keeps the smoke run fast on a busy machine)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCH_DIR / "RESULTS.md",
        help="Markdown report (default: benchmarks/RESULTS.md); raw numbers go next to it "
        "with the suffix .json",
    )
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = parser.parse_args(argv)
    args.only = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    return args


def run_child(name, args, env):
    """Run workload ``name`` (or ``"machine"``) in a child process; return its JSON payload."""
    with tempfile.TemporaryDirectory(prefix="skdeep-bench-") as tmp:
        out = Path(tmp) / f"{name}.json"
        command = [sys.executable, "-m", "benchmarks._worker", name, "--out", str(out)]
        if args.quick:
            command.append("--quick")
        if args.repeats is not None:
            command += ["--repeats", str(args.repeats)]
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, cwd=REPO_ROOT)
        seconds = time.perf_counter() - start
        if not out.exists():
            return {"error": f"worker exited with code {proc.returncode} and wrote nothing"}
        payload = json.loads(out.read_text())
    payload["wall_s"] = seconds
    return payload


def render_machine(machine, args, load_end):
    """Markdown section about the machine, the software and the BLAS that ran."""
    machine = machine["result"]
    versions = machine["versions"]
    pins = machine["openblas_env"]
    pin_text = ", ".join(f"{k}={v}" for k, v in pins.items() if v is not None) or "not set"
    facts = [
        f"Date: {machine['date']}",
        f"CPU: {machine['cpu_model']}, {machine['logical_cpus']} logical CPUs "
        f"({machine['usable_cpus']} usable), {machine['memory_gib']} GiB memory",
        f"Platform: {machine['platform']}, Python {machine['python']}",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None),
        f"OpenBLAS pins in the benchmark processes: {pin_text}"
        + (" (`--native-blas`: removed)" if args.native_blas else ""),
        "Thread variables: "
        + (", ".join(f"{k}={v}" for k, v in machine["thread_env"].items()) or "none set"),
        f"Checkout: {machine['git_commit']}"
        + (" with local changes" if machine["git_dirty"] else ""),
        "Load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in machine["load_average"] or ())
        + "; at end: "
        + ", ".join(f"{x:.2f}" for x in load_end or ()),
    ]
    blas = md_table(
        ["library", "API", "implementation", "version", "kernel (architecture)", "threads"],
        [
            [
                pool["prefix"],
                pool["user_api"],
                pool["internal_api"],
                pool["version"],
                pool["architecture"],
                pool["num_threads"],
            ]
            for pool in machine["blas"]
        ],
    )
    return "\n\n".join(
        [
            "## Machine",
            bullets(facts),
            "BLAS and thread pools in a benchmark process (threadpoolctl; skdeep's kernels call "
            "BLAS through scipy, scikit-learn's MLP through numpy; W1 lists torch's too):",
            blas,
        ]
    )


def render_report(machine, sections, args, total_s, load_end):
    """The whole RESULTS.md text."""
    mode = (
        "quick smoke run (tiny sizes; numbers are NOT benchmark results)"
        if args.quick
        else ("full run")
    )
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:])
    parts = [
        "# skdeep benchmark results",
        f"Mode: **{mode}**. Workloads: {', '.join(args.only)}. Command: `{command.strip()}`. "
        f"Total {total_s:.0f} s. Ratios are skdeep time / peer time (below 1: skdeep is "
        "faster), all measured in this run. How to run and what each workload does: "
        "`benchmarks/NOTES.md` and the docstrings in `benchmarks/`.",
        render_machine(machine, args, load_end)
        if "result" in machine
        else f"## Machine\n\nThe machine probe failed:\n\n```\n{machine.get('error')}\n```",
        *sections,
    ]
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    """Run the selected workloads and write the report; return the exit code."""
    args = parse_args(argv)
    if args.list:
        for name in WORKLOADS:
            print(f"{name}: {load(name).TITLE}")
        return 0
    if args.quick and args.threads is None:
        args.threads = 1
    env = child_env(native_blas=args.native_blas, threads=args.threads)
    start = time.perf_counter()
    log(f"machine probe ({'quick' if args.quick else 'full'} run of {', '.join(args.only)})")
    machine = run_child("machine", args, env)
    sections, raw, failed = [], {"machine": machine}, []
    for name in args.only:
        module = load(name)
        log(f"{name}: {module.TITLE}")
        payload = run_child(name, args, env)
        raw[name] = payload
        heading = f"## {module.TITLE}"
        if "result" in payload:
            body = module.render(payload["result"])
            sections.append(f"{heading}\n\n{body}\n\n_{payload['wall_s']:.0f} s in all._")
            log(f"{name}: done in {payload['wall_s']:.0f} s")
        else:
            failed.append(name)
            sections.append(f"{heading}\n\n**Failed:**\n\n```\n{payload['error'].strip()}\n```")
            log(f"{name}: FAILED")
    total = time.perf_counter() - start
    load_end = os.getloadavg() if hasattr(os, "getloadavg") else None
    report = render_report(machine, sections, args, total, load_end)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    args.output.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    print(report)
    log(f"wrote {args.output} and {args.output.with_suffix('.json').name} in {total:.0f} s")
    if failed:
        log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
