"""Drift benchmarks against the real test cluster (scripts/test-cluster.sh).

1,000 live objects (250 apps × Deployment, Service, ConfigMap, HPA in 20 namespaces),
applied as midway, then:

- drift-scan-server-1000: a full server-mode scan (dry-run apply per object, cold cache)
- drift-scan-offline-1000: a full offline scan
- drift-watch-latency: under a DriftWatcher of all 1,000, a live edit -> its DriftEvent

Targets: server ≤ 10 s, offline ≤ 3 s, watch latency ≤ 2 s. Each reports the median and,
in `extra`, requests sent and RSS.

    python bench/bench_drift.py            # prints the numbers
    run(report)                            # report(name, seconds_median, extra: dict)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from midway.cluster import Connection, apply, connect, delete  # noqa: E402
from midway.cluster.applying import apply_all  # noqa: E402
from midway.drift.model import DesiredObject, DriftEvent  # noqa: E402
from midway.drift.scan import DryRunCache, scan  # noqa: E402
from midway.drift.watching import DriftWatcher  # noqa: E402
from midway.model import Destination  # noqa: E402

Report = Callable[[str, float, dict[str, Any]], None]

N_APPS = 250
N_NAMESPACES = 20
ENV = "bench"
RUNS = 3
WATCH_SAMPLES = 5


def _cluster() -> tuple[str, str]:
    state = Path(os.environ.get("MIDWAY_CLUSTER_DIR", "/tmp/midway-test-cluster"))
    subprocess.run(
        [str(ROOT / "scripts" / "test-cluster.sh"), "up"], check=True, capture_output=True
    )
    return str(state / "kubeconfig"), os.environ.get("MIDWAY_CLUSTER_CONTEXT", "midway-test")


def _labels(app: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "midway",
        "midway.dev/env": ENV,
        "midway.dev/team": "bench",
        "midway.dev/app": app,
    }


def _objects(prefix: str) -> list[DesiredObject]:
    objects = []
    for i in range(N_APPS):
        app = f"app-{i:04d}"
        namespace = f"{prefix}-{i % N_NAMESPACES:02d}"
        meta = {"name": app, "namespace": namespace, "labels": _labels(app)}
        selector = {"app.kubernetes.io/name": app}
        bodies: list[dict[str, Any]] = [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {"labels": selector},
                        "spec": {
                            "containers": [
                                {
                                    "name": "web",
                                    "image": f"ghcr.io/acme/{app}:1.0.{i}",
                                    "ports": [
                                        {"containerPort": 8080, "name": "http", "protocol": "TCP"}
                                    ],
                                    "env": [{"name": "LOG_LEVEL", "value": "info"}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                                }
                            ]
                        },
                    },
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta,
                "spec": {
                    "selector": selector,
                    "ports": [
                        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
                    ],
                },
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": meta,
                "data": {"app.yaml": f"name: {app}\nreplicas: 2\n"},
            },
            {
                "apiVersion": "autoscaling/v2beta2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta,
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                    "minReplicas": 2,
                    "maxReplicas": 5,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 70},
                            },
                        }
                    ],
                },
            },
        ]
        objects += [DesiredObject(body=b, path="", app=f"bench/{app}") for b in bodies]
    return objects


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(conn: Connection, desired: list[DesiredObject], mode: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    report = scan(
        conn,
        desired,
        destination=Destination(ENV, "local"),
        mode=mode,  # type: ignore[arg-type]
        orphan_kinds=(),
        dry_run_cache=DryRunCache(),  # cold: every object is dry-run again
    )
    elapsed = time.perf_counter() - started
    drifted = len(report.drifted) + len(report.errors)
    return elapsed, report.requests, drifted


def _watch_latency(conn: Connection, desired: list[DesiredObject]) -> tuple[list[float], float]:
    seen: dict[str, float] = {}
    arrived = threading.Condition()

    def on_event(event: DriftEvent) -> None:
        with arrived:
            seen[event.drift.key.name + "/" + event.drift.status] = time.perf_counter()
            arrived.notify_all()

    watcher = DriftWatcher(
        conn, desired, destination=Destination(ENV, "local"), mode="server", on_event=on_event
    )
    started = time.perf_counter()
    watcher.start()
    startup = time.perf_counter() - started
    latencies = []
    try:
        configmaps = [d for d in desired if d.key.kind == "ConfigMap"][:WATCH_SAMPLES]
        for target in configmaps:
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": target.key.name, "namespace": target.key.namespace},
                "data": {"app.yaml": "edited live\n"},
            }
            changed = time.perf_counter()
            apply(conn, body, field_manager="bench-edit", force=True)
            key = f"{target.key.name}/modified"
            with arrived:
                arrived.wait_for(lambda k=key: k in seen, timeout=30)  # type: ignore[misc]
            latencies.append(seen.get(key, float("inf")) - changed)
    finally:
        watcher.stop()
    return latencies, startup


def run(report: Report) -> None:
    kubeconfig, context = _cluster()
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    desired = _objects(prefix)
    with connect(kubeconfig, context) as conn:
        try:
            started = time.perf_counter()
            applied = apply_all(conn, [d.body for d in desired], workers=8)
            setup = time.perf_counter() - started
            assert not applied.failed, applied.failed[0].error
            print(f"applied {len(desired)} objects in {setup:.1f} s", file=sys.stderr)
            for mode in ("server", "offline"):
                times, requests, drifted = [], 0, 0
                for _ in range(RUNS):
                    elapsed, requests, drifted = _scan(conn, desired, mode)
                    times.append(elapsed)
                report(
                    f"drift-scan-{mode}-{len(desired)}",
                    statistics.median(times),
                    {
                        "objects": len(desired),
                        "runs": [round(t, 3) for t in times],
                        "requests": requests,
                        "drifted": drifted,
                        "rss_mb": round(_rss_mb(), 1),
                        "peak_rss_mb": round(_peak_rss_mb(), 1),
                        "target_s": 10.0 if mode == "server" else 3.0,
                    },
                )
            latencies, startup = _watch_latency(conn, desired)
            report(
                "drift-watch-latency",
                statistics.median(latencies),
                {
                    "samples": [round(x, 3) for x in latencies],
                    "max_s": round(max(latencies), 3),
                    "watch_startup_s": round(startup, 3),
                    "objects": len(desired),
                    "peak_rss_mb": round(_peak_rss_mb(), 1),
                    "target_s": 2.0,
                },
            )
        finally:
            for i in range(N_NAMESPACES):
                delete(conn, "v1", "Namespace", None, f"{prefix}-{i:02d}", propagation="Background")


def _print(name: str, seconds: float, extra: dict[str, Any]) -> None:
    print(f"{name}: {seconds:.3f} s  {extra}")


if __name__ == "__main__":
    run(_print)
