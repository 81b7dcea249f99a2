"""Stale objects: the state repo no longer matches a fresh render of the config (someone
published from another revision, edited the state repo by hand, or publish failed).

One report for `midway diff --against-state` and `midway drift` (layer 1 vs 2). Compared
by git blob id, so a caller that has only the state repo's tree never reads its blobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from midway.objects.gitobject import blob_id

# modified: the bytes differ; missing: the config renders it, the state lacks it;
# extra: only the state has it
StaleState = Literal["modified", "missing", "extra"]


@dataclass(frozen=True, order=True)
class StaleObject:
    """One state-repo file that does not hold what the config renders."""

    path: str
    state: StaleState


@dataclass(frozen=True)
class StaleReport:
    """Does the state commit still hold what `config_revision` renders? Paths are state-repo
    paths (of one destination for drift, of every environment for the preview)."""

    config_revision: str | None  # None = the working tree
    state_commit: str | None
    objects: tuple[StaleObject, ...] = ()  # sorted
    error: str | None = None  # the render failed: stale-ness unknown
    repo: str = ""  # where the state repo is, as the user named it ("" = not said)
    branch: str = ""

    @property
    def stale(self) -> bool:
        return bool(self.objects)

    @property
    def changed(self) -> tuple[str, ...]:
        return self._paths("modified")

    @property
    def added(self) -> tuple[str, ...]:
        return self._paths("missing")

    @property
    def removed(self) -> tuple[str, ...]:
        return self._paths("extra")

    def _paths(self, state: StaleState) -> tuple[str, ...]:
        return tuple(o.path for o in self.objects if o.state == state)


def stale_objects(
    state: Mapping[str, str], rendered: Mapping[str, bytes], roots: Iterable[str] | None = None
) -> list[StaleObject]:
    """`state`: path -> blob id of the state repo's files under the environment `roots`;
    `rendered`: path -> content of a fresh render. Files outside `roots` are not compared
    (None: every file is)."""
    prefixes = ("",) if roots is None else tuple(f"{root}/" for root in roots)
    found: list[StaleObject] = []
    for path, content in rendered.items():
        if not path.startswith(prefixes):
            continue
        oid = state.get(path)
        if oid is None:
            found.append(StaleObject(path, "missing"))
        elif oid != blob_id(content):
            found.append(StaleObject(path, "modified"))
    found.extend(
        StaleObject(path, "extra")
        for path in state
        if path.startswith(prefixes) and path not in rendered
    )
    return sorted(found)
