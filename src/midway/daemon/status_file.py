"""The one reader and writer of the daemon status file (for `midway status`; /status too).

A JSON file beside the state repo (`.midway/daemon-status.json` for the default
`.midway/state.git`), replaced atomically (write + rename) every few seconds when something
changed (StatusWriter). Several replicas on one machine merge their destinations into the same file.
Its content is a `StatusDocument` (daemon/status_document.py, schema
daemon-status.schema.json); its remembered part (per destination, the state commit last
applied) tells a restarted daemon what to prune against.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from midway.daemon.status_document import StatusDocument
from midway.state.location import StateLocation

log = logging.getLogger(__name__)

STATUS_FILE = "daemon-status.json"
STATUS_MAX_AGE_S = 15.0


def default_status_path(location: StateLocation, config_dir: Path) -> Path:
    """Beside a local state repo; in the config repo's .midway/ for a remote one."""
    if location.path is not None:
        return location.path.parent / STATUS_FILE
    return config_dir.resolve() / ".midway" / STATUS_FILE


def read_status(path: Path) -> StatusDocument | None:
    """The document in the file; None when there is none or it is not a status document."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return StatusDocument.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def write_status(path: Path, document: StatusDocument, *, merge: bool = True) -> None:
    """Write atomically; with `merge`, destinations of other replicas in the file stay."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if merge:
        existing = read_status(path)
        if existing is not None:
            destinations = {**existing.destinations, **document.destinations}
            document = replace(document, destinations=dict(sorted(destinations.items())))
    text = json.dumps(document.to_json(), indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".daemon-status-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StatusWriter:
    """Writes the daemon's status document when something changed (or every
    STATUS_MAX_AGE_S); `signature()` is a cheap summary of what the document shows."""

    def __init__(
        self,
        path: Path,
        document: Callable[[], StatusDocument],
        signature: Callable[[], tuple[Any, ...]],
    ) -> None:
        self.path = path
        self._document = document
        self._signature = signature
        self._last: tuple[Any, ...] | None = None
        self._written = 0.0

    def write(self, force: bool = False) -> None:
        signature = self._signature()
        age = time.monotonic() - self._written
        if not force and signature == self._last and age < STATUS_MAX_AGE_S:
            return
        try:
            write_status(self.path, self._document())
        except OSError as exc:
            log.warning("cannot write the status file %s: %s", self.path, exc)
            return
        self._last = signature
        self._written = time.monotonic()
