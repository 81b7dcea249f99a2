"""GitStore: a repository used as an object store plus refs, written without worktree or index.

Trees are planned in memory (trees.py) and only the objects the repository lacks are written
(many at once as one pack, packs.py). The branch moves with compare-and-swap, so a killed or
racing writer leaves it at the old or the new commit; objects written before are harmless
garbage. Fetch and push live in remotes.py, their credentials in credentials.py.

libgit2 (through pygit2) does the CAS: `Reference.set_target` is `git_reference_set_target`,
which calls `git_reference_create_matching(..., current_id = the target the Reference was
read with)`; the file backend takes `<ref>.lock` (O_CREAT|O_EXCL), re-reads the ref under the
lock, compares, writes and renames, as `git update-ref <ref> <new> <old>` does. Creating a
branch that must not exist yet is `create_reference_direct(..., force=False)`.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pygit2

from midway.errors import MidwayError
from midway.gitrepo import remotes, trees
from midway.gitrepo.packs import PACK_THRESHOLD, write_pack
from midway.gitrepo.trees import TREE_MODE, FileChange, TreePlan

_LOCK_TIMEOUT = 10.0


@dataclass(frozen=True)
class Stamp:
    """Who and when, for a commit's author or committer line."""

    name: str
    email: str
    time: int
    offset: int  # minutes east of UTC

    def signature(self) -> pygit2.Signature:
        return pygit2.Signature(self.name, self.email, self.time, self.offset)


@dataclass(frozen=True)
class CommitInfo:
    id: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Stamp
    committer: Stamp


