"""What the reconciler makes of one object's pass, decided from data alone (no cluster, no
clock, no metrics): daemon/reconciler.py's `_reconcile` asks, then counts, logs and records.

- rollout vs drift: drift is counted only for a desired object that did not change
  (`counts_as_drift`); a write is counted as a rollout when it did (`PassOutcome`);
- own writes: the cache may still show versions midway's write replaced; wait for the
  event instead of correcting again (`own_write_wait`);
- failures: which verdict stays, and when the log line is debug only (`verdict_after_failure`,
  `quiet_failure`);
- after a correction: the verdict, what to count, which contests are new, what to record
  (`after_correction`).
"""

from __future__ import annotations

from dataclasses import dataclass

from midway.drift.model import DriftStatus, ObjectDrift
from midway.sync.changeset import ChangeSetEntry, ContestedField


def counts_as_drift(drift: ObjectDrift, *, rollout: bool) -> bool:
    """Someone else changed the object: it differs from a desired state that did not change."""
    return drift.drifted and not rollout


def own_write_wait(
    older: frozenset[str], until: float, live_version: str, now: float
) -> float | None:
    """Seconds to wait for the event of midway's own write, when the cache still shows a
    version that write replaced (`older`) and the wait is not over; else None: evaluate."""
    remaining = until - now
    if live_version not in older or remaining <= 0:
        return None
    return remaining


def quiet_failure(previous: str | None, message: str, *, reachable: bool) -> bool:
    """Log at debug only: the same failure again, or any while the cluster is unreachable
    (the probe logs that once)."""
    return previous == message or not reachable


def verdict_after_failure(drift: ObjectDrift | None) -> DriftStatus | None:
    """What the compare found if it got that far; None: nothing is known."""
    return drift.status if drift is not None else None


@dataclass(frozen=True)
class PassOutcome:
    """What follows from one object's successful pass."""

    verdict: DriftStatus  # what the object is now
    own_versions: frozenset[str] | None  # versions the cache may still show; None: no wait
    count_correction: bool  # a real write: corrections counter, log line
    count_rollout: bool  # ... of a changed desired object
    measure_latency: bool  # ... in answer to a live change (correction latency)
    new_contests: tuple[ContestedField, ...]  # contests detected in this pass
    record: bool  # goes into the recent change-set entries


def settled_verdict(drift: DriftStatus, entry: ChangeSetEntry | None) -> DriftStatus:
    """An object's verdict after its correction: created or configured (and not contested)
    means in sync now, whatever the compare before it found."""
    if entry is not None and entry.action in ("created", "configured") and not entry.contested:
        return "in-sync"
    return drift


def after_correction(
    entry: ChangeSetEntry,
    drift: ObjectDrift,
    *,
    rollout: bool,
    reason: str,
    started: float,
    watched: bool,
) -> PassOutcome:
    """`entry` is what correct_object did with `drift`; `reason` why the object was queued;
    `started` when the pass began (contests since then are new); `watched`: the object is
    in the watch cache (only then can stale versions show)."""
    own_versions = None
    if entry.written_versions and watched:
        replaced = {*entry.written_versions[:-1], drift.resource_version or ""}
        own_versions = frozenset(replaced - {""})
    verdict = settled_verdict(drift.status, entry)
    written = entry.changed and not entry.dry_run
    return PassOutcome(
        verdict=verdict,
        own_versions=own_versions,
        count_correction=written,
        count_rollout=written and rollout,
        measure_latency=written and reason.startswith("live"),
        new_contests=tuple(c for c in entry.contested if c.since >= started),
        record=entry.action != "unchanged" or bool(entry.contested),
    )
