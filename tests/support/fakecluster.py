"""A fake API server behind a Connection, and a fake watch cache over it: for pure unit
tests of the reconciler's decisions (no kube-apiserver). Real-cluster tests stay the
specification of what the server does; this fake knows only what those tests showed:

- discovery of core v1 ConfigMaps (all the unit tests need);
- GET by name (404 when absent), server-side apply and PUT, each write counted in `writes`;
- an apply stores the body as the object, owned by the applying manager; an apply that
  changes nothing keeps the resourceVersion, as the real server does;
- `edit` is someone else's write: it changes a field and records that manager as its owner.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from midway.cluster import Connection, NotFound
from midway.daemon.cluster_watch import ClusterWatch
from midway.model import Destination, ObjectKey

SERVER = "https://fake.invalid"
CORE_V1 = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "configmaps",
            "kind": "ConfigMap",
            "namespaced": True,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        }
    ],
}
_VOLATILE = ("resourceVersion", "uid", "managedFields", "creationTimestamp")


def _fields_of(value: Any) -> dict[str, Any]:
    """managedFields' FieldsV1 for every leaf of a mapping."""
    if not isinstance(value, dict):
        return {}
    return {f"f:{k}": _fields_of(v) for k, v in value.items()}


class FakeConnection(Connection):
    """An in-memory API server for ConfigMaps; `writes` lists (method, path, query)."""

    def __init__(self, namespace: str = "default") -> None:
        super().__init__(None, server=SERVER, context="fake", namespace=namespace)
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}  # (namespace, name) -> obj
        self.writes: list[tuple[str, str, dict[str, str]]] = []
        self._versions = itertools.count(100)

    def close(self) -> None:
        pass

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        query: Any = (),
        body: Any = None,
        content_type: str = "application/json",
        timeout: Any = None,
    ) -> Any:
        if path == "/api/v1":
            return copy.deepcopy(CORE_V1)
        parts = path.strip("/").split("/")  # api v1 namespaces NS configmaps NAME
        if parts[:3] != ["api", "v1", "namespaces"] or parts[4:5] != ["configmaps"]:
            raise NotFound(f"cannot {action}: the fake serves ConfigMaps only", code=404)
        where = (parts[3], parts[5])
        if method == "GET":
            if where not in self.objects:
                raise NotFound(f"cannot {action}: not found", code=404)
            return copy.deepcopy(self.objects[where])
        if method in ("PATCH", "PUT"):
            params = dict(parse_qsl("&".join(f"{k}={v}" for k, v in query)))
            self.writes.append((method, path, params))
            manager = params.get("fieldManager", "midway")
            return copy.deepcopy(self._store(where, body, manager, dry_run="dryRun" in params))
        raise AssertionError(f"the fake does not answer {method} {path}")

    def _store(
        self, where: tuple[str, str], body: dict[str, Any], manager: str, *, dry_run: bool
    ) -> dict[str, Any]:
        new = copy.deepcopy(body)
        meta = new.setdefault("metadata", {})
        for volatile in _VOLATILE:
            meta.pop(volatile, None)
        old = self.objects.get(where)
        if old is not None and _without_volatile(old) == new:
            return old  # nothing changes: same resourceVersion
        meta["resourceVersion"] = str(next(self._versions))
        meta["uid"] = (old or {}).get("metadata", {}).get("uid") or f"uid-{where[1]}"
        meta["managedFields"] = [_entry(manager, "Apply", _fields_of({"data": new.get("data")}))]
        if not dry_run:
            self.objects[where] = new
        return new

    def edit(self, namespace: str, name: str, manager: str, data: dict[str, str]) -> None:
        """Another manager changes keys of `data` (kubectl edit): it now owns those keys."""
        obj = self.objects[(namespace, name)]
        obj.setdefault("data", {}).update(data)
        meta = obj["metadata"]
        meta["resourceVersion"] = str(next(self._versions))
        theirs = _entry(manager, "Update", _fields_of({"data": data}))
        meta["managedFields"] = [e for e in meta["managedFields"] if e["manager"] != manager]
        meta["managedFields"].append(theirs)


def _without_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(obj)
    for volatile in _VOLATILE:
        plain.get("metadata", {}).pop(volatile, None)
    return plain


def _entry(manager: str, operation: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "time": "2026-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }


class FakeWatch(ClusterWatch):
    """A synced watch cache that shows exactly what the fake server holds."""

    def __init__(self, conn: FakeConnection, destination: Destination) -> None:
        # no watch threads: every read goes to the fake server's objects
        self.conn = conn
        self.destination = destination
        self.reachable = True
        self.unresolved = {}
        self.types: set[tuple[str, str]] = set()

    def ensure(self, types: Iterable[tuple[str, str]]) -> None:
        self.types.update(types)

    def live(self, key: ObjectKey) -> dict[str, Any] | None:
        found = self._fake.objects.get((key.namespace, key.name))
        return copy.deepcopy(found) if found is not None else None

    def watched(self, key: ObjectKey) -> bool:
        return key.kind == "ConfigMap"

    def synced_for(self, key: ObjectKey) -> bool:
        return True

    def live_objects(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(obj) for obj in self._fake.objects.values()]

    def synced(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    @property
    def _fake(self) -> FakeConnection:
        assert isinstance(self.conn, FakeConnection)
        return self.conn
