"""The status document the daemon writes for `midway status` (and serves at /status).

A JSON file beside the state repo (`.midway/daemon-status.json` for the default
`.midway/state.git`), replaced atomically (write + rename) every few seconds when something
changed (StatusWriter). Several replicas on one machine merge their destinations into the same file.
It also remembers, per destination, the state commit last applied, so a restarted daemon
knows what to prune against.

    {"version": 1, "written_at": 1700000000.0, "identity": "host-123",
     "config_commit": "…", "state_commit": "…", "publish_error": null,
     "destinations": {"dev/dev-1": {"env": "dev", "cluster": "dev-1",
        "state_commit": "…", "reachable": true, "synced": true, "last_sync": 1700000000.0,
        "objects": {"in-sync": 12, "modified": 1, …},
        "apps": {"payments/checkout": {"blueprint": "web-service@2.1.0", "status": "in-sync",
                 "drift": {…}, "last_correction": {…}, "contested": […]}},
        "contested": […], "recent": […]}}}
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from midway.state.location import StateLocation

log = logging.getLogger(__name__)

STATUS_VERSION = 1
STATUS_FILE = "daemon-status.json"
STATUS_MAX_AGE_S = 15.0


def default_status_path(location: StateLocation, config_dir: Path) -> Path:
    """Beside a local state repo; in the config repo's .midway/ for a remote one."""
    if location.path is not None:
        return location.path.parent / STATUS_FILE
    return config_dir.resolve() / ".midway" / STATUS_FILE


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_status(path: Path, document: dict[str, Any], *, merge: bool = True) -> None:
    """Write atomically; with `merge`, destinations of other replicas in the file stay."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if merge:
        existing = read_status(path)
        if existing is not None:
            destinations = dict(existing.get("destinations") or {})
            destinations.update(document.get("destinations") or {})
            document = {**document, "destinations": dict(sorted(destinations.items()))}
    text = json.dumps({"version": STATUS_VERSION, **document}, indent=2, default=str)
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
        document: Callable[[], dict[str, Any]],
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
