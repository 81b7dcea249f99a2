"""The diff report every output format prints from: change set, blast radius, risks, the
per-environment summary and changes grouped for reading (one diff for identical changes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from midway.objects.stale import StaleReport
from midway.preview.blast import BlastRadius, blast_radius
from midway.preview.changeset import TOUCHING, Change, ChangeSet
from midway.preview.risks import Risk, assess


@dataclass(frozen=True)
class Side:
    label: str  # "config@1a2b3c4d5e6f" or "working tree"
    revision: str | None  # full commit id; None for the working tree


@dataclass(frozen=True)
class EnvSummary:
    name: str
    order: int
    highest: bool  # production, by convention: shown last and highlighted
    added: int
    changed: int
    removed: int
    unchanged: int

    @property
    def touched(self) -> int:
        return self.added + self.changed + self.removed


@dataclass(frozen=True)
class VersionSwitch:
    """An app × environment whose blueprint version differs between base and head."""

    app: str
    env: str
    old: str  # blueprint@version
    new: str
    rollout: str | None  # the rollout that moves it (head), or that it leaves (base)


def version_switches(cs: ChangeSet) -> tuple[VersionSwitch, ...]:
    """Every app × env switching version, in environment order: what a PR advancing a
    rollout must name exactly."""
    found: list[VersionSwitch] = []
    for app_id in cs.base_versions.keys() & cs.head_versions.keys():
        old_envs, new_envs = cs.base_versions[app_id], cs.head_versions[app_id]
        for env in old_envs.keys() & new_envs.keys():
            old, new = old_envs[env], new_envs[env]
            if old == new:
                continue
            rollout = None
            for config in (cs.head, cs.base):
                app = config.apps.get(app_id)
                moved = config.rollout_for(app, env) if app is not None else None
                if moved is not None:
                    rollout = moved.name
                    break
            found.append(VersionSwitch(app_id, env, old, new, rollout))
    order = cs.env_order
    found.sort(key=lambda s: (order.get(s.env, 0), s.env, s.app))
    return tuple(found)


@dataclass(frozen=True)
class ChangeGroup:
    """Changes with the same action, kind and field changes: read once, applied many times
    (a blueprint change typically makes the same edit in every app)."""

    changes: tuple[Change, ...]

    @property
    def first(self) -> Change:
        return self.changes[0]

    @property
    def others(self) -> tuple[Change, ...]:
        return self.changes[1:]


def _signature(change: Change) -> str:
    if change.action == "removed":  # what is gone needs no diff: one list per app
        return f"removed\0{change.app}"
    if change.action == "added":
        return f"added\0{change.destination}\0{change.key}"
    fields = [[f.op, f.path, f.before, f.after] for f in change.fields]
    return json.dumps([change.key.group, change.key.kind, fields], sort_keys=True, default=str)


def group_changes(changes: Sequence[Change], env_order: dict[str, int]) -> list[ChangeGroup]:
    """Changes in reading order (app, environment order, cluster, file), identical ones
    merged into the group of their first occurrence."""
    ordered = sorted(
        changes,
        key=lambda c: (c.app, env_order.get(c.env, 0), c.env, c.destination.cluster, c.path),
    )
    groups: dict[str, list[Change]] = {}
    for change in ordered:
        groups.setdefault(_signature(change), []).append(change)
    return [ChangeGroup(tuple(members)) for members in groups.values()]


@dataclass(frozen=True)
class DiffReport:
    base: Side
    head: Side
    changeset: ChangeSet
    files: tuple[str, ...]  # config files that differ between base and head
    blast: BlastRadius
    risks: tuple[Risk, ...]
    stale: StaleReport | None = None
    skipped_apps: int = 0  # apps not rendered: none of their inputs changed

    @property
    def changed(self) -> bool:
        return self.changeset.has_changes

    @cached_property
    def environments(self) -> tuple[EnvSummary, ...]:
        cs = self.changeset
        return tuple(
            EnvSummary(
                name=env,
                order=cs.env_order.get(env, 0),
                highest=env in cs.highest_envs,
                added=cs.count("added", env),
                changed=cs.count("changed", env),
                removed=cs.count("removed", env),
                unchanged=cs.count("unchanged", env),
            )
            for env in cs.environments
        )

    @cached_property
    def version_switches(self) -> tuple[VersionSwitch, ...]:
        return version_switches(self.changeset)

    @cached_property
    def groups(self) -> tuple[ChangeGroup, ...]:
        return tuple(group_changes(self.changeset.changes, dict(self.changeset.env_order)))

    @property
    def headline(self) -> str:
        cs = self.changeset
        if not cs.has_changes:
            return "no changes"
        known = cs.base.apps.keys() | cs.head.apps.keys()
        apps = {c.app for c in cs.changes if c.app in known}
        shared = {c.app for c in cs.changes} - apps  # a shared resource's objects: no app's
        counts = [f"{n} {action}" for action in TOUCHING if (n := cs.count(action))]
        where = f"{len(apps)} app(s)" + (f" and {len(shared)} shared resource(s)" if shared else "")
        return f"{', '.join(counts)} object(s) in {where}"


def build_report(
    base: Side,
    head: Side,
    changeset: ChangeSet,
    files: Sequence[str],
    *,
    stale: StaleReport | None = None,
    skipped_apps: int = 0,
) -> DiffReport:
    return DiffReport(
        base=base,
        head=head,
        changeset=changeset,
        files=tuple(files),
        blast=blast_radius(files, changeset),
        risks=tuple(assess(changeset)),
        stale=stale,
        skipped_apps=skipped_apps,
    )
