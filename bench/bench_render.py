"""Render benchmarks: whole `midway render` commands on a synthetic 1,000-app config repo
(cold cache, one app changed, nothing changed), against `kubectl kustomize` over the
equivalent overlays.

Each scenario is one whole CLI process per run, timed by hyperfine (installed from Debian when
absent) or, failing that, a Python loop; the median of the runs is reported. Environment:
MIDWAY_BENCH_QUICK=1 (set by `run.py --quick`) uses 200 apps and fewer runs;
MIDWAY_BENCH_KUSTOMIZE_SINGLE=1 also times ONE kustomization over every overlay (slow: about
12 minutes for 4,000 overlays, see docs/benchmarks.md), once.

The timing helpers here (`time_command`, `Workspace`) are shared by the other bench modules.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate import DESTINATIONS, destination_dir, generate, generate_kustomize

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
Report = Callable[[str, float, dict[str, Any]], None]


def quick() -> bool:
    return os.environ.get("MIDWAY_BENCH_QUICK", "") not in ("", "0")


def venv_bin(name: str) -> str:
    """A console script of the interpreter running the bench (the project's .venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    return str(PROJECT_ROOT / ".venv" / "bin" / name)


@dataclass(frozen=True)
class Timing:
    median: float
    mean: float
    stddev: float
    min: float
    max: float
    runs: int
    tool: str
    cpu_s: float | None = None  # mean user+system CPU of the command and its children
    times: tuple[float, ...] = field(default=(), repr=False)

    def extra(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "mean_s": round(self.mean, 4),
            "stddev_s": round(self.stddev, 4),
            "min_s": round(self.min, 4),
            "max_s": round(self.max, 4),
            "timer": self.tool,
            **({"cpu_s": round(self.cpu_s, 3)} if self.cpu_s is not None else {}),
            # another process competing for the 2 cores shows up here (shared machines)
            "load": round(os.getloadavg()[0], 2),
        }


def _have_hyperfine() -> bool:
    if shutil.which("hyperfine"):
        return True
    if os.environ.get("MIDWAY_BENCH_NO_INSTALL") or not shutil.which("apt-get"):
        return False
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return False
    print("bench: installing hyperfine (apt-get install -y hyperfine)", file=sys.stderr)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "hyperfine"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return shutil.which("hyperfine") is not None


def _shell(command: str | Sequence[str]) -> str:
    return command if isinstance(command, str) else shlex.join(command)


def time_command(
    command: str | Sequence[str],
    *,
    runs: int,
    warmup: int = 0,
    prepare: str | Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Timing:
    """Wall time of a whole command (a shell string or an argv list) over `runs` runs.

    `prepare` runs before every run (and warm-up), untimed. A failing command raises.
    """
    full_env = {**os.environ, **(env or {})}
    if _have_hyperfine():
        with tempfile.TemporaryDirectory(prefix="midway-hyperfine-") as tmp:
            export = Path(tmp) / "result.json"
            args = ["hyperfine", "--style", "basic", "--runs", str(runs), "--warmup", str(warmup)]
            args += ["--export-json", str(export)]
            if prepare is not None:
                args += ["--prepare", _shell(prepare)]
            args.append(_shell(command))
            subprocess.run(args, env=full_env, cwd=cwd, check=True, stdout=sys.stderr)
            data = json.loads(export.read_text())["results"][0]
        times = tuple(float(t) for t in data["times"])
        return Timing(
            median=float(data["median"]),
            mean=float(data["mean"]),
            stddev=float(data["stddev"] or 0.0),
            min=float(data["min"]),
            max=float(data["max"]),
            runs=len(times),
            tool="hyperfine",
            cpu_s=float(data["user"]) + float(data["system"]),
            times=times,
        )
    measured: list[float] = []
    cpu: list[float] = []
    for index in range(warmup + runs):
        if prepare is not None:
            subprocess.run(_shell(prepare), shell=True, env=full_env, cwd=cwd, check=True)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            _shell(command),
            shell=True,
            env=full_env,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if index >= warmup:
            measured.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime)
    return Timing(
        median=statistics.median(measured),
        mean=statistics.fmean(measured),
        stddev=statistics.stdev(measured) if len(measured) > 1 else 0.0,
        min=min(measured),
        max=max(measured),
        runs=len(measured),
        tool="python",
        cpu_s=statistics.fmean(cpu),
        times=tuple(measured),
    )


class Workspace:
    """A temporary directory for one bench module, removed afterwards (unless
    MIDWAY_BENCH_KEEP is set, to look at what was generated)."""

    def __init__(self, name: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"midway-bench-{name}-"))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        if os.environ.get("MIDWAY_BENCH_KEEP"):
            print(f"bench: kept {self.path}", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def render_command(config: Path, out: Path) -> list[str]:
    midway = venv_bin("midway")
    return [midway, "-q", "--config", str(config), "render", "--out", str(out), "-o", "text"]


def cold_render_command(config: Path, runs_dir: Path, env: str = "") -> str:
    """A render with no cache and no previous output, in new directories under runs_dir.

    Nothing is deleted between runs: on ext4 without a journal (this bench machine) creating
    files right after deleting ~20,000 others is several times slower (the inode allocator
    skips recently deleted inodes), which measured the previous run's `rm -rf`, not midway.
    See docs/benchmarks.md.
    """
    runs_dir.mkdir(parents=True, exist_ok=True)
    render_args = shlex.join(render_command(config, Path("/dev/null"))[:-4])
    return (
        f"d=$(mktemp -d {shlex.quote(str(runs_dir))}/run-XXXXXX) && "
        f'{env} MIDWAY_CACHE_DIR="$d/cache" {render_args} --out "$d/out" -o text'
    )


def latest_run(runs_dir: Path) -> Path:
    return max(runs_dir.iterdir(), key=lambda p: p.stat().st_mtime_ns)


def change_one_command(config: Path) -> list[str]:
    return [sys.executable, str(BENCH_DIR / "generate.py"), str(config), "--change-one"]


def count_files(root: Path) -> int:
    """Rendered manifests under root (not midway's own dot-files such as the output marker)."""
    return sum(
        sum(1 for name in files if not name.startswith(".")) for _, _, files in os.walk(root)
    )


def _kustomize_peer(
    report: Report, kust: Path, runs: int, midway_full: Timing, objects: int
) -> None:
    kubectl = shutil.which("kubectl") or (
        "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else None
    )
    if kubectl is None:
        print("bench: kubectl not found; skipping the kustomize peer", file=sys.stderr)
        return
    version = subprocess.run(
        [kubectl, "version", "--client"], capture_output=True, text=True, check=False
    ).stdout
    kustomize_version = next(
        (ln.split(":", 1)[1].strip() for ln in version.splitlines() if "Kustomize" in ln), "?"
    )
    dirs = [destination_dir(env, cluster) for env, cluster in DESTINATIONS]
    one = f"{shlex.quote(kubectl)} kustomize {{}} > /dev/null"
    listing = "printf '%s\\n' " + " ".join(shlex.quote(d) for d in dirs)
    peers = {
        # the same 2 cores midway's workers use: two destinations at a time
        "parallel": f"{listing} | xargs -P 2 -I{{}} sh -c {shlex.quote(one)}",
        "serial": f"{listing} | xargs -P 1 -I{{}} sh -c {shlex.quote(one)}",
    }
    produced = subprocess.run(
        f"{listing} | xargs -I{{}} {shlex.quote(kubectl)} kustomize {{}}",
        shell=True,
        cwd=kust,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kustomize_objects = sum(1 for ln in produced.splitlines() if ln.startswith("kind:"))
    base = {
        "destinations": len(dirs),
        "overlays": sum(1 for _ in kust.glob("overlays/*/*/*/*")),
        "objects": kustomize_objects,
        "kustomize": kustomize_version,
    }
    best: Timing | None = None
    for mode, command in peers.items():
        timing = time_command(command, runs=runs, cwd=kust)
        report(
            f"peer/kustomize-per-destination-{mode}",
            timing.median,
            {
                **base,
                **timing.extra(),
                "midway_full_ratio": round(midway_full.median / timing.median, 3),
            },
        )
        if best is None or timing.median < best.median:
            best = timing
    if best is not None:
        report(
            "render/full-vs-kustomize",
            midway_full.median / best.median,
            {
                "unit": "ratio (midway full cold / fastest kustomize layout)",
                "midway_s": round(midway_full.median, 3),
                "kustomize_s": round(best.median, 3),
                "midway_objects": objects,
                "kustomize_objects": kustomize_objects,
            },
        )
    if os.environ.get("MIDWAY_BENCH_KUSTOMIZE_SINGLE"):
        timing = time_command(f"{shlex.quote(kubectl)} kustomize . > /dev/null", runs=1, cwd=kust)
        report("peer/kustomize-single-top-level", timing.median, {**base, **timing.extra()})


def run(report: Report) -> None:
    n_apps = 200 if quick() else 1000
    runs = 3 if quick() else 5
    peer_runs = 1 if quick() else 3
    with Workspace("render") as work:
        config = work / "config"
        generate(config, n_apps)
        facts = {"apps": n_apps, "env": "dev, staging, prod (4 clusters)"}

        # cold: no cache and no previous output, as on a fresh CI machine
        cold = cold_render_command(config, work / "cold")
        full = time_command(cold, runs=runs)
        last = latest_run(work / "cold")
        objects = count_files(last / "out")
        facts["objects"] = objects
        report("render/full-cold", full.median, {**facts, **full.extra()})

        # the last cold run's cache and output from here on; OUT is updated in place
        out, cache = last / "out", last / "cache"
        cache_env = {"MIDWAY_CACHE_DIR": str(cache)}
        command = render_command(config, out)
        noop = time_command(command, runs=max(runs, 10), warmup=1, env=cache_env)
        report("render/noop-warm", noop.median, {**facts, **noop.extra()})

        incremental = time_command(
            command, runs=max(runs, 10), prepare=change_one_command(config), env=cache_env
        )
        report(
            "render/incremental-one-app",
            incremental.median,
            {**facts, "changed": "1 app file (image tag)", **incremental.extra()},
        )

        kust = work / "kustomize"
        generate_kustomize(kust, n_apps)
        _kustomize_peer(report, kust, peer_runs, full, objects)
