"""delete, with and without waiting."""

from __future__ import annotations

import pytest

from midway.cluster import Connection, apply, delete, get

pytestmark = pytest.mark.cluster


def _secret(namespace: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": namespace},
        "stringData": {"password": "x"},
    }


def test_delete_and_wait_until_gone(conn: Connection, k8s_namespace: str) -> None:
    apply(conn, _secret(k8s_namespace))
    assert delete(conn, "v1", "Secret", k8s_namespace, "s", dry_run=True) is True
    assert get(conn, "v1", "Secret", k8s_namespace, "s") is not None
    assert delete(conn, "v1", "Secret", k8s_namespace, "s", wait=True, timeout_s=10) is True
    assert get(conn, "v1", "Secret", k8s_namespace, "s") is None
    assert delete(conn, "v1", "Secret", k8s_namespace, "s") is False


def test_delete_with_a_stale_uid_is_refused(conn: Connection, k8s_namespace: str) -> None:
    apply(conn, _secret(k8s_namespace))
    from midway.cluster import ResourceConflict

    with pytest.raises(ResourceConflict):
        delete(conn, "v1", "Secret", k8s_namespace, "s", uid="00000000-0000-0000-0000-000000000000")
    assert get(conn, "v1", "Secret", k8s_namespace, "s") is not None
