"""Risk notes: changes a reviewer should look at twice. One small function per risk, each
taking the change set and returning notes; `assess` runs them all, merges the same note made
for several destinations (prod-eu and prod-us) into one, and puts the most severe first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from midway.config.semver import parse_version
from midway.model import (
    ANNOTATION_PRUNE,
    PRUNE_ALLOW,
    PRUNE_DISABLED,
    PRUNE_PROTECTED_KINDS,
    Destination,
    Environment,
)
from midway.preview.changeset import Change, ChangeSet
from midway.preview.graph_changes import resource_changes
from midway.preview.release_safety import breaking_releases

Severity = Literal["high", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"high": 0, "warning": 1, "info": 2}
SECRET_KINDS = frozenset(
    {
        "Secret",
        "ExternalSecret",
        "ClusterExternalSecret",
        "SealedSecret",
        "SecretStore",
        "ClusterSecretStore",
    }
)
# Deleting these loses data, not just a process.
STATEFUL_KINDS = frozenset({"PersistentVolumeClaim", "StatefulSet", "PersistentVolume"})
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
WHERE = "{where}"  # placeholder in a note's message for the destination(s) it applies to


@dataclass(frozen=True)
class Risk:
    kind: str  # stable identifier, e.g. "image-changed-in-prod" (part of the JSON schema)
    severity: Severity
    message: str  # one sentence; identifiers in `backticks`
    app: str | None = None
    env: str | None = None  # None: several environments (or none)
    cluster: str | None = None  # None: several clusters (or none)
    object: str | None = None  # "Deployment.apps ns/name"


@dataclass(frozen=True)
class Note:
    """A risk found in one destination; `message` may contain WHERE."""

    kind: str
    severity: Severity
    message: str
    app: str | None = None
    destination: Destination | None = None
    object: str | None = None


def _severity(changeset: ChangeSet, env: str) -> Severity:
    return "high" if env in changeset.highest_envs else "warning"


def _environment(changeset: ChangeSet, name: str) -> Environment | None:
    return changeset.head.environments.get(name) or changeset.base.environments.get(name)


def _spec(change: Change, side: Literal["base", "head"]) -> dict[str, Any]:
    obj = change.base if side == "base" else change.head
    spec = obj.body.get("spec") if obj is not None else None
    return spec if isinstance(spec, dict) else {}


def _note(kind: str, severity: Severity, message: str, change: Change) -> Note:
    return Note(kind, severity, message, change.app, change.destination, str(change.key))


def prune_plan(changeset: ChangeSet) -> list[Note]:
    """Objects that disappear from the state repo, per app and environment, and what the
    environment's policy will do with the live objects."""
    removed: dict[tuple[str, Destination], list[Change]] = defaultdict(list)
    for change in changeset.changes:
        if change.action == "removed":
            removed[(change.app, change.destination)].append(change)
    notes = []
    for (app, dest), changes in removed.items():
        env = _environment(changeset, dest.env)
        prune = env is not None and (env.policy.prune or env.policy.argocd.prune)
        objects = sorted({f"{c.key.kind} {c.key.name}" for c in changes})
        names = ", ".join(f"`{o}`" for o in objects[:5])
        more = f" and {len(objects) - 5} more" if len(objects) > 5 else ""
        kept = sum(1 for c in changes if c.base and _prune_disabled(c.base))
        if kept == len(changes):
            fate = (
                f"they are marked never-prune (`{ANNOTATION_PRUNE}: {PRUNE_DISABLED}`): they "
                "stay live until deleted by hand"
            )
        elif prune:
            fate = "they will be deleted from the cluster (prune is on)"
            if kept:
                fate += f", except {kept} marked never-prune"
        else:
            fate = "prune is off: they stay live until deleted by hand"
        stateful = any(c.key.kind in STATEFUL_KINDS for c in changes)
        notes.append(
            Note(
                "objects-deleted",
                "high" if stateful else _severity(changeset, dest.env),
                f"{len(objects)} object(s) of `{app}` removed from {WHERE}: {names}{more}; {fate}",
                app,
                dest,
            )
        )
    return notes


def replicas_to_zero(changeset: ChangeSet) -> list[Note]:
    notes = []
    for change in changeset.changes:
        # a byte search first: parsing every changed object is what costs time
        if (
            change.action not in ("added", "changed")
            or b"replicas: 0\n" not in change.current.content
        ):
            continue
        after = _spec(change, "head").get("replicas")
        before = _spec(change, "base").get("replicas") if change.base else None
        if after == 0 and before != 0:
            was = f" (was {before})" if before is not None else ""
            message = f"`{change.key}` scaled to 0 replicas in {WHERE}{was}"
            notes.append(
                _note("replicas-to-zero", _severity(changeset, change.env), message, change)
            )
    return notes


