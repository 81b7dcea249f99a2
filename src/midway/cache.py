"""A content-addressed cache of rendered units and of parsed, validated config files (SQLite).

Keys are hashes of everything an output depends on (engine version, blueprint files, shared
libraries, app/env/params JSON), so entries never go stale: they just stop being asked for.
SQLite gives concurrent readers/writers (pytest-xdist, several CLIs) without a lock file, and
reads only the rows a render needs instead of loading one big file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

SCHEMA_VERSION = "3"


def default_cache_dir() -> Path | None:
    if os.environ.get("MIDWAY_CACHE", "").lower() in ("0", "off", "false", "no"):
        return None
    explicit = os.environ.get("MIDWAY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "midway"


class Cache:
    """Key/value text store; namespaces `unit` (render output) and `yaml` (parsed files)."""

    def __init__(self, directory: Path | None = None, *, enabled: bool = True) -> None:
        self.directory = (directory or default_cache_dir()) if enabled else None
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, str]] = []

    def _conn(self) -> sqlite3.Connection | None:
        if self.directory is None:
            return None
        if self._db is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.directory / f"cache-v{SCHEMA_VERSION}.sqlite", timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS entries ("
                    "ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
                    " PRIMARY KEY (ns, key)) WITHOUT ROWID"
                )
                self._db = db
            except (OSError, sqlite3.Error):
                self.directory = None  # an unusable cache must never break a render
                return None
        return self._db

    @classmethod
    def disabled(cls) -> Cache:
        return cls(enabled=False)

    def get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, str]:
        db = self._conn()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        if db is None or not wanted:
            return found
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT key, value FROM entries WHERE ns = ? AND key IN ({marks})",
                    (namespace, *chunk),
                )
                found.update(rows)
        except sqlite3.Error:
            return {}
        return found

    def put(self, namespace: str, key: str, value: str) -> None:
        self._pending.append((namespace, key, value))

    def flush(self) -> None:
        db = self._conn()
        pending, self._pending = self._pending, []
        if db is None or not pending:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO entries (ns, key, value) VALUES (?, ?, ?)", pending
                )
        except sqlite3.Error:
            pass

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
