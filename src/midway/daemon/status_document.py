"""The daemon status document as a type: what `midway status` shows and /status serves.

Schema: daemon-status.schema.json beside this module. Two parts with different lives:

- the *reported* part (drift per app, contested fields, recent changes, ...) is rebuilt from
  scratch by every writer and only ever read by people and `midway status`;
- the *remembered* part (`DestinationMemory`: the state commit last applied) is durable
  state: a restarted daemon reads it back to know what to prune against
  (`daemon/state_follower.py`). It is flattened into the destination's JSON object.

Every writer (`daemon --once`, the running daemon, `status --live`) builds these classes;
`to_json`/`from_json` are the only places that spell the keys. `from_json` is lenient with
missing keys (a file written by an older midway or by hand still reads).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, cast

STATUS_VERSION = 1
SCHEMA_FILE = "daemon-status.schema.json"

AppState = Literal["in-sync", "drifted", "syncing", "unknown"]
APP_STATES: tuple[AppState, ...] = ("in-sync", "drifted", "syncing", "unknown")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `StatusDocument.to_json()` (packaged beside this module)."""
    text = resources.files("midway.daemon").joinpath(SCHEMA_FILE).read_text()
    return cast(dict[str, Any], json.loads(text))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _counts(value: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in dict(value or {}).items()}


@dataclass(frozen=True)
class ChangeSummary:
    """One change set entry as reported: the last correction of an app, a recent change."""

    object: str
    action: str
    time: float | None = None
    reason: str | None = None
    fields: tuple[str, ...] = ()
    error: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "object": self.object,
            "action": self.action,
            "reason": self.reason,
            "fields": list(self.fields),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeSummary:
        return cls(
            object=str(data["object"]),
            action=str(data["action"]),
            time=_opt_float(data.get("time")),
            reason=_opt_str(data.get("reason")),
            fields=tuple(str(f) for f in data.get("fields") or ()),
            error=bool(data.get("error")),
        )


@dataclass(frozen=True)
class ContestedEntry:
    """A contested field as reported, with the ignore rule that ends the fight."""

    object: str
    kind: str
    name: str
    namespace: str | None
    field: str
    pointer: str
    manager: str
    reverts: int
    since: float
    app: str | None
    suggestion: str

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "field": self.field,
            "pointer": self.pointer,
            "manager": self.manager,
            "reverts": self.reverts,
            "since": self.since,
            "app": self.app,
            "suggestion": self.suggestion,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContestedEntry:
        return cls(
            object=str(data["object"]),
            kind=str(data["kind"]),
            name=str(data["name"]),
            namespace=_opt_str(data.get("namespace")),
            field=str(data["field"]),
            pointer=str(data.get("pointer") or ""),
            manager=str(data.get("manager") or ""),
            reverts=int(data.get("reverts") or 0),
            since=float(data.get("since") or 0),
            app=_opt_str(data.get("app")),
            suggestion=str(data.get("suggestion") or ""),
        )


@dataclass(frozen=True)
class DriftedField:
    """A field of a drifted object as reported, with who changed it and when (the field
    manager owning the live value, from managedFields). Values are masked already."""

    object: str
    field: str  # readable path, e.g. spec.template.spec.containers[name=web].image
    change: str  # changed | added | removed (seen from the live object)
    manager: str | None = None
    time: str | None = None  # that manager's last write (RFC 3339), when the server says
    desired: Any = None
    live: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "field": self.field,
            "change": self.change,
            "manager": self.manager,
            "time": self.time,
            "desired": self.desired,
            "live": self.live,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftedField:
        return cls(
            object=str(data["object"]),
            field=str(data["field"]),
            change=str(data.get("change") or "changed"),
            manager=_opt_str(data.get("manager")),
            time=_opt_str(data.get("time")),
            desired=data.get("desired"),
            live=data.get("live"),
        )


