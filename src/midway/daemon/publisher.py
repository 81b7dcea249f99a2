"""On a new config commit: load, render and publish it to the state repo (one commit).

Publisher does one publish, the same steps as `midway publish --rev <commit>`, through the
state package's writer (`midway.state.publishing.publish`): the same config commit twice
makes no new commit, and concurrent publishers (two replicas, CI) retry on a fresh parent.
A config that does not load or render is logged and counted; the state repo keeps its last
good commit. PublishLoop is the daemon's publish thread: it publishes the newest commit the
config watcher reported, off the main thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from midway.cache import Cache
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.daemon.log_setup import fields
from midway.daemon.metrics import Metrics
from midway.errors import MidwayError
from midway.model import ConfigRepo
from midway.render.pipeline import RenderOptions, render_config
from midway.state.argocd import ArgoSource
from midway.state.location import StateLocation
from midway.state.publishing import PublishRequest, config_origin, publish
from midway.state.tree import state_files
from midway.sync.backoff import Backoff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    config_commit: str
    state_commit: str | None  # the new commit; None when the state already held this render
    config: ConfigRepo
    objects: int
    changed_files: int
    render_s: float
    publish_s: float


class Publisher:
    """Renders config commits of one repo into one state branch. Thread-safe (serialised)."""

    def __init__(
        self,
        config_repo: Path,
        location: StateLocation,
        metrics: Metrics,
        *,
        cache: Cache | None = None,
        workers: int | None = None,
    ) -> None:
        self.config_repo = config_repo
        self.location = location
        self.metrics = metrics
        self.cache = cache or Cache()
        self.workers = workers
        self.last_published: str | None = None  # config commit
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def load(self, config_commit: str) -> ConfigRepo:
        """The config at a commit (for policies), without rendering."""
        return load_config(GitSource(self.config_repo, config_commit), self.cache)

    def publish(self, config_commit: str) -> Published | None:
        """Render + commit; None when the config is broken (logged, counted)."""
        with self._lock:
            started = time.monotonic()
            try:
                source = GitSource(self.config_repo, config_commit)
                config = load_config(source, self.cache)
                result = render_config(
                    # lazy: publish reads from the cache only the files the branch lacks
                    config,
                    source,
                    RenderOptions(cache=self.cache, workers=self.workers, lazy=True),
                )
            except MidwayError as exc:
                self.metrics.renders.labels("error").inc()
                self.last_error = exc.render()
                log.error(
                    "config commit %s does not render; the state repo keeps its last commit",
                    config_commit[:12],
                    extra=fields(config_commit=config_commit, error=exc.render()),
                )
                return None
            rendered = time.monotonic()
            self.metrics.renders.labels("ok").inc()
            self.metrics.render_duration.observe(rendered - started)
            settings = config.settings
            argo = ArgoSource(
                settings.state_repo_url or self.location.display, self.location.branch
            )
            files = state_files(result, argo)
            outcome = publish(
                PublishRequest(
                    files=files,
                    location=self.location,
                    origin=config_origin(self.config_repo, config_commit, worktree=False),
                    push=self.location.is_remote,
                )
            )
            done = time.monotonic()
            self.metrics.publish_duration.observe(done - started)
            self.last_published = config_commit
            self.last_error = None
            published = Published(
                config_commit=config_commit,
                state_commit=outcome.commit,
                config=config,
                objects=len(result.objects),
                changed_files=len(outcome.changes),
                render_s=rendered - started,
                publish_s=done - rendered,
            )
            log.info(
                "published config %s: %s",
                config_commit[:12],
                f"state commit {outcome.commit[:12]}"
                if outcome.commit
                else f"skipped, the state holds newer config {outcome.superseded_by[:12]}"
                if outcome.superseded_by
                else "no changes",
                extra=fields(
                    config_commit=config_commit,
                    state_commit=outcome.commit,
                    objects=published.objects,
                    changed_files=published.changed_files,
                    render_s=round(published.render_s, 3),
                    publish_s=round(published.publish_s, 3),
                ),
            )
            return published


class PublishLoop:
    """Publishes the newest config commit reported by the config watcher, in its own thread.

    A commit that does not render is not tried again (the next commit will be); a failed
    write (push rejected, remote down) is retried with backoff."""

    def __init__(
        self,
        publisher: Publisher,
        stopping: threading.Event,
        *,
        may_publish: Callable[[], bool],
        on_published: Callable[[str, Published], None],
    ) -> None:
        self.publisher = publisher
        self.pending: str | None = None  # the newest config commit reported
        self.wake = threading.Event()
        self._stopping = stopping
        self._may_publish = may_publish
        self._on_published = on_published
        self._thread: threading.Thread | None = None

    def config_committed(self, commit: str) -> None:
        """The config watcher's callback (its thread)."""
        self.pending = commit
        self.wake.set()

    def start(self) -> PublishLoop:
        self._thread = threading.Thread(target=self._run, name="publish", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        done: str | None = None  # last commit published or found broken
        retry = Backoff(base_s=2.0, cap_s=60.0)
        retry_at = 0.0
        while not self._stopping.is_set():
            self.wake.wait(1.0)
            if self._stopping.is_set():
                return
            self.wake.clear()
            commit = self.pending
            if commit is None or commit == done or not self._may_publish():
                continue
            if time.monotonic() < retry_at:
                continue
            try:
                published = self.publisher.publish(commit)
            except Exception as exc:
                delay = retry.failed("publish")
                retry_at = time.monotonic() + delay
                message = exc.render() if isinstance(exc, MidwayError) else repr(exc)
                log.error(
                    "publishing config %s failed (retry in %.0fs): %s",
                    commit[:12],
                    delay,
                    message,
                )
                continue
            retry.succeeded("publish")
            done = commit
            if published is not None:
                self._on_published(commit, published)