def container_images(body: Any, at: str = "") -> dict[str, str]:
    """`<pointer to container list>/<container name>` -> image, anywhere in the object."""
    found: dict[str, str] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and isinstance(item.get("image"), str):
                        found[f"{at}/{key}/{item.get('name', '?')}"] = item["image"]
            else:
                found.update(container_images(value, f"{at}/{key}"))
    elif isinstance(body, list):
        for index, item in enumerate(body):
            found.update(container_images(item, f"{at}/{index}"))
    return found


def prod_image_changes(changeset: ChangeSet) -> list[Note]:
    """A new image in the highest-order environment is a production deploy."""
    notes = []
    for change in changeset.changes:
        if change.action != "changed" or change.env not in changeset.highest_envs:
            continue
        assert change.base is not None and change.head is not None
        if b"image: " not in change.head.content:
            continue
        before, after = container_images(change.base.body), container_images(change.head.body)
        for slot in sorted(before.keys() & after.keys()):
            if before[slot] != after[slot]:
                container = slot.rsplit("/", 1)[1]
                message = (
                    f"image of container `{container}` in `{change.key}` ({WHERE}): "
                    f"`{before[slot]}` → `{after[slot]}`"
                )
                notes.append(_note("image-changed-in-prod", "warning", message, change))
    return notes


def _ports(spec: dict[str, Any]) -> str:
    shown = []
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            target = port.get("targetPort")
            arrow = f"→{target}" if target is not None else ""
            name = f"{port['name']}:" if port.get("name") else ""
            shown.append(f"{name}{port.get('port')}{arrow}/{port.get('protocol', 'TCP')}")
    return ", ".join(shown) or "none"


def service_changes(changeset: ChangeSet) -> list[Note]:
    """Type and port changes break clients (and LoadBalancer/NodePort changes cost money)."""
    notes = []
    for change in changeset.changes:
        if change.action != "changed" or change.key.kind != "Service" or change.key.group:
            continue
        before, after = _spec(change, "base"), _spec(change, "head")
        what = []
        old_type, new_type = before.get("type", "ClusterIP"), after.get("type", "ClusterIP")
        if old_type != new_type:
            what.append(f"type `{old_type}` → `{new_type}`")
        if before.get("ports") != after.get("ports"):
            what.append(f"ports `{_ports(before)}` → `{_ports(after)}`")
        if what:
            message = f"`{change.key}` in {WHERE}: {'; '.join(what)}"
            notes.append(
                _note("service-changed", _severity(changeset, change.env), message, change)
            )
    return notes


def _volume_note(change: Change) -> str:
    kind = change.key.kind
    if kind == "StatefulSet":
        if any(f.path.startswith("/spec/volumeClaimTemplates") for f in change.fields):
            return (
                "volumeClaimTemplates changed: the field is immutable, the StatefulSet must be "
                "recreated (`kubectl delete --cascade=orphan`) and existing volumes keep their "
                "old size"
            )
        return ""
    if kind == "PersistentVolumeClaim":
        size = [f for f in change.fields if f.path == "/spec/resources/requests/storage"]
        others = [f for f in change.fields if f.path.startswith("/spec") and f not in size]
        notes = []
        if size:
            notes.append(
                f"storage request `{size[0].before}` → `{size[0].after}` (volumes only grow, "
                "and only with a StorageClass that allows expansion)"
            )
        if others:
            notes.append("other spec fields changed: a bound claim's spec is immutable")
        return "; ".join(notes)
    # Operators with storage settings (CloudNativePG `spec.storage.size`, …)
    storage = [f for f in change.fields if "/storage" in f.path.lower()]
    shown = ", ".join(f"`{f.path}` `{f.before}` → `{f.after}`" for f in storage[:3])
    return f"storage settings changed: {shown}" if storage else ""


def volume_changes(changeset: ChangeSet) -> list[Note]:
    """Storage is where changes hurt: StatefulSet claim templates are immutable, PVCs only
    grow, and operators resize or recreate volumes."""
    notes = []
    for change in changeset.changes:
        if change.action != "changed":
            continue
        contents = (change.base.content if change.base else b"") + change.current.content
        if change.key.kind not in STATEFUL_KINDS and b"storage" not in contents:
            continue
        if note := _volume_note(change):
            notes.append(
                _note("volume-changed", "high", f"`{change.key}` in {WHERE}: {note}", change)
            )
    return notes


