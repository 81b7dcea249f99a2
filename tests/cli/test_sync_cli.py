"""`midway sync` end to end: dry run, correction, warn, prune (and what it never prunes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cluster import TestCluster, configmap_data, kubectl, patch_configmap
from support.example import RunCli
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
)

pytestmark = pytest.mark.cluster


def _sync(
    run_cli: RunCli, repo: SyncConfigRepo, cluster: TestCluster, *args: str
) -> tuple[int, str, str]:
    return run_cli(
        "--config",
        str(repo.root),
        "sync",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--context",
        cluster.context,
        *args,
    )


@pytest.fixture
def repo(tmp_path: Path) -> SyncConfigRepo:
    repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=False)
    repo.set_app("alpha", {"mode": "fast"})
    repo.set_app("beta", {"b": "1"}, extra=1)
    repo.set_app("gamma", {"g": "1"})
    repo.commit("three apps")
    repo.publish()
    return repo


def test_dry_run_then_sync_then_nothing_to_do(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    code, out, _ = _sync(run_cli, repo, test_cluster, "--dry-run")
    assert code == 1
    assert f"ConfigMap {repo.namespace('alpha')}/alpha-kv created (dry run)" in out
    assert "4 created" in out
    assert configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") is None

    code, out, _ = _sync(run_cli, repo, test_cluster)
    assert code == 0, out
    assert "4 created" in out
    assert configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") == {"mode": "fast"}

    code, out, _ = _sync(run_cli, repo, test_cluster)
    assert (code, out.strip().splitlines()[-1].strip()) == (0, "4 unchanged")


def test_a_live_edit_is_corrected_and_reported_as_json(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    _sync(run_cli, repo, test_cluster)
    namespace = repo.namespace("alpha")
    patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
    code, out, _ = _sync(run_cli, repo, test_cluster, "--app", "qa/alpha", "-o", "json")
    assert code == 0
    [result] = json.loads(out)
    assert result["counts"]["configured"] == 1 and result["drift"]["modified"] == 1
    [entry] = [e for e in result["entries"] if e["action"] == "configured"]
    assert entry["fields"] == ["data.mode"]
    assert entry["forced"] == [{"path": "data.mode", "manager": "kubectl-patch"}]
    assert len(result["entries"]) == 1  # --app: only alpha's object
    assert configmap_data(test_cluster, namespace, "alpha-kv") == {"mode": "fast"}


def test_warn_policy_reports_without_changing(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    _sync(run_cli, repo, test_cluster)
    namespace = repo.namespace("alpha")
    patch_configmap(test_cluster, namespace, "alpha-kv", {"mode": "slow"})
    code, out, _ = _sync(run_cli, repo, test_cluster, "--policy", "warn")
    assert code == 1
    assert "skipped" in out and "drift policy is warn (command line)" in out
    assert configmap_data(test_cluster, namespace, "alpha-kv") == {"mode": "slow"}


def test_prune_deletes_only_what_midway_removed_and_owns(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    _sync(run_cli, repo, test_cluster)
    beta, gamma = repo.namespace("beta"), repo.namespace("gamma")
    # gamma-kv now belongs to someone else (same name, their labels)
    kubectl(
        test_cluster,
        *("-n", gamma, "label", "configmap", "gamma-kv", "app.kubernetes.io/managed-by=helm"),
        "--overwrite",
    )
    kubectl(test_cluster, "-n", beta, "create", "configmap", "stray", "--from-literal=x=y")
    repo.remove_app("beta")
    repo.remove_app("gamma")
    repo.commit("remove beta and gamma")
    repo.publish()

    code, out, _ = _sync(run_cli, repo, test_cluster)
    assert code == 1 and "prune is off (pass --prune)" in out
    assert configmap_data(test_cluster, beta, "beta-kv") is not None

    code, out, _ = _sync(run_cli, repo, test_cluster, "--prune", "--dry-run")
    assert f"ConfigMap {beta}/beta-kv pruned (dry run)" in out
    assert configmap_data(test_cluster, beta, "beta-kv") is not None

    code, out, _ = _sync(run_cli, repo, test_cluster, "--prune")
    assert f"ConfigMap {beta}/beta-kv pruned" in out
    assert f"ConfigMap {beta}/beta-extra-0 pruned" in out
    assert f"ConfigMap {gamma}/gamma-kv skipped" in out and "not midway's" in out
    assert code == 1  # gamma-kv: a difference a human should look at
    assert configmap_data(test_cluster, beta, "beta-kv") is None
    assert configmap_data(test_cluster, beta, "stray") == {"x": "y"}  # never in a state commit
    assert configmap_data(test_cluster, gamma, "gamma-kv") == {"g": "1"}  # someone else's


def test_an_empty_render_prunes_nothing(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    _sync(run_cli, repo, test_cluster)
    for app in ("alpha", "beta", "gamma"):
        repo.remove_app(app)
    repo.commit("every app gone")
    repo.publish()
    code, out, _ = _sync(run_cli, repo, test_cluster, "--prune")
    assert code == 1
    assert "refusing to prune 4 object(s)" in out
    assert configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") == {"mode": "fast"}


def test_unknown_environment_is_a_clean_error(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    code, _, err = _sync(run_cli, repo, test_cluster, "--env", "nope")
    assert code == 2 and "environment `nope` does not exist" in err
