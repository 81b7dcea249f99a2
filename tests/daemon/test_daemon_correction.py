"""The daemon against the real test cluster: correct vs warn policy, metrics, contests."""

from __future__ import annotations

from pathlib import Path

import pytest

from midway.cluster import connect
from midway.drift.desired import load_desired
from midway.drift.scan import scan
from midway.model import Destination
from midway.state.location import parse_state_spec
from midway.sync.policy import DestinationPolicy
from support.cluster import TestCluster, configmap_data, kubectl, patch_configmap
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    http_get,
    metric,
    wait_for,
)

pytestmark = pytest.mark.cluster

DEV = Destination("dev", "dev-1")


def _drift_counts(repo: SyncConfigRepo, cluster: TestCluster) -> dict[str, int]:
    """A fresh server-mode drift report of the destination (what `midway drift` shows)."""
    from midway.config.gitsource import GitSource
    from midway.config.loader import load_config

    config = load_config(GitSource(repo.root, "HEAD"))
    desired = load_desired(parse_state_spec(str(repo.state_path)), DEV)
    with connect(str(cluster.kubeconfig), cluster.context) as conn:
        report = scan(
            conn,
            desired.objects,
            destination=DEV,
            rules=DestinationPolicy(config, DEV).ignore,
            orphans=False,
        )
    return report.counts()


