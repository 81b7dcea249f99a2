"""Resilience: an API server that goes away and comes back (a PRIVATE cluster: the shared
one is never stopped), SIGTERM during work, and two replicas with leader election."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cluster import (
    TestCluster,
    configmap_data,
    kubectl,
    patch_configmap,
    private_cluster,
)
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    free_port,
    http_get,
    metric,
    wait_for,
)

pytestmark = pytest.mark.cluster


@pytest.fixture
def second_cluster() -> Iterator[TestCluster]:
    """A cluster of this test alone, stopped afterwards."""
    with private_cluster("daemon-resilience", port_block=300) as cluster:
        yield cluster


@pytest.mark.slow
def test_apiserver_restart_makes_the_daemon_unready_then_converged(
    tmp_path: Path, test_cluster: TestCluster, second_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_environment(policy="correct", server=second_cluster.server)  # its identity
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("alpha")
    namespace = repo.namespace("alpha")
    with daemon_thread(repo, second_cluster) as daemon:
        port = daemon.http.port
        wait_for(lambda: configmap_data(second_cluster, namespace, "alpha-kv"), 20, what="alpha-kv")
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 10, what="ready")

        second_cluster.stop_apiserver()
        wait_for(lambda: http_get(port, "/readyz")[0] == 503, 10, what="/readyz false")
        _, body = http_get(port, "/readyz")
        assert "unreachable" in body
        assert http_get(port, "/healthz")[0] == 200  # alive, just not ready
        labels = {"env": "dev", "cluster": "dev-1"}
        assert metric(daemon, "midway_cluster_reachable", **labels) == 0
        time.sleep(2.0)  # the daemon keeps running without its cluster

        second_cluster.start_apiserver()
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 40, what="/readyz true again")
        patch_configmap(second_cluster, namespace, "alpha-kv", {"mode": "slow"})
        wait_for(
            lambda: (
                (configmap_data(second_cluster, namespace, "alpha-kv") or {}).get("mode") == "fast"
            ),
            20,
            what="converged after the restart",
        )
        assert metric(daemon, "midway_cluster_reachable", **labels) == 1
        restarts = daemon.metrics.registry.get_sample_value(
            "midway_watch_restarts_total",
            {**labels, "resource": "configmaps"},
        )
        assert restarts is not None and restarts >= 1


def _start_daemon(
    repo: SyncConfigRepo, cluster: TestCluster, port: int, *extra: str, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "midway.cli.main",
        "--config",
        str(repo.root),
        "daemon",
        *("--port", str(port), "--host", "127.0.0.1", "--env", "dev"),
        *("--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context),
        "--log-format",
        "json",
        *extra,
    ]
    handle = log.open("wb")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


@pytest.mark.slow
def test_sigterm_during_work_exits_zero_within_ten_seconds(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("busy", {"a": "1"}, extra=400)  # plenty of objects to apply
    repo.commit("busy")
    log = tmp_path / "daemon.log"
    port = free_port()
    process = _start_daemon(repo, test_cluster, port, "--workers", "2", log=log)
    try:
        wait_for(
            lambda: b"created" in log.read_bytes() or process.poll() is not None,
            30,
            what="the daemon to be busy creating objects",
        )
        assert process.poll() is None, log.read_text()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(15)
        elapsed = time.monotonic() - started
    finally:
        _stop(process)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert code == 0, log.read_text()[-2000:]
    assert elapsed < 10.0
    assert any(line["msg"] == "midway daemon stopped" for line in lines)
    print(f"SIGTERM -> exit 0 in {elapsed:.2f}s")


def _start_replicas(
    repo: SyncConfigRepo, cluster: TestCluster, tmp_path: Path, lease_namespace: str, *extra: str
) -> tuple[dict[str, int], dict[str, subprocess.Popen[bytes]]]:
    """Daemons replica-a and replica-b with leader election (5 s leases) in lease_namespace."""
    lease = ("--leader-elect", "--lease-namespace", lease_namespace, "--lease-duration", "5")
    ports = {"a": free_port(), "b": free_port()}
    processes = {
        name: _start_daemon(
            repo,
            cluster,
            port,
            *lease,
            *extra,
            "--identity",
            f"replica-{name}",
            log=tmp_path / f"{name}.log",
        )
        for name, port in ports.items()
    }
    return ports, processes


def _leader(port: int) -> bool | None:
    code, body = http_get(port, "/metrics")
    if code != 200:
        return None
    return 'midway_shard_leader{shard="0"} 1.0' in body


def _corrections(port: int) -> float:
    _, body = http_get(port, "/metrics")
    total = 0.0
    for line in body.splitlines():
        if line.startswith("midway_corrections_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.slow
def test_two_replicas_one_leader_and_takeover(
    tmp_path: Path, test_cluster: TestCluster, k8s_namespace: str
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("alpha")
    namespace = repo.namespace("alpha")
    ports, processes = _start_replicas(repo, test_cluster, tmp_path, k8s_namespace)
    try:
        wait_for(
            lambda: (
                sum(1 for p in ports.values() if _leader(p)) == 1
                and all(_leader(p) is not None for p in ports.values())
            ),
            20,
            what="exactly one leader",
        )
        leader = next(name for name, port in ports.items() if _leader(port))
        follower = "b" if leader == "a" else "a"
        wait_for(lambda: configmap_data(test_cluster, namespace, "alpha-kv"), 15, what="alpha-kv")
        patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
        wait_for(
            lambda: (
                (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode") == "fast"
            ),
            10,
            what="the leader's correction",
        )
        assert _corrections(ports[leader]) >= 2  # created + configured
        assert _corrections(ports[follower]) == 0  # the follower never acted
        holder = kubectl(
            test_cluster, "-n", k8s_namespace, "get", "lease", "midway-shard-0", "-o", "json"
        )
        assert json.loads(holder.stdout)["spec"]["holderIdentity"] == f"replica-{leader}"

        killed = time.monotonic()
        processes[leader].kill()  # no chance to release the lease
        processes[leader].wait(10)
        wait_for(lambda: _leader(ports[follower]), 15, interval_s=0.1, what="takeover")
        takeover = time.monotonic() - killed
        print(f"leader killed -> follower leads after {takeover:.2f}s (lease 5s)")
        assert takeover <= 5.0 + 3.0  # the lease duration, plus one retry period and slack
        wait_for(lambda: http_get(ports[follower], "/readyz")[0] == 200, 15, what="ready")
        patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slower"})
        wait_for(
            lambda: (
                (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode") == "fast"
            ),
            10,
            what="the new leader's correction",
        )
        assert _corrections(ports[follower]) >= 1
    finally:
        for process in processes.values():
            _stop(process)


def _shards_held(port: int) -> set[int] | None:
    code, body = http_get(port, "/metrics")
    if code != 200:
        return None
    return {s for s in range(4) if f'midway_shard_leader{{shard="{s}"}} 1.0' in body}


def test_replicas_share_shards_and_the_survivor_takes_them_all(
    tmp_path: Path, test_cluster: TestCluster, k8s_namespace: str
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("alpha")
    ports, processes = _start_replicas(repo, test_cluster, tmp_path, k8s_namespace, "--shards", "4")
    try:
        wait_for(
            lambda: [_shards_held(p) for p in ports.values()] == [{0, 2}, {1, 3}],
            30,
            what="shards 0, 2 on replica-a and 1, 3 on replica-b",
        )
        processes["a"].kill()  # no release: b waits for the leases to expire
        processes["a"].wait(10)
        wait_for(lambda: _shards_held(ports["b"]) == {0, 1, 2, 3}, 20, what="b holds all 4")
    finally:
        for process in processes.values():
            _stop(process)
