"""What the daemon reports, against the real test cluster: a new desired state is a rollout
(not drift), only the current state commit is 1 in midway_state_commit_info, and an HPA
someone else created owns spec.replicas for the daemon exactly as for `midway drift`."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from support.cluster import TestCluster, configmap_data, kubectl, patch_configmap
from support.status import checked
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    metric,
    wait_for,
)

pytestmark = pytest.mark.cluster

DEV = {"env": "dev", "cluster": "dev-1"}

DEPLOY_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: dep}
spec:
  version: 1.0.0
  description: One Deployment (daemon HPA tests)
  parameters:
    type: object
    additionalProperties: false
    properties:
      replicas: {type: integer, default: 2, description: replicas}
"""

DEPLOY_MAIN = """\
function(app, env, params) [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: app.name},
    spec: {
      replicas: params.replicas,
      selector: {matchLabels: {app: app.name}},
      template: {
        metadata: {labels: {app: app.name}},
        spec: {containers: [{name: 'main', image: 'registry.invalid/app:1'}]},
      },
    },
  },
]
"""


def _commit_series(daemon: Any) -> dict[str, float]:
    """midway_state_commit_info of dev/dev-1: commit label -> value."""
    found: dict[str, float] = {}
    for family in daemon.metrics.registry.collect():
        if family.name != "midway_state_commit_info":
            continue
        for sample in family.samples:
            if sample.labels.get("env") == "dev" and sample.labels.get("cluster") == "dev-1":
                found[sample.labels["commit"]] = sample.value
    return found


def _messages(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if needle in r.getMessage()]


def test_a_new_desired_state_is_a_rollout_and_a_live_edit_is_drift(
    tmp_path: Path, test_cluster: TestCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="midway")
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"schedule": "daily"})
    repo.commit("alpha daily")
    namespace = repo.namespace("alpha")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: configmap_data(test_cluster, namespace, "alpha-kv"), 15, what="alpha-kv")
        wait_for(lambda: daemon.ready()[0], 10, what="readiness")
        first = repo.state_head()
        assert first is not None
        wait_for(lambda: _commit_series(daemon) == {first[:12]: 1.0}, 5, what="commit info")
        # the first deployment is a rollout too: nobody drifted anything
        assert metric(daemon, "midway_rollout_applied_total", **DEV, action="created") == 1
        assert metric(daemon, "midway_drift_detected_total", **DEV, policy="correct") == 0

        repo.set_app("alpha", {"schedule": "hourly"})
        repo.commit("alpha hourly")
        wait_for(
            lambda: configmap_data(test_cluster, namespace, "alpha-kv") == {"schedule": "hourly"},
            15,
            what="the new config applied",
        )
        wait_for(
            lambda: metric(daemon, "midway_rollout_applied_total", **DEV, action="configured"),
            5,
            what="the rollout counted",
        )
        assert metric(daemon, "midway_drift_detected_total", **DEV, policy="correct") == 0
        [rollout] = _messages(caplog, "alpha-kv configured")
        assert "rollout: desired state changed" in rollout and "drift" not in rollout
        assert "fields: data.schedule" in rollout
        second = repo.state_head()
        assert second is not None and second != first
        # only the current commit is 1; the old series is gone, not left at 1
        wait_for(lambda: _commit_series(daemon) == {second[:12]: 1.0}, 5, what="commit info")

        patch_configmap(test_cluster, namespace, "alpha-kv", {"schedule": "never"})
        wait_for(
            lambda: configmap_data(test_cluster, namespace, "alpha-kv") == {"schedule": "hourly"},
            10,
            what="the live edit corrected",
        )
        wait_for(
            lambda: metric(daemon, "midway_drift_detected_total", **DEV, policy="correct") == 1,
            5,
            what="the drift counted",
        )
        assert metric(daemon, "midway_rollout_applied_total", **DEV, action="configured") == 1
        corrected = _messages(caplog, "alpha-kv configured")[-1]
        assert "drift by kubectl-patch corrected" in corrected and "rollout" not in corrected


def _hpa(namespace: str, target: str) -> str:
    """An HPA created by hand (no midway labels) that targets Deployment `target`."""
    return json.dumps(
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": f"{target}-by-hand", "namespace": namespace},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                "minReplicas": 1,
                "maxReplicas": 5,
            },
        }
    )


def _replicas(cluster: TestCluster, namespace: str, name: str) -> int:
    result = kubectl(cluster, "-n", namespace, "get", "deployment", name, "-o", "json")
    return int(json.loads(result.stdout)["spec"]["replicas"])


