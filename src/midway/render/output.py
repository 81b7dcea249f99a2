"""Write a render to a directory without ever leaving a half-written tree.

A new directory is built beside the target and renamed into place. An existing output
directory (recognised by its marker file) is updated in place instead: only changed files
are rewritten (each via a temporary file and rename), files of the previous render that are
gone are removed. The marker holds a manifest (size, mtime, sha1 per file, as git's index
does) so unchanged files are recognised by a stat instead of a read. On a large render that
turns seconds of rewriting and deleting into milliseconds; every check has run before the
first byte is written. A directory midway did not write is never touched.

The manifest records each file's git blob id, so a render whose files are a lazy `FileSet`
(blob ids known from the cache, bytes not read) is compared without loading a file that did
not change: a one-app change reads and writes only that app's files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from midway import gc_pause
from midway.errors import MidwayError
from midway.objects.fileset import blob_id_of
from midway.objects.gitobject import blob_id

MARKER = ".midway-output"
# 2: git blob ids (1 held sha1 of the bytes; such a manifest is read as absent, so the first
# render after the upgrade compares files by content once)
_MANIFEST_VERSION = 2
Manifest = dict[str, list[Any]]  # path -> [size, mtime_ns, blob id], as stored


@dataclass(frozen=True)
class TreeWrite:
    """What writing did. `by_content`: the existing tree's manifest was missing, old or
    damaged, so every file was read and compared (correct, but proportional to the fleet)."""

    by_content: bool = False


def write_tree(out_dir: Path, files: Mapping[str, bytes]) -> TreeWrite:
    with gc_pause.paused():
        return _write_tree(out_dir, files)


def _write_tree(out_dir: Path, files: Mapping[str, bytes]) -> TreeWrite:
    for rel in files:
        if rel.startswith("/") or ".." in rel.split("/") or rel == MARKER:
            raise MidwayError(f"refusing to write outside the output directory: {rel}")
    out_dir = out_dir.absolute()
    try:
        if out_dir.is_dir() and any(out_dir.iterdir()):
            if not (out_dir / MARKER).is_file():
                raise MidwayError(
                    f"{out_dir} is not empty and was not written by midway",
                    hint="pass an empty or new directory to --out",
                )
            return _update_in_place(out_dir, files)
        elif out_dir.exists() and not out_dir.is_dir():
            raise MidwayError(f"{out_dir} exists and is not a directory")
        else:
            _create(out_dir, files)
        return TreeWrite()
    except OSError as exc:
        raise MidwayError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None


def _record(root: str, rel: str, digest: str, manifest: Manifest) -> None:
    st = os.stat(os.path.join(root, rel))
    manifest[rel] = [st.st_size, st.st_mtime_ns, digest]


def _write_manifest(root: str, manifest: Manifest) -> None:
    text = orjson.dumps(
        {"version": _MANIFEST_VERSION, "files": manifest}, option=orjson.OPT_SORT_KEYS
    )
    temporary = os.path.join(root, f".{MARKER}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(text)
    os.replace(temporary, os.path.join(root, MARKER))


def _read_manifest(root: str) -> Manifest:
    try:
        with open(os.path.join(root, MARKER), "rb") as handle:
            data = orjson.loads(handle.read())
        files = data["files"] if data.get("version") == _MANIFEST_VERSION else {}
        if not isinstance(files, dict):
            return {}
        # one damaged entry and the manifest cannot be trusted to list stale files either
        if not all(type(e) is list and len(e) == 3 for e in files.values()):
            return {}
        return files
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # an old or damaged marker: files are compared by content instead


def _create(out_dir: Path, files: Mapping[str, bytes]) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent)
    try:
        for parent in sorted({os.path.dirname(rel) for rel in files}):
            os.makedirs(os.path.join(staging, parent), exist_ok=True)
        items = list(files.items())
        chunks = [items[i : i + 500] for i in range(0, len(items), 500)]
        # Creating thousands of small files is bound by the filesystem, not Python: a few
        # threads overlap the syscalls (the GIL is released while they wait).
        with ThreadPoolExecutor(max_workers=4) as writers:
            parts = list(writers.map(lambda chunk: _write_chunk(staging, chunk), chunks))
        manifest: Manifest = {}
        for part in parts:
            manifest.update(part)
        _write_manifest(staging, manifest)
        if out_dir.is_dir():
            out_dir.rmdir()  # empty: checked by the caller
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_chunk(root: str, chunk: list[tuple[str, bytes]]) -> Manifest:
    manifest: Manifest = {}
    for rel, content in chunk:
        with open(os.path.join(root, rel), "wb") as handle:
            handle.write(content)
        _record(root, rel, blob_id(content), manifest)
    return manifest


def _update_in_place(out_dir: Path, files: Mapping[str, bytes]) -> TreeWrite:
    root = str(out_dir)
    prefix = root + os.sep
    previous = _read_manifest(root)
    manifest: Manifest = {}
    for rel in files:
        target = prefix + rel
        digest = blob_id_of(files, rel)  # a lazy file's bytes are read only if it changed
        known = previous.get(rel)
        if known is not None and known[2] == digest:
            try:
                st = os.stat(target)
                if st.st_size == known[0] and st.st_mtime_ns == known[1]:
                    manifest[rel] = known
                    continue
            except FileNotFoundError:
                pass
        content = files[rel]
        try:
            with open(target, "rb") as handle:
                if handle.read() == content:
                    _record(root, rel, digest, manifest)
                    continue
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
        temporary = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(content)
        os.replace(temporary, target)
        _record(root, rel, digest, manifest)
    stale = set(previous) - set(files) if previous else _untracked(root, files)
    for rel in sorted(stale):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, rel))
        _remove_empty_parents(root, os.path.dirname(rel))
    if manifest != previous:
        _write_manifest(root, manifest)
    return TreeWrite(by_content=not previous and bool(files))


def _untracked(root: str, files: Mapping[str, bytes]) -> set[str]:
    """Without a manifest: every file below root that the new render does not have."""
    found: set[str] = set()
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if rel != MARKER and rel not in files:
                found.add(rel)
    return found


def _remove_empty_parents(root: str, rel_dir: str) -> None:
    while rel_dir:
        try:
            os.rmdir(os.path.join(root, rel_dir))
        except OSError:
            return  # not empty (or already gone)
        rel_dir = os.path.dirname(rel_dir)
