"""Server-side apply, dry-run, conflicts with another field manager, create and replace."""

from __future__ import annotations

import pytest

from midway.cluster import (
    AlreadyExists,
    ApplyConflict,
    Connection,
    Invalid,
    ResourceConflict,
    apply,
    create,
    get,
    replace,
)
from midway.model import FIELD_MANAGER
from support.cluster import TestCluster, kubectl

pytestmark = pytest.mark.cluster


def _deployment(namespace: str, replicas: int = 2, image: str = "nginx:1.25") -> dict[str, object]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def _managers(obj: dict[str, object]) -> set[str]:
    fields = obj["metadata"]["managedFields"]  # type: ignore[index]
    return {entry["manager"] for entry in fields}


def test_apply_creates_and_records_midway_as_manager(conn: Connection, k8s_namespace: str) -> None:
    result = apply(conn, _deployment(k8s_namespace))
    assert result["spec"]["replicas"] == 2
    assert result["spec"]["strategy"]["type"] == "RollingUpdate"  # server defaults
    assert _managers(result) == {FIELD_MANAGER}
    again = apply(conn, _deployment(k8s_namespace))
    assert again["metadata"]["resourceVersion"] == result["metadata"]["resourceVersion"]


def test_dry_run_changes_nothing(conn: Connection, k8s_namespace: str) -> None:
    apply(conn, _deployment(k8s_namespace, replicas=2))
    preview = apply(conn, _deployment(k8s_namespace, replicas=5), dry_run=True)
    assert preview["spec"]["replicas"] == 5
    live = get(conn, "apps/v1", "Deployment", k8s_namespace, "web")
    assert live is not None and live["spec"]["replicas"] == 2
    new = _deployment(k8s_namespace, replicas=1)
    new["metadata"]["name"] = "not-yet"  # type: ignore[index]
    assert apply(conn, new, dry_run=True)["spec"]["replicas"] == 1
    assert get(conn, "apps/v1", "Deployment", k8s_namespace, "not-yet") is None


def test_conflict_with_another_manager(
    conn: Connection, k8s_namespace: str, test_cluster: TestCluster
) -> None:
    apply(conn, _deployment(k8s_namespace, image="nginx:1.25"))
    kubectl(test_cluster, "-n", k8s_namespace, "set", "image", "deployment/web", "web=nginx:1.26")
    with pytest.raises(ApplyConflict) as info:
        apply(conn, _deployment(k8s_namespace, image="nginx:1.25"))
    error = info.value
    assert error.code == 409
    assert error.managers == ("kubectl-set",)
    assert [c.field for c in error.conflicts] == [
        '.spec.template.spec.containers[name="web"].image'
    ]
    assert "kubectl-set" in error.render()

    with pytest.raises(ApplyConflict):  # dry-run reports the same conflict
        apply(conn, _deployment(k8s_namespace, image="nginx:1.25"), dry_run=True)

    forced = apply(conn, _deployment(k8s_namespace, image="nginx:1.25"), force=True)
    assert forced["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_second_field_manager_conflict(conn: Connection, k8s_namespace: str) -> None:
    apply(conn, _deployment(k8s_namespace, replicas=2))
    with pytest.raises(ApplyConflict) as info:
        apply(conn, _deployment(k8s_namespace, replicas=3), field_manager="other-tool")
    assert info.value.managers == (FIELD_MANAGER,)
    assert [c.field for c in info.value.conflicts] == [".spec.replicas"]


def test_invalid_objects_are_rejected_with_the_server_message(
    conn: Connection, k8s_namespace: str
) -> None:
    bad_name = _deployment(k8s_namespace)
    bad_name["metadata"]["name"] = "Bad_Name"  # type: ignore[index]
    with pytest.raises(Invalid) as info:
        apply(conn, bad_name)
    assert info.value.code == 422
    assert 'Deployment.apps "Bad_Name" is invalid' in info.value.message

    unknown_field = _deployment(k8s_namespace)
    unknown_field["spec"]["bogus"] = 1  # type: ignore[index]
    with pytest.raises(Invalid, match="bogus"):
        apply(conn, unknown_field)


def test_create_and_compare_and_swap_replace(conn: Connection, k8s_namespace: str) -> None:
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "leader", "namespace": k8s_namespace},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
    }
    created = create(conn, lease)
    with pytest.raises(AlreadyExists):
        create(conn, lease)
    created["spec"]["holderIdentity"] = "b"
    updated = replace(conn, created)
    assert updated["spec"]["holderIdentity"] == "b"
    created["spec"]["holderIdentity"] = "c"  # stale resourceVersion: someone else won
    with pytest.raises(ResourceConflict):
        replace(conn, created)
