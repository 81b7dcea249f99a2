"""Write a render to a directory: all or nothing.

Files go to a fresh sibling directory first, which then replaces the target in two renames,
so a failure (or Ctrl-C) never leaves a half-written tree behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from midway.errors import MidwayError


def write_tree(out_dir: Path, files: Mapping[str, bytes]) -> None:
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    except OSError as exc:
        raise MidwayError(f"cannot write to {out_dir}: {exc.strerror}") from None
    try:
        for rel, content in sorted(files.items()):
            if rel.startswith("/") or ".." in rel.split("/"):
                raise MidwayError(f"refusing to write outside the output directory: {rel}")
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        old: Path | None = None
        if out_dir.exists():
            if out_dir.is_file() or out_dir.is_symlink():
                raise MidwayError(f"{out_dir} exists and is not a directory")
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.rename(out_dir, old / "tree")
        os.rename(staging, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
