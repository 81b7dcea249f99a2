"""Object-level comparison of two renders: what was added, changed, removed or left alone in
each destination. Objects pair up by (destination, object key); equal bytes mean unchanged,
so the expensive field diff runs only on objects that really changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from midway.model import (
    ConfigRepo,
    Destination,
    ObjectKey,
    RenderedObject,
    RenderResult,
    ResolvedResource,
)
from midway.preview.fields import FieldChange, field_changes, masked, unified_yaml_diff, yaml_text

Action = Literal["added", "changed", "removed", "unchanged"]
ACTIONS: tuple[Action, ...] = ("added", "changed", "removed", "unchanged")
TOUCHING: tuple[Action, ...] = ("added", "changed", "removed")


@dataclass(frozen=True)
class Change:
    """One object in one destination, before (base) and after (head)."""

    action: Action
    destination: Destination
    key: ObjectKey
    base: RenderedObject | None
    head: RenderedObject | None

    @property
    def current(self) -> RenderedObject:
        found = self.head or self.base
        assert found is not None
        return found

    @property
    def app(self) -> str:
        return self.current.unit.app

    @property
    def env(self) -> str:
        return self.destination.env

    @property
    def path(self) -> str:
        return self.current.path

    @cached_property
    def fields(self) -> tuple[FieldChange, ...]:
        """Changed fields (JSON pointers); Secret values masked. Empty unless `changed`."""
        if self.base is None or self.head is None or self.action == "unchanged":
            return ()
        base = masked(self.base.body, self.base.content)
        return tuple(field_changes(base, masked(self.head.body, self.head.content)))

    @cached_property
    def diff(self) -> tuple[str, ...]:
        """Unified YAML diff lines (added objects diff against nothing, removed against nothing)."""
        if self.action == "unchanged":
            return ()
        old = yaml_text(self.base.body, self.base.content) if self.base else ""
        new = yaml_text(self.head.body, self.head.content) if self.head else ""
        if old == new:  # only masked Secret values differ
            return ("# Secret values changed (hidden)",)
        old_name = f"a/{self.base.path}" if self.base else "/dev/null"
        new_name = f"b/{self.head.path}" if self.head else "/dev/null"
        return tuple(unified_yaml_diff(old, new, old_name, new_name))


@dataclass(frozen=True)
class ChangeSet:
    """Every compared object, sorted by environment order, destination, app and file path."""

    base: ConfigRepo
    head: ConfigRepo
    entries: tuple[Change, ...]
    compared_apps: frozenset[str] | None = None  # None: every app was rendered on both sides
    env_order: Mapping[str, int] = field(default_factory=dict)
    base_resolved: Mapping[str, str] = field(default_factory=dict)  # app id -> blueprint@version
    head_resolved: Mapping[str, str] = field(default_factory=dict)
    # the resource graph of each side (the nodes the compared apps use)
    base_resources: tuple[ResolvedResource, ...] = ()
    head_resources: tuple[ResolvedResource, ...] = ()
    # app id -> env -> blueprint@version rendered there (rollouts included)
    base_versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    head_versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @cached_property
    def changes(self) -> tuple[Change, ...]:
        """Entries that are not unchanged."""
        return tuple(e for e in self.entries if e.action != "unchanged")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: Action, env: str | None = None) -> int:
        return sum(1 for e in self.entries if e.action == action and (env is None or e.env == env))

    @cached_property
    def apps_added(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.head.apps) - set(self.base.apps)))

    @cached_property
    def apps_removed(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.base.apps) - set(self.head.apps)))

    @cached_property
    def apps_changed(self) -> tuple[str, ...]:
        """Apps present on both sides whose rendered output differs."""
        both = set(self.base.apps) & set(self.head.apps)
        return tuple(sorted({c.app for c in self.changes if c.app in both}))

    @cached_property
    def envs_added(self) -> tuple[str, ...]:
        return tuple(self.ordered(set(self.head.environments) - set(self.base.environments)))

    @cached_property
    def envs_removed(self) -> tuple[str, ...]:
        return tuple(self.ordered(set(self.base.environments) - set(self.head.environments)))

    @cached_property
    def environments(self) -> tuple[str, ...]:
        """Every environment of either side, in promotion order (highest order last)."""
        return tuple(self.ordered(set(self.base.environments) | set(self.head.environments)))

    @cached_property
    def highest_envs(self) -> frozenset[str]:
        """The environment(s) with the highest order: production, by convention."""
        if not self.env_order:
            return frozenset()
        top = max(self.env_order.values())
        return frozenset(name for name, order in self.env_order.items() if order == top)

    def ordered(self, envs: Iterable[str]) -> list[str]:
        return sorted(envs, key=lambda name: (self.env_order.get(name, 0), name))


def environment_order(*configs: ConfigRepo) -> dict[str, int]:
    """Order of every environment; a later config (the head) wins over earlier ones."""
    order: dict[str, int] = {}
    for config in configs:
        order.update({name: env.order for name, env in config.environments.items()})
    return order


def compare(
    base: RenderResult, head: RenderResult, apps: frozenset[str] | None = None
) -> ChangeSet:
    """Pair the objects of two renders. `apps` limits the comparison to those apps (a render
    of the other apps would be identical on both sides: none of their inputs changed)."""
    order = environment_order(base.config, head.config)

    def used(result: RenderResult) -> tuple[ResolvedResource, ...]:
        return tuple(
            res
            for res in result.resources
            if apps is None or any(c.app in apps for c in res.consumers)
        )

    def index(result: RenderResult) -> dict[tuple[Destination, ObjectKey], RenderedObject]:
        # a shared resource's objects belong to no app: they are compared whenever one of
        # its consumers is (the render rendered it for them)
        provisioned = {path for res in used(result) for path in res.paths}
        return {
            (obj.unit.destination, obj.key): obj
            for obj in result.objects
            if apps is None or obj.unit.app in apps or obj.path in provisioned
        }

    before, after = index(base), index(head)
    entries: list[Change] = []
    for ident in before.keys() | after.keys():
        old, new = before.get(ident), after.get(ident)
        action: Action
        if old is None:
            action = "added"
        elif new is None:
            action = "removed"
        elif old.content == new.content:
            action = "unchanged"
        else:
            action = "changed"
        entries.append(Change(action, ident[0], ident[1], old, new))

    def sort_key(change: Change) -> tuple[int, str, str, str, str]:
        dest = change.destination
        return (order.get(dest.env, 0), dest.env, dest.cluster, change.app, change.path)

    entries.sort(key=sort_key)

    def resolved(result: RenderResult) -> dict[str, str]:
        return {a: ref for a, ref in result.resolved.items() if apps is None or a in apps}

    def versions(result: RenderResult) -> dict[str, Mapping[str, str]]:
        return {a: refs for a, refs in result.versions.items() if apps is None or a in apps}

    return ChangeSet(
        base.config,
        head.config,
        tuple(entries),
        apps,
        order,
        resolved(base),
        resolved(head),
        used(base),
        used(head),
        versions(base),
        versions(head),
    )
