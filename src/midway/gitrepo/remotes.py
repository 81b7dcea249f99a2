"""Fetch and push one branch of a GitStore's repository (ls-remote, fetch, push without force).

GitStore's remote methods call these; credentials come from GitCredentials, and every error
text is scrubbed of user:password@ before it reaches a message.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pygit2

from midway.errors import MidwayError
from midway.gitrepo.credentials import GitCredentials, scrub

if TYPE_CHECKING:
    from midway.gitrepo.writing import GitStore

T = TypeVar("T")
_VANISHED_REF_RETRIES = 8


def _vanished_private_ref(text: str) -> bool:
    """A local remote: another publisher deleted its private push ref while libgit2 was
    listing the remote's refs (for a fetch, an ls-remote or a push). Transient."""
    lowered = text.lower()
    return "refs/midway/push/" in lowered and "not found" in lowered


def _retrying(operation: Callable[[], T]) -> T:
    for attempt in range(_VANISHED_REF_RETRIES):
        try:
            return operation()
        except (pygit2.GitError, OSError) as exc:
            if attempt + 1 == _VANISHED_REF_RETRIES or not _vanished_private_ref(str(exc)):
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def remote_url(repo: pygit2.Repository, name: str) -> str | None:
    try:
        return str(repo.remotes[name].url)
    except (KeyError, ValueError):
        return None


def _remote(repo: pygit2.Repository, url: str) -> pygit2.Remote:
    """A configured remote by name (its URL resolved by libgit2), else an anonymous one."""
    if url in repo.remotes.names():
        return repo.remotes[url]
    return repo.remotes.create_anonymous(url)


def remote_branch(store: GitStore, url: str, branch: str) -> str | None:
    """The commit a remote's branch points at (None: no such branch), as `ls-remote`.
    `url` may also name a configured remote (`origin`)."""
    remote = _remote(store.repo, url)
    callbacks = GitCredentials(str(remote.url), store.path)
    try:
        heads = _retrying(lambda: remote.list_heads(callbacks=callbacks))
    except (pygit2.GitError, OSError) as exc:
        raise _remote_error("list branches of", url, exc) from None
    callbacks.approve()
    wanted = f"refs/heads/{branch}"
    for head in heads:
        if head.name == wanted:
            return str(head.oid)
    return None


def fetch_branch(store: GitStore, url: str, branch: str, tracking_ref: str) -> str | None:
    """Fetch a remote branch into `tracking_ref`; its commit id, or None if absent."""
    target = remote_branch(store, url, branch)
    if target is None:
        store.delete_ref(tracking_ref)
        return None
    if pygit2.Oid(hex=target) not in store.repo.odb:
        remote = _remote(store.repo, url)
        callbacks = GitCredentials(str(remote.url), store.path)
        try:
            _retrying(
                lambda: remote.fetch([f"+refs/heads/{branch}:{tracking_ref}"], callbacks=callbacks)
            )
        except (pygit2.GitError, OSError) as exc:
            raise _remote_error("fetch from", url, exc) from None
        callbacks.approve()
        fetched = store.ref_target(tracking_ref)
        return fetched
    store.set_ref(tracking_ref, target, f"midway: fetch {branch}")
    return target


def push_branch(
    store: GitStore, url: str, commit: str, branch: str, expected: str | None = None
) -> str | None:
    """Push `commit` to the remote branch without force, expecting the branch at
    `expected` (what it was fetched at). None on success, else why it was rejected (the
    branch moved: fetch, rebuild on the new head, push again).

    A network remote's receive-pack updates the ref atomically against the old id the
    push names. libgit2's *local* transport (paths, file://) overwrites the ref after its
    client-side fast-forward check instead, which loses a concurrent push; so for local
    remotes the objects travel on a private ref and the branch moves by our own CAS."""
    staging = f"refs/midway/push/{commit}"
    store.set_ref(staging, commit, "midway: push")
    remote = _remote(store.repo, url)
    base = Path(store.repo.workdir) if store.repo.workdir else store.path
    local_path = _local_remote_path(str(remote.url), base)
    target = staging if local_path is not None else f"refs/heads/{branch}"
    callbacks = GitCredentials(str(remote.url), store.path)
    try:
        remote.push([f"{staging}:{target}"], callbacks=callbacks)
    except (pygit2.GitError, OSError) as exc:
        text = scrub(str(exc))
        if _looks_rejected(text):
            return text
        raise _remote_error("push to", url, exc) from None
    finally:
        store.delete_ref(staging)
    if callbacks.rejected:
        return "; ".join(callbacks.rejected)
    callbacks.approve()
    if local_path is None:
        return None
    other = type(store).open(local_path)  # the GitStore class (importing it here is circular)
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
    if _vanished_private_ref(text):
        return True  # transient, like a lock: fetch, rebuild and push again
    return any(
        word in lowered
        for word in (
            "non-fast-forward",
            "fastforwardable",  # libgit2: "cannot push non-fastforwardable reference"
            "not present locally",  # libgit2: the remote branch moved past what we fetched
            "fetch first",
            "rejected",
            # a concurrent writer holds a ref/packed-refs lock in a local remote: transient,
            # handled like a rejection (fetch, rebuild, push again with backoff)
            "failed to lock",
            "locked",
        )
    )


def _remote_error(what: str, url: str, exc: BaseException) -> MidwayError:
    text = scrub(str(exc))
    if "hostkey" in text.lower():
        host = urllib.parse.urlsplit(url).hostname or url
        return MidwayError(
            f"cannot {what} {scrub(url)}: the ssh host key of {host} is not in known_hosts "
            "(or does not match it)",
            hint="add the server's key to ~/.ssh/known_hosts after checking its fingerprint, "
            f"e.g. `ssh-keyscan {host} >> ~/.ssh/known_hosts` (with -p PORT for another port)",
        )
    return MidwayError(
        f"cannot {what} {scrub(url)}: {text}",
        hint="credentials come from git: a credential helper, GIT_ASKPASS, the URL itself "
        "(https://user:token@host/...), or the ssh agent for ssh URLs",
    )
