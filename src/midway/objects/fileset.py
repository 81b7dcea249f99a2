"""Files by path whose git blob ids are known before their bytes are read.

A render of 10,000 apps holds 150,000 files, and a verb that follows a small change (render
--out into an existing tree, publish onto the previous state commit) needs the bytes of only
the few that changed: the rest is recognised by blob id — against the output directory's
manifest, or the state branch's tree. A `FileSet` is a read-only Mapping[str, bytes] (so
every existing reader keeps working) that also answers `blob_id(path)` without loading;
`load` is called for a path's bytes on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from midway.objects.gitobject import blob_id


class FileSet(Mapping[str, bytes]):
    """Read-only files: `ids` (path -> hex blob id) loaded lazily through `load`, plus `eager`
    files held as bytes. An eager file shadows a lazy one of the same path."""

    def __init__(
        self,
        ids: Mapping[str, str],
        load: Callable[[str], bytes],
        eager: Mapping[str, bytes] | None = None,
    ) -> None:
        self._ids = ids
        self._load = load
        self._eager: dict[str, bytes] = dict(eager or {})
        self._eager_ids: dict[str, str] = {}

    def __getitem__(self, path: str) -> bytes:
        found = self._eager.get(path)
        if found is not None:
            return found
        if path not in self._ids:
            raise KeyError(path)
        return self._load(path)

    def __contains__(self, path: object) -> bool:
        return path in self._eager or path in self._ids

    def __iter__(self) -> Iterator[str]:
        yield from self._ids
        for path in self._eager:
            if path not in self._ids:
                yield path

    def __len__(self) -> int:
        return len(self._ids) + sum(1 for p in self._eager if p not in self._ids)

    def blob_id(self, path: str) -> str:
        """The hex git blob id of the file's bytes; reads nothing for a lazy file."""
        if path in self._eager:
            known = self._eager_ids.get(path)
            if known is None:
                known = self._eager_ids[path] = blob_id(self._eager[path])
            return known
        return self._ids[path]

    def with_files(self, more: Mapping[str, bytes]) -> FileSet:
        """This set plus (or overridden by) `more`, still lazy for the rest."""
        merged = FileSet(self._ids, self._load, {**self._eager, **more})
        return merged


def blob_id_of(files: Mapping[str, bytes], path: str) -> str:
    """The blob id of `files[path]`, read from a FileSet without loading when possible."""
    if isinstance(files, FileSet):
        return files.blob_id(path)
    return blob_id(files[path])
