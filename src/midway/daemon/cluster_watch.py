"""Live objects of one destination: a WatchCache per resource type in use, plus a probe.

Only midway's objects of that environment are watched (label selector
`app.kubernetes.io/managed-by=midway,midway.dev/env=<env>`): memory stays proportional to
what midway manages, and a label removed by hand looks like a deletion, which makes the
reconciler put the object (and its labels) back. Every change is handed to `on_change`
(which enqueues the object); `probe` tells whether the API server answers, for /readyz.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from midway.cluster import Connection, Resource, WatchCache, resolve
from midway.daemon.log_setup import fields
from midway.errors import ClusterError
from midway.model import LABEL_ENV, LABEL_MANAGED_BY, MANAGED_BY_VALUE, Destination, ObjectKey
from midway.objects.apiversion import group_of

log = logging.getLogger(__name__)

GroupKind = tuple[str, str]  # (group, kind)
ChangeHandler = Callable[[str, ObjectKey, Mapping[str, Any]], None]  # (event, key, obj)


class ClusterWatch:
    """Watch caches of one destination, started per resource type on first use."""

    def __init__(
        self,
        conn: Connection,
        destination: Destination,
        on_change: ChangeHandler,
        *,
        watch_timeout_s: int = 300,
        backoff_s: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self.conn = conn
        self.destination = destination
        self.on_change = on_change
        self.watch_timeout_s = watch_timeout_s
        self.backoff_s = backoff_s
        self.selector = f"{LABEL_MANAGED_BY}={MANAGED_BY_VALUE},{LABEL_ENV}={destination.env}"
        self.caches: dict[GroupKind, WatchCache] = {}
        self.unresolved: dict[str, str] = {}  # "apiVersion kind" -> why it cannot be watched
        self.reachable = True
        self.last_probe_error: str | None = None
        self._unresolved_types: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def ensure(self, types: Iterable[tuple[str, str]]) -> None:
        """Start watching every (apiVersion, kind) not watched yet. Kinds the cluster does
        not serve (or that cannot be discovered now) are remembered in `unresolved` and
        tried again by `retry_unresolved`."""
        for api_version, kind in sorted(set(types)):
            group_kind = (group_of(api_version), kind)
            with self._lock:
                if group_kind in self.caches:
                    continue
            try:
                resource = resolve(self.conn, api_version, kind)
            except ClusterError as exc:
                self.unresolved[f"{api_version} {kind}"] = exc.message
                self._unresolved_types.add((api_version, kind))
                continue
            self._unresolved_types.discard((api_version, kind))
            self.unresolved.pop(f"{api_version} {kind}", None)
            self._start(group_kind, resource)

    def _start(self, group_kind: GroupKind, resource: Resource) -> None:
        def handler(event: str, obj: dict[str, Any]) -> None:
            self.on_change(event, ObjectKey.of(obj), obj)

        cache = WatchCache(
            self.conn,
            resource,
            label_selector=self.selector,
            on_event=handler,
            watch_timeout_s=self.watch_timeout_s,
            backoff_s=self.backoff_s,
        )
        with self._lock:
            self.caches[group_kind] = cache
        cache.start()
        log.info(
            "watching %s",
            resource.plural,
            extra=fields(destination=str(self.destination), resource=str(resource)),
        )

    def live(self, key: ObjectKey) -> dict[str, Any] | None:
        with self._lock:
            cache = self.caches.get((key.group, key.kind))
        if cache is None:
            return None
        return cache.get(key.namespace or None, key.name)

    def watched(self, key: ObjectKey) -> bool:
        with self._lock:
            return (key.group, key.kind) in self.caches

    def retry_unresolved(self) -> None:
        if self._unresolved_types:
            self.ensure(list(self._unresolved_types))

    def synced_for(self, key: ObjectKey) -> bool:
        """Whether the cache of this object's kind has its first list (True if unwatched)."""
        with self._lock:
            cache = self.caches.get((key.group, key.kind))
        return cache is None or cache.synced.is_set()

    def live_objects_of(self, group_kind: GroupKind) -> list[dict[str, Any]]:
        with self._lock:
            cache = self.caches.get(group_kind)
        return cache.items() if cache is not None else []

    def live_objects(self) -> list[dict[str, Any]]:
        with self._lock:
            caches = list(self.caches.values())
        return [obj for cache in caches for obj in cache.items()]

    def synced(self) -> bool:
        with self._lock:
            caches = list(self.caches.values())
        return all(cache.synced.is_set() for cache in caches)

    def wait_synced(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            caches = list(self.caches.values())
        return all(cache.synced.wait(max(deadline - time.monotonic(), 0)) for cache in caches)

    def probe(self, timeout_s: float = 3.0) -> bool:
        """Ask the API server for /version; remembers the answer in `reachable`."""
        try:
            self.conn.probe(timeout=(timeout_s, timeout_s))
        except ClusterError as exc:
            if self.reachable:
                log.warning(
                    "cluster unreachable: %s",
                    exc.message,
                    extra=fields(destination=str(self.destination)),
                )
            self.reachable = False
            self.last_probe_error = exc.message
            return False
        if not self.reachable:
            log.info("cluster reachable again", extra=fields(destination=str(self.destination)))
        self.reachable = True
        self.last_probe_error = None
        return True

    def stats(self) -> list[tuple[str, int, int]]:
        """(resource, watch restarts, cached objects) per cache, for metrics."""
        with self._lock:
            caches = list(self.caches.values())
        return [(cache.resource.plural, cache.restarts, len(cache)) for cache in caches]

    def stop(self) -> None:
        with self._lock:
            caches = list(self.caches.values())
            self.caches.clear()
        for cache in caches:
            cache.stop(timeout_s=1.0)
