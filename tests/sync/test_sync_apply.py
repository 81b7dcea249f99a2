"""correct_object against the real API server: conflicts, ignored fields, extras, contests."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest

from midway.cluster import Connection, get
from midway.drift.evaluate import evaluate_object
from midway.drift.ignoring import IgnoreRules, ScopedRule
from midway.drift.model import DesiredObject
from midway.model import Destination, IgnoreRule
from midway.sync.apply import correct_object
from midway.sync.changeset import ChangeSetEntry
from midway.sync.contests import ContestTracker
from midway.sync.policy import ObjectPolicy
from support.cluster import TestCluster, kubectl, patch_configmap

pytestmark = pytest.mark.cluster

DEV = Destination("dev", "dev-1")
LABELS = {
    "app.kubernetes.io/managed-by": "midway",
    "midway.dev/app": "web",
    "midway.dev/team": "qa",
    "midway.dev/env": "dev",
}


def _config_map(namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-kv", "namespace": namespace, "labels": LABELS},
        "data": data,
    }


def _deployment(namespace: str, replicas: int = 2) -> dict[str, Any]:
    selector = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": LABELS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }


def _sync(
    conn: Connection,
    body: dict[str, Any],
    *,
    rules: tuple[IgnoreRule, ...] = (),
    mode: str = "correct",
    contests: ContestTracker | None = None,
    dry_run: bool = False,
) -> ChangeSetEntry:
    desired = DesiredObject(body=copy.deepcopy(body), path="p.yaml", app="qa/web")
    key = desired.key
    live = get(conn, body["apiVersion"], key.kind, key.namespace, key.name)
    ignore = IgnoreRules(tuple(ScopedRule(rule, "environment") for rule in rules))
    drift = evaluate_object(desired, live, mode="offline", rules=ignore)
    policy = ObjectPolicy(mode, rules, "test")  # type: ignore[arg-type]
    return correct_object(conn, desired, drift, policy, DEV, contests=contests, dry_run=dry_run)


def _live(conn: Connection, body: dict[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    live = get(conn, body["apiVersion"], body["kind"], meta["namespace"], meta["name"])
    assert live is not None
    return live


def test_create_then_take_a_field_back_from_kubectl(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    body = _config_map(k8s_namespace, {"mode": "fast"})
    assert _sync(conn, body).action == "created"
    assert _sync(conn, body).action == "unchanged"
    patch_configmap(test_cluster, k8s_namespace, "web-kv", {"mode": "slow", "added": "by hand"})
    entry = _sync(conn, body)
    assert entry.action == "configured"
    assert set(entry.fields) == {"data.mode", "data.added"}
    assert [(f.path, f.manager) for f in entry.forced] == [("data.mode", "kubectl-patch")]
    assert "kubectl-patch" in entry.reason
    assert _live(conn, body)["data"] == {"mode": "fast"}  # the added key is gone too


def test_warn_policy_changes_nothing(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    body = _config_map(k8s_namespace, {"mode": "fast"})
    assert _sync(conn, body, mode="warn").action == "skipped"  # missing, but warn
    assert get(conn, "v1", "ConfigMap", k8s_namespace, "web-kv") is None
    _sync(conn, body)
    patch_configmap(test_cluster, k8s_namespace, "web-kv", {"mode": "slow"})
    entry = _sync(conn, body, mode="warn")
    assert entry.action == "skipped" and "warn" in entry.reason and entry.fields == ("data.mode",)
    assert _live(conn, body)["data"] == {"mode": "slow"}


def test_an_ignored_field_is_never_overwritten(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    body = _config_map(k8s_namespace, {"mode": "fast", "flags": "a=1"})
    rule = IgnoreRule(kind="ConfigMap", path="/data/flags", reason="toggled live")
    _sync(conn, body, rules=(rule,))
    patch_configmap(test_cluster, k8s_namespace, "web-kv", {"mode": "slow", "flags": "a=2"})
    entry = _sync(conn, body, rules=(rule,))
    assert entry.action == "configured" and entry.fields == ("data.mode",)
    assert [f.path for f in entry.skipped_fields] == ["data.flags"]
    assert _live(conn, body)["data"] == {"mode": "fast", "flags": "a=2"}


def test_ignored_replicas_survive_kubectl_scale_without_a_managed_fields_entry(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    """1.20's `kubectl scale` leaves midway the only owner of spec.replicas: dropping the
    field from the apply would make the server reset it; midway keeps the live value."""
    body = _deployment(k8s_namespace, replicas=2)
    rule = IgnoreRule(kind="Deployment", path="/spec/replicas")
    assert _sync(conn, body, rules=(rule,)).action == "created"
    kubectl(test_cluster, "-n", k8s_namespace, "scale", "deployment/web", "--replicas=5")
    changed = copy.deepcopy(body)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    entry = _sync(conn, changed, rules=(rule,))
    assert entry.action == "configured"
    live = _live(conn, body)
    assert live["spec"]["replicas"] == 5
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"


def test_a_contested_field_is_left_to_the_other_manager(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    body = _config_map(k8s_namespace, {"mode": "fast", "other": "x"})
    contests = ContestTracker(threshold=1)
    _sync(conn, body, contests=contests)

    def revert() -> None:
        patch_configmap(test_cluster, k8s_namespace, "web-kv", {"mode": "slow"})

    revert()
    assert _sync(conn, body, contests=contests).action == "configured"  # plain drift
    revert()
    entry = _sync(conn, body, contests=contests)  # reverted after midway's correction: a fight
    assert entry.action == "skipped"
    assert [(c.path, c.manager) for c in entry.contested] == [("data.mode", "kubectl-patch")]
    assert _live(conn, body)["data"]["mode"] == "slow"
    assert "path: /data/mode" in entry.contested[0].suggestion()


def test_a_missing_namespace_is_created(conn: Connection, test_cluster: TestCluster) -> None:
    namespace = f"sync-ns-{uuid.uuid4().hex[:8]}"
    try:
        entry = _sync(conn, _config_map(namespace, {"a": "b"}))
        assert entry.action == "created"
        assert f"created namespace {namespace}" in entry.reason
        ns = get(conn, "v1", "Namespace", None, namespace)
        assert ns is not None
        assert ns["metadata"]["annotations"]["midway.dev/created-namespace"] == "true"
        assert "app.kubernetes.io/managed-by" not in (ns["metadata"].get("labels") or {})
    finally:
        kubectl(test_cluster, "delete", "namespace", namespace, "--wait=false", check=False)


def test_with_a_manager_rule_conflicts_decide_what_is_forced(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    """A rule naming a manager makes midway ask the server first (an unforced apply) and
    force only the conflicting fields no rule gives to that manager."""
    body = _config_map(k8s_namespace, {"mode": "fast", "flags": "a=1"})
    rule = IgnoreRule(kind="ConfigMap", path="/data/flags", manager="kubectl-patch")
    _sync(conn, body, rules=(rule,))
    patch_configmap(test_cluster, k8s_namespace, "web-kv", {"mode": "slow", "flags": "a=2"})
    entry = _sync(conn, body, rules=(rule,))
    assert entry.action == "configured"
    assert [(f.path, f.manager) for f in entry.forced] == [(".data.mode", "kubectl-patch")]
    assert _live(conn, body)["data"] == {"mode": "fast", "flags": "a=2"}


def _service(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": namespace, "labels": LABELS},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _ports(conn: Connection, body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(p["name"], p["port"]) for p in _live(conn, body)["spec"]["ports"]]


def test_a_rekeyed_service_port_is_swapped_back_and_an_ignored_one_stays(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    """`kubectl patch --type=json` renumbered the port: an apply alone would add port 80
    next to 8080, both named http, which the server refuses."""
    body = _service(k8s_namespace)
    rule = IgnoreRule(kind="Service", path="/spec/ports/name=metrics", reason="added by ops")
    _sync(conn, body, rules=(rule,))
    ops = [
        {"op": "replace", "path": "/spec/ports/0/port", "value": 8080},
        {"op": "add", "path": "/spec/ports/-", "value": {"name": "metrics", "port": 9090}},
    ]
    kubectl(
        test_cluster,
        *("-n", k8s_namespace, "patch", "service", "web", "--type=json", "-p"),
        json.dumps(ops),
    )
    entry = _sync(conn, body, rules=(rule,), dry_run=True)
    assert entry.action == "configured" and entry.dry_run
    assert "would take out list items of other managers: spec.ports[name=http]" in entry.reason
    assert _ports(conn, body) == [("http", 8080), ("metrics", 9090)]

    entry = _sync(conn, body, rules=(rule,))
    assert entry.action == "configured", entry.reason
    assert "took out list items of other managers: spec.ports[name=http] (kubectl-patch)" in (
        entry.reason
    )
    assert sorted(_ports(conn, body)) == [("http", 80), ("metrics", 9090)]
    assert len(entry.written_versions) == 2  # the PUT, then the apply
    assert _sync(conn, body, rules=(rule,)).action == "unchanged"


def _job(namespace: str, image: str, recreate: bool) -> dict[str, Any]:
    annotations = {"midway.dev/sync-options": "Recreate=true"} if recreate else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "migrate",
            "namespace": namespace,
            "labels": LABELS,
            "annotations": annotations,
        },
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "migrate", "image": image}],
                }
            }
        },
    }


@pytest.mark.parametrize("recreate", [False, True], ids=["without-opt-in", "opted-in"])
def test_a_changed_job_template_needs_recreate(
    conn: Connection, k8s_namespace: str, recreate: bool
) -> None:
    """A Job's template cannot change in place: the blueprint changed the image."""
    assert _sync(conn, _job(k8s_namespace, "busybox:1.35", recreate)).action == "created"
    uid = _live(conn, _job(k8s_namespace, "x", recreate))["metadata"]["uid"]
    changed = _job(k8s_namespace, "busybox:1.36", recreate)
    entry = _sync(conn, changed, dry_run=True)
    if not recreate:
        assert (entry.action, entry.error) == ("skipped", False)
        assert entry.reason.startswith("needs recreate: spec.template cannot change in place")
        assert "`midway.dev/sync-options: Recreate=true`" in entry.reason
        assert _sync(conn, changed).action == "skipped"
        return
    assert entry.action == "configured" and "would be recreated: spec.template" in entry.reason
    assert _live(conn, changed)["metadata"]["uid"] == uid  # a dry run deletes nothing
    entry = _sync(conn, changed)
    assert entry.action == "configured" and entry.recreated, entry.reason
    live = _live(conn, changed)
    assert live["metadata"]["uid"] != uid
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"
