"""Deleting objects, optionally waiting until they are gone (finalizers done)."""

from __future__ import annotations

import time
from typing import Literal

from midway.cluster.connection import Connection
from midway.cluster.discovery import resolve
from midway.cluster.errors import NotFound
from midway.cluster.fetching import describe, get_resource, namespace_for
from midway.errors import ClusterError

Propagation = Literal["Foreground", "Background", "Orphan"]


def delete(
    conn: Connection,
    api_version: str,
    kind: str,
    namespace: str | None,
    name: str,
    propagation: Propagation = "Foreground",
    timeout_s: float = 60.0,
    *,
    wait: bool = False,
    dry_run: bool = False,
    uid: str | None = None,
) -> bool:
    """Delete one object; False if it did not exist.

    `uid` makes the delete conditional (only that incarnation of the object). With
    `wait`, return only once the object is gone, or raise ClusterError after timeout_s.
    """
    resource = resolve(conn, api_version, kind)
    ns = namespace_for(conn, resource, namespace)
    options: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "propagationPolicy": propagation,
    }
    if uid:
        options["preconditions"] = {"uid": uid}
    if dry_run:
        options["dryRun"] = ["All"]
    what = describe(kind, ns, name)
    try:
        conn.request("DELETE", resource.path(ns, name), action=f"delete {what}", body=options)
    except NotFound:
        return False
    if wait and not dry_run:
        wait_until_gone(conn, api_version, kind, ns, name, timeout_s=timeout_s, uid=uid)
    return True


def wait_until_gone(
    conn: Connection,
    api_version: str,
    kind: str,
    namespace: str | None,
    name: str,
    *,
    timeout_s: float = 60.0,
    uid: str | None = None,
    interval_s: float = 0.2,
) -> None:
    """Poll until the object (that uid, if given) no longer exists."""
    resource = resolve(conn, api_version, kind)
    deadline = time.monotonic() + timeout_s
    while True:
        live = get_resource(conn, resource, namespace, name)
        if live is None or (uid and live.get("metadata", {}).get("uid") != uid):
            return
        if time.monotonic() >= deadline:
            finalizers = live.get("metadata", {}).get("finalizers") or []
            pending = f" (finalizers pending: {', '.join(finalizers)})" if finalizers else ""
            raise ClusterError(
                f"{describe(kind, namespace, name)} still exists {timeout_s:g}s after its "
                f"deletion on {conn.describe()}{pending}",
                hint="a controller that should remove the finalizer may be missing or stuck",
            )
        time.sleep(interval_s)
