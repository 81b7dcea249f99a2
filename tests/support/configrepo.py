"""Config repos as real git repositories in temp dirs, for tests that render at a revision.

    repo = make_config_repo(tmp_path)                 # the example config, one commit
    sha = repo.commit("bump replicas", {"apps/payments/checkout.yaml": b"...",
                                        "apps/search/indexer.yaml": None})   # None deletes

Commits are made with pygit2 (worktree + index kept in step, so the git CLI agrees) with a
fixed author and a clock that advances one minute per commit: the same sequence of calls
gives the same commit ids on every run. Load as a pytest plugin (`support.configrepo`) for
the `config_repo` fixture, or import `make_config_repo` directly.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("blueprints", "environments", "apps", "rollouts", "lib", "vendor", "midway.yaml")
BASE_TIME = 1_700_000_000
AUTHOR_NAME = "Config Author"
AUTHOR_EMAIL = "author@example.com"


@dataclass
class ConfigRepoFixture:
    """A non-bare git repository holding a config repo; HEAD is on `main`."""

    path: Path
    repo: pygit2.Repository
    commits: list[str] = field(default_factory=list)
    clock: int = BASE_TIME

    @property
    def head(self) -> str:
        return str(self.repo.head.target)

    def read(self, rel: str) -> bytes:
        return (self.path / rel).read_bytes()

    def read_text(self, rel: str) -> str:
        return self.read(rel).decode()

    def write(self, changes: Mapping[str, bytes | str | None]) -> None:
        """Change the working tree only (for --worktree tests); None deletes the file."""
        for rel, content in changes.items():
            target = self.path / rel
            if content is None:
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(
        self,
        message: str,
        changes: Mapping[str, bytes | str | None] | None = None,
        *,
        when: int | None = None,
        offset: int = 0,
    ) -> str:
        """Apply `changes` (path -> content, None = delete file or directory) and commit
        everything on `main`. Returns the full commit id."""
        self.write(changes or {})
        index = self.repo.index
        index.read()
        index.add_all()
        for rel in self._deleted(changes or {}):
            for entry in list(index):
                if entry.path == rel or entry.path.startswith(rel.rstrip("/") + "/"):
                    index.remove(entry.path)
        index.write()
        tree = index.write_tree()
        self.clock += 60
        stamp = when if when is not None else self.clock
        sig = pygit2.Signature(AUTHOR_NAME, AUTHOR_EMAIL, stamp, offset)
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        oid = self.repo.create_commit("HEAD", sig, sig, message, tree, parents)
        self.commits.append(str(oid))
        return str(oid)

    @staticmethod
    def _deleted(changes: Mapping[str, bytes | str | None]) -> Iterable[str]:
        return [rel for rel, content in changes.items() if content is None]


def copy_example_config(target: Path, parts: Iterable[str] = EXAMPLE_PARTS) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in parts:
        src = PROJECT_ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy2(src, target / part)
    return target


def make_config_repo(
    tmp_path: Path,
    name: str = "config",
    *,
    files: Mapping[str, bytes | str] | None = None,
    example: bool = True,
    message: str = "initial config",
) -> ConfigRepoFixture:
    """A git config repo at tmp_path/name: the example config (unless `example=False`)
    plus `files`, committed once on `main`."""
    root = tmp_path / name
    if example:
        copy_example_config(root)
    else:
        root.mkdir(parents=True, exist_ok=True)
    repo = pygit2.init_repository(str(root), bare=False, initial_head="refs/heads/main")
    fixture = ConfigRepoFixture(root, repo)
    fixture.commit(message, dict(files or {}))
    return fixture


@pytest.fixture
def config_repo(tmp_path: Path) -> ConfigRepoFixture:
    """The example config as a git repository with one commit."""
    return make_config_repo(tmp_path)
