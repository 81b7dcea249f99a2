"""Config read at a git revision straight from objects (no checkout). Imports pygit2, so it is
kept apart from source.py: commands that only read the working tree never load it."""

from __future__ import annotations

from pathlib import Path

from midway.config.source import CONFIG_ROOTS, ROOT_FILES, ConfigSource, escape_error
from midway.errors import MidwayError, SourceLocation
from midway.gitrepo.reading import SYMLINK_MODE, GitSnapshot


class GitSource(ConfigSource):
    def __init__(self, repo_path: str | Path, rev: str, *, staged: bool = False) -> None:
        """The config at git revision `rev`, or (staged=True) as staged in the index."""
        self.snapshot = (
            GitSnapshot.staged(repo_path, CONFIG_ROOTS, ROOT_FILES)
            if staged
            else GitSnapshot(repo_path, rev, CONFIG_ROOTS, ROOT_FILES)
        )
        self.label = self.snapshot.label
        self.revision = self.snapshot.revision
        self.commit_time = self.snapshot.commit_time

    @classmethod
    def staged(cls, repo_path: str | Path) -> GitSource:
        return cls(repo_path, "", staged=True)

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
