"""The resource graph, base against head: which resources appeared, vanished or changed (their
objects, outputs, provisioner or consumers) in each destination, and the changed part of the
graph as a picture for the PR comment. Pure: built from the change set alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from midway.model import Destination, ResolvedResource, ResourceConsumer
from midway.preview.changeset import ChangeSet
from midway.render.graph.view import (
    SERVICE_PORT,
    GraphPart,
    app_node_id,
    build_part,
    resource_view,
)

Status = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True)
class ResourceChange:
    """One resource node (destination × uid) on both sides."""

    destination: Destination
    uid: str
    base: ResolvedResource | None
    head: ResolvedResource | None
    # namespaces of its objects that were added, changed or removed
    touched_namespaces: frozenset[str] = frozenset()

    @property
    def current(self) -> ResolvedResource:
        found = self.head or self.base
        assert found is not None
        return found

    @property
    def env(self) -> str:
        return self.destination.env

    @property
    def label(self) -> str:
        """`postgres payments/ledger-db`: type and name, as `midway graph` shows it."""
        return f"{self.current.type} {resource_view(self.current).label}"

    @cached_property
    def outputs_changed(self) -> tuple[str, ...]:
        if self.base is None or self.head is None:
            return ()
        old, new = self.base.outputs, self.head.outputs
        return tuple(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))

    @cached_property
    def consumers_added(self) -> tuple[str, ...]:
        return tuple(sorted(_apps(self.head) - _apps(self.base)))

    @cached_property
    def consumers_removed(self) -> tuple[str, ...]:
        return tuple(sorted(_apps(self.base) - _apps(self.head)))

    @property
    def provisioner_changed(self) -> bool:
        return bool(self.base and self.head and self.base.provisioner != self.head.provisioner)

    @cached_property
    def reasons(self) -> tuple[str, ...]:
        """What changed, in words (empty: nothing)."""
        if self.base is None:
            return ("added",)
        if self.head is None:
            return ("removed",)
        found = []
        if self.provisioner_changed:
            found.append(f"provisioner {self.base.provisioner} → {self.head.provisioner}")
        if self.base.class_ != self.head.class_:
            found.append(f"class {self.base.class_} → {self.head.class_}")
        if self.outputs_changed:
            found.append(f"outputs {', '.join(self.outputs_changed)}")
        if self.touched_namespaces:
            found.append("objects")
        if self.consumers_added:
            found.append(f"new consumer(s) {', '.join(self.consumers_added)}")
        if self.consumers_removed:
            found.append(f"consumer(s) gone {', '.join(self.consumers_removed)}")
        return tuple(found)

    @property
    def status(self) -> Status:
        if self.base is None:
            return "added"
        if self.head is None:
            return "removed"
        return "changed" if self.reasons else "unchanged"


def _apps(res: ResolvedResource | None) -> set[str]:
    return {c.app for c in res.consumers} if res is not None else set()


def resource_changes(changeset: ChangeSet) -> tuple[ResourceChange, ...]:
    """Every resource node of either side, in environment order, destination and uid."""
    order = changeset.env_order

    def index(
        resources: Iterable[ResolvedResource],
    ) -> dict[tuple[Destination, str], ResolvedResource]:
        return {(r.destination, r.uid): r for r in resources}

    before, after = index(changeset.base_resources), index(changeset.head_resources)
    owner: dict[tuple[Destination, str], tuple[Destination, str]] = {}
    for key, res in (*before.items(), *after.items()):
        for path in res.paths:
            owner[(res.destination, path)] = key
    touched: dict[tuple[Destination, str], set[str]] = {}
    for change in changeset.changes:
        found_key = owner.get((change.destination, change.path))
        if found_key is not None:
            touched.setdefault(found_key, set()).add(change.key.namespace)
    found = [
        ResourceChange(
            key[0], key[1], before.get(key), after.get(key), frozenset(touched.get(key, ()))
        )
        for key in before.keys() | after.keys()
    ]
    found.sort(key=lambda c: (order.get(c.env, 0), c.env, c.destination.cluster, c.uid))
    return tuple(found)


@dataclass(frozen=True)
class ChangedGraph:
    """The changed part of the graph, one part per environment (its clusters merged)."""

    parts: tuple[GraphPart, ...]
    changed: frozenset[tuple[str, str]]  # (part title, node id)
    unchanged: frozenset[tuple[str, str]]
    notes: Mapping[tuple[str, str], str]

    @property
    def size(self) -> int:
        return sum(len(p.apps) + len(p.resources) for p in self.parts)


def changed_graph(
    changes: Iterable[ResourceChange],
    output_changed: frozenset[tuple[str, str]],
    env_order: Mapping[str, int],
) -> ChangedGraph:
    """Resources that changed (or the service-ports whose exports did) and the apps at their
    ends; apps whose output changed (`output_changed`: (app, env)) are marked changed."""
    by_env: dict[str, dict[str, ResourceChange]] = {}
    for change in changes:
        if change.status == "unchanged":
            continue
        if change.current.type == SERVICE_PORT and not change.outputs_changed:
            continue  # a consumer's new or dropped port: its own file, not the graph
        by_env.setdefault(change.env, {}).setdefault(change.uid, change)
    parts: list[GraphPart] = []
    changed: set[tuple[str, str]] = set()
    unchanged: set[tuple[str, str]] = set()
    notes: dict[tuple[str, str], str] = {}
    for env in sorted(by_env, key=lambda e: (env_order.get(e, 0), e)):
        members = by_env[env]
        shown: list[ResolvedResource] = []
        for change in members.values():
            res = change.current
            if change.base is not None and change.head is not None:
                # both sides' consumers: a consumer that left is still part of the story
                extra = [c for c in change.base.consumers if c not in res.consumers]
                if extra:
                    res = _with_consumers(res, (*res.consumers, *extra))
            shown.append(res)
        part = build_part(env, (c.destination for c in members.values()), shown)
        parts.append(part)
        for change in members.values():
            node = resource_view(change.current).node_id
            if change.current.type != SERVICE_PORT:
                changed.add((env, node))
                notes[(env, node)] = _note(change)
        for app in part.apps:
            key = (env, app_node_id(app.id))
            (changed if (app.id, env) in output_changed else unchanged).add(key)
    return ChangedGraph(tuple(parts), frozenset(changed), frozenset(unchanged), notes)


def _note(change: ResourceChange) -> str:
    res = change.current
    if change.status in ("added", "removed"):
        return f"{change.status} · {res.provisioner or res.class_}"
    if change.provisioner_changed:
        assert change.base is not None and change.head is not None
        old, new = change.base.provisioner or "", change.head.provisioner or ""
        name, _, old_version = old.partition("@")
        if new.startswith(f"{name}@"):
            return f"{res.class_} · {name}@{old_version} → {new.partition('@')[2]}"
        return f"{res.class_} · {old} → {new}"
    where = " · ".join(x for x in (res.class_, res.provisioner) if x)
    return f"{where}\nchanged: {'; '.join(change.reasons)}"


def _with_consumers(
    res: ResolvedResource, consumers: tuple[ResourceConsumer, ...]
) -> ResolvedResource:
    return replace(res, consumers=tuple(sorted(consumers, key=lambda c: (c.app, c.name))))