def namespace_moves(changeset: ChangeSet) -> list[Note]:
    """Same app, kind and name removed in one namespace and added in another: a move is a
    delete plus a create (data in the old namespace does not follow)."""
    removed: dict[tuple[Destination, str, str, str, str], Change] = {}
    for change in changeset.changes:
        if change.action == "removed":
            k = change.key
            removed[(change.destination, change.app, k.group, k.kind, k.name)] = change
    moves: dict[tuple[Destination, str, str, str], int] = defaultdict(int)
    for change in changeset.changes:
        k = change.key
        old = removed.get((change.destination, change.app, k.group, k.kind, k.name))
        if change.action == "added" and old is not None and old.key.namespace != k.namespace:
            moves[(change.destination, change.app, old.key.namespace, k.namespace)] += 1
    return [
        Note(
            "namespace-moved",
            "high",
            f"`{app}` moves from namespace `{old or '(cluster)'}` to `{new or '(cluster)'}` in "
            f"{WHERE} ({count} object(s)): objects are recreated, not moved",
            app,
            dest,
        )
        for (dest, app, old, new), count in moves.items()
    ]


def secret_changes(changeset: ChangeSet) -> list[Note]:
    return [
        _note("secret-touched", "warning", f"`{change.key}` {change.action} in {WHERE}", change)
        for change in changeset.changes
        if change.key.kind in SECRET_KINDS
    ]


def _prune_disabled(obj: Any) -> bool:
    if obj is None or f"{ANNOTATION_PRUNE}: {PRUNE_DISABLED}".encode() not in obj.content:
        return False  # a byte search first: parsing every removed object costs time
    meta = obj.body.get("metadata")
    annotations = (meta or {}).get("annotations") or {}
    return bool(annotations.get(ANNOTATION_PRUNE) == PRUNE_DISABLED)


def _prune_allowed(obj: Any) -> bool:
    meta = obj.body.get("metadata") if obj is not None else None
    annotations = (meta or {}).get("annotations") or {}
    return bool(annotations.get(ANNOTATION_PRUNE) == PRUNE_ALLOW)


def cluster_scoped_changes(changeset: ChangeSet) -> list[Note]:
    """A cluster-scoped object reaches beyond the app's namespace; a CRD or Namespace that
    becomes prunable (`midway.dev/prune: allow`) takes everything in or of it when removed."""
    notes = []
    for change in changeset.changes:
        if change.key.namespace or change.action == "unchanged":
            continue
        if (
            change.key.kind in PRUNE_PROTECTED_KINDS
            and _prune_allowed(change.head)
            and not _prune_allowed(change.base)
        ):
            what = (
                "every custom resource of it"
                if change.key.kind == "CustomResourceDefinition"
                else "everything in it"
            )
            message = (
                f"`{change.key}` may now be pruned in {WHERE} ({ANNOTATION_PRUNE}: "
                f"{PRUNE_ALLOW}): removing it later deletes {what}"
            )
            notes.append(_note("prune-allowed", "high", message, change))
            continue
        message = (
            f"`{change.key}` is cluster-scoped: {change.action} in {WHERE} for the whole "
            "cluster, not only the app's namespace"
        )
        notes.append(
            _note("cluster-scoped-changed", _severity(changeset, change.env), message, change)
        )
    return notes


def _resolution_changes(changeset: ChangeSet) -> Iterable[tuple[str, str, str, bool]]:
    """(app, old ref, new ref, major changed) for apps whose blueprint resolves differently."""
    for app in sorted(changeset.base_resolved.keys() & changeset.head_resolved.keys()):
        old, new = changeset.base_resolved[app], changeset.head_resolved[app]
        if old == new:
            continue
        old_name, _, old_version = old.partition("@")
        new_name, _, new_version = new.partition("@")
        old_v, new_v = parse_version(old_version), parse_version(new_version)
        major = old_name != new_name or old_v is None or new_v is None or old_v.major != new_v.major
        yield app, old, new, major


def blueprint_major_bumps(changeset: ChangeSet) -> list[Note]:
    return [
        Note(
            "blueprint-major-bump",
            "high",
            f"`{app}` moves to a new major blueprint version: `{old}` → `{new}` "
            "(read the blueprint's changelog: major versions change behaviour)",
            app,
        )
        for app, old, new, major in _resolution_changes(changeset)
        if major
    ]


GROUP_SHOWN_APPS = 3  # apps named in a grouped note before "and N more"


