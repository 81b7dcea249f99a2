"""`midway status`: tables per environment from the daemon's status file, or --live."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from midway.daemon.status_document import StatusDocument
from midway.daemon.status_file import write_status
from support.cluster import TestCluster
from support.example import RunCli
from support.status import checked
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
)

CONTESTED = {
    "object": "ConfigMap s-1-alpha/alpha-kv",
    "kind": "ConfigMap",
    "name": "alpha-kv",
    "namespace": "s-1-alpha",
    "field": "data.mode",
    "pointer": "/data/mode",
    "manager": "kubectl-patch",
    "reverts": 3,
    "since": 0,
    "app": "qa/alpha",
    "suggestion": "spec:\n  drift:\n    ignore:\n      - {kind: ConfigMap, path: /data/mode}\n",
}


def _document() -> dict[str, object]:
    now = time.time()
    return {
        "written_at": now,
        "identity": "replica-a",
        "destinations": {
            "dev/dev-1": {
                "env": "dev",
                "cluster": "dev-1",
                "state_commit": "0123456789abcdef",
                "reachable": True,
                "synced": True,
                "last_sync": now - 5,
                "apps": {
                    "qa/alpha": {
                        "blueprint": "kv@1.0.0",
                        "status": "drifted",
                        "drift": {"modified": 1, "in-sync": 0},
                        "last_correction": {
                            "time": now - 30,
                            "object": "ConfigMap s-1-alpha/alpha-kv",
                            "action": "configured",
                        },
                        "contested": [CONTESTED],
                    },
                    "qa/beta": {
                        "blueprint": "kv@1.0.0",
                        "status": "in-sync",
                        "drift": {"in-sync": 2},
                        "last_correction": None,
                        "contested": [],
                    },
                },
            }
        },
    }


@pytest.fixture
def repo(tmp_path: Path) -> SyncConfigRepo:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    repo.set_app("alpha", {"mode": "fast"})
    repo.commit("alpha")
    return repo


def test_tables_from_the_status_file(run_cli: RunCli, repo: SyncConfigRepo) -> None:
    write_status(
        repo.root / ".midway" / "daemon-status.json", StatusDocument.from_json(_document())
    )
    code, out, err = run_cli("--config", str(repo.root), "status")
    assert code == 0, err
    text = out + err
    assert "environment dev" in text
    assert "qa/alpha" in text and "qa/beta" in text
    assert "kv@1.0.0" in text and "01234567" in text
    assert "data.mode" in text and "kubectl-patch" in text
    assert "path: /data/mode}" in text  # the suggested ignore rule

    code, out, _ = run_cli("--config", str(repo.root), "status", "-o", "json")
    rows = json.loads(out)["apps"]
    assert [(r["app"], r["status"]) for r in rows] == [
        ("qa/alpha", "drifted"),
        ("qa/beta", "in-sync"),
    ]
    assert rows[0]["sync"].startswith("synced")
    assert rows[0]["contested"][0]["manager"] == "kubectl-patch"


def test_without_a_status_file_it_says_what_to_do(run_cli: RunCli, repo: SyncConfigRepo) -> None:
    code, _, err = run_cli("--config", str(repo.root), "status")
    assert code == 2
    assert "no daemon status" in err and "--live" in err


@pytest.mark.cluster
def test_live_scan(run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster) -> None:
    repo.publish()
    args = ("--kubeconfig", str(test_cluster.kubeconfig), "--context", test_cluster.context)
    code, out, _ = run_cli("--config", str(repo.root), "status", "--live", "-o", "json", *args)
    assert code == 0
    [row] = json.loads(out)["apps"]
    assert row["app"] == "qa/alpha" and row["status"] == "drifted"
    assert row["drift"] == {"missing": 1}
    run_cli("--config", str(repo.root), "sync", *args)
    code, out, _ = run_cli("--config", str(repo.root), "status", "--live", "-o", "json", *args)
    [row] = json.loads(out)["apps"]
    assert row["status"] == "in-sync" and row["sync"] == "live scan"


@pytest.mark.cluster
def test_the_live_document_is_a_status_document(
    repo: SyncConfigRepo, test_cluster: TestCluster
) -> None:
    """--live builds the same typed document the daemon writes (schema, round trip), and
    keeps the file's contested fields and last corrections, which a scan cannot see."""
    from midway.cluster import ClusterAccess
    from midway.config.gitsource import GitSource
    from midway.config.loader import load_config
    from midway.daemon.live_status import live_document
    from midway.state.location import parse_state_spec

    repo.publish()
    config = load_config(GitSource(repo.root, "HEAD"))
    location = parse_state_spec(str(repo.state_path))
    previous = StatusDocument.from_json(_document())
    document = live_document(
        config,
        location,
        previous,
        access=ClusterAccess(kubeconfig=str(test_cluster.kubeconfig), context=test_cluster.context),
    )
    data = checked(document.to_json())
    dest = data["destinations"]["dev/dev-1"]
    assert dest["live"] is True and dest["reachable"] is True
    alpha = dest["apps"]["qa/alpha"]
    assert alpha["status"] == "drifted" and alpha["drift"] == {"missing": 1}
    assert alpha["contested"] == [CONTESTED]
    assert alpha["last_correction"]["action"] == "configured"

    unreachable = live_document(
        config, location, None, access=ClusterAccess(str(test_cluster.kubeconfig), "nope")
    )
    dest = checked(unreachable.to_json())["destinations"]["dev/dev-1"]
    assert dest["reachable"] is False and dest["error"] and dest["apps"] == {}


def test_live_without_a_reachable_cluster_is_an_error(
    run_cli: RunCli, repo: SyncConfigRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # field test: no kubeconfig printed "no apps in the status document" and exited 0
    repo.publish()
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent-kubeconfig"))
    missing = str(tmp_path / "absent-kubeconfig")
    code, out, err = run_cli(
        "--config", str(repo.root), "status", "--live", "--kubeconfig", missing
    )
    assert code == 2, out + err
    assert "dev/dev-1: cannot scan the cluster for --live" in err
    assert "--kubeconfig" in err
