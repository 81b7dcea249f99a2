"""A de-duplicating work queue with delayed retries, and the workers draining it.

As client-go's workqueue: an item queued twice before a worker takes it runs once; an item
queued while a worker holds it runs again after that worker is done (never two workers on
the same item); `add_after` schedules a retry (backoff) without blocking anyone. Each
destination gets its own queue and workers, so a slow or unreachable cluster never holds up
another one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item", bound=Hashable)


@dataclass(frozen=True)
class Queued(Generic[Item]):
    """An item handed to a worker: why it was queued and since when (the earliest time)."""

    item: Item
    reason: str
    since: float  # time.monotonic() when it was first queued (for latency)


class WorkQueue(Generic[Item]):
    def __init__(self, name: str = "queue", *, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.clock = clock
        self._cond = threading.Condition()
        self._order: deque[Item] = deque()
        self._queued: dict[Item, Queued[Item]] = {}  # waiting for a worker
        self._processing: set[Item] = set()
        self._again: dict[Item, Queued[Item]] = {}  # queued while being processed
        self._delayed: list[tuple[float, int, Item, str]] = []
        self._seq = itertools.count()
        self._shutdown = False

    def add(self, item: Item, reason: str = "", since: float | None = None) -> None:
        with self._cond:
            if self._shutdown:
                return
            entry = Queued(item, reason, self.clock() if since is None else since)
            if item in self._processing:
                earlier = self._again.get(item)
                self._again[item] = _earliest(earlier, entry)
                return
            earlier = self._queued.get(item)
            if earlier is not None:
                self._queued[item] = _earliest(earlier, entry)
                return
            self._queued[item] = entry
            self._order.append(item)
            self._cond.notify()

    def add_after(self, item: Item, delay_s: float, reason: str = "retry") -> None:
        if delay_s <= 0:
            self.add(item, reason)
            return
        with self._cond:
            if self._shutdown:
                return
            heapq.heappush(self._delayed, (self.clock() + delay_s, next(self._seq), item, reason))
            self._cond.notify()

    def get(self, timeout_s: float | None = None) -> Queued[Item] | None:
        """The next item (the caller must call `done`), or None on timeout or shutdown."""
        deadline = None if timeout_s is None else self.clock() + timeout_s
        with self._cond:
            while True:
                self._promote_due()
                if self._shutdown:
                    return None
                if self._order:
                    item = self._order.popleft()
                    entry = self._queued.pop(item)
                    self._processing.add(item)
                    return entry
                waits = []
                if self._delayed:
                    waits.append(self._delayed[0][0] - self.clock())
                if deadline is not None:
                    remaining = deadline - self.clock()
                    if remaining <= 0:
                        return None
                    waits.append(remaining)
                self._cond.wait(max(min(waits), 0.001) if waits else None)

    def done(self, item: Item) -> None:
        with self._cond:
            self._processing.discard(item)
            again = self._again.pop(item, None)
            if again is not None and not self._shutdown:
                self._queued[item] = again
                self._order.append(item)
                self._cond.notify()

    def depth(self) -> int:
        """Items waiting (ready or delayed), not counting those being processed."""
        with self._cond:
            return len(self._queued) + len(self._delayed) + len(self._again)

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    @property
    def is_shutdown(self) -> bool:
        return self._shutdown

    def _promote_due(self) -> None:
        now = self.clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, item, reason = heapq.heappop(self._delayed)
            entry = Queued(item, reason, now)
            if item in self._processing:
                self._again[item] = _earliest(self._again.get(item), entry)
            elif item not in self._queued:
                self._queued[item] = entry
                self._order.append(item)


def _earliest(a: Queued[Item] | None, b: Queued[Item]) -> Queued[Item]:
    if a is None:
        return b
    return a if a.since <= b.since else Queued(a.item, a.reason, b.since)


class Workers(Generic[Item]):
    """`count` threads calling `handle` for each item of `queue` until it shuts down."""

    def __init__(
        self,
        queue: WorkQueue[Item],
        handle: Callable[[Queued[Item]], None],
        *,
        count: int = 2,
        name: str = "worker",
    ) -> None:
        self.queue = queue
        self.handle = handle
        self.busy = 0
        self._busy_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(count)
        ]

    def start(self) -> Workers[Item]:
        for thread in self._threads:
            thread.start()
        return self

    def _run(self) -> None:
        while True:
            entry = self.queue.get()
            if entry is None:
                return
            with self._busy_lock:
                self.busy += 1
            try:
                self.handle(entry)
            except Exception:  # a worker must survive any handler bug
                log.exception("handling %s failed", entry.item)
            finally:
                with self._busy_lock:
                    self.busy -= 1
                self.queue.done(entry.item)

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Shut the queue down and wait for in-flight items; False if some did not finish."""
        self.queue.shutdown()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        return not any(t.is_alive() for t in self._threads)
