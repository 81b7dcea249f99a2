"""get and list_objects against live objects."""

from __future__ import annotations

import pytest

from midway.cluster import Connection, apply, get, list_objects, resolve

pytestmark = pytest.mark.cluster


def _config_map(namespace: str, name: str, labels: dict[str, str]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"k": name},
    }


def test_get_returns_the_object_or_none(conn: Connection, k8s_namespace: str) -> None:
    assert get(conn, "v1", "ConfigMap", k8s_namespace, "absent") is None
    apply(conn, _config_map(k8s_namespace, "present", {}))
    live = get(conn, "v1", "ConfigMap", k8s_namespace, "present")
    assert live is not None
    assert live["data"] == {"k": "present"}
    assert live["metadata"]["namespace"] == k8s_namespace
    namespace = get(conn, "v1", "Namespace", None, k8s_namespace)
    assert namespace is not None and namespace["kind"] == "Namespace"


def test_list_by_label_pages_and_fills_kind(conn: Connection, k8s_namespace: str) -> None:
    for i in range(5):
        apply(conn, _config_map(k8s_namespace, f"cm-{i}", {"tier": "a" if i < 3 else "b"}))
    resource = resolve(conn, "v1", "ConfigMap")
    items, resource_version = list_objects(
        conn, resource, k8s_namespace, label_selector="tier=a", page_size=2
    )
    assert sorted(i["metadata"]["name"] for i in items) == ["cm-0", "cm-1", "cm-2"]
    assert all(i["kind"] == "ConfigMap" and i["apiVersion"] == "v1" for i in items)
    assert resource_version.isdigit()
    everywhere, _ = list_objects(conn, resource, None, label_selector="tier=b")
    assert {"cm-3", "cm-4"} <= {i["metadata"]["name"] for i in everywhere}
