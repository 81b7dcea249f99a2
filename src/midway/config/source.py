"""Where config files come from: the working tree, or a git revision read from objects."""

from __future__ import annotations

import os
import stat
from abc import ABC, abstractmethod
from pathlib import Path

from midway.config import linktree
from midway.config.linktree import Kind, Listing, Refusal
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.objects.gitobject import blob_id

CONFIG_ROOTS = ("blueprints", "environments", "apps", "rollouts", "lib", "vendor")
# jsonnet-bundler's files: the legacy import names and the locked versions come from them
JSONNETFILES = ("jsonnetfile.json", "jsonnetfile.lock.json")
ROOT_FILES = ("midway.yaml", *JSONNETFILES)


class ConfigSource(ABC):
    """Read-only view of a config repo's files, by repo-relative posix path."""

    label: str
    revision: str | None = None
    commit_time: int | None = None

    @abstractmethod
    def paths(self) -> list[str]:
        """Every file under the config roots, sorted."""

    @abstractmethod
    def read(self, path: str) -> bytes:
        """File content; raises MidwayError if the path escapes the repo (symlink)."""

    @abstractmethod
    def digest(self, path: str) -> str:
        """A content identity for caching (git blob id or sha1 of the bytes)."""


def refused_error(refusal: Refusal) -> MidwayError:
    return MidwayError(
        refusal.reason,
        SourceLocation(refusal.path),
        hint="config may only use files inside the repository: replace the link with a "
        "relative link inside it, or copy the files in",
    )


def listing_errors(listing: Listing) -> None:
    """Refuse a tree with links leaving the repo: each named once, all at once."""
    MidwayErrors.raise_if_any(refused_error(r) for r in listing.refused)


class _DiskTree:
    """linktree.Tree over a directory; scandir's entry types cost no stat per file."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)

    def _full(self, path: str) -> str:
        return f"{self.root}/{path}" if path else self.root

    def kind(self, path: str) -> Kind | None:
        try:
            mode = os.lstat(self._full(path)).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISDIR(mode):
            return "dir"
        return "file"

    def children(self, path: str) -> list[tuple[str, Kind]]:
        found: list[tuple[str, Kind]] = []
        with os.scandir(self._full(path)) as entries:
            for entry in entries:
                if entry.is_symlink():
                    found.append((entry.name, "link"))
                elif entry.is_dir(follow_symlinks=False):
                    found.append((entry.name, "dir"))
                else:
                    found.append((entry.name, "file"))
        return found

    def link_target(self, path: str) -> str:
        return os.readlink(self._full(path))


class DiskSource(ConfigSource):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise MidwayError(
                f"config directory {root} does not exist",
                hint="pass --config DIR pointing at a config repo",
            )
        self.label = str(self.root)
        self._listing: Listing | None = None
        self._digests: dict[str, str] = {}

    def _listed(self) -> Listing:
        if self._listing is None:
            self._listing = linktree.walk(_DiskTree(self.root), CONFIG_ROOTS, ROOT_FILES)
            listing_errors(self._listing)
        return self._listing

    def paths(self) -> list[str]:
        return sorted(self._listed().files)

    def read(self, path: str) -> bytes:
        listing = self._listed()
        real = listing.files.get(path)
        if real is None or path in listing.dangling:
            # not listed (or dangling): resolve it now, with the same rules
            try:
                real = linktree.resolve(_DiskTree(self.root), path)
            except linktree.Escape as exc:
                raise refused_error(Refusal(path, f"symbolic link {exc}")) from None
            except linktree.Missing:
                raise MidwayError(
                    "file does not exist (or is a symbolic link to nothing)", SourceLocation(path)
                ) from None
        try:
            # the real path was checked link by link when listed; O_NOFOLLOW refuses a file
            # swapped for a link since
            fd = os.open(f"{self.root}/{real}", os.O_RDONLY | os.O_NOFOLLOW)
        except IsADirectoryError:
            raise MidwayError("is a directory, expected a file", SourceLocation(path)) from None
        except OSError as exc:
            raise MidwayError(f"cannot read file: {exc.strerror}", SourceLocation(path)) from None
        with os.fdopen(fd, "rb") as handle:
            try:
                return handle.read()
            except IsADirectoryError:
                raise MidwayError("is a directory, expected a file", SourceLocation(path)) from None

    def digest(self, path: str) -> str:
        found = self._digests.get(path)
        if found is None:
            data = self.read(path)
            # the git blob id, so a working-tree render and a git render share cache entries
            found = blob_id(data)
            self._digests[path] = found
        return found
