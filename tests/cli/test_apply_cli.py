"""`midway apply`: namespaces first, idempotent, dry-run stores nothing, failures exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from support.cluster import TestCluster, kubectl

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_crds

pytestmark = pytest.mark.cluster


def prepare(tmp_path: Path, cluster: TestCluster, **kwargs: Any) -> DriftEnv:
    from support.drift_example import prepare_example

    return prepare_example(tmp_path, cluster, **kwargs)


def test_apply_creates_namespaces_then_objects(tmp_path: Path, drift_crds: TestCluster) -> None:
    env = prepare(tmp_path, drift_crds)
    try:
        code, out, err = env.cli("apply", "--dry-run", "-o", "json")
        assert code == 0, err
        dry = json.loads(out)
        assert dry["dryRun"] is True and len(dry["namespacesCreated"]) == 9
        # a dry run stores nothing: the namespaces still do not exist
        found = kubectl(drift_crds, "get", "namespace", dry["namespacesCreated"][0], check=False)
        assert found.returncode != 0

        code, out, err = env.cli("apply")
        env.namespaces = [
            env.ns(n)
            for n in (
                "identity-auth-gateway",
                "identity-user-profile",
                "payments-checkout",
                "payments-ledger-api",
                "payments-ledger-db",
                "payments-ledger-worker",
                "search-indexer",
                "search-search-api",
                "search-suggest",
            )
        ]
        assert code == 0, err
        assert f"namespace {env.ns('payments-checkout')} created" in out
        assert "31 created" in out
        namespace = json.loads(
            kubectl(
                drift_crds, "get", "namespace", env.ns("payments-checkout"), "-o", "json"
            ).stdout
        )
        # the rule of sync and the daemon: created for midway's objects, not one of them
        # (a managed-by label would make it an orphan candidate)
        assert namespace["metadata"]["annotations"]["midway.dev/created-namespace"] == "true"
        assert "app.kubernetes.io/managed-by" not in (namespace["metadata"].get("labels") or {})
        managers = kubectl(
            drift_crds,
            "-n",
            env.ns("payments-checkout"),
            "get",
            "deployment",
            "checkout",
            "--show-managed-fields",
            "-o",
            "jsonpath={.metadata.managedFields[*].manager}",
        ).stdout
        assert managers == "midway"
    finally:
        for namespace in env.namespaces:
            kubectl(drift_crds, "delete", "namespace", namespace, "--wait=false", check=False)


def test_apply_reports_objects_the_cluster_rejects(tmp_path: Path, drift_crds: TestCluster) -> None:
    env = prepare(tmp_path, drift_crds, kubernetes_version="1.31")
    try:
        code, out, err = env.cli("apply", "-o", "json")
        env.namespaces = list(json.loads(out)["namespacesCreated"])
        assert code == 2
        failed = {
            o["kind"]: o["error"] for o in json.loads(out)["objects"] if o["action"] == "failed"
        }
        assert set(failed) == {"PodDisruptionBudget", "HorizontalPodAutoscaler"}
        assert "does not serve PodDisruptionBudget in policy/v1" in failed["PodDisruptionBudget"]
        code, out, err = env.cli("apply")
        assert code == 2 and "Traceback" not in out + err
        assert "failed     PodDisruptionBudget.policy" in out
    finally:
        for namespace in env.namespaces:
            kubectl(drift_crds, "delete", "namespace", namespace, "--wait=false", check=False)
