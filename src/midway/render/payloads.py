"""Rendered objects whose bytes stay in the cache until someone reads them (docs/design.md §16).

A cached render unit is stored twice under its content key: the whole output (`unit`: file
bytes and canonical JSON per object, what a render has always read back) and its *meta*
(`meta`: per object group, kind, namespace, name, path and the git blob id of the file, plus
the unit's unvalidated kinds and resource outputs) — about a tenth of the size. A lazy render
(`RenderOptions(lazy=True)`) reads only the meta of the units it does not evaluate: it can
plan, check duplicates and ownership, lay out ArgoCD objects and compare blob ids with the
output directory's manifest or the state branch's tree without the bytes. `LazyObject.content`
/ `.body` read their unit's whole output on first use (one cache row per unit; after
`BULK_AFTER` single reads the rest are read in one query, for a caller that wants them all).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from midway.cache import Cache
from midway.errors import MidwayError
from midway.model import ObjectKey, RenderedObject, RenderUnit
from midway.objects.gitobject import blob_id

BULK_AFTER = 64  # units read one by one before the rest are read in one query


def _damaged(content_key: str, what: str) -> MidwayError:
    return MidwayError(
        f"the render cache is damaged: unit {content_key[:12]} {what}",
        hint="run again with --no-cache, or delete the cache directory (MIDWAY_CACHE_DIR, "
        "default ~/.cache/midway); this is not a problem in your config",
    )


class Payloads:
    """File bytes and JSON of lazily rendered units, read from the cache by content key."""

    def __init__(self, cache: Cache, namespace: str) -> None:
        self._cache = cache
        self._namespace = namespace
        self._wanted: dict[str, list[str]] = {}  # content key -> blob ids, from the meta
        self._loaded: dict[str, list[tuple[bytes, str]]] = {}
        self._single_reads = 0

    def expect(self, content_key: str, blob_ids: list[str]) -> None:
        self._wanted[content_key] = blob_ids

    def row(self, content_key: str, index: int) -> tuple[bytes, str]:
        rows = self._loaded.get(content_key)
        if rows is None:
            self._single_reads += 1
            if self._single_reads > BULK_AFTER:
                self._load([k for k in self._wanted if k not in self._loaded])
            else:
                self._load([content_key])
            rows = self._loaded[content_key]
        return rows[index]

    def _load(self, keys: Iterable[str]) -> None:
        wanted = list(keys)
        stored = self._cache.get_many(self._namespace, wanted)
        for key in wanted:
            text = stored.get(key)
            if text is None:
                raise _damaged(key, "lost its output while the render ran")
            try:
                rows = orjson.loads(text)["o"]
                loaded = [(row[5].encode(), row[6]) for row in rows]
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                raise _damaged(key, "cannot be read") from None
            # the meta promised these bytes: a mismatch means a damaged entry, never output
            if [blob_id(content) for content, _ in loaded] != self._wanted[key]:
                raise _damaged(key, "does not match its index")
            self._loaded[key] = loaded


class LazyObject(RenderedObject):
    """A RenderedObject whose `content` and `body_json` are read from the cache on first use.

    Built without the dataclass __init__ (those two fields are properties here); equal to
    another LazyObject with the same fields, as RenderedObject is."""

    _payload: tuple[Payloads, str, int]
    blob_id: str  # of `content`, known from the meta

    def __init__(
        self,
        key: ObjectKey,
        unit: RenderUnit,
        blueprint: str,
        path: str,
        payloads: Payloads,
        content_key: str,
        index: int,
        blob_id: str,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "key", key)
        set_field(self, "unit", unit)
        set_field(self, "blueprint", blueprint)
        set_field(self, "path", path)
        set_field(self, "_payload", (payloads, content_key, index))
        set_field(self, "blob_id", blob_id)

    @property
    def content(self) -> bytes:
        payloads, content_key, index = self._payload
        return payloads.row(content_key, index)[0]

    @property
    def body_json(self) -> str:
        payloads, content_key, index = self._payload
        return payloads.row(content_key, index)[1]
