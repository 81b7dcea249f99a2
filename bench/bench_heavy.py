"""A library-heavy blueprint (kube-prometheus' shape, bench/heavy/generate.py) rendered for 200
apps, next to a direct `_gojsonnet` evaluation of the same main.jsonnet per app.

A third command, the same direct evaluation under midway's Go collector settings (GOGC=off
below GOMEMLIMIT), separates what midway's settings win from what its own work costs.

Both sides run on 2 processes (midway's default on 2 cores; the direct side splits the apps
between 2 processes) and are run in turn (midway, direct, direct with midway's settings,
midway, ...), so a change of machine speed during the bench hits all; the ratio is taken
pair by pair and its median reported. midway's run is a cold render (fresh cache and output
directories) that writes the manifests; peak RSS is the largest sum over the render's whole
process tree (parent and workers), sampled every 50 ms.

MIDWAY_BENCH_QUICK=1 uses 40 apps and one pair.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from bench_render import Report, Workspace, quick, render_command  # noqa: E402
from heavy.generate import generate, library_files  # noqa: E402

from midway.render.pool import go_settings  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_rss: int  # bytes, summed over the process tree


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree_rss(root: int) -> int:
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def measure(command: str, env: dict[str, str] | None = None) -> Run:
    """Wall time, CPU time (all children) and peak RSS of the process tree of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, shell=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise RuntimeError(f"`{command}` failed with exit code {code}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(wall, cpu, peak)


def _summary(runs: list[Run]) -> dict[str, object]:
    return {
        "runs": len(runs),
        "min_s": round(min(r.wall_s for r in runs), 2),
        "max_s": round(max(r.wall_s for r in runs), 2),
        "cpu_s": round(statistics.median(r.cpu_s for r in runs), 1),
        "peak_rss_mib": round(max(r.peak_rss for r in runs) / 2**20),
        "load": round(os.getloadavg()[0], 2),
    }


def run(report: Report) -> None:
    n_apps = 40 if quick() else 200
    pairs = 1 if quick() else 3
    with Workspace("heavy") as work:
        config, units = work / "config", work / "direct-units.json"
        generate(config, n_apps, units)
        facts = {"apps": n_apps, "imported_files": len(library_files()) + 1}
        direct = f"{shlex.quote(sys.executable)} {BENCH_DIR / 'heavy' / 'direct.py'} "
        direct += f"{shlex.quote(str(config))} {shlex.quote(str(units))} --procs 2"
        midway_runs: list[Run] = []
        direct_runs: list[Run] = []
        tuned_runs: list[Run] = []  # the direct evaluation with midway's collector settings
        tuned_env = go_settings(2)
        for index in range(pairs):
            run_dir = work / f"run-{index}"
            args = render_command(config, run_dir / "out")
            midway = shlex.join(args)
            midway_runs.append(measure(midway, {"MIDWAY_CACHE_DIR": str(run_dir / "cache")}))
            direct_runs.append(measure(direct))
            tuned_runs.append(measure(direct, tuned_env))
        out = work / f"run-{pairs - 1}" / "out"
        files = [p for p in out.rglob("*.yaml")]
        facts["objects_per_app"] = round(len(files) / n_apps)
        facts["configmap_mib_per_app"] = round(
            sum(p.stat().st_size for p in files if p.name.startswith("configmap-"))
            / n_apps
            / 2**20,
            2,
        )
        report(
            "heavy/midway-render-cold",
            statistics.median(r.wall_s for r in midway_runs),
            {**facts, **_summary(midway_runs)},
        )
        report(
            "heavy/direct-gojsonnet-per-app",
            statistics.median(r.wall_s for r in direct_runs),
            {**facts, "processes": 2, **_summary(direct_runs)},
        )
        report(
            "heavy/direct-gojsonnet-per-app-midway-gc",
            statistics.median(r.wall_s for r in tuned_runs),
            {**facts, "processes": 2, **tuned_env, **_summary(tuned_runs)},
        )
        ratios = [m.wall_s / d.wall_s for m, d in zip(midway_runs, direct_runs, strict=True)]
        report(
            "heavy/midway-vs-direct",
            statistics.median(ratios),
            {
                "ratios": [round(r, 3) for r in ratios],
                "cpu_ratio": round(
                    statistics.median(
                        m.cpu_s / d.cpu_s for m, d in zip(midway_runs, direct_runs, strict=True)
                    ),
                    3,
                ),
                "unit": "ratio (midway render / direct evaluation, wall, pair by pair)",
                "target": "≤ 1.2",
                "load": round(os.getloadavg()[0], 2),
            },
        )
        same_gc = [m.wall_s / d.wall_s for m, d in zip(midway_runs, tuned_runs, strict=True)]
        report(
            "heavy/midway-vs-direct-same-gc",
            statistics.median(same_gc),
            {
                "ratios": [round(r, 3) for r in same_gc],
                "unit": "ratio (midway render / direct evaluation with GOGC=off + GOMEMLIMIT)",
                "load": round(os.getloadavg()[0], 2),
            },
        )


if __name__ == "__main__":
    print(json.dumps({"note": "run through bench/run.py --only heavy"}))