def test_correct_policy_restores_a_live_edit(tmp_path: Path, test_cluster: TestCluster) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast", "level": "1"})
    repo.commit("add alpha")
    namespace = repo.namespace("alpha")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(
            lambda: (
                configmap_data(test_cluster, namespace, "alpha-kv")
                == {"mode": "fast", "level": "1"}
            ),
            15,
            what="the daemon to create alpha-kv",
        )
        wait_for(lambda: daemon.ready()[0], 10, what="readiness")
        patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
        wait_for(
            lambda: (
                (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode") == "fast"
            ),
            5,
            what="the daemon to restore mode=fast",
        )
        counts = _drift_counts(repo, test_cluster)
        assert counts["modified"] == 0 and counts["missing"] == 0
        assert counts["in-sync"] == 1
        labels = {"env": "dev", "cluster": "dev-1"}
        wait_for(
            lambda: metric(daemon, "midway_corrections_total", **labels, action="configured") >= 1,
            5,
            what="the corrections metric",
        )
        assert metric(daemon, "midway_corrections_total", **labels, action="created") == 1
        assert metric(daemon, "midway_drift_detected_total", **labels, policy="correct") >= 1
        assert metric(daemon, "midway_correction_latency_seconds_count", **labels) >= 1
        wait_for(
            lambda: metric(daemon, "midway_objects", **labels, status="in-sync") == 1,
            5,
            what="midway_objects in-sync",
        )
        exposition = daemon.metrics.exposition().decode()
        assert 'midway_corrections_total{action="configured",cluster="dev-1",env="dev"}' in (
            exposition
        )
        assert "midway_last_successful_sync_timestamp_seconds" in exposition


def test_warn_policy_reports_and_leaves_the_live_value(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="warn")
    repo.set_app("alpha", {"mode": "fast"})
    repo.set_app("beta", {"mode": "fast"}, policy="correct")  # the app overrides the env
    repo.commit("add alpha and beta")
    alpha, beta = repo.namespace("alpha"), repo.namespace("beta")
    with daemon_thread(repo, test_cluster) as daemon:
        labels = {"env": "dev", "cluster": "dev-1"}
        # warn: not even a missing object is created
        wait_for(lambda: configmap_data(test_cluster, beta, "beta-kv"), 15, what="beta-kv created")
        wait_for(
            lambda: metric(daemon, "midway_objects", **labels, status="missing") == 1,
            10,
            what="alpha reported missing",
        )
        assert configmap_data(test_cluster, alpha, "alpha-kv") is None
        kubectl(test_cluster, "create", "namespace", alpha)
        kubectl(test_cluster, "-n", alpha, "create", "configmap", "alpha-kv", "--from-literal=x=y")
        kubectl(
            test_cluster,
            "-n",
            alpha,
            "label",
            "configmap",
            "alpha-kv",
            "app.kubernetes.io/managed-by=midway",
            "midway.dev/env=dev",
            "midway.dev/app=alpha",
            "midway.dev/team=qa",
        )
        wait_for(
            lambda: metric(daemon, "midway_objects", **labels, status="modified") == 1,
            10,
            what="alpha reported modified",
        )
        assert metric(daemon, "midway_drift_detected_total", **labels, policy="warn") >= 1
        patch_configmap(test_cluster, beta, "beta-kv", {"mode": "slow"})
        wait_for(
            lambda: (configmap_data(test_cluster, beta, "beta-kv") or {}).get("mode") == "fast",
            5,
            what="beta (policy correct) restored",
        )
        assert configmap_data(test_cluster, alpha, "alpha-kv") == {"x": "y"}  # warn: left alone
        status = daemon.status()["destinations"]["dev/dev-1"]
        assert status["apps"]["qa/alpha"]["status"] == "drifted"
        assert status["apps"]["qa/beta"]["status"] == "in-sync"
        # who changed what, for the status page: the manager of each differing field
        fields = {f["field"]: f for f in status["apps"]["qa/alpha"]["drift_fields"]}
        assert fields["data.x"]["change"] == "added"
        assert fields["data.x"]["manager"] == "kubectl-create"
        assert fields["data.x"]["time"]  # when that manager wrote it (managedFields)
        assert fields["data.mode"]["change"] == "removed"
        assert status["apps"]["qa/beta"]["drift_fields"] == []  # corrected: nothing left
        exposition = daemon.metrics.exposition().decode()
        assert 'midway_drift_detected_total{cluster="dev-1",env="dev",policy="warn"}' in exposition


def test_a_fight_is_detected_and_midway_stops(tmp_path: Path, test_cluster: TestCluster) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast", "other": "a"})
    repo.commit("add alpha")
    namespace = repo.namespace("alpha")
    threshold = 3
    with daemon_thread(repo, test_cluster, fight_threshold=threshold) as daemon:
        wait_for(lambda: configmap_data(test_cluster, namespace, "alpha-kv"), 15, what="alpha-kv")
        labels = {"env": "dev", "cluster": "dev-1"}
        contested_at = None
        for round_number in range(1, threshold + 3):  # a bounded loop of reverts
            patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
            try:
                wait_for(
                    lambda: (
                        (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode")
                        == "fast"
                    ),
                    3,
                    what="a correction",
                )
            except AssertionError:
                contested_at = round_number
                break
        # round 1 is plain drift; rounds 2..threshold+1 are reverts of midway's correction
        assert contested_at == threshold + 1, f"fight detected at round {contested_at}"
        assert metric(daemon, "midway_fights_total", **labels, manager="kubectl-patch") == 1
        wait_for(lambda: metric(daemon, "midway_contested_fields", **labels) == 1, 3, what="gauge")
        contested = daemon.status()["destinations"]["dev/dev-1"]["contested"]
        assert [c["field"] for c in contested] == ["data.mode"]
        assert contested[0]["manager"] == "kubectl-patch"
        assert "path: /data/mode" in contested[0]["suggestion"]
        # midway stopped fighting over data.mode, but still corrects the other fields
        patch_configmap(test_cluster, namespace, "alpha-kv", {"other": "changed"})
        wait_for(
            lambda: (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("other") == "a",
            5,
            what="the uncontested field corrected",
        )
        assert (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode") == "slow"


def test_a_broken_object_backs_off_without_starving_the_others(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("broken", {"bad key!": "x"})  # the API server rejects this ConfigMap
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("one broken, one fine")
    namespace = repo.namespace("alpha")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: configmap_data(test_cluster, namespace, "alpha-kv"), 15, what="alpha-kv")
        labels = {"env": "dev", "cluster": "dev-1"}
        wait_for(
            lambda: metric(daemon, "midway_reconcile_errors_total", **labels) >= 2,
            10,
            what="the broken object retried",
        )
        runtime = daemon.runtimes[DEV]
        [(key, message)] = runtime.reconciler.failing.items()
        assert key.name == "broken-kv" and "bad key!" in message
        failures = runtime.reconciler.backoff.failures(key)
        assert 2 <= failures <= 4  # 2 s, 4 s, 8 s…: not a hot loop
        for value in ("slow", "slower"):  # the healthy object is corrected at once, twice
            patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": value})
            wait_for(
                lambda: (
                    (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode")
                    == "fast"
                ),
                5,
                what="alpha corrected while broken-kv backs off",
            )
        assert runtime.queue.depth() >= 1  # broken-kv waits for its next retry
        status = daemon.status()["destinations"]["dev/dev-1"]
        assert status["apps"]["qa/broken"]["errors"] == [str(key)]
        assert not runtime.reconciler.converged()


def test_a_contest_survives_a_restart(
    tmp_path: Path, test_cluster: TestCluster, k8s_namespace: str
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("add alpha")
    namespace = repo.namespace("alpha")
    labels = {"env": "dev", "cluster": "dev-1"}
    elect = {
        "leader_election": True,
        "lease_namespace": k8s_namespace,
        "lease_duration_s": 5.0,
        "fight_threshold": 2,
    }

    def mode() -> str | None:
        return (configmap_data(test_cluster, namespace, "alpha-kv") or {}).get("mode")

    with daemon_thread(repo, test_cluster, **elect) as daemon:
        wait_for(lambda: mode() == "fast", 20, what="alpha-kv")
        for _ in range(4):  # revert until midway gives up
            patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
            try:
                wait_for(lambda: mode() == "fast", 3, what="a correction")
            except AssertionError:
                break
        wait_for(
            lambda: metric(daemon, "midway_contested_fields", **labels) == 1, 3, what="contest"
        )

        def remembered() -> str:
            return kubectl(
                test_cluster,
                "-n",
                k8s_namespace,
                "get",
                "configmap",
                "-l",
                "midway.dev/contests",
                "-o",
                "json",
            ).stdout

        wait_for(lambda: "data.mode" in remembered(), 5, what="the contest remembered")

    # a new daemon (a restart, or another replica taking over) knows the contest at once
    with daemon_thread(repo, test_cluster, **elect) as daemon:
        wait_for(lambda: http_get(daemon.http.port, "/readyz")[0] == 200, 20, what="ready")
        wait_for(lambda: metric(daemon, "midway_contested_fields", **labels) == 1, 3, what="1")
        contested = daemon.status()["destinations"]["dev/dev-1"]["contested"]
        assert [c["field"] for c in contested] == ["data.mode"]
        assert mode() == "slow"  # not fought over again
        assert metric(daemon, "midway_fights_total", **labels, manager="kubectl-patch") == 0
        # a new desired value ends the contest: midway applies it
        repo.set_app("alpha", {"mode": "fastest"})
        repo.commit("alpha: fastest")
        wait_for(lambda: mode() == "fastest", 20, what="the new desired value applied")
        wait_for(lambda: metric(daemon, "midway_contested_fields", **labels) == 0, 5, what="gone")
