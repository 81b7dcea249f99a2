"""Discovery: core kinds, a CRD created during the test, and the served-resource scan."""

from __future__ import annotations

import time
import uuid

import pytest

from midway.cluster import (
    Connection,
    create,
    delete,
    get,
    resolve,
    resources_of,
    served_resources,
)
from midway.errors import ClusterError

pytestmark = pytest.mark.cluster


def test_resolve_core_and_group_kinds(conn: Connection) -> None:
    config_map = resolve(conn, "v1", "ConfigMap")
    assert (config_map.group, config_map.version, config_map.plural) == ("", "v1", "configmaps")
    assert config_map.namespaced
    assert config_map.path("shop", "web") == "/api/v1/namespaces/shop/configmaps/web"
    assert {"get", "list", "watch", "patch"} <= config_map.verbs

    deployment = resolve(conn, "apps/v1", "Deployment")
    assert deployment.plural == "deployments" and deployment.api_version == "apps/v1"

    namespace = resolve(conn, "v1", "Namespace")
    assert not namespace.namespaced
    assert namespace.path("ignored", "x") == "/api/v1/namespaces/x"


def test_unknown_kind_says_what_is_missing(conn: Connection) -> None:
    with pytest.raises(ClusterError) as info:
        resolve(conn, "nothing.example.com/v1", "Widget")
    assert "does not serve Widget in nothing.example.com/v1 (is the CRD installed?)" in str(
        info.value
    )
    with pytest.raises(ClusterError, match="does not serve Gizmo in v1"):
        resolve(conn, "v1", "Gizmo")


def _crd(group: str) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def test_a_new_crd_is_found_after_a_cached_miss(conn: Connection) -> None:
    group = f"w{uuid.uuid4().hex[:8]}.midway.test"
    api_version = f"{group}/v1"
    assert resources_of(conn, api_version) == {}  # cached: not served (yet)
    create(conn, _crd(group))
    try:
        deadline = time.monotonic() + 10
        while True:
            crd = get(
                conn,
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                None,
                f"widgets.{group}",
            )
            conditions = ((crd or {}).get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            assert time.monotonic() < deadline, "CRD not established within 10s"
            time.sleep(0.1)
        widget = resolve(conn, api_version, "Widget")  # refreshes once on the miss
        assert (widget.group, widget.plural, widget.namespaced) == (group, "widgets", True)
    finally:
        delete(
            conn, "apiextensions.k8s.io/v1", "CustomResourceDefinition", None, f"widgets.{group}"
        )


def test_served_resources_lists_each_kind_once_with_verbs(conn: Connection) -> None:
    served = served_resources(conn)
    by_kind = {(r.group, r.kind): r for r in served.resources}
    assert len(by_kind) == len(served.resources)  # preferred versions only: no duplicates
    assert by_kind[("", "ConfigMap")].verbs >= {"list", "watch", "delete"}
    assert by_kind[("apps", "Deployment")].version == "v1"
    listable = served.with_verbs("list", "delete")
    assert all(not r.plural.count("/") for r in listable)
    assert served.failed == {}
    everything = served_resources(conn, preferred_only=False)
    assert len(everything.resources) >= len(served.resources)
