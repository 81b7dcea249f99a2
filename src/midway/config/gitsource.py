"""Config read at a git revision straight from objects (no checkout). Imports pygit2, so it is
kept apart from source.py: commands that only read the working tree never load it."""

from __future__ import annotations

from pathlib import Path

from midway.config.source import CONFIG_ROOTS, ROOT_FILES, ConfigSource, escape_error
from midway.errors import MidwayError, SourceLocation
from midway.gitrepo.reading import SYMLINK_MODE, GitSnapshot


class GitSource(ConfigSource):
    def __init__(self, repo_path: str | Path, rev: str) -> None:
        """The config at git revision `rev`."""
        self._use(GitSnapshot(repo_path, rev, CONFIG_ROOTS, ROOT_FILES))

    @classmethod
    def staged(cls, repo_path: str | Path) -> GitSource:
        """The config as staged in the index (what the next commit records)."""
        source = cls.__new__(cls)
        source._use(GitSnapshot.staged(repo_path, CONFIG_ROOTS, ROOT_FILES))
        return source

    def _use(self, snapshot: GitSnapshot) -> None:
        self.snapshot = snapshot
        self.label = snapshot.label
        self.revision = snapshot.revision
        self.commit_time = snapshot.commit_time

    def paths(self) -> list[str]:
        return sorted(self.snapshot.entries)

    def read(self, path: str) -> bytes:
        entry = self.snapshot.entries.get(path)
        if entry is None:
            raise MidwayError("file does not exist at this revision", SourceLocation(path))
        if entry.mode == SYMLINK_MODE and self.snapshot.symlink_target(path) is None:
            raise escape_error(path)
        return self.snapshot.read(path)

    def digest(self, path: str) -> str:
        entry = self.snapshot.entries[path]
        if entry.mode == SYMLINK_MODE:
            target = self.snapshot.symlink_target(path)
            return self.digest(target) if target else entry.oid
        return entry.oid
