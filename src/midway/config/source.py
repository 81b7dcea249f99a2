"""Where config files come from: the working tree, or a git revision read from objects."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from pathlib import Path

from midway.errors import MidwayError, SourceLocation

CONFIG_ROOTS = ("blueprints", "environments", "apps", "lib", "vendor")
ROOT_FILES = ("midway.yaml",)


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


def escape_error(path: str) -> MidwayError:
    return MidwayError(
        "symbolic link points outside the config repository",
        SourceLocation(path),
        hint="config may only use files inside the repository; copy the file in instead",
    )


class DiskSource(ConfigSource):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise MidwayError(
                f"config directory {root} does not exist",
                hint="pass --config DIR pointing at a config repo",
            )
        self.label = str(self.root)
        self._paths: list[str] | None = None
        self._plain: set[str] = set()  # regular files found by paths(), not symlinks
        self._digests: dict[str, str] = {}

    def paths(self) -> list[str]:
        if self._paths is None:
            found: list[str] = []
            for name in ROOT_FILES:
                if (self.root / name).is_file():
                    found.append(name)
            for top in CONFIG_ROOTS:
                if (self.root / top).is_dir():
                    self._walk(top, found)
            self._paths = sorted(found)
        return self._paths

    def _walk(self, rel_dir: str, found: list[str]) -> None:
        # Symbolic links (to files or directories) are listed as files and never followed
        # here, so they are checked when read; plain files are remembered as safe to open.
        with os.scandir(self.root / rel_dir) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            if entry.name.startswith("."):
                continue
            rel = f"{rel_dir}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                self._walk(rel, found)
                continue
            found.append(rel)
            if entry.is_file(follow_symlinks=False):
                self._plain.add(rel)

    def read(self, path: str) -> bytes:
        if path in self._plain:
            try:
                # O_NOFOLLOW: a file swapped for a symlink since listing takes the slow path
                fd = os.open(f"{self.root}/{path}", os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                pass
            else:
                with os.fdopen(fd, "rb") as handle:
                    return handle.read()
        full = self.root / path
        real = full.resolve()
        if not real.is_relative_to(self.root):
            raise escape_error(path)
        try:
            return real.read_bytes()
        except IsADirectoryError:
            raise MidwayError("is a directory, expected a file", SourceLocation(path)) from None
        except OSError as exc:
            raise MidwayError(f"cannot read file: {exc.strerror}", SourceLocation(path)) from None

    def digest(self, path: str) -> str:
        found = self._digests.get(path)
        if found is None:
            data = self.read(path)
            # the git blob id, so a working-tree render and a git render share cache entries
            found = hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()
            self._digests[path] = found
        return found
