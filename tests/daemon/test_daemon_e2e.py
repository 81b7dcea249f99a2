"""End to end: a commit to the config repo on disk reaches the cluster within 10 s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.cluster import TestCluster, configmap_data
from support.status import read_status_json
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    http_get,
    wait_for,
)

pytestmark = pytest.mark.cluster


def test_config_commit_to_converged_cluster_within_ten_seconds(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"version": "1"})
    repo.commit("alpha v1")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv"), 15)
        wait_for(lambda: daemon.ready()[0], 10, what="readiness")
        port = daemon.http.port
        assert http_get(port, "/readyz") == (200, "ok\n")
        before_head = repo.state_head()

        started = time.monotonic()
        repo.set_app("alpha", {"version": "2"})
        repo.set_app("delta", {"fresh": "yes"})
        config_commit = repo.commit("alpha v2, add delta")
        wait_for(
            lambda: (
                configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv")
                == {"version": "2"}
                and configmap_data(test_cluster, repo.namespace("delta"), "delta-kv")
                == {"fresh": "yes"}
            ),
            10,
            interval_s=0.05,
            what="the cluster to converge on the new commit",
        )
        elapsed = time.monotonic() - started
        assert elapsed < 10.0
        print(f"config commit -> converged cluster: {elapsed:.2f}s")

        head = repo.state_head()
        assert head != before_head
        from midway.state.reader import StateReader

        state_commit = StateReader.open(str(repo.state_path)).commit(head)
        assert state_commit.config_commit == config_commit
        wait_for(
            lambda: read_status_json(daemon.status_path).get("state_commit") == head,
            5,
            what="the status file",
        )
        status = read_status_json(daemon.status_path)
        apps = status["destinations"]["dev/dev-1"]["apps"]
        assert set(apps) == {"qa/alpha", "qa/delta"}
        assert apps["qa/delta"]["blueprint"] == "kv@1.0.0"
        code, body = http_get(port, "/metrics")
        assert code == 200 and "midway_publish_duration_seconds_count" in body
        assert 'midway_renders_total{result="ok"}' in body


def test_once_publishes_syncs_and_exits(tmp_path: Path, test_cluster: TestCluster) -> None:
    from midway.daemon.run import Daemon
    from support.syncenv import daemon_options

    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"v": "1"})
    repo.commit("alpha")
    daemon = Daemon(daemon_options(repo, test_cluster, once=True))
    assert daemon.run() == 0
    assert configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") == {"v": "1"}
    status = read_status_json(daemon.status_path)
    assert status["destinations"]["dev/dev-1"]["changes"]["created"] == 1
    # the same apps the running daemon reports (--once used to write `apps: {}`)
    alpha = status["destinations"]["dev/dev-1"]["apps"]["qa/alpha"]
    assert alpha["status"] == "in-sync" and alpha["blueprint"] == "kv@1.0.0"
    assert alpha["last_correction"]["action"] == "created"
    assert status["destinations"]["dev/dev-1"]["applied_commit"] == repo.state_head()


def test_a_broken_config_commit_keeps_the_last_state(
    tmp_path: Path, test_cluster: TestCluster
) -> None:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"v": "1"})
    repo.commit("alpha")
    with daemon_thread(repo, test_cluster) as daemon:
        wait_for(lambda: configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv"), 15)
        head = repo.state_head()
        repo.write("apps/qa/alpha.yaml", "apiVersion: midway.dev/v1\nkind: App\nmetadata: {}\n")
        repo.commit("broken")
        wait_for(lambda: daemon.publisher.last_error, 10, what="the render error")
        assert repo.state_head() == head
        assert (
            daemon.metrics.registry.get_sample_value("midway_renders_total", {"result": "error"})
            == 1.0
        )
        assert daemon.healthy()[0]


def test_remote_config_and_state_repos(tmp_path: Path, test_cluster: TestCluster) -> None:
    """Both repos as URLs: the config is mirrored and fetched, the state pushed."""
    from support.syncenv import git

    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"v": "1"})
    repo.commit("alpha v1")
    config_remote = tmp_path / "config-remote.git"
    state_remote = tmp_path / "state-remote.git"
    git(tmp_path, "clone", "--bare", "-q", str(repo.root), str(config_remote))
    git(tmp_path, "init", "--bare", "-q", "-b", "main", str(state_remote))
    git(repo.root, "remote", "add", "origin", str(config_remote))
    overrides = {
        "config": f"file://{config_remote}",
        "state": f"file://{state_remote}@main",
        "fetch_interval_s": 0.5,
        "status_file": tmp_path / "status.json",
    }
    with daemon_thread(repo, test_cluster, **overrides):
        wait_for(
            lambda: configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") == {"v": "1"},
            20,
            what="alpha from the remote config",
        )
        repo.set_app("alpha", {"v": "2"})
        commit = repo.commit("alpha v2")
        git(repo.root, "push", "-q", "origin", "main")
        wait_for(
            lambda: configmap_data(test_cluster, repo.namespace("alpha"), "alpha-kv") == {"v": "2"},
            20,
            what="the pushed commit applied",
        )
    log = git(tmp_path, "--git-dir", str(state_remote), "log", "--format=%B", "-1", "main")
    assert f"Config-Commit: {commit}" in log
