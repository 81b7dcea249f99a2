"""Continuous drift detection: a WatchCache per resource type, re-evaluated on each change.

One watch per resource type in use (label-selected: the objects midway manages for the
environment), plus one of HorizontalPodAutoscalers (their targets decide the hpa preset).
Watch threads only enqueue; one evaluator thread takes each changed object, judges it
again (server mode: a dry-run, cached by object hash and resourceVersion) and reports a
DriftEvent when its verdict changed. Typical latency from a live change to the event is
the watch delivery (milliseconds) plus one dry-run request.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from midway.cluster import Connection, Resource, WatchCache, get_resource, resolve
from midway.drift.evaluate import evaluate_object
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import (
    ClusterFacts,
    CompareMode,
    DesiredObject,
    DriftEvent,
    DriftReport,
    ObjectDrift,
    ObjectError,
)
from midway.drift.scan import (
    SCALABLE_KINDS,
    DryRunCache,
    RequestCounter,
    evaluate_live,
    hpa_facts,
    is_orphan_candidate,
    ownership_selector,
    resolve_desired,
)
from midway.errors import ClusterError
from midway.model import Destination, ObjectKey

log = logging.getLogger(__name__)

EventSink = Callable[[DriftEvent], None]
_STOP = object()


@dataclass(frozen=True)
class _Change:
    key: ObjectKey
    trigger: str
    obj: dict[str, Any] | None
    seen: float  # time.monotonic() when the watch delivered it


def _signature(drift: ObjectDrift) -> tuple[Any, ...]:
    """What makes two verdicts different for the reader (not resourceVersion)."""
    return (
        drift.status,
        tuple((f.pointer, f.change, repr(f.live), f.manager, f.ignored_by) for f in drift.fields),
    )


class DriftWatcher:
    """Watch one destination's objects and report each change of verdict.

    `start()` lists everything once (through the watches), returns the initial report and
    from then on calls `on_event` from the evaluator thread. `stop()` ends it all.
    """

    def __init__(
        self,
        conn: Connection,
        desired: Sequence[DesiredObject],
        *,
        destination: Destination,
        mode: CompareMode = "server",
        rules: IgnoreRules | None = None,
        on_event: EventSink,
        app: str | None = None,
        orphans: bool = True,
        orphan_namespaces: str | None = None,
        workers: int = 8,
        state_commit: str | None = None,
    ) -> None:
        self.conn = conn
        self.destination = destination
        self.mode: CompareMode = mode
        self.rules = rules or IgnoreRules()
        self.on_event = on_event
        self.app = app
        self.orphans = orphans
        self.orphan_namespaces = orphan_namespaces
        self.workers = workers
        self.state_commit = state_commit
        self.counter = RequestCounter()
        self.cache = DryRunCache()
        self.desired = {d.key: d for d in desired}
        self._namespaces = frozenset(k.namespace for k in self.desired if k.namespace)
        self.verdicts: dict[ObjectKey, ObjectDrift] = {}
        self.errors: dict[ObjectKey, ObjectError] = {}
        self.facts = ClusterFacts()
        self._signatures: dict[ObjectKey, tuple[Any, ...]] = {}
        self._caches: dict[tuple[str, str], WatchCache] = {}  # (group, kind) -> cache
        self._resources: dict[tuple[str, str], Resource] = {}  # (apiVersion, kind)
        self._hpa_cache: WatchCache | None = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self, sync_timeout_s: float = 60.0) -> DriftReport:
        began = time.monotonic()
        resolved = resolve_desired(self.conn, list(self.desired.values()), self.counter)
        for error in resolved.errors:
            self.errors[error.key] = error
        self._resources = resolved.resources
        selector = ownership_selector(self.destination.env, self.app)
        for resource in {r: None for r in resolved.resources.values()}:
            cache = WatchCache(
                self.conn, resource, label_selector=selector, on_event=self._watch_event
            )
            self._caches[(resource.group, resource.kind)] = cache
        if any(k.kind in SCALABLE_KINDS for k in self.desired):
            try:
                hpa = resolve(self.conn, "autoscaling/v1", "HorizontalPodAutoscaler")
            except ClusterError:
                hpa = None
            if hpa is not None:
                self._hpa_cache = WatchCache(self.conn, hpa, on_event=self._hpa_event)
        for cache in self._all_caches():
            cache.start()
        for cache in self._all_caches():
            cache.wait_synced(sync_timeout_s)
        self.counter.add(len(self._all_caches()))
        if self._hpa_cache is not None:
            self.facts = hpa_facts(self._hpa_cache.items())
        report = self._initial_report(began)
        self._started.set()
        self._thread = threading.Thread(target=self._run, name="drift-evaluator", daemon=True)
        self._thread.start()
        return report

    def stop(self) -> None:
        for cache in self._all_caches():
            cache.stop(timeout_s=1.0)
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(5.0)

    def __enter__(self) -> DriftWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _all_caches(self) -> list[WatchCache]:
        caches = list(self._caches.values())
        if self._hpa_cache is not None:
            caches.append(self._hpa_cache)
        return caches

    # ------------------------------------------------------------------ evaluation

    def _live(self, key: ObjectKey) -> dict[str, Any] | None:
        cache = self._caches.get((key.group, key.kind))
        if cache is not None:
            found = cache.get(key.namespace or None, key.name)
            if found is not None:
                return found
        desired = self.desired.get(key)
        if desired is None:
            return None
        # not in the label-selected watch: missing, or its labels were removed live
        resource: Resource | None = self._resources.get((desired.api_version, key.kind))
        if resource is None:
            return None
        self.counter.add(1)
        return get_resource(self.conn, resource, key.namespace or None, key.name)

    def _judge(
        self, key: ObjectKey, live: dict[str, Any] | None
    ) -> ObjectDrift | ObjectError | None:
        desired = self.desired.get(key)
        if desired is not None:
            return evaluate_live(
                self.conn,
                desired,
                live,
                mode=self.mode,
                rules=self.rules,
                facts=self.facts,
                cache=self.cache,
                counter=self.counter,
            )
        if (
            live is not None
            and self.orphans
            and is_orphan_candidate(
                live,
                self.destination.env,
                self.orphan_namespaces,
                self._namespaces,
                self.destination.cluster,
            )
        ):
            return evaluate_object(None, live, mode=self.mode, rules=self.rules, facts=self.facts)
        return None

    def _initial_report(self, began: float) -> DriftReport:
        keys = set(self.desired)
        if self.orphans:
            for cache in self._caches.values():
                keys.update(ObjectKey.of(obj) for obj in cache.items())
        ordered = sorted(keys)
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            lives = list(pool.map(self._live, ordered))
            verdicts = list(pool.map(self._judge, ordered, lives))
        for key, verdict in zip(ordered, verdicts, strict=True):
            self._record(key, verdict)
        return self.report(began)

    def report(self, began: float | None = None) -> DriftReport:
        """The current verdicts as a report."""
        with self._lock:
            objects = tuple(sorted(self.verdicts.values(), key=lambda o: o.key))
            errors = tuple(sorted(self.errors.values(), key=lambda e: e.key))
        return DriftReport(
            destination=self.destination,
            mode=self.mode,
            objects=objects,
            errors=errors,
            state_commit=self.state_commit,
            server=self.conn.describe(),
            requests=self.counter.value,
            duration_s=time.monotonic() - began if began is not None else 0.0,
        )

    def _record(
        self, key: ObjectKey, verdict: ObjectDrift | ObjectError | None
    ) -> tuple[bool, str | None]:
        """Store a verdict; (whether it differs from the one before, the previous status)."""
        with self._lock:
            before = self.verdicts.get(key)
            previous = before.status if before is not None else None
            if isinstance(verdict, ObjectError):
                known = key in self.errors
                self.errors[key] = verdict
                return not known, previous
            self.errors.pop(key, None)
            if verdict is None:
                self.verdicts.pop(key, None)
                self._signatures.pop(key, None)
                return before is not None, previous
            signature = _signature(verdict)
            changed = self._signatures.get(key) != signature
            self.verdicts[key] = verdict
            self._signatures[key] = signature
            return changed, previous

    # ------------------------------------------------------------------ watch side

    def _watch_event(self, event_type: str, obj: dict[str, Any]) -> None:
        if not self._started.is_set():
            return  # the initial evaluation reads the caches itself
        self._queue.put(_Change(ObjectKey.of(obj), event_type, obj, time.monotonic()))

    def _hpa_event(self, event_type: str, obj: dict[str, Any]) -> None:
        if not self._started.is_set() or self._hpa_cache is None:
            return
        self.facts = hpa_facts(self._hpa_cache.items())
        ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        for key in self.desired:
            if (key.namespace, key.kind, key.name) == (namespace, ref.get("kind"), ref.get("name")):
                self._queue.put(_Change(key, "RESYNC", None, time.monotonic()))

    def _run(self) -> None:
        while True:
            change = self._queue.get()
            if change is _STOP:
                return
            try:
                self._process(change)
            except ClusterError as exc:
                log.warning("re-evaluating %s failed: %s", change.key, exc.message)
            except Exception:  # the evaluator must survive anything
                log.exception("re-evaluating %s failed", change.key)

    def _process(self, change: _Change) -> None:
        if change.trigger == "DELETED" or change.obj is None:
            live = self._live(change.key)
        else:
            live = change.obj
        verdict = self._judge(change.key, live)
        if verdict is None and change.key not in self.verdicts:
            return
        changed, previous = self._record(change.key, verdict)
        if not changed:
            return
        if verdict is None:  # an orphan that went away
            drift = ObjectDrift(key=change.key, status="in-sync")
        elif isinstance(verdict, ObjectError):
            return
        else:
            drift = verdict
        now = time.monotonic()
        event = DriftEvent(
            time=time.time(),
            trigger=change.trigger,  # type: ignore[arg-type]
            drift=drift,
            previous=previous,  # type: ignore[arg-type]
            latency_s=now - change.seen,
        )
        try:
            self.on_event(event)
        except Exception:  # a broken sink must not stop the evaluator
            log.exception("drift event handler failed")
