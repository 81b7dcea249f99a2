"""Read files of a repository at a revision straight from git objects, without a checkout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from midway.errors import MidwayError

SYMLINK_MODE = 0o120000
TREE_MODE = 0o040000
GITLINK_MODE = 0o160000


def _discovered(path: str | Path) -> pygit2.Repository | None:
    """The repository `path` is in, or None (open_repository raises instead)."""
    found = pygit2.discover_repository(str(path))
    return pygit2.Repository(found) if found is not None else None


def open_repository(path: str | Path) -> pygit2.Repository:
    repo = _discovered(path)
    if repo is None:
        raise MidwayError(
            f"{path} is not inside a git repository",
            hint="run the command inside the config repo, or pass --config DIR",
        )
    return repo


def resolve_commit(repo: pygit2.Repository, rev: str) -> pygit2.Commit:
    try:
        obj = repo.revparse_single(rev)
    except (KeyError, ValueError, pygit2.GitError):
        raise MidwayError(
            f"revision `{rev}` does not exist in {repo.path.rstrip('/')}",
            hint="check the branch/commit name; fetch it first if it lives on a remote",
        ) from None
    commit = obj.peel(pygit2.Commit)
    return commit


def merge_base(repo_path: str | Path, a: str, b: str) -> str:
    repo = open_repository(repo_path)
    ca, cb = resolve_commit(repo, a), resolve_commit(repo, b)
    base = repo.merge_base(ca.id, cb.id)
    if base is None:
        raise MidwayError(
            f"`{a}` and `{b}` have no common history",
            hint="compare revisions of the same repository (unrelated histories cannot be diffed)",
        )
    return str(base)


def default_branch(repo_path: str | Path) -> str | None:
    """origin/HEAD's target if known, else main/master if present."""
    repo = open_repository(repo_path)
    for ref in ("refs/remotes/origin/HEAD",):
        if ref in repo.references:
            target = repo.references[ref].target
            return str(target).removeprefix("refs/remotes/")
    for name in ("origin/main", "origin/master", "main", "master"):
        kind = pygit2.enums.BranchType.REMOTE if "/" in name else pygit2.enums.BranchType.LOCAL
        if repo.lookup_branch(name, kind) is not None:
            return name
    return None


def workdir_of(repo_path: str | Path) -> Path | None:
    repo = open_repository(repo_path)
    return Path(repo.workdir) if repo.workdir else None


@dataclass(frozen=True)
class GitEntry:
    oid: str
    mode: int


