"""Contests: another manager reverting a field midway keeps correcting.

One word for it in code: *contest* (a contested field), as `midway status`, `midway sync`
and the change sets say it. "Fight" survives only where users already see it: the
`--fight-threshold`/`--fight-window` flags, the `midway_fights_total` metric and the
"fight detected" log line.

An HPA scaling replicas, a mutating webhook rewriting an image, a human in a loop: each
time midway corrects the field, the other side puts its value back. Counting those reverts
per field (a revert = the field drifted again within `window_s` of midway's last correction
of it), `threshold` reverts by the same manager make the field *contested*: midway stops
correcting it (drops it from what it applies, so the other manager keeps it), and reports
"contested by <manager>" with the ignore rule to add.

A contested field stays contested until its desired value changes (a new state commit says
something else about it) or is forgotten (object pruned, shard lost). The daemon keeps each
destination's contests in the cluster (daemon/contest_store.py) and `restore`s them when it
starts working the destination, so a restart or a failover does not fight again.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from midway.model import Destination, ObjectKey
from midway.sync.changeset import ContestedField

DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW_S = 600.0

FieldId = tuple[Destination, ObjectKey, str]  # (destination, object, readable path)


@dataclass
class _FieldHistory:
    last_correction: float | None = None
    reverts: deque[tuple[float, str]] = field(default_factory=deque)  # (time, manager)
    desired: str | None = None  # canonical JSON of the desired value last corrected to
    contested: ContestedField | None = None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class ContestTracker:
    """Thread-safe memory of corrections and reverts per field."""

    def __init__(
        self,
        threshold: int = DEFAULT_THRESHOLD,
        window_s: float = DEFAULT_WINDOW_S,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if threshold < 1:
            raise ValueError("the fight threshold must be at least 1")
        self.threshold = threshold
        self.window_s = window_s
        self.clock = clock
        self.detected = 0  # contests detected since start (for metrics)
        self._fields: dict[FieldId, _FieldHistory] = {}
        self._lock = threading.Lock()

    def observe(
        self,
        destination: Destination,
        key: ObjectKey,
        path: str,
        *,
        pointer: str,
        manager: str,
        desired: Any,
        app: str | None = None,
    ) -> ContestedField | None:
        """The field drifted (by `manager`) and midway is about to correct it.

        Returns the ContestedField when the field is (now) contested: do not correct it.
        Otherwise None: go ahead, then call `corrected`.
        """
        now = self.clock()
        wanted = _canonical(desired)
        with self._lock:
            history = self._fields.setdefault((destination, key, path), _FieldHistory())
            if history.desired is not None and history.desired != wanted:
                # A new desired value: whatever was fought over before is moot.
                history.reverts.clear()
                history.contested = None
                history.last_correction = None
            if history.contested is not None:
                return history.contested
            if history.last_correction is not None and now - history.last_correction <= (
                self.window_s
            ):
                history.reverts.append((now, manager))
            while history.reverts and now - history.reverts[0][0] > self.window_s:
                history.reverts.popleft()
            by_manager = sum(1 for _, who in history.reverts if who == manager)
            if by_manager >= self.threshold:
                history.contested = ContestedField(
                    destination=destination,
                    key=key,
                    path=path,
                    pointer=pointer,
                    manager=manager,
                    reverts=by_manager,
                    since=now,
                    app=app,
                )
                history.desired = wanted
                self.detected += 1
                return history.contested
            return None

    def corrected(self, destination: Destination, key: ObjectKey, path: str, desired: Any) -> None:
        """midway just corrected the field to `desired`."""
        with self._lock:
            history = self._fields.setdefault((destination, key, path), _FieldHistory())
            history.last_correction = self.clock()
            history.desired = _canonical(desired)

    def contested_field(
        self, destination: Destination, key: ObjectKey, path: str
    ) -> ContestedField | None:
        with self._lock:
            history = self._fields.get((destination, key, path))
            return history.contested if history else None

    def contested(self, destination: Destination | None = None) -> list[ContestedField]:
        """Every contested field (of one destination)."""
        with self._lock:
            found = [
                h.contested
                for (dest, _, _), h in self._fields.items()
                if h.contested is not None and (destination is None or dest == destination)
            ]
        return sorted(found, key=lambda c: (str(c.destination), c.key, c.path))

    def export(self, destination: Destination) -> list[tuple[ContestedField, str]]:
        """The contested fields of a destination, each with the desired value (canonical
        JSON) it was contested at: what `restore` needs."""
        with self._lock:
            found = [
                (h.contested, h.desired or "")
                for (dest, _, _), h in self._fields.items()
                if h.contested is not None and dest == destination
            ]
        return sorted(found, key=lambda c: (c[0].key, c[0].path))

    def restore(self, contested: ContestedField, desired: str) -> None:
        """A contest remembered from before (a restart, another replica): stays contested
        until the desired value differs from `desired`."""
        with self._lock:
            history = self._fields.setdefault(
                (contested.destination, contested.key, contested.path), _FieldHistory()
            )
            if history.contested is None:
                history.contested = contested
                history.desired = desired

    def forget(self, destination: Destination, key: ObjectKey | None = None) -> None:
        """Drop the history of one object (pruned) or a whole destination (shard lost)."""
        with self._lock:
            for field_id in [
                f for f in self._fields if f[0] == destination and (key is None or f[1] == key)
            ]:
                del self._fields[field_id]
