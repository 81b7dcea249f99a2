"""Writing the small files authoring verbs produce (schemas, scaffolds): every check first,
then each file through a temporary file and a rename, so none is ever half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from midway.errors import MidwayError, MidwayErrors, SourceLocation


def write_files(root: Path, files: Mapping[str, bytes], *, overwrite: bool) -> list[Path]:
    """Write `files` (root-relative path -> bytes); without `overwrite`, an existing file is
    an error (each named, nothing written). Returns the paths written, in order."""
    if not overwrite:
        MidwayErrors.raise_if_any(
            MidwayError(
                "already exists; refusing to overwrite it",
                SourceLocation(str(root / rel)),
                hint="move it away, or choose another name",
            )
            for rel in files
            if (root / rel).exists()
        )
    written = []
    try:
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            written.append(target)
    except OSError as exc:
        raise MidwayError(f"cannot write to {root}: {exc.strerror or exc}") from None
    return written
