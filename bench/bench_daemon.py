"""The reconciler daemon watching 10,000 objects: memory, CPU, correction latency.

Setup: a config repo of 3 apps of a one-ConfigMap blueprint with 3,333 extra ConfigMaps each
(10,002 objects in 3 namespaces), rendered and published by the daemon itself, applied to
the test cluster (scripts/test-cluster.sh, started if needed). The daemon runs as its own
process (`midway daemon`), so RSS and CPU are its own, read from /proc.

Measured:
- initial sync: daemon start -> every object created and reported in sync;
- steady state: RSS and CPU% over an idle window (watches open, periodic work only);
- a burst of 500 live edits (another field manager, 8 writers in parallel): each edit's
  detection -> correction latency as seen by an independent watch in this process
  (edit acknowledged -> corrected version observed), plus the daemon's own histogram;
  RSS and CPU during and after the burst.

Targets: RSS <= 300 MB, p95 detection -> correction <= 3 s. MIDWAY_BENCH_QUICK=1 uses
3 x 333 objects and 100 edits.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
for extra_path in (PROJECT_ROOT / "tests", PROJECT_ROOT / "src"):
    if str(extra_path) not in sys.path:
        sys.path.insert(0, str(extra_path))

from support.syncenv import SyncConfigRepo, free_port, http_get, wait_for  # noqa: E402

Report = Callable[[str, float, dict[str, Any]], None]

APPS = ("bench-a", "bench-b", "bench-c")
TARGET_RSS_MB = 300.0
TARGET_P95_S = 3.0
EDITOR = "bench-editor"


def quick() -> bool:
    return os.environ.get("MIDWAY_BENCH_QUICK", "") not in ("", "0")


def _cluster() -> tuple[Path, str]:
    script = PROJECT_ROOT / "scripts" / "test-cluster.sh"
    subprocess.run([str(script), "up"], check=True, capture_output=True, timeout=600)
    state = Path(os.environ.get("MIDWAY_CLUSTER_DIR", "/tmp/midway-test-cluster"))
    return state / "kubeconfig", os.environ.get("MIDWAY_CLUSTER_CONTEXT", "midway-test")


# ---------------------------------------------------------------------- /proc sampling


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


class Sampler:
    """RSS and CPU of a process over a window (RSS sampled every 0.5 s, peak kept)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_rss = max(self.peak_rss, _rss_mb(self.pid))

    def __enter__(self) -> Sampler:
        self.started = time.monotonic()
        self.cpu_start = _cpu_s(self.pid)
        self.peak_rss = _rss_mb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.monotonic() - self.started
        self.cpu = _cpu_s(self.pid) - self.cpu_start
        self.rss = _rss_mb(self.pid)

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu / self.wall if self.wall else 0.0


# ---------------------------------------------------------------------- metrics scraping


def _samples(port: int) -> dict[str, float]:
    code, body = http_get(port, "/metrics", timeout_s=5)
    if code != 200:
        return {}
    found: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def _sum(samples: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in samples.items() if k.startswith(prefix))


