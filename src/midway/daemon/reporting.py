"""Build the status document's destination entries from what a writer knows.

Pure functions: the reconciler (running daemon), `daemon --once` and `status --live` hand
over desired objects, drift verdicts, change set entries and contested fields; the rules
for an app's status ("drifted", "syncing", ...) live here once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from midway.daemon.reconcile_decisions import settled_verdict
from midway.daemon.status_document import (
    AppState,
    AppStatus,
    ChangeSummary,
    ContestedEntry,
    DestinationMemory,
    DestinationStatus,
    DriftedField,
)
from midway.drift.model import DesiredObject, FieldDrift
from midway.model import Destination, ObjectKey
from midway.sync.changeset import ChangeSetEntry, ContestedField
from midway.sync.destination import SyncResult
from midway.sync.policy import blueprint_ref

UNKNOWN_APP = "(unknown)"


def app_status(drift: Mapping[str, int], *, reachable: bool = True) -> AppState:
    """One word for an app: any object modified or missing is "drifted"; not evaluated
    yet is "syncing"; nothing is known about an unreachable cluster ("unknown")."""
    if not reachable:
        return "unknown"
    if drift.get("modified") or drift.get("missing"):
        return "drifted"
    if drift.get("unknown"):
        return "syncing"
    return "in-sync"


def change_summary(entry: ChangeSetEntry) -> ChangeSummary:
    return ChangeSummary(
        time=entry.time,
        object=str(entry.key),
        action=entry.action,
        reason=entry.reason,
        fields=tuple(entry.fields),
        error=entry.error,
    )


def contested_entry(contested: ContestedField) -> ContestedEntry:
    return ContestedEntry(
        object=str(contested.key),
        kind=contested.key.kind,
        name=contested.key.name,
        namespace=contested.key.namespace,
        field=contested.path,
        pointer=contested.pointer,
        manager=contested.manager,
        reverts=contested.reverts,
        since=contested.since,
        app=contested.app,
        suggestion=contested.suggestion(),
    )


def drifted_field(key: ObjectKey, drift: FieldDrift) -> DriftedField:
    return DriftedField(
        object=str(key),
        field=drift.path,
        change=drift.change,
        manager=drift.manager,
        time=drift.time,
        desired=drift.desired,
        live=drift.live,
    )


def app_statuses(
    desired: Iterable[DesiredObject],
    verdicts: Mapping[ObjectKey, str],
    *,
    reachable: bool = True,
    last_correction: Mapping[str, ChangeSummary] | None = None,
    contested: Sequence[ContestedEntry] = (),
    failing: Iterable[ObjectKey] = (),
    drift_fields: Mapping[ObjectKey, Sequence[FieldDrift]] | None = None,
) -> dict[str, AppStatus]:
    """Per app: blueprint, desired objects by verdict ("unknown" where none), status, and
    the differing fields of its objects still "modified" (`drift_fields`, by object)."""
    drift: dict[str, Counter[str]] = {}
    blueprints: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    fields: dict[str, list[DriftedField]] = {}
    differing = drift_fields or {}
    failed = set(failing)
    for obj in desired:
        app = obj.app or UNKNOWN_APP
        if app not in drift:
            drift[app] = Counter()
            blueprints[app] = blueprint_ref(obj.body)
        drift[app][verdicts.get(obj.key, "unknown")] += 1
        if obj.key in failed:
            errors.setdefault(app, []).append(str(obj.key))
        if verdicts.get(obj.key) == "modified":
            for f in differing.get(obj.key, ()):
                if not f.ignored:
                    fields.setdefault(app, []).append(drifted_field(obj.key, f))
    last = last_correction or {}
    apps = {}
    for app, counts in sorted(drift.items()):
        by_status = dict(counts)
        apps[app] = AppStatus(
            blueprint=blueprints[app],
            objects=sum(by_status.values()),
            drift=by_status,
            status=app_status(by_status, reachable=reachable),
            last_correction=last.get(app),
            contested=tuple(c for c in contested if c.app == app),
            errors=tuple(sorted(errors.get(app, ()))),
            drift_fields=tuple(sorted(fields.get(app, ()), key=lambda f: (f.object, f.field))),
        )
    return apps


@dataclass(frozen=True)
class ReconcilerView:
    """What the reconciler knows, copied under its lock (the input of its snapshot)."""

    destination: Destination
    state_commit: str | None
    desired: Mapping[ObjectKey, DesiredObject]
    verdicts: Mapping[ObjectKey, str]  # empty while the cluster is unreachable
    reachable: bool
    synced: bool
    counts: Mapping[str, int]
    recent: Sequence[ChangeSetEntry] = ()
    last_correction: Mapping[str, ChangeSetEntry] = field(default_factory=dict)  # per app
    failing: Mapping[ObjectKey, str] = field(default_factory=dict)
    contested: Sequence[ContestedField] = ()
    drift_fields: Mapping[ObjectKey, Sequence[FieldDrift]] = field(default_factory=dict)


def reconciler_status(view: ReconcilerView) -> DestinationStatus:
    """The running daemon's entry for one destination."""
    contested = tuple(contested_entry(c) for c in view.contested)
    apps = app_statuses(
        view.desired.values(),
        view.verdicts,
        reachable=view.reachable,
        last_correction={app: change_summary(e) for app, e in view.last_correction.items()},
        contested=contested,
        failing=(k for k in view.failing if k in view.desired),
        drift_fields=view.drift_fields,
    )
    return DestinationStatus(
        env=view.destination.env,
        cluster=view.destination.cluster,
        state_commit=view.state_commit,
        reachable=view.reachable,
        synced=view.synced,
        objects=dict(view.counts),
        apps=apps,
        contested=contested,
        failing={str(k): v for k, v in sorted(view.failing.items())},
        recent=tuple(change_summary(e) for e in view.recent),
    )


def sync_result_status(
    result: SyncResult,
    desired: Sequence[DesiredObject],
    *,
    contested: Sequence[ContestedField],
    last_sync: float | None,
) -> DestinationStatus:
    """`daemon --once`: the entry for one destination after one sync pass."""
    entries = {e.key: e for e in result.changes}
    verdicts = {d.key: settled_verdict(d.status, entries.get(d.key)) for d in result.report.objects}
    changed = [e for e in result.changes if e.action != "unchanged"]
    last = {e.app: change_summary(e) for e in changed if e.changed and e.app}
    reported = tuple(contested_entry(c) for c in contested)
    return DestinationStatus(
        env=result.destination.env,
        cluster=result.destination.cluster,
        state_commit=result.state_commit,
        last_sync=last_sync,
        objects=result.report.counts(),
        apps=app_statuses(
            desired,
            verdicts,
            last_correction=last,
            contested=reported,
            failing=(e.key for e in result.changes if e.error),
            drift_fields={d.key: d.fields for d in result.report.objects},
        ),
        contested=reported,
        failing={str(e.key): e.reason for e in result.changes if e.error},
        recent=tuple(change_summary(e) for e in changed),
        changes=result.changes.counts(),
        memory=DestinationMemory(applied_commit=result.state_commit),
    )


def refused_status(destination: Destination, why: str) -> DestinationStatus:
    """A destination whose cluster is not the one configured: never connected."""
    return DestinationStatus(
        env=destination.env,
        cluster=destination.cluster,
        reachable=False,
        synced=False,
        refused=why,
    )