@dataclass(frozen=True)
class AppStatus:
    """One app on one destination."""

    blueprint: str | None
    status: AppState
    drift: Mapping[str, int] = field(default_factory=dict)  # desired objects by drift status
    objects: int = 0
    last_correction: ChangeSummary | None = None
    contested: tuple[ContestedEntry, ...] = ()
    errors: tuple[str, ...] = ()  # objects whose reconcile keeps failing
    drift_fields: tuple[DriftedField, ...] = ()  # of the objects still modified

    def to_json(self) -> dict[str, Any]:
        return {
            "blueprint": self.blueprint,
            "objects": self.objects,
            "drift": dict(self.drift),
            "status": self.status,
            "last_correction": self.last_correction.to_json() if self.last_correction else None,
            "contested": [c.to_json() for c in self.contested],
            "errors": list(self.errors),
            "drift_fields": [f.to_json() for f in self.drift_fields],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppStatus:
        status = str(data.get("status") or "unknown")
        last = data.get("last_correction")
        drift = _counts(data.get("drift"))
        return cls(
            blueprint=_opt_str(data.get("blueprint")),
            status=status if status in APP_STATES else "unknown",
            drift=drift,
            objects=int(data.get("objects", sum(drift.values()))),
            last_correction=ChangeSummary.from_json(last) if last else None,
            contested=tuple(ContestedEntry.from_json(c) for c in data.get("contested") or ()),
            errors=tuple(str(e) for e in data.get("errors") or ()),
            drift_fields=tuple(DriftedField.from_json(f) for f in data.get("drift_fields") or ()),
        )


@dataclass(frozen=True)
class DestinationMemory:
    """The durable part of a destination's entry: read back after a restart."""

    applied_commit: str | None = None  # last state commit fully applied (prune base)


@dataclass(frozen=True)
class DestinationStatus:
    """One destination (env/cluster): reachability, object counts, apps, recent changes."""

    env: str
    cluster: str
    state_commit: str | None = None
    reachable: bool = True
    synced: bool = True  # the watch caches are synced
    refused: str | None = None  # wrong cluster (identity check): nothing was written
    error: str | None = None  # why a live scan could not read it
    live: bool = False  # scanned by `status --live` just now
    last_sync: float | None = None
    objects: Mapping[str, int] = field(default_factory=dict)  # by drift status, + orphan
    apps: Mapping[str, AppStatus] = field(default_factory=dict)
    contested: tuple[ContestedEntry, ...] = ()
    failing: Mapping[str, str] = field(default_factory=dict)  # object -> last error
    recent: tuple[ChangeSummary, ...] = ()
    changes: Mapping[str, int] | None = None  # `daemon --once`: change set counts
    queue_depth: int | None = None
    unwatched: Mapping[str, str] = field(default_factory=dict)  # type -> why not watched
    memory: DestinationMemory = DestinationMemory()

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "cluster": self.cluster,
            "state_commit": self.state_commit,
            "applied_commit": self.memory.applied_commit,
            "reachable": self.reachable,
            "synced": self.synced,
            "refused": self.refused,
            "error": self.error,
            "live": self.live,
            "last_sync": self.last_sync,
            "objects": dict(self.objects),
            "apps": {name: app.to_json() for name, app in sorted(self.apps.items())},
            "contested": [c.to_json() for c in self.contested],
            "failing": dict(sorted(self.failing.items())),
            "recent": [e.to_json() for e in self.recent],
            "changes": dict(self.changes) if self.changes is not None else None,
            "queue_depth": self.queue_depth,
            "unwatched": dict(sorted(self.unwatched.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DestinationStatus:
        changes = data.get("changes")
        depth = data.get("queue_depth")
        return cls(
            env=str(data.get("env") or ""),
            cluster=str(data.get("cluster") or ""),
            state_commit=_opt_str(data.get("state_commit")),
            reachable=bool(data.get("reachable", True)),
            synced=bool(data.get("synced", True)),
            refused=_opt_str(data.get("refused")),
            error=_opt_str(data.get("error")),
            live=bool(data.get("live", False)),
            last_sync=_opt_float(data.get("last_sync")),
            objects=_counts(data.get("objects")),
            apps={
                str(name): AppStatus.from_json(app)
                for name, app in dict(data.get("apps") or {}).items()
            },
            contested=tuple(ContestedEntry.from_json(c) for c in data.get("contested") or ()),
            failing={str(k): str(v) for k, v in dict(data.get("failing") or {}).items()},
            recent=tuple(ChangeSummary.from_json(e) for e in data.get("recent") or ()),
            changes=_counts(changes) if changes is not None else None,
            queue_depth=int(depth) if depth is not None else None,
            unwatched={str(k): str(v) for k, v in dict(data.get("unwatched") or {}).items()},
            memory=DestinationMemory(applied_commit=_opt_str(data.get("applied_commit"))),
        )


@dataclass(frozen=True)
class Shards:
    count: int
    held: tuple[int, ...]


@dataclass(frozen=True)
class StatusDocument:
    """The whole document: who wrote it, which commits, and every destination."""

    written_at: float | None = None
    identity: str | None = None  # the replica ("live" for `status --live`)
    config_commit: str | None = None
    state_commit: str | None = None
    state: str | None = None  # the state repo location
    publish_error: str | None = None
    state_error: str | None = None
    shards: Shards | None = None
    destinations: Mapping[str, DestinationStatus] = field(default_factory=dict)
    version: int = STATUS_VERSION

    def memory(self) -> dict[str, DestinationMemory]:
        """The remembered part, per destination name ("env/cluster")."""
        return {name: dest.memory for name, dest in self.destinations.items()}

    def to_json(self) -> dict[str, Any]:
        shards = (
            {"count": self.shards.count, "held": list(self.shards.held)} if self.shards else None
        )
        return {
            "version": self.version,
            "written_at": self.written_at,
            "identity": self.identity,
            "config_commit": self.config_commit,
            "state_commit": self.state_commit,
            "state": self.state,
            "publish_error": self.publish_error,
            "state_error": self.state_error,
            "shards": shards,
            "destinations": {
                name: dest.to_json() for name, dest in sorted(self.destinations.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusDocument:
        shards = data.get("shards")
        return cls(
            version=int(data.get("version", STATUS_VERSION)),
            written_at=_opt_float(data.get("written_at")),
            identity=_opt_str(data.get("identity")),
            config_commit=_opt_str(data.get("config_commit")),
            state_commit=_opt_str(data.get("state_commit")),
            state=_opt_str(data.get("state")),
            publish_error=_opt_str(data.get("publish_error")),
            state_error=_opt_str(data.get("state_error")),
            shards=(
                Shards(int(shards["count"]), tuple(int(h) for h in shards.get("held") or ()))
                if shards
                else None
            ),
            destinations={
                str(name): DestinationStatus.from_json(dest)
                for name, dest in dict(data.get("destinations") or {}).items()
            },
        )
