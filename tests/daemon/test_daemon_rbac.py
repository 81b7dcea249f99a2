"""deploy/rbac.yaml is enough: the daemon works as that service account, and no more."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from midway.cluster import Forbidden, connect
from midway.daemon.contest_store import ContestStore
from midway.daemon.lease import LeaseManager, ShardLease
from midway.daemon.run import Daemon
from midway.model import Destination
from support.cluster import TestCluster, kubectl
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_options,
    wait_for,
)

pytestmark = pytest.mark.cluster

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _rbac_for(namespace: str, suffix: str) -> list[dict[str, Any]]:
    """deploy/rbac.yaml with unique cluster-wide names, bound to a SA in `namespace`."""
    documents = [d for d in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()) if d]
    for doc in documents:
        meta = doc["metadata"]
        if doc["kind"].startswith("Cluster"):
            meta["name"] = f"{meta['name']}-{suffix}"
        else:
            meta["namespace"] = namespace
        if "roleRef" in doc and doc["roleRef"]["kind"] == "ClusterRole":
            doc["roleRef"]["name"] = f"{doc['roleRef']['name']}-{suffix}"
        for subject in doc.get("subjects") or []:
            subject["namespace"] = namespace
    return documents


def _token(cluster: TestCluster, namespace: str) -> str:
    def secret_name() -> str:
        sa = kubectl(cluster, "-n", namespace, "get", "serviceaccount", "midway", "-o", "json")
        secrets = json.loads(sa.stdout).get("secrets") or []
        return str(secrets[0]["name"]) if secrets else ""

    name = wait_for(secret_name, 20, what="the service account token")
    secret = kubectl(cluster, "-n", namespace, "get", "secret", name, "-o", "json")
    return base64.b64decode(json.loads(secret.stdout)["data"]["token"]).decode()


def test_the_daemon_runs_with_the_shipped_rbac(
    tmp_path: Path, test_cluster: TestCluster, k8s_namespace: str
) -> None:
    suffix = uuid.uuid4().hex[:6]
    documents = _rbac_for(k8s_namespace, suffix)
    kubectl(test_cluster, "-n", k8s_namespace, "create", "serviceaccount", "midway")
    kubectl(test_cluster, "apply", "-f", "-", input=yaml.safe_dump_all(documents))
    try:
        token = _token(test_cluster, k8s_namespace)
        kubeconfig = tmp_path / "sa-kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "c",
                            "cluster": {
                                "server": test_cluster.server,
                                "insecure-skip-tls-verify": True,
                            },
                        }
                    ],
                    "users": [{"name": "midway", "user": {"token": token}}],
                    "contexts": [{"name": "sa", "context": {"cluster": "c", "user": "midway"}}],
                    "current-context": "sa",
                }
            )
        )

        class Cluster:
            pass

        as_sa = Cluster()
        as_sa.kubeconfig = kubeconfig  # type: ignore[attr-defined]
        as_sa.context = "sa"  # type: ignore[attr-defined]
        time.sleep(1.0)  # RBAC caches in the API server

        repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=True)
        repo.set_app("alpha", {"a": "1"})
        repo.set_app("beta", {"b": "1"})
        repo.commit("two apps")
        assert Daemon(daemon_options(repo, as_sa, once=True)).run() == 0
        repo.remove_app("beta")
        repo.commit("remove beta")
        assert Daemon(daemon_options(repo, as_sa, once=True)).run() == 0  # prune allowed
        gone = kubectl(
            test_cluster, "-n", repo.namespace("beta"), "get", "configmap", "beta-kv", check=False
        )
        assert gone.returncode != 0

        with connect(str(kubeconfig), "sa") as conn:
            lease = ShardLease(conn, k8s_namespace, 0, "replica-a", duration_s=5)
            assert lease.tick()  # leases in its own namespace
            assert lease.tick()  # renew = update
            manager = LeaseManager(conn, k8s_namespace, "replica-b", shards=2, duration_s=5)
            manager.tick()  # member lease created, members listed
            assert manager.members.last_error is None
            assert manager.members.alive == ("replica-b",)
            manager.stop(release=True)
            contests = ContestStore(conn, k8s_namespace)  # remembered contests: ConfigMaps
            assert contests.save(Destination("dev", "dev-1"), [])
            assert contests.save(Destination("dev", "dev-1"), [])  # update
            assert contests.load(Destination("dev", "dev-1")) == []
            other = ShardLease(conn, "default", 0, "replica-a", duration_s=5)
            with pytest.raises(Forbidden):
                other._tick()  # and nowhere else
            with pytest.raises(Forbidden):
                from midway.cluster import get

                get(conn, "v1", "Secret", k8s_namespace, "anything")  # no Secrets at all
    finally:
        for doc in documents:
            if doc["kind"].startswith("Cluster"):
                kubectl(
                    test_cluster,
                    "delete",
                    doc["kind"].lower(),
                    doc["metadata"]["name"],
                    check=False,
                )
