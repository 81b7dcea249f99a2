"""A config repo with a real git history, built with pygit2 for the preview tests (diff, check).

Commits use a fixed author and clock, so the same files give the same commit ids on every run
(golden files can show them). Only tests import pygit2 directly; midway goes through
midway.gitrepo.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pygit2

from support.example import copy_example

EPOCH = 1_700_000_000
Change = str | bytes | None  # new content, or None to delete the file


class ConfigHistory:
    """A work tree whose every `commit` records exactly the files on disk."""

    def __init__(self, root: Path, *, branch: str = "main", template: Path | None = None) -> None:
        self.root = root
        if template is not None:
            shutil.copytree(template, root)
        else:
            copy_example(root)
        self.repo = pygit2.init_repository(str(root), initial_head=branch)
        self.clock = 0
        self.repo.index.add_all()
        self.repo.index.write()

    def _signature(self) -> pygit2.Signature:
        self.clock += 60
        return pygit2.Signature("midway test", "test@midway.invalid", EPOCH + self.clock, 0)

    def write(self, changes: Mapping[str, Change]) -> None:
        """Change the work tree (and the index) without committing."""
        index = self.repo.index
        for rel, content in changes.items():
            path = self.root / rel
            if content is None:
                path.unlink()
                index.remove(rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
            index.add(rel)
        index.write()

    def edit(self, rel: str, old: str, new: str) -> str:
        """`rel`'s content with `old` replaced by `new` (which must be there)."""
        text = (self.root / rel).read_text()
        assert old in text, f"{old!r} not in {rel}"
        return text.replace(old, new)

    def commit(self, message: str, changes: Mapping[str, Change] | None = None) -> str:
        self.write(changes or {})
        tree = self.repo.index.write_tree()
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        sig = self._signature()
        return str(self.repo.create_commit("HEAD", sig, sig, message, tree, parents))

    def branch(self, name: str) -> None:
        """Create `name` at HEAD and move HEAD to it (files stay as they are)."""
        self.repo.branches.local.create(name, self.repo.head.peel(pygit2.Commit))
        self.repo.set_head(f"refs/heads/{name}")

    def orphan(self, branch: str, files: Mapping[str, bytes]) -> str:
        """A root commit on `branch` with just `files`, sharing no history with the rest."""
        index = pygit2.Index()
        for rel, content in files.items():
            blob = self.repo.create_blob(content)
            index.add(pygit2.IndexEntry(rel, blob, pygit2.enums.FileMode.BLOB))
        tree = index.write_tree(self.repo)
        sig = self._signature()
        return str(self.repo.create_commit(f"refs/heads/{branch}", sig, sig, "unrelated", tree, []))
