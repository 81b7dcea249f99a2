"""Commit edited files on a new branch of a working repository, leaving HEAD, the index and
the working tree alone (what `midway promote --branch` proposes for review)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pygit2

from midway.errors import MidwayError
from midway.gitrepo.reading import open_repository, resolve_commit
from midway.gitrepo.trees import TREE_MODE

BLOB_MODE = 0o100644
FALLBACK_AUTHOR = ("midway", "midway@localhost")


def _signature(repo: pygit2.Repository) -> pygit2.Signature:
    try:
        return repo.default_signature  # user.name / user.email, as git commit would use
    except (KeyError, pygit2.GitError):
        return pygit2.Signature(*FALLBACK_AUTHOR)


def _with_file(
    repo: pygit2.Repository, tree: pygit2.Tree | None, parts: list[str], blob: str
) -> str:
    """The id of `tree` with the file at `parts` replaced by `blob` (directories created)."""
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    head, rest = parts[0], parts[1:]
    if not rest:
        builder.insert(head, pygit2.Oid(hex=blob), BLOB_MODE)
    else:
        entry = tree[head] if tree is not None and head in tree else None
        subtree = repo[entry.id] if entry is not None and entry.filemode == TREE_MODE else None
        child = _with_file(repo, subtree.peel(pygit2.Tree) if subtree else None, rest, blob)
        builder.insert(head, pygit2.Oid(hex=child), TREE_MODE)
    return str(builder.write())


def repo_path_of(repo_dir: str | Path, path: str) -> str:
    """`path` (relative to `repo_dir`, the config dir) as a path in the repository's tree."""
    repo = open_repository(repo_dir)
    top = Path(repo.workdir or Path(repo.path).parent).resolve()
    relative = Path(repo_dir).resolve().relative_to(top)
    return path if str(relative) == "." else f"{relative.as_posix()}/{path}"


def commit_on_new_branch(
    repo_dir: str | Path, branch: str, files: Mapping[str, bytes], message: str, base: str = "HEAD"
) -> str:
    """Commit `files` (repo-relative path -> content) on top of `base` as the new branch
    `branch`; returns the commit id. An existing branch of that name is an error."""
    repo = open_repository(repo_dir)
    ref = f"refs/heads/{branch}"
    if not pygit2.reference_is_valid_name(ref):
        raise MidwayError(f"`{branch}` is not a valid branch name")
    if ref in repo.references:
        raise MidwayError(
            f"branch `{branch}` already exists",
            hint="choose another --branch name, or delete the branch first",
        )
    parent = resolve_commit(repo, base)
    tree_id = str(parent.tree.id)
    for path, content in sorted(files.items()):
        blob = str(repo.create_blob(content))
        tree_id = _with_file(repo, repo[tree_id].peel(pygit2.Tree), path.split("/"), blob)
    signature = _signature(repo)
    commit = repo.create_commit(
        None, signature, signature, message, pygit2.Oid(hex=tree_id), [parent.id]
    )
    repo.create_reference_direct(ref, commit, force=False)
    return str(commit)
