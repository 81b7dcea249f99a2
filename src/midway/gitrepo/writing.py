"""Write trees and commits straight into a repository's object database: no worktree, no index.

A tree is planned from {path: bytes} first (ids hashed in memory, compared with the parent
tree, descending only into subtrees whose id differs), then written: only objects the
repository does not hold yet. The branch moves with compare-and-swap, so a killed or racing
writer leaves it at the old or the new commit; objects written before are harmless garbage.

libgit2 (through pygit2) does the CAS: `Reference.set_target` is `git_reference_set_target`,
which calls `git_reference_create_matching(..., current_id = the target the Reference was
read with)`; the file backend takes `<ref>.lock` (O_CREAT|O_EXCL), re-reads the ref under the
lock, compares, writes and renames, as `git update-ref <ref> <new> <old>` does. Creating a
branch that must not exist yet is `create_reference_direct(..., force=False)`.

Sections: tree planning (in-memory hashing), pack writing (many objects -> one pack + index),
GitStore (read, plan/write, commit, CAS, fetch/push), GitCredentials (git's usual sources).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from midway.errors import MidwayError

BLOB_MODE = 0o100644
TREE_MODE = 0o040000
_OBJ_BLOB = pygit2.enums.ObjectType.BLOB
_OBJ_TREE = pygit2.enums.ObjectType.TREE
_LOCK_TIMEOUT = 10.0


@dataclass(frozen=True)
class FileChange:
    """One file that differs between two trees; `old`/`new` are blob ids, None = absent."""

    path: str
    old: str | None
    new: str | None

    @property
    def action(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"


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


class _Dir:
    __slots__ = ("children", "content", "oid")

    def __init__(self) -> None:
        self.children: dict[str, _Dir | _File] = {}
        self.oid = b""
        self.content = b""


class _File:
    __slots__ = ("data", "oid")

    def __init__(self, data: bytes) -> None:
        self.data = data
        # the blob id, as pygit2.hash(data) computes it (hashlib avoids an Oid per file)
        digest = hashlib.sha1(b"blob %d\0" % len(data))
        digest.update(data)
        self.oid = digest.digest()


@dataclass
class TreePlan:
    """A tree hashed in memory and compared with a base tree; nothing written yet."""

    tree: str
    base_tree: str | None
    changes: list[FileChange]
    # (type, raw id, bytes), children before parents; only what the base tree does not hold
    pending: list[tuple[int, bytes, bytes]] = field(repr=False)

    @property
    def changed(self) -> bool:
        return self.tree != self.base_tree


class PathConflict(ValueError):
    """A path is both a file and a directory, or is not a clean relative path."""


def _clean(segment: str, path: str) -> str:
    if segment in ("", ".", "..", ".git") or "\0" in segment:
        raise PathConflict(f"not a clean relative path: {path!r}")
    return segment


def _hash_dir(node: _Dir) -> bytes:
    entries: list[tuple[bytes, bytes]] = []  # (sort key, entry bytes)
    for name, child in node.children.items():
        encoded = name.encode()
        if isinstance(child, _Dir):
            # git orders entries by name, comparing a subtree's name as if it ended in "/"
            entries.append((encoded + b"/", b"40000 " + encoded + b"\0" + _hash_dir(child)))
        else:
            entries.append((encoded, b"100644 " + encoded + b"\0" + child.oid))
    entries.sort()
    content = b"".join(entry for _, entry in entries)
    node.content = content
    node.oid = hashlib.sha1(b"tree %d\0" % len(content) + content).digest()
    return node.oid


def _build_dirs(files: Mapping[str, bytes]) -> _Dir:
    root = _Dir()
    dirs: dict[str, _Dir] = {"": root}

    def directory(path: str, full: str) -> _Dir:
        parent_path, sep, name = path.rpartition("/")
        if sep and not parent_path:
            raise PathConflict(f"not a clean relative path: {full!r}")
        parent = dirs.get(parent_path) or directory(parent_path, full)
        child = parent.children.get(_clean(name, full))
        if child is None:
            child = parent.children[name] = _Dir()
        elif isinstance(child, _File):
            raise PathConflict(f"{full!r}: {path!r} is both a file and a directory")
        dirs[path] = child
        return child

    for path, data in files.items():
        parent_path, sep, name = path.rpartition("/")
        if sep and not parent_path:
            raise PathConflict(f"not a clean relative path: {path!r}")
        node = dirs.get(parent_path) or directory(parent_path, path)
        if isinstance(node.children.get(_clean(name, path)), _Dir):
            raise PathConflict(f"{path!r} is both a file and a directory")
        node.children[name] = _File(data)
    return root


PACK_THRESHOLD = 256
_PACK_TYPES = {int(_OBJ_BLOB): 3, int(_OBJ_TREE): 2}


def write_pack(pack_dir: Path, objects: Mapping[bytes, tuple[int, bytes]]) -> str:
    """Write `objects` ({raw id: (type, content)}) as one pack + index (version 2, no deltas)
    into `pack_dir`; returns the pack's name. Both files are written under temporary names
    and renamed, pack first: a pack is invisible to git until its index appears, so a kill
    leaves at most a `tmp_pack_*` / idx-less pack that `git gc` removes."""
    pack_dir.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[bytes, int, int]] = []  # (raw id, offset, crc32)
    digest = hashlib.sha1()
    fd, tmp_pack = tempfile.mkstemp(prefix="tmp_pack_", dir=pack_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            header = b"PACK" + struct.pack(">II", 2, len(objects))
            out.write(header)
            digest.update(header)
            offset = len(header)
            for raw, (obj_type, data) in objects.items():
                size = len(data)
                byte = (_PACK_TYPES[int(obj_type)] << 4) | (size & 0x0F)
                size >>= 4
                head = bytearray()
                while size:
                    head.append(byte | 0x80)
                    byte = size & 0x7F
                    size >>= 7
                head.append(byte)
                record = bytes(head) + zlib.compress(data, 1)
                out.write(record)
                digest.update(record)
                entries.append((raw, offset, zlib.crc32(record)))
                offset += len(record)
            checksum = digest.digest()
            out.write(checksum)
        name = f"pack-{checksum.hex()}"
        index = _pack_index(entries, checksum)
        os.rename(tmp_pack, pack_dir / f"{name}.pack")
        fd, tmp_idx = tempfile.mkstemp(prefix="tmp_idx_", dir=pack_dir)
        with os.fdopen(fd, "wb") as out:
            out.write(index)
        os.chmod(tmp_idx, 0o444)
        os.rename(tmp_idx, pack_dir / f"{name}.idx")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_pack)
        raise
    return name


def _pack_index(entries: list[tuple[bytes, int, int]], pack_checksum: bytes) -> bytes:
    entries = sorted(entries)
    fanout = [0] * 256
    for raw, _, _ in entries:
        fanout[raw[0]] += 1
    running = 0
    for i in range(256):
        running += fanout[i]
        fanout[i] = running
    small: list[int] = []
    large: list[int] = []
    for _, offset, _ in entries:
        if offset < 0x80000000:
            small.append(offset)
        else:
            small.append(0x80000000 | len(large))
            large.append(offset)
    body = b"".join(
        [
            b"\377tOc",
            struct.pack(">I", 2),
            struct.pack(">256I", *fanout),
            b"".join(raw for raw, _, _ in entries),
            struct.pack(f">{len(entries)}I", *(crc for _, _, crc in entries)),
            struct.pack(f">{len(small)}I", *small),
            struct.pack(f">{len(large)}Q", *large),
            pack_checksum,
        ]
    )
    return body + hashlib.sha1(body).digest()


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
        for path, oid in self._walk(tree, start + "/" if start else ""):
            out[path] = oid
        return out

    def _walk(self, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, str]]:
        for entry in tree:
            path = prefix + str(entry.name)
            if entry.filemode == TREE_MODE:
                sub = self.repo[entry.id]
                assert isinstance(sub, pygit2.Tree)
                yield from self._walk(sub, path + "/")
            else:
                yield path, str(entry.id)

    def read_blob(self, blob_id: str) -> bytes:
        blob = self.repo[pygit2.Oid(hex=blob_id)]
        assert isinstance(blob, pygit2.Blob)
        return bytes(blob.data)

    def diff_trees(self, old_tree: str | None, new_tree: str) -> list[FileChange]:
        """Files that differ between two trees, sorted by path (descends only where ids differ)."""
        new = self.repo[pygit2.Oid(hex=new_tree)]
        old = self.repo[pygit2.Oid(hex=old_tree)] if old_tree else None
        assert isinstance(new, pygit2.Tree)
        assert old is None or isinstance(old, pygit2.Tree)
        changes: list[FileChange] = []
        self._diff(old, new, "", changes)
        changes.sort(key=lambda c: c.path)
        return changes

    def _diff(
        self, old: pygit2.Tree | None, new: pygit2.Tree | None, prefix: str, out: list[FileChange]
    ) -> None:
        if old is not None and new is not None and old.id == new.id:
            return
        olds = {str(e.name): e for e in old} if old is not None else {}
        news = {str(e.name): e for e in new} if new is not None else {}
        for name in olds.keys() | news.keys():
            o, n = olds.get(name), news.get(name)
            path = prefix + name
            o_tree = o is not None and o.filemode == TREE_MODE
            n_tree = n is not None and n.filemode == TREE_MODE
            if o_tree or n_tree:
                self._diff(
                    self._tree(o) if o_tree else None,
                    self._tree(n) if n_tree else None,
                    path + "/",
                    out,
                )
            if o is not None and not o_tree and (n is None or n_tree):
                out.append(FileChange(path, str(o.id), None))
            elif n is not None and not n_tree and (o is None or o_tree):
                out.append(FileChange(path, None, str(n.id)))
            elif o is not None and n is not None and not o_tree and not n_tree and o.id != n.id:
                out.append(FileChange(path, str(o.id), str(n.id)))

    def _tree(self, entry: pygit2.Object | None) -> pygit2.Tree | None:
        if entry is None:
            return None
        tree = self.repo[entry.id]
        assert isinstance(tree, pygit2.Tree)
        return tree

    # -- writing ---------------------------------------------------------------------------

    def plan_tree(self, files: Mapping[str, bytes], base_tree: str | None) -> TreePlan:
        """Hash `files` as a tree (all 100644 blobs) and compare it with `base_tree`.

        Raises PathConflict for unclean paths. Nothing is written; see write_plan.
        """
        root = _build_dirs(files)
        _hash_dir(root)
        base = self.repo[pygit2.Oid(hex=base_tree)] if base_tree else None
        assert base is None or isinstance(base, pygit2.Tree)
        changes: list[FileChange] = []
        pending: list[tuple[int, bytes, bytes]] = []
        self._compare(root, base, "", changes, pending)
        changes.sort(key=lambda c: c.path)
        return TreePlan(root.oid.hex(), base_tree, changes, pending)

    def _compare(
        self,
        node: _Dir,
        old: pygit2.Tree | None,
        prefix: str,
        changes: list[FileChange],
        pending: list[tuple[int, bytes, bytes]],
    ) -> None:
        if old is not None and old.id.raw == node.oid:
            return  # unchanged subtree: reused by id, nothing below it is looked at
        olds = {str(e.name): e for e in old} if old is not None else {}
        for name, child in node.children.items():
            path = prefix + name
            entry = olds.pop(name, None)
            was_tree = entry is not None and entry.filemode == TREE_MODE
            if entry is not None and not was_tree and isinstance(child, _Dir):
                changes.append(FileChange(path, str(entry.id), None))
            if isinstance(child, _Dir):
                self._compare(
                    child, self._tree(entry) if was_tree else None, path + "/", changes, pending
                )
                continue
            if was_tree:
                self._removed(self._tree(entry), path + "/", changes)
            if entry is None or was_tree:
                changes.append(FileChange(path, None, child.oid.hex()))
            elif entry.id.raw != child.oid or entry.filemode != BLOB_MODE:
                changes.append(FileChange(path, str(entry.id), child.oid.hex()))
            else:
                continue
            pending.append((_OBJ_BLOB, child.oid, child.data))
        for name, entry in olds.items():
            if entry.filemode == TREE_MODE:
                self._removed(self._tree(entry), prefix + name + "/", changes)
            else:
                changes.append(FileChange(prefix + name, str(entry.id), None))
        pending.append((_OBJ_TREE, node.oid, node.content))

    def _removed(self, tree: pygit2.Tree | None, prefix: str, out: list[FileChange]) -> None:
        if tree is None:
            return
        for path, oid in self._walk(tree, prefix):
            out.append(FileChange(path, oid, None))

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

    # -- remotes ---------------------------------------------------------------------------

    def remote_url(self, name: str = "origin") -> str | None:
        try:
            return str(self.repo.remotes[name].url)
        except (KeyError, ValueError):
            return None

    def _remote(self, url: str) -> pygit2.Remote:
        """A configured remote by name (its URL resolved by libgit2), else an anonymous one."""
        if url in self.repo.remotes.names():
            return self.repo.remotes[url]
        return self.repo.remotes.create_anonymous(url)

    def remote_branch(self, url: str, branch: str) -> str | None:
        """The commit a remote's branch points at (None: no such branch), as `ls-remote`.
        `url` may also name a configured remote (`origin`)."""
        remote = self._remote(url)
        callbacks = GitCredentials(str(remote.url), self.path)
        try:
            heads = remote.list_heads(callbacks=callbacks)
        except (pygit2.GitError, OSError) as exc:
            raise _remote_error("list branches of", url, exc) from None
        callbacks.approve()
        wanted = f"refs/heads/{branch}"
        for head in heads:
            if head.name == wanted:
                return str(head.oid)
        return None

    def fetch_branch(self, url: str, branch: str, tracking_ref: str) -> str | None:
        """Fetch a remote branch into `tracking_ref`; its commit id, or None if absent."""
        target = self.remote_branch(url, branch)
        if target is None:
            self.delete_ref(tracking_ref)
            return None
        if pygit2.Oid(hex=target) not in self.repo.odb:
            remote = self._remote(url)
            callbacks = GitCredentials(str(remote.url), self.path)
            try:
                remote.fetch([f"+refs/heads/{branch}:{tracking_ref}"], callbacks=callbacks)
            except (pygit2.GitError, OSError) as exc:
                raise _remote_error("fetch from", url, exc) from None
            callbacks.approve()
            fetched = self.ref_target(tracking_ref)
            return fetched
        self.set_ref(tracking_ref, target, f"midway: fetch {branch}")
        return target

    def push_branch(
        self, url: str, commit: str, branch: str, expected: str | None = None
    ) -> str | None:
        """Push `commit` to the remote branch without force, expecting the branch at
        `expected` (what it was fetched at). None on success, else why it was rejected (the
        branch moved: fetch, rebuild on the new head, push again).

        A network remote's receive-pack updates the ref atomically against the old id the
        push names. libgit2's *local* transport (paths, file://) overwrites the ref after its
        client-side fast-forward check instead, which loses a concurrent push; so for local
        remotes the objects travel on a private ref and the branch moves by our own CAS."""
        staging = f"refs/midway/push/{commit}"
        self.set_ref(staging, commit, "midway: push")
        remote = self._remote(url)
        base = Path(self.repo.workdir) if self.repo.workdir else self.path
        local_path = _local_remote_path(str(remote.url), base)
        target = staging if local_path is not None else f"refs/heads/{branch}"
        callbacks = GitCredentials(str(remote.url), self.path)
        try:
            remote.push([f"{staging}:{target}"], callbacks=callbacks)
        except (pygit2.GitError, OSError) as exc:
            text = scrub(str(exc))
            if _looks_rejected(text):
                return text
            raise _remote_error("push to", url, exc) from None
        finally:
            self.delete_ref(staging)
        if callbacks.rejected:
            return "; ".join(callbacks.rejected)
        callbacks.approve()
        if local_path is None:
            return None
        other = GitStore.open(local_path)
        try:
            moved = other.compare_and_swap(f"refs/heads/{branch}", commit, expected, "midway push")
        finally:
            other.delete_ref(staging)
        return None if moved else f"refs/heads/{branch}: rejected (the branch moved: fetch first)"


def _local_remote_path(url: str, base: Path) -> Path | None:
    """The repository a path or file:// URL names (relative paths as git resolves them)."""
    if url.startswith("file://"):
        return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    if "://" in url or re.match(r"^[^/]+@[^/]+:", url) or re.match(r"^[^/]+:", url):
        return None
    path = Path(url)
    return path if path.is_absolute() else (base / path).resolve()


