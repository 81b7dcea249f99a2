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
        self._digests: dict[str, str] = {}

    def paths(self) -> list[str]:
        if self._paths is None:
            found: list[str] = []
            for name in ROOT_FILES:
                if (self.root / name).is_file():
                    found.append(name)
            for top in CONFIG_ROOTS:
                base = self.root / top
                if not base.is_dir():
                    continue
                for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    rel_dir = Path(dirpath).relative_to(self.root).as_posix()
                    for name in filenames:
                        if not name.startswith("."):
                            found.append(f"{rel_dir}/{name}")
                    # symlinked directories are listed as files so they are checked on read
                    for name in list(dirnames):
                        if (Path(dirpath) / name).is_symlink():
                            dirnames.remove(name)
                            found.append(f"{rel_dir}/{name}")
            self._paths = sorted(found)
        return self._paths

    def read(self, path: str) -> bytes:
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