def blueprint_resolution_changes(changeset: ChangeSet) -> list[Note]:
    """One note per (old → new) resolution: a patch release of a blueprint moves every app
    on its range at once, and 43 identical notes buried the blast radius."""
    moved: dict[tuple[str, str], list[str]] = defaultdict(list)
    for app, old, new, major in _resolution_changes(changeset):
        if not major:
            moved[(old, new)].append(app)
    notes = []
    for (old, new), apps in moved.items():
        if len(apps) == 1:
            message = f"`{apps[0]}` now resolves its blueprint range to `{new}` (was `{old}`)"
        else:
            named = ", ".join(f"`{a}`" for a in apps[:GROUP_SHOWN_APPS])
            more = len(apps) - GROUP_SHOWN_APPS
            message = (
                f"{len(apps)} apps now resolve their blueprint range to `{new}` (was `{old}`): "
                + (f"{named} and {more} more" if more > 0 else named)
            )
        notes.append(
            Note("blueprint-version-changed", "info", message, apps[0] if len(apps) == 1 else None)
        )
    return notes


def breaking_blueprint_releases(changeset: ChangeSet) -> list[Note]:
    """A minor/patch release that changes existing apps' output or tightens the schema:
    semver says apps on `^1` may take it unseen (preview/release_safety.py)."""
    notes = []
    for found in breaking_releases(changeset):
        release = found.release
        why = "; ".join(found.reasons)
        notes.append(
            Note(
                "blueprint-breaking-change",
                "high",
                f"blueprint `{release.name}` {release.old.version} → {release.new.version} is "
                f"numbered as a {release.level} release but breaks existing apps: {why} "
                f"(release it as {release.new.version.major + 1}.0.0, or keep it compatible)",
                found.apps[0] if len(found.apps) == 1 else None,
            )
        )
    return notes


def stateful_resources_removed(changeset: ChangeSet) -> list[Note]:
    """A stateful resource nobody consumes any more leaves the graph, and its objects the
    state repo: that is how a database gets lost. midway marks them never-prune, so they stay
    live; the note says so, and that deleting them by hand deletes the data."""
    notes = []
    for change in resource_changes(changeset):
        res = change.base
        if change.status != "removed" or res is None or not res.stateful:
            continue
        users = ", ".join(f"`{c.app}`" for c in res.consumers)
        what = "shared stateful resource" if res.shared else "stateful resource"
        message = (
            f"{what} `{change.label}` loses its last consumer ({users}) in {WHERE}: possible "
            f"data loss. Its objects leave the state repo but are marked never-prune "
            f"(`{ANNOTATION_PRUNE}: {PRUNE_DISABLED}`), so midway and ArgoCD leave them "
            "running; delete them by hand only once the data is safe"
        )
        notes.append(
            Note(
                "stateful-resource-removed",
                "high",
                message,
                res.consumers[0].app if len(res.consumers) == 1 else None,
                change.destination,
            )
        )
    return notes


CHECKS: tuple[Callable[[ChangeSet], list[Note]], ...] = (
    prune_plan,
    replicas_to_zero,
    prod_image_changes,
    service_changes,
    volume_changes,
    namespace_moves,
    secret_changes,
    cluster_scoped_changes,
    blueprint_major_bumps,
    blueprint_resolution_changes,
    breaking_blueprint_releases,
    stateful_resources_removed,
)


def merge(changeset: ChangeSet, notes: Iterable[Note]) -> list[Risk]:
    """One risk per distinct note, listing every destination it was found in (in order)."""
    order = changeset.env_order
    found: dict[tuple[str, Severity, str, str | None, str | None], list[Note]] = {}
    for note in notes:
        ident = (note.kind, note.severity, note.message, note.app, note.object)
        found.setdefault(ident, []).append(note)
    risks = []
    for (kind, severity, message, app, obj), same in found.items():
        dests = sorted(
            {n.destination for n in same if n.destination is not None},
            key=lambda d: (order.get(d.env, 0), d.env, d.cluster),
        )
        envs = {d.env for d in dests}
        clusters = {d.cluster for d in dests}
        risks.append(
            Risk(
                kind=kind,
                severity=severity,
                message=message.replace(WHERE, ", ".join(str(d) for d in dests)),
                app=app,
                env=envs.pop() if len(envs) == 1 else None,
                cluster=clusters.pop() if len(dests) == 1 else None,
                object=obj,
            )
        )
    return risks


def assess(changeset: ChangeSet) -> list[Risk]:
    """Every risk note, most severe first (stable within a severity)."""
    risks = merge(changeset, (note for check in CHECKS for note in check(changeset)))
    return sorted(risks, key=lambda r: SEVERITY_RANK[r.severity])
