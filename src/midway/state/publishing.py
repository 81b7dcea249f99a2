"""Publish a render as ONE commit on the state branch (docs/design.md §7).

    the branch head already holds a NEWER config commit (one whose history contains ours)?
      -> skip: an older pipeline finishing late must not roll the state back
    plan tree (hash in memory, compare with the branch head's tree)
      -> same tree: no commit (no-op)
      -> validate the new/changed files -> write missing objects -> commit (time = config
         commit's time, so the same input gives the same commit id)
      -> move the branch with compare-and-swap (local) or push without force (remote)
      -> lost the race: re-read the head, re-plan on it (same tree again = someone else
         published it already), retry with bounded, jittered backoff.

A kill at any instant leaves the branch at the old or the new commit: the ref moves last and
atomically; objects written before are unreferenced garbage that `git gc` collects.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from midway.errors import MidwayError
from midway.gitrepo.reading import CommitStamp, commit_stamp, contains, repository_identity
from midway.gitrepo.trees import FileChange, PathConflict
from midway.gitrepo.writing import GitStore, Stamp
from midway.state.location import StateLocation, scrub_url
from midway.state.message import (
    TRAILER_COMMIT,
    TRAILER_REPO,
    ChangeSummary,
    PathChange,
    commit_message,
    parse_trailers,
    summarize,
    trailer_lookup,
)
from midway.state.repository import OpenedState, open_state, tracking_ref
from midway.state.tree import check_single_objects

DEFAULT_NAME = "midway"
DEFAULT_EMAIL = "midway@localhost"
MAX_ATTEMPTS = 30
BACKOFF_BASE = 0.02
BACKOFF_CAP = 2.0


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    def at(self, when: int, offset: int) -> Stamp:
        return Stamp(self.name, self.email, when, offset)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


DEFAULT_IDENTITY = Identity(DEFAULT_NAME, DEFAULT_EMAIL)


def parse_identity(text: str, what: str = "--author") -> Identity:
    """`Name <email>` as git writes it."""
    name, sep, rest = text.strip().partition("<")
    email = rest[:-1] if rest.endswith(">") else ""
    if not sep or not name.strip() or not email or "<" in email or ">" in email:
        raise MidwayError(
            f"{what} `{text}` is not of the form `Name <email>`",
            hint='for example --author "Platform Bot <platform-bot@example.com>"',
        )
    return Identity(name.strip(), email.strip())


@dataclass(frozen=True)
class ConfigOrigin:
    """What the state commit says about its input: trailers and the commit time to reuse."""

    commit: str | None  # full id of the config commit rendered (HEAD for a dirty worktree)
    repo: str  # URL (without credentials) or path of the config repo
    dirty: bool  # rendered from a working tree rather than exactly `commit`
    time: int
    offset: int
    directory: Path | None = None  # the local config repo, to compare commits' history
    vendor_lock: tuple[str, ...] = ()  # jsonnetfile.lock.json: `<name> <version> <sum>` each


def config_origin(config_dir: Path, rev: str | None, *, worktree: bool) -> ConfigOrigin:
    """For a git revision: its id and time. For the working tree: HEAD (if any) + dirty.
    Without git or commits the time is now and there is no Config-Commit."""
    stamp: CommitStamp | None = commit_stamp(config_dir, rev or "HEAD")
    if rev is not None and stamp is None:
        raise MidwayError(f"revision `{rev}` does not exist in {config_dir}")
    repo = repository_identity(config_dir) or str(config_dir.resolve())
    if stamp is None:
        now = int(time.time())
        return ConfigOrigin(None, scrub_url(repo), True, now, 0)
    return ConfigOrigin(
        stamp.id, scrub_url(repo), worktree, stamp.time, stamp.offset, config_dir.resolve()
    )


@dataclass(frozen=True)
class PublishRequest:
    files: Mapping[str, bytes]  # the whole state tree
    location: StateLocation
    origin: ConfigOrigin
    author: Identity = DEFAULT_IDENTITY
    committer: Identity | None = None  # default: the author
    push: bool = False
    dry_run: bool = False
    validate: bool = True
    max_attempts: int = MAX_ATTEMPTS
    mirror_dir: Path | None = None  # where URL state repos are mirrored (default: cache dir)
    allow_older: bool = False  # publish even if the branch holds a newer config commit


@dataclass(frozen=True)
class PublishOutcome:
    location: StateLocation
    repository: Path  # the local repository written (the mirror for a URL)
    commit: str | None  # the new commit; None for a no-op or a dry run
    parent: str | None  # branch head the commit was made on (or found unchanged)
    tree: str
    message: str
    summary: ChangeSummary
    changes: tuple[FileChange, ...] = field(repr=False)
    objects_written: int
    attempts: int
    pushed: bool
    dry_run: bool
    worktree_stale: bool = False  # a non-bare state repo has the branch checked out
    # The branch already holds this config commit, which contains ours: nothing was published.
    superseded_by: str | None = None
    # The branch holds a config commit this clone does not have: whether ours is older could
    # not be told (a shallow clone?); published anyway.
    unknown_config: str | None = None

    @property
    def noop(self) -> bool:
        return not self.changes and self.commit is None


def publish(request: PublishRequest) -> PublishOutcome:
    location = request.location
    if location.is_remote and not (request.push or request.dry_run):
        raise MidwayError(
            f"the state repo {location.display} is remote: pass --push to publish to it",
            hint="or --dry-run to see what would be committed",
        )
    if request.dry_run and location.path is not None and not location.path.exists():
        with tempfile.TemporaryDirectory(prefix="midway-dry-run-") as scratch:
            empty = OpenedState(location, GitStore.open(Path(scratch) / "s.git", create=True), None)
            return _publish(request, empty)
    opened = open_state(
        location, create=not request.dry_run, push=request.push, mirror_dir=request.mirror_dir
    )
    return _publish(request, opened)


def _publish(request: PublishRequest, opened: OpenedState) -> PublishOutcome:
    checked: set[str] = set()  # blob ids already through the validation gate
    for attempt in range(1, request.max_attempts + 1):
        outcome = _attempt(request, opened, attempt, checked)
        if outcome is not None:
            return outcome
        _backoff(attempt)
    raise MidwayError(
        f"could not update {opened.location} after {request.max_attempts} attempts: other "
        "publishers kept moving the branch",
        hint="run it again; if it keeps failing, serialize publishers (e.g. a CI concurrency "
        "group per state branch)",
    )


def _attempt(
    request: PublishRequest, opened: OpenedState, attempt: int, checked: set[str]
) -> PublishOutcome | None:
    """One try on the current head; None when another publisher moved the branch first."""
    store, location, origin = opened.store, opened.location, request.origin
    head = opened.fetch()
    head_info = store.commit_info(head) if head else None
    ancestry = (
        _ancestry(origin, head_info.message)
        if head_info is not None and not request.allow_older
        else _Ancestry()
    )
    if ancestry.superseded_by is not None:
        return PublishOutcome(
            location=location,
            repository=store.path,
            commit=None,
            parent=head,
            tree=head_info.tree if head_info else "",
            message="",
            summary=ChangeSummary(),
            changes=(),
            objects_written=0,
            attempts=attempt,
            pushed=False,
            dry_run=request.dry_run,
            superseded_by=ancestry.superseded_by,
        )
    base_tree = head_info.tree if head_info else None
    try:
        plan = store.plan_tree(request.files, base_tree)
    except PathConflict as exc:
        raise MidwayError(f"cannot lay out the state tree: {exc}") from None
    if request.validate:
        fresh = [c for c in plan.changes if c.new is not None and c.new not in checked]
        check_single_objects(request.files, (c.path for c in fresh))
        checked.update(c.new for c in fresh if c.new is not None)
    summary = summarize(PathChange(c.path, c.action) for c in plan.changes)

    def outcome(commit: str | None, message: str, written: int, pushed: bool) -> PublishOutcome:
        return PublishOutcome(
            location=location,
            repository=store.path,
            commit=commit,
            parent=head,
            tree=plan.tree,
            message=message,
            summary=summary,
            changes=tuple(plan.changes),
            objects_written=written,
            attempts=attempt,
            pushed=pushed,
            dry_run=request.dry_run,
            worktree_stale=commit is not None and store.checked_out_branch() == location.ref,
            unknown_config=ancestry.unknown,
        )

    if not plan.changed:
        if opened.remote and head and not request.dry_run:
            # keep the local branch in step with the remote it mirrors
            store.set_ref(location.ref, head, "midway: sync with remote")
        return outcome(None, "", 0, False)
    message = commit_message(
        config_commit=origin.commit,
        config_repo=origin.repo,
        dirty=origin.dirty,
        summary=summary,
        vendor_lock=origin.vendor_lock,
    )
    if request.dry_run:
        return outcome(None, message, 0, False)
    written = store.write_plan(plan)
    author = request.author.at(origin.time, origin.offset)
    committer = (request.committer or request.author).at(origin.time, origin.offset)
    commit = store.create_commit(plan.tree, [head] if head else [], message, author, committer)
    reflog = f"midway publish: {message.splitlines()[0]}"
    if opened.remote is not None:
        rejected = store.push_branch(opened.remote, commit, location.branch, head)
        if rejected is None:
            store.set_ref(tracking_ref(location.branch), commit, reflog)
            store.set_ref(location.ref, commit, reflog)
            return outcome(commit, message, written, True)
    elif store.compare_and_swap(location.ref, commit, head, reflog):
        return outcome(commit, message, written, False)
    return None


@dataclass(frozen=True)
class _Ancestry:
    superseded_by: str | None = None
    unknown: str | None = None


def _ancestry(origin: ConfigOrigin, head_message: str) -> _Ancestry:
    """How our config commit relates to the one the branch head was rendered from."""
    trailers = parse_trailers(head_message)
    published = trailer_lookup(trailers, TRAILER_COMMIT)
    published_repo = trailer_lookup(trailers, TRAILER_REPO)
    if (
        origin.commit is None
        or origin.directory is None
        or published is None
        or published == origin.commit
        or published_repo != origin.repo  # another config repo: its history is not ours
    ):
        return _Ancestry()
    newer = contains(origin.directory, published, origin.commit)
    if newer is None:
        return _Ancestry(unknown=published)
    return _Ancestry(superseded_by=published if newer else None)


def _backoff(attempt: int) -> None:
    """Bounded exponential backoff with full jitter, so racing publishers spread out."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempt, 10)))
    time.sleep(random.uniform(0, ceiling))
