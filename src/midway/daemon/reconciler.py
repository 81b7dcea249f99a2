"""One destination's reconcile loop body: drift -> correct per policy -> change set -> metrics.

The reconciler holds what the destination should look like (the desired objects of the
state commit being applied) and handles one work item at a time, from any worker thread:

- an object: compare it with its live copy from the watch cache (offline mode: no request
  unless something differs), correct it if the policy says so (sync.apply), record the
  change set entry, the drift class and the correction latency; a failure backs the object
  off (2 s doubling to 5 min) and retries it, without holding up other objects;
- a prune: delete what the previous state commit had and the new one does not (sync.prune).

When a new state commit arrives, `set_desired` works out which objects changed (by blob
id), queues those (applied even if they look in sync: only an apply releases fields the
blueprint stopped setting) and a prune of the rest.

Rollout vs drift: an object whose desired state changed since the state commit applied
before is a *rollout* (logged "rollout", counted in midway_rollout_applied_total); only a
live object that differs from an unchanged desired state is *drift* (someone else changed
it; midway_drift_detected_total). While the cluster is unreachable nothing is known about
its objects: they are reported "unknown", never "missing".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from midway.cluster import Connection, get
from midway.daemon.cluster_watch import ClusterWatch
from midway.daemon.log_setup import fields
from midway.daemon.metrics import Metrics
from midway.daemon.queue import Queued, WorkQueue
from midway.daemon.reconcile_decisions import (
    after_correction,
    counts_as_drift,
    own_write_wait,
    quiet_failure,
    verdict_after_failure,
)
from midway.daemon.reporting import ReconcilerView, reconciler_status
from midway.daemon.status_document import DestinationStatus
from midway.drift.evaluate import evaluate_object
from midway.drift.model import ClusterFacts, DesiredObject, DriftStatus, FieldDrift, ObjectDrift
from midway.drift.presets.hpa_replicas import may_be_hpa_scaled
from midway.drift.scan import fetch_hpa_facts
from midway.errors import ClusterError
from midway.model import Destination, ObjectKey
from midway.sync.apply import correct_object, failed_entry
from midway.sync.backoff import Backoff
from midway.sync.changeset import ChangeSetEntry, ContestedField
from midway.sync.contests import ContestTracker
from midway.sync.policy import DestinationPolicy
from midway.sync.prune import DEFAULT_PRUNE_TIMEOUT_S, execute_prune, plan_prune

log = logging.getLogger(__name__)

RECENT_ENTRIES = 50
NOT_SYNCED_RETRY_S = 0.5
# After a correction, the watch cache shows the object's older versions for a moment (the
# events of midway's own writes are on their way); acting on them would correct it again.
OWN_WRITE_WAIT_S = 2.0


@dataclass(frozen=True)
class WorkItem:
    kind: Literal["object", "prune"]
    key: ObjectKey | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.key}" if self.key else self.kind


PRUNE = WorkItem("prune")


@dataclass(frozen=True)
class TargetState:
    """The state commit a destination is being brought to."""

    commit: str
    objects: tuple[DesiredObject, ...]
    blobs: Mapping[str, str]  # state path -> blob id (to see which objects changed)
    policy: DestinationPolicy


class Reconciler:
    def __init__(
        self,
        destination: Destination,
        conn: Connection,
        watch: ClusterWatch,
        queue: WorkQueue[WorkItem],
        *,
        metrics: Metrics,
        contests: ContestTracker,
        backoff: Backoff | None = None,
        prune_timeout_s: float = DEFAULT_PRUNE_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.destination = destination
        self.conn = conn
        self.watch = watch
        self.queue = queue
        self.metrics = metrics
        self.contests = contests
        self.backoff = backoff or Backoff()
        self.prune_timeout_s = prune_timeout_s
        self.clock = clock
        self.labels = (destination.env, destination.cluster)
        self.state: TargetState | None = None
        self.applied_commit: str | None = None  # last state commit fully handed to the queue
        self._desired: dict[ObjectKey, DesiredObject] = {}
        self._prune_from: tuple[DesiredObject, ...] | None = None  # objects before the change
        self._pending_apply: set[ObjectKey] = set()  # desired changed: apply even if in sync
        self._rollout: set[ObjectKey] = set()  # desired changed since the last applied commit
        self._verdicts: dict[ObjectKey, DriftStatus] = {}
        # the differing fields (with their managers) of objects whose verdict is modified
        self._drift_fields: dict[ObjectKey, tuple[FieldDrift, ...]] = {}
        self._failing: dict[ObjectKey, str] = {}
        # key -> (versions the cache may still show, wait until)
        self._own_writes: dict[ObjectKey, tuple[frozenset[str], float]] = {}
        self._recent: deque[ChangeSetEntry] = deque(maxlen=RECENT_ENTRIES)
        self._last_correction: dict[str, ChangeSetEntry] = {}  # app -> entry
        self._lock = threading.RLock()
        # Bumped on every change that reports could show: counts and snapshots are cached
        # per version, so an idle daemon watching 10,000 objects does no work per tick.
        self.version = 0
        self._counts: tuple[tuple[int, bool], dict[str, int]] | None = None
        self._snapshot: tuple[tuple[int, bool], DestinationStatus] | None = None

    # ------------------------------------------------------------------ desired state

    def set_desired(
        self,
        state: TargetState,
        *,
        previous: Sequence[DesiredObject] | None = None,
        restored_commit: str | None = None,
    ) -> None:
        """Switch to a new state commit; queue what changed and, if needed, a prune.

        The first call in a process has no earlier state in memory: `previous` is the object
        set to prune against (the commit applied before a restart, from the status file,
        else the parent commit) and `restored_commit` that commit's id. When the daemon
        restarts on the very commit it had applied, nothing is re-applied blindly: the
        offline compare finds what drifted meanwhile.
        """
        with self._lock:
            old = self.state
            before = tuple(self._desired.values()) if old is not None else previous
            self.state = state
            self._desired = {obj.key: obj for obj in state.objects}
            if old is None:
                queue_keys = [obj.key for obj in state.objects]
                if restored_commit != state.commit:
                    # an offline compare cannot see fields an older commit set and this
                    # one dropped: apply everything once
                    self._pending_apply.update(queue_keys)
                    self._rollout.update(_changed_since(previous, state.objects))
                else:
                    before = None  # pruned before the restart already
            else:
                queue_keys = [
                    obj.key
                    for obj in state.objects
                    if old.blobs.get(obj.path) != state.blobs.get(obj.path)
                ]
                self._pending_apply.update(queue_keys)
                self._rollout.update(queue_keys)
            self._pending_apply.intersection_update(self._desired)
            self._rollout.intersection_update(self._desired)
            for key in list(self._verdicts):
                if key not in self._desired:
                    del self._verdicts[key]
                    self._drift_fields.pop(key, None)
            if before is not None and {o.key for o in before} - set(self._desired):
                # several commits in a row: keep what earlier ones still had to prune
                pending = {o.key: o for o in self._prune_from or ()}
                pending.update({o.key: o for o in before if o.key not in pending})
                self._prune_from = tuple(pending.values())
            need_prune = self._prune_from is not None
            self.applied_commit = state.commit
            self.version += 1
        self.watch.ensure((obj.api_version, obj.key.kind) for obj in state.objects)
        for key in queue_keys:
            self.queue.add(WorkItem("object", key), reason="state")
        if need_prune:
            self.queue.add(PRUNE, reason="state")

    def resync(self) -> None:
        """Queue every desired object (the periodic full pass)."""
        with self._lock:
            keys = list(self._desired)
        for key in keys:
            self.queue.add(WorkItem("object", key), reason="resync")

    def live_changed(self, event: str, key: ObjectKey, obj: Mapping[str, Any]) -> None:
        """Watch callback: queue the object if it is one of ours."""
        with self._lock:
            wanted = key in self._desired
            self.version += 1  # orphan counts may change
        if wanted:
            self.queue.add(WorkItem("object", key), reason=f"live {event.lower()}")

    # ------------------------------------------------------------------ work

    def handle(self, queued: Queued[WorkItem]) -> None:
        item = queued.item
        if item.key is not None and not self.watch.synced_for(item.key):
            self.queue.add_after(item, NOT_SYNCED_RETRY_S, reason=queued.reason)
            return
        if item.kind == "prune":
            self._prune()
        elif item.key is not None:
            self._reconcile(item.key, queued)

    def _evaluate(
        self, desired: DesiredObject, live: Mapping[str, Any] | None, state: TargetState
    ) -> ObjectDrift:
        """The offline verdict. The HPA rule is the drift scan's (every HPA of the namespace
        that targets the object, whoever created it): its HPAs are listed only when
        spec.replicas differs, so an object in sync costs no request."""
        drift = evaluate_object(
            desired, live, mode="offline", rules=state.policy.ignore, facts=ClusterFacts()
        )
        if may_be_hpa_scaled(drift):
            facts = fetch_hpa_facts(self.conn, [desired.key.namespace], cluster_wide=False)
            drift = evaluate_object(
                desired, live, mode="offline", rules=state.policy.ignore, facts=facts
            )
        return drift

    def _live(self, desired: DesiredObject) -> dict[str, Any] | None:
        key = desired.key
        if self.watch.watched(key):
            return self.watch.live(key)
        return get(self.conn, desired.api_version, key.kind, key.namespace or None, key.name)

    def _reconcile(self, key: ObjectKey, queued: Queued[WorkItem]) -> None:
        with self._lock:
            desired = self._desired.get(key)
            state = self.state
            always = key in self._pending_apply
            rollout = key in self._rollout
        if desired is None or state is None:
            return  # no longer desired: the prune takes care of it
        item = queued.item
        policy = state.policy.for_object(desired.app, desired.body)
        started = self.clock()
        drift: ObjectDrift | None = None
        try:
            live = self._live(desired)
            if self._stale(key, live, queued):
                return
            drift = self._evaluate(desired, live, state)
            if counts_as_drift(drift, rollout=rollout):
                self.metrics.drift_detected.labels(*self.labels, policy.mode).inc()
            entry = correct_object(
                self.conn,
                desired,
                drift,
                policy,
                self.destination,
                contests=self.contests,
                always_apply=always,
                rollout=rollout,
                clock=self.clock,
            )
        except ClusterError as exc:
            delay = self.backoff.failed(key)
            self.metrics.reconcile_errors.labels(*self.labels).inc()
            with self._lock:
                previous = self._failing.get(key)
            # one line per state change (see reconcile_decisions.quiet_failure)
            quiet = quiet_failure(previous, exc.message, reachable=self.watch.reachable)
            log.log(
                logging.DEBUG if quiet else logging.WARNING,
                "reconcile of %s failed, retry in %.1fs: %s",
                key,
                delay,
                exc.message,
                extra=fields(destination=str(self.destination), object=str(key)),
            )
            with self._lock:
                self._failing[key] = exc.message
                verdict = verdict_after_failure(drift)
                if verdict is not None:
                    self._verdicts[key] = verdict
                else:
                    self._verdicts.pop(key, None)
                self._keep_drift_fields(key, verdict, drift)
                self.version += 1
            placeholder = ObjectDrift(key=key, status="missing", path=desired.path, app=desired.app)
            self._record(failed_entry(desired, placeholder, self.destination, exc))
            self.queue.add_after(item, delay, reason=queued.reason)
            return
        assert drift is not None
        self.backoff.succeeded(key)
        outcome = after_correction(
            entry,
            drift,
            rollout=rollout,
            reason=queued.reason,
            started=started,
            watched=self.watch.watched(key) if entry.written_versions else False,
        )
        if outcome.own_versions is not None:
            with self._lock:
                self._own_writes[key] = (outcome.own_versions, time.monotonic() + OWN_WRITE_WAIT_S)
        with self._lock:
            self._failing.pop(key, None)
            self._pending_apply.discard(key)
            self._rollout.discard(key)
            if self._verdicts.get(key) != outcome.verdict:
                self._verdicts[key] = outcome.verdict
                self.version += 1
            if self._keep_drift_fields(key, outcome.verdict, drift):
                self.version += 1
        if outcome.count_correction:
            self.metrics.corrections.labels(*self.labels, entry.action).inc()
            if outcome.count_rollout:
                self.metrics.rollout_applied.labels(*self.labels, entry.action).inc()
            if outcome.measure_latency:
                latency = time.monotonic() - queued.since
                self.metrics.correction_latency.labels(*self.labels).observe(latency)
            log.info(
                "%s",
                entry.describe(),
                extra=fields(
                    destination=str(self.destination),
                    object=str(key),
                    action=entry.action,
                    fields=list(entry.fields),
                ),
            )
        for contested in outcome.new_contests:
            self._contest_detected(contested)
        if outcome.record:
            self._record(entry)

    def _keep_drift_fields(
        self, key: ObjectKey, verdict: DriftStatus | None, drift: ObjectDrift | None
    ) -> bool:
        """Remember who changed what while the object stays modified (under the lock);
        True when that changed."""
        fields = drift.counted_fields if verdict == "modified" and drift is not None else ()
        if fields == self._drift_fields.get(key, ()):
            return False
        if fields:
            self._drift_fields[key] = fields
        else:
            self._drift_fields.pop(key, None)
        return True

    def _stale(
        self, key: ObjectKey, live: Mapping[str, Any] | None, queued: Queued[WorkItem]
    ) -> bool:
        """True when the cache still shows a version midway's last correction replaced: the
        event of its write is on the way and will queue the object again (a retry is
        scheduled in case it never comes). Any other version is evaluated at once."""
        with self._lock:
            expected = self._own_writes.get(key)
            if expected is None:
                return False
            older, until = expected
            current = str(((live or {}).get("metadata") or {}).get("resourceVersion") or "")
            remaining = own_write_wait(older, until, current, time.monotonic())
            if remaining is None:
                del self._own_writes[key]
                return False
        self.queue.add_after(queued.item, remaining, reason=queued.reason)
        return True

    def _contest_detected(self, contested: ContestedField) -> None:
        self.metrics.fights.labels(*self.labels, contested.manager).inc()
        log.warning(
            "fight detected: %s of %s is contested by %s; midway stops correcting it",
            contested.path,
            contested.key,
            contested.manager,
            extra=fields(
                destination=str(self.destination),
                object=str(contested.key),
                field=contested.path,
                manager=contested.manager,
                suggestion=contested.suggestion(),
            ),
        )

    def _prune(self) -> None:
        with self._lock:
            before = self._prune_from
            state = self.state
            if before is None or state is None:
                return
        steps = plan_prune(
            self.destination,
            before,
            state.objects,
            lambda obj: self._live_for_prune(obj),
            state.policy.prune,
        )
        try:
            entries = execute_prune(
                self.conn, self.destination, steps, timeout_s=self.prune_timeout_s
            )
        except ClusterError as exc:
            log.warning("prune failed: %s", exc.message)
            self.queue.add_after(PRUNE, self.backoff.failed(PRUNE), reason="retry")
            return
        self.backoff.succeeded(PRUNE)
        with self._lock:
            if self._prune_from is before:
                self._prune_from = None
        for entry in entries:
            if entry.action == "pruned":
                self.metrics.corrections.labels(*self.labels, "pruned").inc()
                self.contests.forget(self.destination, entry.key)
            log.info(
                "%s",
                entry.describe(),
                extra=fields(destination=str(self.destination), action=entry.action),
            )
            self._record(entry)

    def _live_for_prune(self, obj: DesiredObject) -> dict[str, Any] | None:
        key = obj.key
        # GET, not the cache: the cache only holds objects with midway's labels, and prune
        # must also see (to refuse) a same-named object someone else owns.
        return get(self.conn, obj.api_version, key.kind, key.namespace or None, key.name)

    def _record(self, entry: ChangeSetEntry) -> None:
        with self._lock:
            self.version += 1
            self._recent.append(entry)
            if entry.changed and entry.app:
                self._last_correction[entry.app] = entry

    # ------------------------------------------------------------------ reporting

    @property
    def failing(self) -> dict[ObjectKey, str]:
        with self._lock:
            return dict(self._failing)

    def converged(self) -> bool:
        """Nothing queued, nothing failing, nothing pending: the last pass is complete."""
        with self._lock:
            idle = not self._failing and not self._pending_apply and self._prune_from is None
        return idle and self.state is not None and self.queue.depth() == 0

    def _verdicts_now(self) -> dict[ObjectKey, DriftStatus]:
        """The verdicts to report: none while the cluster is unreachable (every object is
        "unknown" then: an unreachable cluster says nothing about missing objects)."""
        return dict(self._verdicts) if self.watch.reachable else {}

    def counts(self) -> dict[str, int]:
        """Desired objects by drift status ("unknown" until first evaluated, and while the
        cluster is unreachable), plus orphans."""
        with self._lock:
            version = (self.version, self.watch.reachable)
            if self._counts is not None and self._counts[0] == version:
                return dict(self._counts[1])
            known = self._verdicts_now()
            verdicts = Counter(known.get(key, "unknown") for key in self._desired)
            desired = set(self._desired)
        orphans = 0
        for obj in self.watch.live_objects():
            if ObjectKey.of(obj) not in desired:
                orphans += 1
        counts = {s: verdicts.get(s, 0) for s in ("modified", "missing", "ignored", "in-sync")}
        counts["unknown"] = verdicts.get("unknown", 0)
        counts["orphan"] = orphans
        with self._lock:
            self._counts = (version, dict(counts))
        return counts

    def snapshot(self) -> DestinationStatus:
        """This destination's part of the daemon status document (daemon/reporting.py)."""
        with self._lock:
            version = (self.version, self.watch.reachable)
            cached = self._snapshot
        if cached is not None and cached[0] == version:
            return replace(cached[1], reachable=self.watch.reachable, synced=self.watch.synced())
        snapshot = self._build_snapshot()
        with self._lock:
            self._snapshot = (version, snapshot)
        return snapshot

    def _build_snapshot(self) -> DestinationStatus:
        with self._lock:
            copied = ReconcilerView(
                destination=self.destination,
                state_commit=self.state.commit if self.state else None,
                desired=dict(self._desired),
                verdicts=self._verdicts_now(),
                reachable=self.watch.reachable,
                synced=False,
                counts={},
                recent=list(self._recent),
                last_correction=dict(self._last_correction),
                failing=dict(self._failing),
                drift_fields=dict(self._drift_fields) if self.watch.reachable else {},
            )
        view = replace(
            copied,
            synced=self.watch.synced(),
            counts=self.counts(),
            contested=self.contests.contested(self.destination),
        )
        return reconciler_status(view)


def _changed_since(
    previous: Sequence[DesiredObject] | None, objects: Sequence[DesiredObject]
) -> list[ObjectKey]:
    """Objects new or different in `objects` compared with `previous` (None: all new)."""
    if previous is None:
        return [obj.key for obj in objects]
    before = {obj.key: obj.body for obj in previous}
    return [obj.key for obj in objects if before.get(obj.key) != obj.body]
