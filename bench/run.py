"""Run midway's benchmarks (`make bench`): every bench/bench_*.py module with a `run(report)`.

    .venv/bin/python bench/run.py [--quick] [--only NAME ...] [--wait SECONDS]

Each module calls `report(name, median_seconds, extra)` once per measurement. A module that
fails is reported and the others still run. Results go to bench/results/latest.json (merged:
modules not run this time keep their previous results) and bench/results/latest.md, a
fragment with the machine facts for docs/benchmarks.md.

`--quick` sets MIDWAY_BENCH_QUICK=1: modules use smaller inputs and fewer runs (a smoke test
of the harness, not numbers to publish). Before each module the runner waits (up to --wait
seconds) for the load average to drop below half the cores: on a shared machine another
process's test run would otherwise be timed too. Every result records the load it saw.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
Report = Callable[[str, float, dict[str, Any]], None]


@dataclass
class Result:
    module: str
    name: str
    median_s: float
    extra: dict[str, Any] = field(default_factory=dict)
    date: str = ""
    commit: str = ""


@dataclass
class Failure:
    module: str
    error: str
    traceback: str
    date: str = ""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def discover(only: list[str]) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        short = path.stem.removeprefix("bench_")
        if only and short not in only and path.stem not in only:
            continue
        found.append((short, path))
    return found


def _load(short: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{short}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def wait_for_quiet(max_wait_s: float) -> float:
    """Wait (up to max_wait_s) until the 1-minute load average is below half the usable cores,
    so a benchmark does not time someone else's test run; returns the load it starts at."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    deadline = time.monotonic() + max_wait_s
    load = os.getloadavg()[0]
    if load >= cores / 2 and max_wait_s > 0:
        print(f"bench: load {load:.1f} on {cores} cores; waiting up to {max_wait_s:.0f}s")
        while load >= cores / 2 and time.monotonic() < deadline:
            time.sleep(5)
            load = os.getloadavg()[0]
    return load


def machine_facts() -> dict[str, Any]:
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
        platform.processor() or "?",
    )
    meminfo = _read("/proc/meminfo")
    mem_kb = next(
        (int(ln.split()[1]) for ln in meminfo.splitlines() if ln.startswith("MemTotal:")), 0
    )
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--", "src", "pyproject.toml"):
        commit += "+uncommitted"  # numbers of a working tree, not of that commit
    return {
        "cpu": model,
        "cores": usable,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": _now(),
        "midway_commit": commit or "?",
    }


def run_modules(
    only: list[str], wait_s: float, commit_id: str
) -> tuple[list[Result], list[Failure], list[str]]:
    results: list[Result] = []
    failures: list[Failure] = []
    ran: list[str] = []
    for short, path in discover(only):
        try:
            module = _load(short, path)
        except Exception as exc:
            failures.append(Failure(short, repr(exc), traceback.format_exc(), _now()))
            print(f"bench: {short}: import failed: {exc!r}", file=sys.stderr)
            continue
        bench = getattr(module, "run", None)
        if not callable(bench):
            continue  # a helper module, not a benchmark
        ran.append(short)

        def report(name: str, median_s: float, extra: dict[str, Any], _m: str = short) -> None:
            result = Result(_m, name, float(median_s), dict(extra or {}), _now(), commit_id)
            result.extra.setdefault("load", round(os.getloadavg()[0], 2))
            results.append(result)
            print(f"bench: {name}: {_format_seconds(result)}", file=sys.stderr)

        load = wait_for_quiet(wait_s)
        print(f"bench: running {short} ({path.name}), load {load:.2f}", file=sys.stderr)
        started = time.monotonic()
        try:
            bench(report)
        except Exception as exc:
            failures.append(Failure(short, repr(exc), traceback.format_exc(), _now()))
            print(f"bench: {short} FAILED: {exc!r}", file=sys.stderr)
            traceback.print_exc()
        print(f"bench: {short} took {time.monotonic() - started:.0f}s", file=sys.stderr)
    return results, failures, ran


