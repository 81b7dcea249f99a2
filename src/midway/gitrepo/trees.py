"""Trees as {path: bytes}: hashed in memory, compared with a stored tree, and diffed.

A tree is planned from {path: bytes} first (ids hashed in memory, compared with the parent
tree, descending only into subtrees whose id differs); GitStore.write_plan then writes only
the objects the repository does not hold yet. Every file is a 100644 blob.

Given a lazy `FileSet` (a render whose unchanged files' bytes stay in the cache), a file's id
comes from the set and its bytes are read only when the base tree lacks that blob.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pygit2

from midway.objects.fileset import FileSet
from midway.objects.gitobject import blob_digest, object_digest

BLOB_MODE = 0o100644
TREE_MODE = 0o040000
_OBJ_BLOB = pygit2.enums.ObjectType.BLOB
_OBJ_TREE = pygit2.enums.ObjectType.TREE


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


# -- hashing in memory -----------------------------------------------------------------------


class _Dir:
    __slots__ = ("children", "content", "oid")

    def __init__(self) -> None:
        self.children: dict[str, _Dir | _File] = {}
        self.oid = b""
        self.content = b""


class _File:
    __slots__ = ("files", "oid", "path")

    def __init__(self, files: Mapping[str, bytes], path: str) -> None:
        self.files = files
        self.path = path
        # the blob id, as pygit2.hash(data) computes it (hashlib avoids an Oid per file);
        # a FileSet knows it without reading the bytes
        self.oid = (
            bytes.fromhex(files.blob_id(path))
            if isinstance(files, FileSet)
            else blob_digest(files[path])
        )

    @property
    def data(self) -> bytes:
        return self.files[self.path]


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
    node.oid = object_digest(b"tree", content)
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

    for path in files:
        parent_path, sep, name = path.rpartition("/")
        if sep and not parent_path:
            raise PathConflict(f"not a clean relative path: {path!r}")
        node = dirs.get(parent_path) or directory(parent_path, path)
        if isinstance(node.children.get(_clean(name, path)), _Dir):
            raise PathConflict(f"{path!r} is both a file and a directory")
        node.children[name] = _File(files, path)
    return root


# -- comparing with stored trees -------------------------------------------------------------


def plan_tree(
    repo: pygit2.Repository, files: Mapping[str, bytes], base_tree: str | None
) -> TreePlan:
    """Hash `files` as a tree (all 100644 blobs) and compare it with `base_tree`.

    Raises PathConflict for unclean paths. Nothing is written; see GitStore.write_plan.
    """
    root = _build_dirs(files)
    _hash_dir(root)
    base = repo[pygit2.Oid(hex=base_tree)] if base_tree else None
    assert base is None or isinstance(base, pygit2.Tree)
    changes: list[FileChange] = []
    pending: list[tuple[int, bytes, bytes]] = []
    _compare(repo, root, base, "", changes, pending)
    changes.sort(key=lambda c: c.path)
    return TreePlan(root.oid.hex(), base_tree, changes, pending)


def _compare(
    repo: pygit2.Repository,
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
            _compare(
                repo,
                child,
                _subtree(repo, entry) if was_tree else None,
                path + "/",
                changes,
                pending,
            )
            continue
        if was_tree:
            _removed(repo, _subtree(repo, entry), path + "/", changes)
        if entry is None or was_tree:
            changes.append(FileChange(path, None, child.oid.hex()))
        elif entry.id.raw != child.oid or entry.filemode != BLOB_MODE:
            changes.append(FileChange(path, str(entry.id), child.oid.hex()))
        else:
            continue
        pending.append((_OBJ_BLOB, child.oid, child.data))
    for name, entry in olds.items():
        if entry.filemode == TREE_MODE:
            _removed(repo, _subtree(repo, entry), prefix + name + "/", changes)
        else:
            changes.append(FileChange(prefix + name, str(entry.id), None))
    pending.append((_OBJ_TREE, node.oid, node.content))


def _removed(
    repo: pygit2.Repository, tree: pygit2.Tree | None, prefix: str, out: list[FileChange]
) -> None:
    if tree is None:
        return
    for path, oid in walk_tree(repo, tree, prefix):
        out.append(FileChange(path, oid, None))


def diff_trees(repo: pygit2.Repository, old_tree: str | None, new_tree: str) -> list[FileChange]:
    """Files that differ between two trees, sorted by path (descends only where ids differ)."""
    new = repo[pygit2.Oid(hex=new_tree)]
    old = repo[pygit2.Oid(hex=old_tree)] if old_tree else None
    assert isinstance(new, pygit2.Tree)
    assert old is None or isinstance(old, pygit2.Tree)
    changes: list[FileChange] = []
    _diff(repo, old, new, "", changes)
    changes.sort(key=lambda c: c.path)
    return changes


def _diff(
    repo: pygit2.Repository,
    old: pygit2.Tree | None,
    new: pygit2.Tree | None,
    prefix: str,
    out: list[FileChange],
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
            _diff(
                repo,
                _subtree(repo, o) if o_tree else None,
                _subtree(repo, n) if n_tree else None,
                path + "/",
                out,
            )
        if o is not None and not o_tree and (n is None or n_tree):
            out.append(FileChange(path, str(o.id), None))
        elif n is not None and not n_tree and (o is None or o_tree):
            out.append(FileChange(path, None, str(n.id)))
        elif o is not None and n is not None and not o_tree and not n_tree and o.id != n.id:
            out.append(FileChange(path, str(o.id), str(n.id)))


def walk_tree(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, str]]:
    """(path, blob id) of every file below `tree`, each path prefixed with `prefix`."""
    for entry in tree:
        path = prefix + str(entry.name)
        if entry.filemode == TREE_MODE:
            sub = repo[entry.id]
            assert isinstance(sub, pygit2.Tree)
            yield from walk_tree(repo, sub, path + "/")
        else:
            yield path, str(entry.id)


def _subtree(repo: pygit2.Repository, entry: pygit2.Object | None) -> pygit2.Tree | None:
    if entry is None:
        return None
    tree = repo[entry.id]
    assert isinstance(tree, pygit2.Tree)
    return tree
