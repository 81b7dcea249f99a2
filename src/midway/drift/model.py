"""Drift results as data: what `midway drift`, `midway sync` and the daemon print from.

Pure dataclasses, no I/O. One scan of one destination gives a DriftReport: the
layered view of docs/drift.md ("Three layers, two sections") — `stale` (config HEAD vs
state) and `objects` (state vs live) — plus per-object errors. Field values
(FieldDrift.desired/live) are already masked (Secret data, keys named like
password/token/secret) when they land here; only ObjectDrift.desired/live keep the raw
objects, for sync, and are never printed.

Field paths are JSON pointers (RFC 6901) into the object; list items are addressed
by index in `pointer` and by merge key in `path` (`spec.template.spec.containers[name=web].image`),
because indexes move when someone inserts an item and names do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from midway.model import Destination, ObjectKey
from midway.objects.stale import StaleReport

JSON = Any

DriftStatus = Literal["modified", "missing", "orphan", "ignored", "in-sync"]
CompareMode = Literal["server", "offline"]
# Seen from the live object: "changed" a value differs; "added" live has a field the
# desired object does not set (someone added it); "removed" desired sets a field that
# live lacks (someone removed it).
FieldChange = Literal["changed", "added", "removed"]

STATUSES: tuple[DriftStatus, ...] = ("modified", "missing", "orphan", "ignored", "in-sync")
DRIFTED: frozenset[str] = frozenset({"modified", "missing", "orphan"})
UNKNOWN_MANAGER = "unknown (e.g. kubectl scale — 1.20 leaves no entry)"
UNKNOWN_REMOVER = "unknown (a removal leaves no managedFields entry)"
DROPPED_FROM_GIT = "midway (set by an earlier apply, no longer desired)"


@dataclass(frozen=True)
class DesiredObject:
    """One object of the state repo for a destination (input of a scan)."""

    body: Mapping[str, JSON]
    path: str = ""  # state-repo path: <env>/<cluster>/<namespace>/<app>/<kind>-<name>.yaml
    app: str | None = None  # "team/app" (from the path or the midway.dev labels)

    @property
    def key(self) -> ObjectKey:
        return ObjectKey.of(self.body)

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))


@dataclass(frozen=True)
class FieldDrift:
    """One field where live differs from what applying the desired object would make it."""

    pointer: str  # JSON pointer, e.g. /spec/template/spec/containers/0/image
    path: str  # readable, with merge keys: spec.template.spec.containers[name=web].image
    change: FieldChange
    desired: JSON = None  # masked; None when change == "added"
    live: JSON = None  # masked; None when change == "removed"
    masked: bool = False  # True when desired/live were replaced by MASK
    manager: str | None = None  # field manager owning the live field (deepest match), or
    #                             UNKNOWN_MANAGER when only midway (or nobody) owns it
    operation: str | None = None  # managedFields operation of that manager: Apply | Update
    time: str | None = None  # managedFields time of that manager's last write (RFC 3339)
    ignored_by: str | None = None  # why this field does not count (rule or preset), else None
    # False for fields another manager added that the desired object does not set:
    # server-side apply keeps those, so correcting them needs more than an apply
    reverted_by_apply: bool = True

    @property
    def ignored(self) -> bool:
        return self.ignored_by is not None


@dataclass(frozen=True)
class ObjectDrift:
    """The verdict for one object: its class and the fields behind it."""

    key: ObjectKey
    status: DriftStatus
    api_version: str = ""
    fields: tuple[FieldDrift, ...] = ()  # every differing field, ignored ones included
    path: str | None = None  # state-repo path; None for orphans
    app: str | None = None  # "team/app"; for orphans from the midway.dev labels
    ignored_by: str | None = None  # set when the whole object is ignored by a rule
    # The raw objects compared (live without managedFields), for sync to build its apply
    # body from. NOT masked: never print them; reports print `masking.mask_object(...)`.
    desired: Mapping[str, JSON] | None = field(default=None, repr=False, compare=False)
    live: Mapping[str, JSON] | None = field(default=None, repr=False, compare=False)
    resource_version: str | None = None  # of the live object compared
    # e.g. why server mode fell back to an offline compare for this object
    note: str | None = None

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED

    @property
    def counted_fields(self) -> tuple[FieldDrift, ...]:
        """The differing fields no rule ignores."""
        return tuple(f for f in self.fields if not f.ignored)


@dataclass(frozen=True)
class ObjectError:
    """An object that could not be evaluated (unknown kind, rejected by the server…)."""

    key: ObjectKey
    message: str
    path: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class DriftReport:
    """One scan of one destination (layer 2 vs 3, and optionally 1 vs 2)."""

    destination: Destination
    mode: CompareMode
    objects: tuple[ObjectDrift, ...]  # sorted by key
    stale: StaleReport | None = None
    errors: tuple[ObjectError, ...] = ()
    warnings: tuple[str, ...] = ()  # e.g. a type that could not be listed for orphans
    state_commit: str | None = None
    server: str = ""  # the cluster as midway reached it, e.g. https://… (context dev-1)
    requests: int = 0  # API requests this scan sent
    duration_s: float = 0.0

    def counts(self) -> dict[str, int]:
        """Objects per status, every status present (zeros included), in STATUSES order."""
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for obj in self.objects:
            counts[obj.status] += 1
        return counts

    @property
    def drifted(self) -> tuple[ObjectDrift, ...]:
        return tuple(o for o in self.objects if o.drifted)

    @property
    def in_sync(self) -> bool:
        return not self.drifted

    @property
    def exit_code(self) -> int:
        """0 in sync, 1 drift (or a stale state), 2 when some object could not be checked."""
        if self.errors:
            return 2
        if self.drifted or (self.stale is not None and self.stale.stale):
            return 1
        return 0


@dataclass(frozen=True)
class DriftEvent:
    """One re-evaluation under --watch: an object's verdict after a live change."""

    time: float  # time.time() when the verdict was made
    trigger: Literal["ADDED", "MODIFIED", "DELETED", "RESYNC"]
    drift: ObjectDrift
    previous: DriftStatus | None  # the status before, None the first time
    latency_s: float | None = None  # watch event seen -> verdict made


@dataclass(frozen=True)
class ClusterFacts:
    """What ignore presets need to know about the cluster beyond the object itself."""

    # (namespace, kind, name) of every object a live HorizontalPodAutoscaler scales
    hpa_targets: frozenset[tuple[str, str, str]] = frozenset()