class GitSnapshot:
    """A repository's files at one commit (or as staged), by repo-relative path, no link
    followed: the raw tree a config source resolves links over. Content is read lazily."""

    def __init__(self, repo_path: str | Path, rev: str) -> None:
        self.repo = open_repository(repo_path)
        commit = resolve_commit(self.repo, rev)
        self.revision: str | None = str(commit.id)
        self.commit_time: int | None = int(commit.commit_time)
        self.commit_offset: int | None = int(commit.commit_time_offset)
        self.label = f"{Path(self.repo.path).resolve().parent.name}@{self.revision[:12]}"
        self._tree: pygit2.Tree | None = commit.tree
        self._seen: dict[str, GitEntry] = {}
        # staged snapshots: every index entry below the config dir, and the directories
        self._index: dict[str, GitEntry] = {}
        self._dirs: dict[str, dict[str, int]] = {}

    @classmethod
    def staged(cls, repo_path: str | Path) -> GitSnapshot:
        """The files as staged in the index — what `git commit` would record — for the config
        repo at `repo_path`, which may be a subdirectory of the git repository."""
        snapshot = cls.__new__(cls)
        repo = open_repository(repo_path)
        if repo.workdir is None:
            raise MidwayError(f"{repo.path} is a bare repository: it has no staged files")
        top = Path(repo.workdir).resolve()
        try:
            below = Path(repo_path).resolve().relative_to(top).as_posix()
        except ValueError:
            raise MidwayError(f"{repo_path} is not inside the work tree {top}") from None
        prefix = "" if below == "." else below + "/"
        index = repo.index
        index.read()
        if index.conflicts is not None:
            raise MidwayError(
                "the index has unresolved merge conflicts",
                hint="resolve them and `git add` the files, then commit again",
            )
        snapshot.repo = repo
        snapshot.revision = None
        snapshot.commit_time = None
        snapshot.commit_offset = None
        snapshot.label = f"{top.name} (staged)"
        snapshot._tree = None
        snapshot._seen = {}
        snapshot._index = {}
        snapshot._dirs = {"": {}}
        for entry in index:
            if not entry.path.startswith(prefix) or int(entry.mode) == GITLINK_MODE:
                continue
            rel = entry.path[len(prefix) :]
            snapshot._index[rel] = GitEntry(str(entry.id), int(entry.mode))
            parts = rel.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                mode = int(entry.mode) if depth == len(parts) - 1 else TREE_MODE
                snapshot._dirs.setdefault(parent, {})[parts[depth]] = mode
        return snapshot

    def entry(self, path: str) -> GitEntry | None:
        """The entry at `path` ("" is the top); directories have TREE_MODE."""
        if self._tree is None:
            if path in self._dirs:
                return GitEntry("", TREE_MODE)
            return self._index.get(path)
        if not path:
            return GitEntry(str(self._tree.id), TREE_MODE)
        seen = self._seen.get(path)
        if seen is not None:
            return seen
        try:
            obj = self._tree[path]
        except KeyError:
            return None
        return GitEntry(str(obj.id), int(obj.filemode))

    def children(self, path: str) -> list[tuple[str, int]]:
        """(name, mode) of a directory's entries; submodules left out."""
        if self._tree is None:
            found = list(self._dirs.get(path, {}).items())
        else:
            tree = self._tree if not path else self._tree[path]
            assert isinstance(tree, pygit2.Tree)
            found = []
            for child in tree:
                name, mode = child.name or "", int(child.filemode)
                # remembered: reading a listed file then costs no lookup by path
                self._seen[f"{path}/{name}" if path else name] = GitEntry(str(child.id), mode)
                found.append((name, mode))
        return [(name, mode) for name, mode in found if mode != GITLINK_MODE]

    def blob(self, oid: str) -> bytes:
        blob = self.repo[pygit2.Oid(hex=oid)]
        assert isinstance(blob, pygit2.Blob)
        return bytes(blob.data)


@dataclass(frozen=True)
class CommitStamp:
    """A commit's id and committer time: what a state commit built from it reuses."""

    id: str
    time: int
    offset: int  # minutes east of UTC


def commit_stamp(repo_path: str | Path, rev: str = "HEAD") -> CommitStamp | None:
    """None when `repo_path` is not in a git repository or `rev` does not exist (unborn HEAD)."""
    repo = _discovered(repo_path)
    if repo is None:
        return None
    try:
        commit = repo.revparse_single(rev).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        return None
    return CommitStamp(str(commit.id), int(commit.commit_time), int(commit.commit_time_offset))


def contains(repo_path: str | Path, newer: str, older: str) -> bool | None:
    """Whether commit `newer` has `older` in its history (a commit does not contain itself).
    None when the repository lacks either commit (a shallow clone, another branch's history)."""
    repo = _discovered(repo_path)
    if repo is None:
        return None
    try:
        newer_id = repo.revparse_single(newer).peel(pygit2.Commit).id
        older_id = repo.revparse_single(older).peel(pygit2.Commit).id
        return bool(repo.descendant_of(newer_id, older_id))
    except (KeyError, ValueError, pygit2.GitError):
        return None


def repository_identity(repo_path: str | Path) -> str | None:
    """How to name a repository in messages: its `origin` URL, else its top directory."""
    repo = _discovered(repo_path)
    if repo is None:
        return None
    try:
        return str(repo.remotes["origin"].url)
    except (KeyError, ValueError):
        pass
    top = repo.workdir or repo.path
    return str(Path(top).resolve())
