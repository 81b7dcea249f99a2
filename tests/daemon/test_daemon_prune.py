"""Prune by the daemon: exactly the removed app's objects; never others'; never on empty."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from support.cluster import TestCluster, kubectl
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    metric,
    wait_for,
)

pytestmark = pytest.mark.cluster


def _names(cluster: TestCluster, namespace: str) -> set[str]:
    result = kubectl(cluster, "-n", namespace, "get", "configmaps", "-o", "json", check=False)
    if result.returncode != 0:
        return set()
    return {
        item["metadata"]["name"]
        for item in json.loads(result.stdout)["items"]
        if item["metadata"]["name"] != "kube-root-ca.crt"
    }


def test_removing_an_app_prunes_exactly_its_objects(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=True)
    repo.set_app("alpha", {"a": "1"}, extra=1)
    repo.set_app("beta", {"b": "1"}, extra=2)
    repo.set_app("gamma", {"c": "1"}, policy="warn")  # someone else will own a same-named object
    repo.commit("three apps")
    alpha, beta, gamma = (repo.namespace(a) for a in ("alpha", "beta", "gamma"))
    # gamma is warn: the daemon creates nothing there; a same-named object of someone else's
    kubectl(test_cluster, "create", "namespace", gamma)
    kubectl(test_cluster, "-n", gamma, "create", "configmap", "gamma-kv", "--from-literal=c=1")
    kubectl(
        test_cluster,
        "-n",
        gamma,
        "label",
        "configmap",
        "gamma-kv",
        "app.kubernetes.io/managed-by=helm",
    )
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(
            lambda: _names(test_cluster, beta) == {"beta-kv", "beta-extra-0", "beta-extra-1"},
            15,
            what="beta's objects",
        )
        wait_for(lambda: _names(test_cluster, alpha) == {"alpha-kv", "alpha-extra-0"}, 5)
        # an object midway never rendered, in beta's namespace, without the labels
        kubectl(test_cluster, "-n", beta, "create", "configmap", "stray", "--from-literal=x=y")
        # ... and one with midway's labels that no state commit ever had
        kubectl(test_cluster, "-n", beta, "create", "configmap", "lookalike", "--from-literal=x=y")
        kubectl(
            test_cluster,
            "-n",
            beta,
            "label",
            "configmap",
            "lookalike",
            "app.kubernetes.io/managed-by=midway",
            "midway.dev/env=dev",
            "midway.dev/app=beta",
            "midway.dev/team=qa",
        )
        repo.remove_app("beta")
        repo.remove_app("gamma")
        repo.commit("remove beta and gamma")
        wait_for(
            lambda: _names(test_cluster, beta) == {"stray", "lookalike"},
            20,
            what="beta's objects pruned",
        )
        assert _names(test_cluster, alpha) == {"alpha-kv", "alpha-extra-0"}
        assert _names(test_cluster, gamma) == {"gamma-kv"}  # not midway's: never deleted
        labels = {"env": "dev", "cluster": "dev-1"}
        # counted after each delete returns, which can be just after kubectl sees it gone
        wait_for(
            lambda: metric(daemon, "midway_corrections_total", **labels, action="pruned") == 3,
            5,
            what="3 prunes counted",
        )
        recent = daemon.status()["destinations"]["dev/dev-1"]["recent"]
        skipped = [e for e in recent if e["object"].endswith("/gamma-kv")]
        assert skipped and skipped[-1]["action"] == "skipped"
        assert "not midway's" in skipped[-1]["reason"]


def test_an_empty_render_deletes_nothing(tmp_path: Path, test_cluster: TestCluster) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=True)
    repo.set_app("alpha", {"a": "1"}, extra=1)
    repo.commit("one app")
    alpha = repo.namespace("alpha")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: _names(test_cluster, alpha) == {"alpha-kv", "alpha-extra-0"}, 15)
        head = repo.state_head()
        repo.remove_app("alpha")
        repo.commit("oops: every app gone")
        wait_for(lambda: repo.state_head() != head, 10, what="the empty render published")
        wait_for(
            lambda: any(
                "empty" in e["reason"]
                for e in daemon.status()["destinations"]["dev/dev-1"]["recent"]
            ),
            10,
            what="the refusal to prune",
        )
        time.sleep(1.0)
        assert _names(test_cluster, alpha) == {"alpha-kv", "alpha-extra-0"}
        labels = {"env": "dev", "cluster": "dev-1"}
        assert metric(daemon, "midway_corrections_total", **labels, action="pruned") == 0


def test_prune_off_in_the_environment_keeps_objects(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=False)
    repo.set_app("alpha", {"a": "1"})
    repo.set_app("beta", {"b": "1"})
    repo.commit("two apps")
    beta = repo.namespace("beta")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: _names(test_cluster, beta) == {"beta-kv"}, 15)
        repo.remove_app("beta")
        repo.commit("remove beta")
        wait_for(
            lambda: any(
                "prune is off" in e["reason"]
                for e in daemon.status()["destinations"]["dev/dev-1"]["recent"]
            ),
            10,
            what="the prune plan reported",
        )
        assert _names(test_cluster, beta) == {"beta-kv"}