def test_an_hpa_someone_else_created_owns_replicas_for_the_daemon(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.write("blueprints/dep/blueprint.yaml", DEPLOY_BLUEPRINT)
    repo.write("blueprints/dep/main.jsonnet", DEPLOY_MAIN)
    repo.set_app("web", blueprint="dep@^1", params={"replicas": 2})
    repo.set_app("solo", blueprint="dep@^1", params={"replicas": 2})
    repo.commit("web and solo")
    web, solo = repo.namespace("web"), repo.namespace("solo")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(
            lambda: (
                kubectl(test_cluster, "-n", web, "get", "deployment", "web", check=False).returncode
                == 0
            ),
            20,
            what="the Deployment web",
        )
        wait_for(lambda: daemon.ready()[0], 15, what="readiness")
        kubectl(test_cluster, "-n", web, "apply", "-f", "-", input=_hpa(web, "web"))
        kubectl(test_cluster, "-n", web, "scale", "deployment/web", "--replicas=3")
        kubectl(test_cluster, "-n", solo, "scale", "deployment/solo", "--replicas=3")
        # solo has no HPA: scaling it by hand is drift, corrected back to 2
        wait_for(lambda: _replicas(test_cluster, solo, "solo") == 2, 10, what="solo back to 2")
        runtime = next(iter(daemon.supervisor.runtimes.values()))
        runtime.reconciler.resync()  # a full pass after the edits: web is evaluated again
        wait_for(lambda: runtime.queue.depth() == 0, 10, what="the resync")
        wait_for(
            lambda: runtime.snapshot().apps["qa/web"].drift.get("ignored") == 1,
            10,
            what="web's replicas ignored (preset hpa-replicas)",
        )
        assert _replicas(test_cluster, web, "web") == 3  # left to the HPA


def _sample(body: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition (None when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        if line.startswith(f"{name}{{"):
            got = line[len(name) + 1 : line.index("}")]
            if ",".join(sorted(got.split(","))) == wanted:
                return float(line.rsplit(" ", 1)[1])
    return None


def _assert_unknown_while_down(port: int) -> None:
    from support.syncenv import http_get

    _, body = http_get(port, "/metrics")
    dest = {"env": "dev", "cluster": "dev-1"}
    assert _sample(body, "midway_objects", **dest, status="missing") == 0, body
    assert _sample(body, "midway_objects", **dest, status="unknown") == 4, body
    assert _sample(body, "midway_cluster_reachable", **dest) == 0
    _, status_text = http_get(port, "/status")
    status = checked(json.loads(status_text))["destinations"]["dev/dev-1"]
    assert status["reachable"] is False
    assert status["apps"]["qa/alpha"]["status"] == "unknown"
    assert status["objects"]["missing"] == 0


@pytest.mark.slow
def test_an_unreachable_cluster_is_unknown_not_missing_and_logged_once(tmp_path: Path) -> None:
    """A real daemon process, started while its (private) cluster is down, then losing it
    again while running: meanwhile its objects are "unknown", never "missing" (metrics and
    /status); the log says "cluster unreachable" and "reachable again" once per outage,
    without urllib3's retry warnings or a line per retry."""
    import signal
    import subprocess
    import sys

    from support.cluster import private_cluster
    from support.syncenv import free_port, http_get

    with private_cluster("daemon-signals", port_block=530) as cluster:
        repo = SyncConfigRepo.create(tmp_path, policy="correct")
        repo.set_environment(policy="correct", server=cluster.server)
        repo.set_app("alpha", {"v": "1"}, extra=3)  # 4 objects
        repo.commit("alpha")
        namespace = repo.namespace("alpha")
        port = free_port()
        log = tmp_path / "daemon.log"
        command = [
            *(sys.executable, "-m", "midway.cli.main", "--config", str(repo.root), "daemon"),
            *("--port", str(port), "--host", "127.0.0.1", "--env", "dev"),
            *("--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context),
            *("--log-format", "json", "--status-file", str(tmp_path / "status.json")),
        ]
        cluster.stop_apiserver()  # outage 1: down before the daemon starts
        with log.open("wb") as handle:
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: http_get(port, "/readyz")[0] == 503, 20, what="/readyz 503")
            time.sleep(6.0)  # the first apply fails and retries meanwhile
            _assert_unknown_while_down(port)
            cluster.start_apiserver()
            wait_for(lambda: http_get(port, "/readyz")[0] == 200, 40, what="ready")
            wait_for(lambda: configmap_data(cluster, namespace, "alpha-kv"), 30, what="alpha-kv")

            cluster.stop_apiserver()  # outage 2: while running, with a rollout pending
            wait_for(lambda: http_get(port, "/readyz")[0] == 503, 10, what="/readyz 503")
            repo.set_app("alpha", {"v": "2"}, extra=3)
            repo.commit("alpha v2")
            time.sleep(6.0)  # retries of watches and of the rollout happen meanwhile
            _assert_unknown_while_down(port)
            cluster.start_apiserver()
            wait_for(lambda: http_get(port, "/readyz")[0] == 200, 40, what="ready again")
            wait_for(
                lambda: configmap_data(cluster, namespace, "alpha-kv") == {"v": "2"},
                30,
                what="the rollout applied once the cluster is back",
            )
            process.send_signal(signal.SIGTERM)
            process.wait(15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) == len(text.splitlines()), text[-3000:]  # nothing but midway's log
    assert not [line for line in lines if line["logger"].startswith("urllib3")]
    assert "Retrying" not in text
    assert len([x for x in lines if x["msg"].startswith("cluster unreachable")]) == 2, text
    assert len([x for x in lines if x["msg"] == "cluster reachable again"]) == 2, text
    watch_failures = [x for x in lines if x["msg"].startswith("watch of configmaps failed")]
    assert len(watch_failures) <= 1, watch_failures
    retries = [x for x in lines if x["msg"].startswith("reconcile of")]
    assert not retries, retries  # while unreachable, the probe's line says it all
    print(f"{len(lines)} log lines")
