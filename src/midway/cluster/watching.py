"""A watch-based cache of one resource type (an informer).

List once, then watch from the list's resourceVersion; on 410 Gone or any error, back
off and list again, reporting what changed meanwhile as events. Runs in a daemon thread;
the store is keyed by (namespace, name) and safe to read from any thread.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import urllib3

from midway.cluster.connection import Connection
from midway.cluster.discovery import Resource
from midway.cluster.errors import Gone, status_error
from midway.cluster.fetching import list_objects
from midway.errors import ClusterError

log = logging.getLogger(__name__)

ObjKey = tuple[str, str]  # (namespace or "", name)
EventHandler = Callable[[str, dict[str, Any]], None]  # ("ADDED"|"MODIFIED"|"DELETED", obj)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


def key_of(obj: dict[str, Any]) -> ObjKey:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class WatchCache:
    """Live copy of all objects of one type (optionally one namespace / label selector).

    `on_event(type, obj)` is called from the watch thread for every change, including
    the differences found by a relist. `synced` is set after the first complete list.
    """

    def __init__(
        self,
        conn: Connection,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        on_event: EventHandler | None = None,
        watch_timeout_s: int = 300,
        backoff_s: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self.conn = conn
        self.resource = resource
        self.namespace = namespace if resource.namespaced else None
        self.label_selector = label_selector
        self.on_event = on_event
        self.watch_timeout_s = watch_timeout_s
        self.backoff_s = backoff_s
        self.synced = threading.Event()
        self.restarts = 0  # watches re-opened after an error or 410 Gone
        self.relists = 0  # lists after the first one
        self.last_error: ClusterError | None = None
        self.resource_version = ""
        self._store: dict[ObjKey, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._response: urllib3.BaseHTTPResponse | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        scope = f" in {self.namespace}" if self.namespace else ""
        return f"WatchCache({self.resource}{scope}, {len(self)} objects)"

    # ------------------------------------------------------------------ public

    def start(self) -> WatchCache:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"watch-{self.resource.plural}", daemon=True
            )
            self._thread.start()
        return self

    def wait_synced(self, timeout_s: float = 30.0) -> None:
        """Block until the first list is in; ClusterError (the last failure) if it is not."""
        if not self.synced.wait(timeout_s):
            reason = f": {self.last_error.message}" if self.last_error else ""
            raise ClusterError(
                f"the watch of {self.resource.plural} on {self.conn.describe()} did not sync "
                f"within {timeout_s:g}s{reason}"
            )

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            response = self._response
        if response is not None:
            _abort(response)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def __enter__(self) -> WatchCache:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def get(self, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._store.get((namespace or "", name))

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._store.values())

    def object_keys(self) -> list[ObjKey]:
        with self._lock:
            return list(self._store)

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)

    # ------------------------------------------------------------------ loop

    def _run(self) -> None:
        delay = self.backoff_s[0]
        need_list = True
        while not self._stopping.is_set():
            try:
                if need_list:
                    self._relist()
                    need_list = False
                    delay = self.backoff_s[0]
                self._watch_once()  # returns when the server ends the watch (timeout)
            except Gone:
                log.debug("watch of %s: resourceVersion too old, relisting", self.resource)
                need_list = True
                self.restarts += 1
            except Exception as exc:  # the loop must survive anything
                if self._stopping.is_set():
                    break
                self.last_error = exc if isinstance(exc, ClusterError) else ClusterError(str(exc))
                # one line when the watch starts failing, not one per retry
                level = logging.WARNING if delay == self.backoff_s[0] else logging.DEBUG
                log.log(level, "watch of %s failed (retry in %.1fs): %s", self.resource, delay, exc)
                need_list = True
                self.restarts += 1
                self._stopping.wait(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.backoff_s[1])

    def _relist(self) -> None:
        items, resource_version = list_objects(
            self.conn, self.resource, self.namespace, self.label_selector
        )
        fresh = {key_of(obj): obj for obj in items}
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            old = self._store
            for key, obj in fresh.items():
                before = old.get(key)
                if before is None:
                    events.append((ADDED, obj))
                elif _rv(before) != _rv(obj):
                    events.append((MODIFIED, obj))
            events.extend((DELETED, obj) for key, obj in old.items() if key not in fresh)
            self._store = fresh
            self.resource_version = resource_version
        if self.synced.is_set():
            self.relists += 1
        self.synced.set()
        for event_type, obj in events:
            self._emit(event_type, obj)

    def _watch_once(self) -> None:
        query = [
            ("watch", "1"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", self.resource_version),
            ("timeoutSeconds", str(self.watch_timeout_s)),
        ]
        if self.label_selector:
            query.append(("labelSelector", self.label_selector))
        read_timeout = float(self.watch_timeout_s + 30)
        response = self.conn.stream(
            self.resource.path(self.namespace),
            action=f"watch {self.resource.plural}",
            query=query,
            timeout=(self.conn.timeout[0], read_timeout),
        )
        with self._lock:
            self._response = response
        try:
            if self._stopping.is_set():
                return
            for line in _lines(response):
                if self._stopping.is_set():
                    return
                self._handle(json.loads(line))
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if self._stopping.is_set():
                return
            raise ClusterError(
                f"the watch of {self.resource.plural} on {self.conn.describe()} broke: {exc}"
            ) from None
        finally:
            with self._lock:
                self._response = None
            response.release_conn()

    def _handle(self, event: dict[str, Any]) -> None:
        event_type = str(event.get("type", ""))
        obj = event.get("object") or {}
        if event_type == "ERROR":
            code = int(obj.get("code") or 500)
            raise status_error(
                code,
                json.dumps(obj),
                action=f"watch {self.resource.plural}",
                target=self.conn.describe(),
            )
        rv = _rv(obj)
        if event_type == "BOOKMARK":
            if rv:
                self.resource_version = rv
            return
        key = key_of(obj)
        with self._lock:
            if event_type == DELETED:
                self._store.pop(key, None)
            else:
                self._store[key] = obj
            if rv:
                self.resource_version = rv
        self._emit(event_type, obj)

    def _emit(self, event_type: str, obj: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event_type, obj)
        except Exception:  # a broken handler must not kill the watch
            log.exception("on_event handler failed for %s %s", event_type, key_of(obj))


def _rv(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """Complete lines of a chunked watch stream, yielded as soon as each arrives."""
    pending = b""
    for chunk in response.stream(65536, decode_content=True):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def _abort(response: urllib3.BaseHTTPResponse) -> None:
    """Unblock a thread reading the response (stop())."""
    shutdown = getattr(response, "shutdown", None)
    try:
        if callable(shutdown):
            shutdown()
        response.close()
    except Exception:  # best effort; the thread is a daemon anyway
        log.debug("closing the watch response failed", exc_info=True)
