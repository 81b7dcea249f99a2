"""Stale objects: the state repo no longer matches a fresh render of the base revision
(someone published from another revision, edited the state repo by hand, or publish failed).
Compared by git blob id, so the state repo's blobs are never read."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

StaleState = Literal["modified", "missing", "extra"]


@dataclass(frozen=True, order=True)
class StaleObject:
    path: str
    state: StaleState  # modified: differs; missing: not in the state repo; extra: only there


@dataclass(frozen=True)
class StaleReport:
    repo: str
    branch: str
    revision: str
    objects: tuple[StaleObject, ...]


def blob_id(content: bytes) -> str:
    """The id git gives these bytes as a blob."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest()


def stale_objects(
    state: Mapping[str, str], rendered: Mapping[str, bytes], roots: Iterable[str]
) -> list[StaleObject]:
    """`state`: path -> blob id of the state repo's files under the environment `roots`;
    `rendered`: path -> content of a fresh render. Files outside `roots` are not compared."""
    prefixes = tuple(f"{root}/" for root in roots)
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
