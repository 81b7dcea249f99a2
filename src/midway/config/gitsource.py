"""Config read at a git revision straight from objects (no checkout). Imports pygit2, so it is
kept apart from source.py: commands that only read the working tree never load it."""

from __future__ import annotations

from pathlib import Path

from midway.config import linktree
from midway.config.linktree import Kind, Listing, Refusal
from midway.config.source import (
    CONFIG_ROOTS,
    ROOT_FILES,
    ConfigSource,
    listing_errors,
    refused_error,
)
from midway.errors import MidwayError, SourceLocation
from midway.gitrepo.reading import SYMLINK_MODE, TREE_MODE, GitSnapshot


def _kind(mode: int) -> Kind:
    if mode == SYMLINK_MODE:
        return "link"
    return "dir" if mode == TREE_MODE else "file"


class _GitTree:
    """linktree.Tree over a snapshot: the same link rules as the working tree."""

    def __init__(self, snapshot: GitSnapshot) -> None:
        self.snapshot = snapshot

    def kind(self, path: str) -> Kind | None:
        entry = self.snapshot.entry(path)
        return None if entry is None else _kind(entry.mode)

    def children(self, path: str) -> list[tuple[str, Kind]]:
        return [(name, _kind(mode)) for name, mode in self.snapshot.children(path)]

    def link_target(self, path: str) -> str:
        entry = self.snapshot.entry(path)
        assert entry is not None
        return self.snapshot.blob(entry.oid).decode("utf-8", "replace")


class GitSource(ConfigSource):
    def __init__(self, repo_path: str | Path, rev: str) -> None:
        """The config at git revision `rev`."""
        self._use(GitSnapshot(repo_path, rev))

    @classmethod
    def staged(cls, repo_path: str | Path) -> GitSource:
        """The config as staged in the index (what the next commit records)."""
        source = cls.__new__(cls)
        source._use(GitSnapshot.staged(repo_path))
        return source

    def _use(self, snapshot: GitSnapshot) -> None:
        self.snapshot = snapshot
        self.label = snapshot.label
        self.revision = snapshot.revision
        self.commit_time = snapshot.commit_time
        self._tree = _GitTree(snapshot)
        self._listing: Listing | None = None

    def _listed(self) -> Listing:
        if self._listing is None:
            self._listing = linktree.walk(self._tree, CONFIG_ROOTS, ROOT_FILES)
            listing_errors(self._listing)
        return self._listing

    def paths(self) -> list[str]:
        return sorted(self._listed().files)

    def _oid(self, path: str) -> str:
        listing = self._listed()
        real = listing.files.get(path)
        if real is None or path in listing.dangling:
            try:
                real = linktree.resolve(self._tree, path)
            except linktree.Escape as exc:
                raise refused_error(Refusal(path, f"symbolic link {exc}")) from None
            except linktree.Missing:
                raise MidwayError(
                    "file does not exist at this revision (or is a symbolic link to nothing)",
                    SourceLocation(path),
                ) from None
        entry = self.snapshot.entry(real)
        if entry is None or entry.mode == TREE_MODE:
            raise MidwayError("is a directory, expected a file", SourceLocation(path))
        return entry.oid

    def read(self, path: str) -> bytes:
        return self.snapshot.blob(self._oid(path))

    def digest(self, path: str) -> str:
        return self._oid(path)