def _histogram_quantile(samples: dict[str, float], name: str, q: float) -> float | None:
    buckets = sorted(
        (float(k.split('le="', 1)[1].split('"', 1)[0].replace("+Inf", "inf")), v)
        for k, v in samples.items()
        if k.startswith(f"{name}_bucket{{")
    )
    if not buckets or buckets[-1][1] == 0:
        return None
    total = buckets[-1][1]
    for bound, count in buckets:
        if count >= q * total:
            return bound
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(round(q * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


# ---------------------------------------------------------------------- the run


def run(report: Report) -> None:
    from midway.cluster import connect

    kubeconfig, context = _cluster()
    per_app = 333 if quick() else 3333
    edits = 100 if quick() else 500
    workdir = Path(tempfile.mkdtemp(prefix="midway-bench-daemon-"))
    repo = SyncConfigRepo.create(workdir, prefix="bench-" + os.urandom(3).hex(), policy="correct")
    for app in APPS:
        repo.set_app(app, {"role": "primary"}, extra=per_app)
    repo.commit("bench apps")
    total = len(APPS) * (per_app + 1)
    port = free_port()
    log = workdir / "daemon.log"
    command = [
        str(PROJECT_ROOT / ".venv" / "bin" / "midway"),
        *("--config", str(repo.root), "daemon"),
        *("--port", str(port), "--host", "127.0.0.1", "--env", "dev"),
        *("--kubeconfig", str(kubeconfig), "--context", context),
        *("--workers", "8", "--log-format", "json"),
    ]
    conn = connect(str(kubeconfig), context)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        in_sync = 'midway_objects{cluster="dev-1",env="dev",status="in-sync"}'

        def converged() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the daemon exited: {log.read_text()[-3000:]}")
            samples = _samples(port)
            depth = samples.get('midway_queue_depth{cluster="dev-1",env="dev"}', 1)
            return samples.get(in_sync, 0) == total and depth == 0

        with Sampler(process.pid) as initial:
            wait_for(converged, 1800, interval_s=1.0, what=f"{total} objects in sync")
        initial_s = time.monotonic() - started
        report(
            f"daemon initial sync of {total} objects",
            initial_s,
            {
                "objects": total,
                "objects_per_s": round(total / initial_s, 1),
                "peak_rss_mb": round(initial.peak_rss, 1),
                "cpu_s": round(initial.cpu, 1),
                "note": "render + publish + create every object (8 workers)",
            },
        )

        time.sleep(5)  # let the initial burst settle
        idle_window = 10 if quick() else 30
        with Sampler(process.pid) as idle:
            time.sleep(idle_window)
        report(
            f"daemon steady state watching {total} objects",
            idle.wall,
            {
                "rss_mb": round(idle.rss, 1),
                "peak_rss_mb": round(idle.peak_rss, 1),
                "cpu_percent": round(idle.cpu_percent, 2),
                "target_rss_mb": TARGET_RSS_MB,
                "rss_ok": idle.peak_rss <= TARGET_RSS_MB,
            },
        )

        configured = 'midway_corrections_total{action="configured",cluster="dev-1",env="dev"}'
        before = _samples(port).get(configured, 0.0)
        latencies = _burst(conn, repo, per_app, edits, process.pid, port, report)
        samples = _samples(port)
        corrections = samples.get(configured, 0.0) - before
        daemon_p95 = _histogram_quantile(samples, "midway_correction_latency_seconds", 0.95)
        p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
        report(
            f"daemon correction latency ({edits} live edits)",
            p50,
            {
                "p50_s": round(p50, 3),
                "p90_s": round(_percentile(latencies, 0.90), 3),
                "p95_s": round(p95, 3),
                "p99_s": round(_percentile(latencies, 0.99), 3),
                "max_s": round(max(latencies), 3),
                "corrected": len(latencies),
                "daemon_corrections": int(corrections),  # > edits: some corrected twice
                "daemon_histogram_p95_bucket_s": daemon_p95,
                "target_p95_s": TARGET_P95_S,
                "p95_ok": p95 <= TARGET_P95_S,
                "measured": "edit seen -> corrected version seen, both by an independent "
                "watch in the bench process",
            },
        )
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        report(
            "daemon shutdown on SIGTERM",
            time.monotonic() - stop_started,
            {"exit_code": code},
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for app in APPS:
            subprocess.run(
                [
                    "kubectl",
                    "--kubeconfig",
                    str(kubeconfig),
                    "--context",
                    context,
                    "delete",
                    "namespace",
                    repo.namespace(app),
                    "--wait=false",
                ],
                capture_output=True,
                check=False,
            )
        conn.close()


def _burst(
    conn: Any,
    repo: SyncConfigRepo,
    per_app: int,
    edits: int,
    pid: int,
    port: int,
    report: Report,
) -> list[float]:
    """`edits` live edits of distinct objects by another manager; returns the latencies."""
    from midway.cluster import WatchCache, apply, resolve

    rng = random.Random(7)
    targets = rng.sample([(app, i) for app in APPS for i in range(per_app)], edits)
    # Both ends are seen by the same independent watch: the edit (data has "edited") and then
    # the first version without it (midway's correction): detection -> correction as a
    # client of the API server sees it.
    targeted = {(repo.namespace(app), f"{app}-extra-{index}") for app, index in targets}
    edit_seen: dict[tuple[str, str], float] = {}
    corrected_at: dict[tuple[str, str], float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def on_event(event: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        if key not in targeted:
            return
        data = obj.get("data") or {}
        now = time.monotonic()
        with lock:
            if "edited" in data:
                edit_seen.setdefault(key, now)
            elif key in edit_seen and key not in corrected_at:
                corrected_at[key] = now
                if len(corrected_at) == len(targets):
                    done.set()

    resource = resolve(conn, "v1", "ConfigMap")
    watch = WatchCache(
        conn, resource, label_selector="app.kubernetes.io/managed-by=midway", on_event=on_event
    ).start()
    watch.wait_synced(120)

    def edit(target: tuple[str, int]) -> None:
        app, index = target
        namespace, name = repo.namespace(app), f"{app}-extra-{index}"
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"index": "tampered", "edited": "yes"},
        }
        apply(conn, body, field_manager=EDITOR, force=True)

    try:
        with Sampler(pid) as burst:
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(edit, targets))
            edit_s = time.monotonic() - started
            done.wait(120)
            converged_s = time.monotonic() - started
        report(
            f"daemon burst of {edits} live edits, all corrected",
            converged_s,
            {
                "edits_sent_in_s": round(edit_s, 2),
                "corrected": len(corrected_at),
                "rss_mb_after": round(burst.rss, 1),
                "peak_rss_mb": round(burst.peak_rss, 1),
                "cpu_s": round(burst.cpu, 2),
                "cpu_percent": round(burst.cpu_percent, 1),
                "rss_ok": burst.peak_rss <= TARGET_RSS_MB,
            },
        )
    finally:
        watch.stop()
    with lock:
        return [corrected_at[k] - edit_seen[k] for k in corrected_at]


if __name__ == "__main__":

    def _print(name: str, seconds: float, extra: dict[str, Any]) -> None:
        print(f"{name}: {seconds:.3f}s {json.dumps(extra)}", flush=True)

    run(_print)
