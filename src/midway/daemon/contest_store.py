"""Contested fields kept in the cluster, so a restarted or failed-over daemon remembers them.

One ConfigMap per destination, `midway-contests-<digest of env/cluster>`, in the daemon's
lease namespace, holding `contests.json`: each contested field with the desired value it was
contested at (a new desired value ends the contest, as in memory). Written by the replica
working the destination when its contests change; read when a replica starts working it.
Contests are runtime state, not config: they never go to the state repo.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from midway.cluster import AlreadyExists, Connection, ResourceConflict, create, get, replace
from midway.errors import ClusterError
from midway.model import Destination, ObjectKey
from midway.sync.changeset import ContestedField

log = logging.getLogger(__name__)

PREFIX = "midway-contests-"
DATA_KEY = "contests.json"
FORMAT = 1


def configmap_name(destination: Destination) -> str:
    return PREFIX + hashlib.sha256(str(destination).encode()).hexdigest()[:16]


def encode(entries: list[tuple[ContestedField, str]]) -> str:
    rows = [
        {
            "object": {
                "group": c.key.group,
                "kind": c.key.kind,
                "namespace": c.key.namespace,
                "name": c.key.name,
            },
            "path": c.path,
            "pointer": c.pointer,
            "manager": c.manager,
            "reverts": c.reverts,
            "since": c.since,
            "app": c.app,
            "desired": desired,
        }
        for c, desired in entries
    ]
    return json.dumps({"format": FORMAT, "contests": rows}, sort_keys=True, indent=1)


def decode(destination: Destination, text: str) -> list[tuple[ContestedField, str]]:
    data = json.loads(text)
    if data.get("format") != FORMAT:
        return []
    found = []
    for row in data.get("contests") or []:
        o = row["object"]
        field = ContestedField(
            destination=destination,
            key=ObjectKey(o["group"], o["kind"], o["namespace"], o["name"]),
            path=str(row["path"]),
            pointer=str(row["pointer"]),
            manager=str(row["manager"]),
            reverts=int(row["reverts"]),
            since=float(row["since"]),
            app=row.get("app"),
        )
        found.append((field, str(row["desired"])))
    return found


class ContestStore:
    def __init__(self, conn: Connection, namespace: str) -> None:
        self.conn = conn
        self.namespace = namespace

    def load(self, destination: Destination) -> list[tuple[ContestedField, str]]:
        """The remembered contests (none when the ConfigMap is missing or unreadable)."""
        name = configmap_name(destination)
        try:
            found = get(self.conn, "v1", "ConfigMap", self.namespace, name)
        except ClusterError as exc:
            log.warning("cannot read the remembered contests of %s: %s", destination, exc.message)
            return []
        if found is None:
            return []
        try:
            return decode(destination, (found.get("data") or {}).get(DATA_KEY, "{}"))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable %s/%s: %s", self.namespace, name, exc)
            return []

    def save(self, destination: Destination, entries: list[tuple[ContestedField, str]]) -> bool:
        """Write the destination's contests; False (logged) when the cluster refused."""
        name = configmap_name(destination)
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/name": "midway", "midway.dev/contests": "true"},
                "annotations": {"midway.dev/destination": str(destination)},
            },
            "data": {DATA_KEY: encode(entries)},
        }
        try:
            current = get(self.conn, "v1", "ConfigMap", self.namespace, name)
            if current is None:
                create(self.conn, body)
            else:
                body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                replace(self.conn, body)
        except (AlreadyExists, ResourceConflict):
            return False  # someone wrote it meanwhile; the next change writes again
        except ClusterError as exc:
            log.warning("cannot remember the contests of %s: %s", destination, exc.message)
            return False
        return True
