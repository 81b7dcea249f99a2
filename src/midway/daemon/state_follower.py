"""Following the state branch: its head, a destination's objects, the config of a commit.

One StateReader, opened on first use (the state repo may not exist before the first
publish) and shared by the main loop and `--once` under a lock. The follower remembers the
state commit being worked and the config it was rendered from (its `Config-Commit`
trailer: that config's policies apply), and why the state cannot be read, if it cannot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from midway.daemon.log_setup import fields
from midway.daemon.publisher import Publisher
from midway.daemon.status_document import DestinationMemory
from midway.drift.model import DesiredObject
from midway.errors import MidwayError
from midway.model import ConfigRepo, Destination
from midway.state.location import StateLocation
from midway.state.reader import StateReader
from midway.sync.destination import desired_objects

log = logging.getLogger(__name__)


class StateFollower:
    def __init__(
        self,
        location: StateLocation,
        publisher: Publisher,
        *,
        restored: Mapping[str, DestinationMemory],
    ) -> None:
        self.location = location
        self.publisher = publisher  # loads the config of a config commit
        self.commit: str | None = None  # the state commit being worked
        self.config: ConfigRepo | None = None  # the config `commit` was rendered from
        self.error: str | None = None  # why there is no (new) state commit
        self.configs: dict[str, ConfigRepo] = {}  # config commit -> its config
        self._restored = restored  # per destination, from the status file of the previous run
        self._reader: StateReader | None = None
        self._reader_lock = threading.Lock()

    def open_reader(self) -> StateReader | None:
        with self._reader_lock:
            if self._reader is None:
                if self.location.path is not None and not self.location.path.exists():
                    self.error = f"the state repo {self.location.display} does not exist yet"
                    return None
                try:
                    self._reader = StateReader.open(self.location)
                except MidwayError as exc:
                    self.error = exc.message
                    return None
            return self._reader

    def head(self, fetch: bool = True) -> str | None:
        """The state branch head; `fetch=False` reads a remote repo's local mirror only."""
        reader = self.open_reader()
        if reader is None:
            return None
        with self._reader_lock:
            try:
                if fetch or not self.location.is_remote:
                    reader.head = reader.opened.fetch()
                else:
                    reader.head = reader.opened.store.ref_target(reader.opened.read_ref)
            except MidwayError as exc:
                self.error = exc.message
                return None
            self.error = None if reader.head else "the state branch has no commit yet"
            return reader.head

    def config_for(self, config_commit: str | None) -> ConfigRepo | None:
        if config_commit and config_commit in self.configs:
            return self.configs[config_commit]
        if config_commit:
            try:
                config = self.publisher.load(config_commit)
            except MidwayError as exc:
                log.warning("cannot load config %s for policies: %s", config_commit[:12], exc)
            else:
                self.configs[config_commit] = config
                return config
        return self.config  # the state was published from elsewhere: best effort

    def objects(
        self, commit: str, destination: Destination
    ) -> tuple[list[DesiredObject], dict[str, str]]:
        reader = self.open_reader()
        assert reader is not None
        with self._reader_lock:
            objects = reader.objects(commit, env=destination.env, cluster=destination.cluster)
        return desired_objects(objects), {o.path: o.blob for o in objects}

    def previous_objects(
        self, destination: Destination, commit: str
    ) -> tuple[list[DesiredObject] | None, str | None]:
        """What to prune against on first sight: the commit applied before a restart
        (status file), else the parent of `commit`."""
        restored = self._restored.get(str(destination))
        applied = restored.applied_commit if restored else None
        reader = self.open_reader()
        assert reader is not None
        candidates = [applied] if applied else []
        with self._reader_lock:
            parents = list(reader.commit(commit).parents)
        candidates += parents[:1]
        for candidate in candidates:
            try:
                objects, _ = self.objects(candidate, destination)
            except MidwayError:
                continue
            return objects, applied
        return None, applied

    def follow(self, apply: Callable[[], None], fetch: bool = True) -> None:
        """Move to a new state head, if there is one, and `apply` it; should `apply` fail,
        the head is tried again next time."""
        head = self.head(fetch)
        if head is None or head == self.commit:
            return
        reader = self.open_reader()
        assert reader is not None
        with self._reader_lock:
            commit = reader.commit(head)
        config = self.config_for(commit.config_commit)
        if config is None:
            self.error = (
                f"state commit {head[:12]} names config commit {commit.config_commit} "
                "which cannot be loaded"
            )
            return
        previous = (self.config, self.commit)
        self.config = config
        self.commit = head
        log.info(
            "state commit %s", head[:12], extra=fields(state_commit=head, summary=commit.summary)
        )
        try:
            apply()
        except BaseException:
            # not handed to every destination: try this commit again on the next poll
            self.config, self.commit = previous
            raise