def _format_seconds(result: Result) -> str:
    unit = result.extra.get("unit")
    if unit:  # a ratio or a rate, not a duration
        return f"{result.median_s:.3g} ({str(unit).split(' ')[0]})"
    s = result.median_s
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


_SKIP_IN_TABLE = ("mean_s", "min_s", "max_s", "timer", "unit")


def _details(extra: dict[str, Any]) -> str:
    parts = []
    for key, value in extra.items():
        if key in _SKIP_IN_TABLE:
            continue
        if key == "stddev_s":
            parts.append(f"±{value:.3g} s")
            continue
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def _merge(
    previous: dict[str, Any], results: list[Result], failures: list[Failure], ran: list[str]
) -> tuple[list[Result], list[Failure]]:
    """Keep earlier results of modules that did not run this time (`--only`)."""
    rerun = set(ran) | {f.module for f in failures}
    kept = [Result(**r) for r in previous.get("results", []) if r.get("module") not in rerun]
    kept_failures = [
        Failure(**f) for f in previous.get("failures", []) if f.get("module") not in rerun
    ]
    return kept + results, kept_failures + failures


def print_table(results: list[Result], failures: list[Failure]) -> None:
    width = max([len(r.name) for r in results] + [9])
    print(f"{'benchmark':<{width}}  {'median':>14}  details")
    for r in results:
        print(f"{r.name:<{width}}  {_format_seconds(r):>14}  {_details(r.extra)}")
    for f in failures:
        print(f"{'FAILED ' + f.module:<{width}}  {'-':>14}  {f.error}")


def markdown(machine: dict[str, Any], results: list[Result], failures: list[Failure]) -> str:
    lines = [
        "<!-- generated by bench/run.py; paste into docs/benchmarks.md -->",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"{machine['os']}, Python {machine['python']}."
        + (" QUICK run: smoke test, not numbers to publish." if machine.get("quick") else ""),
        "`load` is the 1-minute load average while measuring (others' work on a shared machine); "
        "`cpu_s` the CPU time of the command, which contention changes far less than wall time.",
    ]
    modules = list(dict.fromkeys([r.module for r in results] + [f.module for f in failures]))
    for module in modules:
        rows = [r for r in results if r.module == module]
        when = max((r.date for r in rows), default="")
        commit = next((r.commit for r in rows if r.commit), "?")
        lines += ["", f"#### {module} (midway {commit}, {when})", ""]
        lines += ["| benchmark | median | details |", "|---|---:|---|"]
        for r in rows:
            lines.append(f"| `{r.name}` | {_format_seconds(r)} | {_details(r.extra)} |")
        for f in failures:
            if f.module == module:
                lines.append(f"| `{f.module}` FAILED | - | {f.error} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run midway's benchmarks.")
    parser.add_argument("--quick", action="store_true", help="small inputs, few runs")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="e.g. render (repeatable)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=float(os.environ.get("MIDWAY_BENCH_WAIT", "300")),
        metavar="SECONDS",
        help="before each module, wait up to this long for the machine to be idle "
        "(load < cores/2; default 300, env MIDWAY_BENCH_WAIT)",
    )
    args = parser.parse_args()
    if args.quick:
        os.environ["MIDWAY_BENCH_QUICK"] = "1"
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))  # bench modules import each other (generate.py)

    machine = machine_facts()
    machine["quick"] = args.quick
    results, failures, ran = run_modules(args.only, args.wait, machine["midway_commit"])

    RESULTS_DIR.mkdir(exist_ok=True)
    latest = RESULTS_DIR / "latest.json"
    previous: dict[str, Any] = {}
    if args.only and latest.exists():
        previous = json.loads(latest.read_text())
    all_results, all_failures = _merge(previous, results, failures, ran)
    latest.write_text(
        json.dumps(
            {
                "machine": machine,
                "results": [asdict(r) for r in all_results],
                "failures": [asdict(f) for f in all_failures],
            },
            indent=2,
        )
        + "\n"
    )
    (RESULTS_DIR / "latest.md").write_text(markdown(machine, all_results, all_failures))
    print_table(all_results, all_failures)
    print(f"\nwrote {latest.relative_to(PROJECT_ROOT)} and latest.md", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