class GitStore:
    """A repository (bare or not) used as an object store plus refs; the state repo's plumbing."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo

    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = False, initial_branch: str = "main"
    ) -> GitStore:
        """Open the repository at `path` (bare or not); with `create`, make a bare one if absent."""
        target = Path(path)
        if target.exists() and not (target.is_dir() and not any(target.iterdir())):
            try:
                return cls(pygit2.Repository(str(target)))
            except pygit2.GitError:
                raise MidwayError(
                    f"{target} exists but is not a git repository",
                    hint="point --state at a git repository, or at a path that does not exist "
                    "yet (a bare repository is created there)",
                ) from None
        if not create:
            raise MidwayError(
                f"state repository {target} does not exist",
                hint="run `midway publish` first, or pass --state PATH|URL[@BRANCH]",
            )
        # Built beside the target and renamed into place, so a concurrent publisher never
        # sees a half-initialised repository (it finds nothing, or all of it).
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        except OSError as exc:
            raise MidwayError(f"cannot create a git repository at {target}: {exc}") from None
        try:
            pygit2.init_repository(
                str(staging), bare=True, initial_head=f"refs/heads/{initial_branch}"
            )
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (target / "HEAD").exists():  # not someone else winning the same race
                raise MidwayError(f"cannot create a git repository at {target}") from None
        except pygit2.GitError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise MidwayError(f"cannot create a git repository at {target}: {exc}") from None
        return cls(pygit2.Repository(str(target)))

    @property
    def path(self) -> Path:
        return Path(self.repo.path)

    @property
    def is_bare(self) -> bool:
        return bool(self.repo.is_bare)

    def checked_out_branch(self) -> str | None:
        """The branch a non-bare repository has checked out (its worktree would go stale)."""
        if self.repo.is_bare or self.repo.head_is_detached:
            return None
        head = self.repo.references.get("HEAD")
        target = head.target if head is not None else None
        return target if isinstance(target, str) else None  # symbolic, even if unborn

    # -- reading ---------------------------------------------------------------------------

    def ref_target(self, ref: str) -> str | None:
        found = self.repo.references.get(ref)
        if found is None:
            return None
        resolved = found.resolve()
        return str(resolved.target)

    def resolve(self, rev: str) -> str | None:
        """Commit id of a revision (branch, ref, id, `main~2`), None if it does not exist."""
        try:
            obj = self.repo.revparse_single(rev)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return str(commit.id)

    def commit_info(self, commit_id: str) -> CommitInfo:
        commit = self.repo[pygit2.Oid(hex=commit_id)]
        assert isinstance(commit, pygit2.Commit)
        return CommitInfo(
            id=str(commit.id),
            tree=str(commit.tree_id),
            parents=tuple(str(p) for p in commit.parent_ids),
            message=commit.message,
            author=_stamp(commit.author),
            committer=_stamp(commit.committer),
        )

    def list_blobs(self, tree_id: str, prefix: str = "") -> dict[str, str]:
        """path -> blob id for every file under `prefix` (a directory path, "" = all)."""
        tree = self.repo[pygit2.Oid(hex=tree_id)]
        assert isinstance(tree, pygit2.Tree)
        start = prefix.strip("/")
        if start:
            try:
                entry = tree[start]
            except KeyError:
                return {}
            if entry.filemode != TREE_MODE:
                return {}
            sub = self.repo[entry.id]
            assert isinstance(sub, pygit2.Tree)
            tree = sub
        out: dict[str, str] = {}
        for path, oid in trees.walk_tree(self.repo, tree, start + "/" if start else ""):
            out[path] = oid
        return out

    def read_blob(self, blob_id: str) -> bytes:
        blob = self.repo[pygit2.Oid(hex=blob_id)]
        assert isinstance(blob, pygit2.Blob)
        return bytes(blob.data)

    def diff_trees(self, old_tree: str | None, new_tree: str) -> list[FileChange]:
        """Files that differ between two trees, sorted by path (descends only where ids differ)."""
        return trees.diff_trees(self.repo, old_tree, new_tree)

    # -- writing ---------------------------------------------------------------------------

    def plan_tree(self, files: Mapping[str, bytes], base_tree: str | None) -> TreePlan:
        """Hash `files` as a tree (all 100644 blobs) and compare it with `base_tree`.

        Raises PathConflict for unclean paths. Nothing is written; see write_plan.
        """
        return trees.plan_tree(self.repo, files, base_tree)

    def write_plan(self, plan: TreePlan) -> int:
        """Write the plan's objects the repository lacks; returns how many were written.

        Many objects go into ONE new pack file (a first publish of 12,000 files would
        otherwise create 16,000 loose files); a few are written loose, as git does."""
        odb = self.repo.odb
        missing: dict[bytes, tuple[int, bytes]] = {}
        for obj_type, raw, data in plan.pending:
            if raw not in missing and pygit2.Oid(raw=raw) not in odb:
                missing[raw] = (obj_type, data)
        if len(missing) >= PACK_THRESHOLD:
            write_pack(self.path / "objects" / "pack", missing)
            if pygit2.Oid(hex=plan.tree) not in odb:  # pragma: no cover - libgit2 refreshes
                raise AssertionError(f"tree {plan.tree} not found after writing its pack")
            return len(missing)
        for raw, (obj_type, data) in missing.items():
            oid = odb.write(obj_type, data)
            if oid.raw != raw:  # pragma: no cover - would mean our tree encoding is wrong
                raise AssertionError(f"object id mismatch: {oid} != {raw.hex()}")
        return len(missing)

    def create_commit(
        self, tree: str, parents: list[str], message: str, author: Stamp, committer: Stamp
    ) -> str:
        """Write a commit object (no ref moves)."""
        oid = self.repo.create_commit(
            None,
            author.signature(),
            committer.signature(),
            message,
            pygit2.Oid(hex=tree),
            [pygit2.Oid(hex=p) for p in parents],
        )
        return str(oid)

    def compare_and_swap(
        self,
        ref: str,
        new: str,
        expected: str | None,
        reflog: str,
        lock_timeout: float = _LOCK_TIMEOUT,
    ) -> bool:
        """Point `ref` at `new` only if it still points at `expected` (None: must not exist).

        False when another writer moved it first. Waits (with backoff) while another process
        holds `<ref>.lock`; a lock older than `lock_timeout` seconds is reported, not broken.
        """
        deadline = time.monotonic() + lock_timeout
        delay = 0.005
        target = pygit2.Oid(hex=new)
        while True:
            try:
                if expected is None:
                    self.repo.create_reference_direct(ref, target, False, message=reflog)
                    return True
                current = self.repo.references.get(ref)
                if current is None or str(current.target) != expected:
                    return False
                current.set_target(target, reflog)
                return True
            except pygit2.AlreadyExistsError:
                return False
            except pygit2.GitError as exc:
                if "does not match" in str(exc):
                    return False  # moved between our read and libgit2's read under the lock
                raise
            except OSError as exc:
                if "lock" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    lock = self.path / f"{ref}.lock"
                    raise MidwayError(
                        f"{ref} in {self.path} stays locked by another writer",
                        hint=f"if no midway/git process is running on this repository, a killed "
                        f"one left {lock} behind: remove it",
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)

    def set_ref(self, ref: str, new: str, reflog: str) -> None:
        """Unconditional ref update, for refs only this process's caller owns (mirror refs)."""
        self.repo.create_reference_direct(ref, pygit2.Oid(hex=new), True, message=reflog)

    def delete_ref(self, ref: str) -> None:
        found = self.repo.references.get(ref)
        if found is not None:
            found.delete()

    # -- remotes (remotes.py) --------------------------------------------------------------

    def remote_url(self, name: str = "origin") -> str | None:
        return remotes.remote_url(self.repo, name)

    def remote_branch(self, url: str, branch: str) -> str | None:
        """The commit a remote's branch points at (None: no such branch), as `ls-remote`.
        `url` may also name a configured remote (`origin`)."""
        return remotes.remote_branch(self, url, branch)

    def fetch_branch(self, url: str, branch: str, tracking_ref: str) -> str | None:
        """Fetch a remote branch into `tracking_ref`; its commit id, or None if absent."""
        return remotes.fetch_branch(self, url, branch, tracking_ref)

    def push_branch(
        self, url: str, commit: str, branch: str, expected: str | None = None
    ) -> str | None:
        """Push `commit` without force, expecting the branch at `expected`; None on success,
        else why it was rejected (see remotes.push_branch)."""
        return remotes.push_branch(self, url, commit, branch, expected)


def _stamp(sig: pygit2.Signature) -> Stamp:
    return Stamp(str(sig.name), str(sig.email), int(sig.time), int(sig.offset))
