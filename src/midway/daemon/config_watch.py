"""Notice new config commits: watchdog on a local repo, periodic fetch for a remote URL.

A local path: watchdog watches the repository's git directory (refs, HEAD, packed-refs)
and, debounced (a commit touches several files in a burst), reads the branch head; a slow
poll backs watchdog up (network filesystems drop events). A URL: a bare mirror in the
cache directory, fetched every `fetch_interval_s` with the git CLI (credentials come from
git's own configuration: a credential helper or a mounted SSH key, never from midway).

`on_commit(commit_id)` is called from the watcher's thread whenever the head moves to a
commit not reported before (and once at start).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from midway.cache import default_cache_dir
from midway.daemon.log_setup import fields
from midway.errors import MidwayError
from midway.gitrepo.reading import commit_stamp
from midway.state.location import is_url, scrub_url

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_S = 0.2
DEFAULT_POLL_S = 5.0
DEFAULT_FETCH_INTERVAL_S = 60.0


class ConfigWatcher:
    def __init__(
        self,
        source: str,
        on_commit: Callable[[str], None],
        *,
        rev: str = "HEAD",
        debounce_s: float = DEFAULT_DEBOUNCE_S,
        poll_s: float = DEFAULT_POLL_S,
        fetch_interval_s: float = DEFAULT_FETCH_INTERVAL_S,
        mirror_root: Path | None = None,
    ) -> None:
        self.source = source
        self.remote = is_url(source)
        self.on_commit = on_commit
        self.rev = rev
        self.debounce_s = debounce_s
        self.poll_s = fetch_interval_s if self.remote else poll_s
        self.head: str | None = None
        self.last_error: str | None = None
        if self.remote:
            root = mirror_root or default_cache_dir() or Path("/tmp/midway")
            digest = hashlib.sha256(scrub_url(source).encode()).hexdigest()[:16]
            self.repo_path = root / "config-remotes" / f"{digest}.git"
        else:
            self.repo_path = Path(source).resolve()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None

    # ------------------------------------------------------------------ reading

    def read_head(self) -> str | None:
        stamp = commit_stamp(self.repo_path, self.rev)
        return stamp.id if stamp else None

    def fetch(self) -> None:
        """Clone (first time) or fetch the remote config repo into the bare mirror."""
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        if not (self.repo_path / "HEAD").exists():
            self.repo_path.parent.mkdir(parents=True, exist_ok=True)
            command = ["git", "clone", "--bare", "--quiet", self.source, str(self.repo_path)]
        else:
            command = [
                "git",
                "--git-dir",
                str(self.repo_path),
                "fetch",
                "--quiet",
                "--prune",
                "origin",
                "+refs/heads/*:refs/heads/*",
            ]
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        if result.returncode != 0:
            raise MidwayError(
                f"cannot fetch the config repo {scrub_url(self.source)}: "
                f"{scrub_url(result.stderr.strip())}"
            )

    def check(self) -> str | None:
        """Read (fetching first for a URL) the head; report it if it moved."""
        try:
            if self.remote:
                self.fetch()
            head = self.read_head()
        except MidwayError as exc:
            if self.last_error != exc.message:
                log.warning("config repo: %s", exc.message)
            self.last_error = exc.message
            return None
        self.last_error = None
        if head is not None and head != self.head:
            self.head = head
            log.info("config commit %s", head[:12], extra=fields(config_commit=head))
            self.on_commit(head)
        return head

    # ------------------------------------------------------------------ loop

    def start(self) -> ConfigWatcher:
        if not self.remote:
            self._start_observer()
        self._thread = threading.Thread(target=self._run, name="config-watch", daemon=True)
        self._thread.start()
        return self

    def _start_observer(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        git_dir = _git_dir(self.repo_path)
        if git_dir is None:
            log.warning("%s is not a git repository; polling only", self.repo_path)
            return
        wake = self._wake

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                path = str(event.src_path)
                if "/objects/" in path or (path.endswith(".lock") and "refs" not in path):
                    return  # object writes come before the ref moves; wait for the ref
                wake.set()

        observer = Observer()
        observer.schedule(Handler(), str(git_dir), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def _run(self) -> None:
        self.check()
        while not self._stop.is_set():
            woke = self._wake.wait(self.poll_s)
            if self._stop.is_set():
                return
            if woke:
                # debounce: a commit writes objects, the index, the ref, the reflog...
                time.sleep(self.debounce_s)
                self._wake.clear()
            try:
                self.check()
            except Exception:
                log.exception("config watch failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(2)
        if self._thread is not None:
            self._thread.join(2)


def _git_dir(path: Path) -> Path | None:
    if (path / ".git").is_dir():
        return path / ".git"
    if (path / "HEAD").is_file() and (path / "refs").is_dir():
        return path  # bare
    return None
