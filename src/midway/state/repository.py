"""Open the git repository behind a StateLocation: the local repo itself, or for a URL a local
mirror in the cache directory that is fetched before reading and pushed from when publishing.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from midway.cache import default_cache_dir
from midway.errors import MidwayError
from midway.gitrepo.writing import GitStore
from midway.state.location import StateLocation, scrub_url

MIRRORS_DIR = "state-remotes"


def tracking_ref(branch: str) -> str:
    return f"refs/remotes/origin/{branch}"


def mirror_path(url: str, base: Path | None = None) -> Path:
    """Where a remote state repo is mirrored; named by a hash of its credential-free URL."""
    root = base or default_cache_dir() or Path(tempfile.gettempdir()) / "midway"
    digest = hashlib.sha256(scrub_url(url).encode()).hexdigest()[:16]
    return root / MIRRORS_DIR / f"{digest}.git"


@dataclass
class OpenedState:
    """A state location resolved to a local store, and where its authoritative branch is."""

    location: StateLocation
    store: GitStore
    remote: str | None  # URL or remote name to fetch from / push to; None = local only

    @property
    def read_ref(self) -> str:
        """The ref to read: the remote-tracking ref after a fetch, else the local branch."""
        return tracking_ref(self.location.branch) if self.remote else self.location.ref

    def fetch(self) -> str | None:
        """Refresh from the remote (if any); the branch head commit id, None if absent."""
        if self.remote is None:
            return self.store.ref_target(self.location.ref)
        return self.store.fetch_branch(
            self.remote, self.location.branch, tracking_ref(self.location.branch)
        )


def open_state(
    location: StateLocation,
    *,
    create: bool = False,
    push: bool = False,
    mirror_dir: Path | None = None,
) -> OpenedState:
    """`push` with a local path pushes to that repository's `origin` remote."""
    if location.url is not None:
        store = GitStore.open(
            mirror_path(location.url, mirror_dir), create=True, initial_branch=location.branch
        )
        return OpenedState(location, store, location.url)
    assert location.path is not None
    store = GitStore.open(location.path, create=create, initial_branch=location.branch)
    remote = None
    if push:
        if store.remote_url("origin") is None:
            raise MidwayError(
                f"--push: the state repository {location.path} has no `origin` remote",
                hint="add one (git -C <state repo> remote add origin URL) or pass the remote "
                "as --state URL[@BRANCH]",
            )
        remote = "origin"
    return OpenedState(location, store, remote)
