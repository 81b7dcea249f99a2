"""Write a render to a directory without ever leaving a half-written tree.

A new directory is built beside the target and renamed into place. An existing output
directory (recognised by its marker file) is updated in place instead: only changed files
are rewritten (each via a temporary file and rename), stale files removed. On a large render
that turns a few seconds of rewriting and deleting into milliseconds, and every check has run
before the first byte is written. A directory midway did not write is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from midway.errors import MidwayError

MARKER = ".midway-output"
_MARKER_TEXT = b"written by `midway render --out`; files here are replaced on every render\n"


def write_tree(out_dir: Path, files: Mapping[str, bytes]) -> None:
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
            _update_in_place(out_dir, files)
        elif out_dir.exists() and not out_dir.is_dir():
            raise MidwayError(f"{out_dir} exists and is not a directory")
        else:
            _create(out_dir, files)
    except OSError as exc:
        raise MidwayError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None


def _create(out_dir: Path, files: Mapping[str, bytes]) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for rel, content in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (staging / MARKER).write_bytes(_MARKER_TEXT)
        if out_dir.is_dir():
            out_dir.rmdir()  # empty: checked by the caller
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _update_in_place(out_dir: Path, files: Mapping[str, bytes]) -> None:
    for rel, content in files.items():
        target = out_dir / rel
        try:
            if target.read_bytes() == content:
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, target)
    wanted = set(files) | {MARKER}
    for dirpath, _dirnames, filenames in os.walk(out_dir, topdown=False):
        base = Path(dirpath)
        for name in filenames:
            if (base / name).relative_to(out_dir).as_posix() not in wanted:
                (base / name).unlink()
        if base != out_dir and not any(base.iterdir()):
            base.rmdir()