def _looks_rejected(text: str) -> bool:
    lowered = text.lower()
    return any(
        word in lowered
        for word in (
            "non-fast-forward",
            "fastforwardable",  # libgit2: "cannot push non-fastforwardable reference"
            "not present locally",  # libgit2: the remote branch moved past what we fetched
            "fetch first",
            "rejected",
        )
    )


def _stamp(sig: pygit2.Signature) -> Stamp:
    return Stamp(str(sig.name), str(sig.email), int(sig.time), int(sig.offset))


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def scrub(text: str) -> str:
    """Remove user:password@ from every URL in `text` (credentials are never logged)."""
    return _USERINFO.sub("", text)


def _remote_error(what: str, url: str, exc: BaseException) -> MidwayError:
    return MidwayError(
        f"cannot {what} {scrub(url)}: {scrub(str(exc))}",
        hint="credentials come from git: a credential helper, GIT_ASKPASS, the URL itself "
        "(https://user:token@host/...), or the ssh agent for ssh URLs",
    )


class GitCredentials(pygit2.RemoteCallbacks):
    """Credentials from the usual git places: the URL, `git credential fill` (credential
    helpers, GIT_ASKPASS / core.askPass) and the ssh agent. Each kind is tried once per
    operation, so a wrong secret fails fast instead of looping. Nothing here is logged."""

    def __init__(self, url: str, repo_path: Path) -> None:
        super().__init__()
        self.url = url
        self.repo_path = repo_path
        self.tried: set[str] = set()
        self.rejected: list[str] = []
        self._from_helper: dict[str, str] | None = None

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: int
    ) -> pygit2.credentials.Username | pygit2.credentials.UserPass | pygit2.credentials.Keypair:
        kinds = pygit2.enums.CredentialType
        if allowed_types & kinds.SSH_KEY:
            user = username_from_url or "git"
            if "agent" not in self.tried:
                self.tried.add("agent")
                return pygit2.KeypairFromAgent(user)
            for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
                key = Path.home() / ".ssh" / name
                if name not in self.tried and key.is_file():
                    self.tried.add(name)
                    pub = key.with_suffix(".pub")
                    return pygit2.Keypair(user, str(pub) if pub.is_file() else None, str(key), "")
        if allowed_types & kinds.USERPASS_PLAINTEXT:
            parsed = urllib.parse.urlsplit(url)
            if parsed.password and "url" not in self.tried:
                self.tried.add("url")
                return pygit2.UserPass(
                    urllib.parse.unquote(parsed.username or ""),
                    urllib.parse.unquote(parsed.password),
                )
            if "helper" not in self.tried:
                self.tried.add("helper")
                found = self._credential("fill", url, username_from_url)
                if found and "password" in found:
                    self._from_helper = found
                    return pygit2.UserPass(found.get("username", ""), found["password"])
            elif self._from_helper is not None:
                self._credential("reject", url, None, self._from_helper)
                self._from_helper = None
        if allowed_types & kinds.USERNAME and "username" not in self.tried:
            self.tried.add("username")
            return pygit2.Username(username_from_url or "git")
        raise pygit2.GitError(f"authentication failed for {scrub(url)}")

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message:
            self.rejected.append(f"{refname}: {message}")

    def approve(self) -> None:
        """Tell the credential helper the secret worked (as git does after success)."""
        if self._from_helper is not None:
            self._credential("approve", self.url, None, self._from_helper)
            self._from_helper = None

    def _credential(
        self, action: str, url: str, username: str | None, given: dict[str, str] | None = None
    ) -> dict[str, str] | None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https"):
            return None
        fields = given or {
            "protocol": parsed.scheme,
            "host": parsed.hostname + (f":{parsed.port}" if parsed.port else "")
            if parsed.hostname
            else "",
            "path": parsed.path.lstrip("/"),
        }
        if username and "username" not in fields:
            fields = {**fields, "username": username}
        text = "".join(f"{k}={v}\n" for k, v in fields.items()) + "\n"
        env = dict(os.environ)
        if not os.isatty(0):
            env.setdefault("GIT_TERMINAL_PROMPT", "0")  # CI: fail instead of waiting on a tty
        try:
            done = subprocess.run(
                ["git", "credential", action],
                input=text,
                capture_output=True,
                text=True,
                env=env,
                cwd=str(self.repo_path),
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if action != "fill" or done.returncode != 0:
            return None
        out: dict[str, str] = {}
        for line in done.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key] = value
        return {**fields, **out}
