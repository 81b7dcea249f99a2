"""Per-object exponential backoff with jitter: a broken object waits, the others go on.

2 s after the first failure, doubling up to 5 min, each delay jittered by ±20% so many
objects failing together (an apiserver hiccup) do not retry in lock-step. A success forgets
the object's history.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_BASE_S = 2.0
DEFAULT_CAP_S = 300.0
DEFAULT_JITTER = 0.2


@dataclass
class _Failures:
    count: int
    retry_at: float


class Backoff:
    """Failure counts and next-retry times per key (thread-safe)."""

    def __init__(
        self,
        base_s: float = DEFAULT_BASE_S,
        cap_s: float = DEFAULT_CAP_S,
        jitter: float = DEFAULT_JITTER,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.jitter = jitter
        self.clock = clock
        self.rng = rng or random.Random()
        self._failures: dict[Hashable, _Failures] = {}
        self._lock = threading.Lock()

    def delay_for(self, failures: int) -> float:
        """The un-jittered delay after `failures` consecutive failures (>= 1)."""
        exponent = max(failures - 1, 0)
        # 2 ** exponent overflows nothing here: capped long before exponent gets large
        return min(self.base_s * float(2 ** min(exponent, 32)), self.cap_s)

    def failed(self, key: Hashable) -> float:
        """Record a failure; returns the delay (seconds) before the next attempt."""
        with self._lock:
            state = self._failures.get(key)
            count = state.count + 1 if state else 1
            delay = self.delay_for(count)
            if self.jitter:
                delay *= self.rng.uniform(1 - self.jitter, 1 + self.jitter)
                delay = min(delay, self.cap_s)
            self._failures[key] = _Failures(count, self.clock() + delay)
            return delay

    def succeeded(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def failures(self, key: Hashable) -> int:
        with self._lock:
            state = self._failures.get(key)
            return state.count if state else 0

    def remaining(self, key: Hashable) -> float:
        """Seconds until `key` may be tried again (0 when it may go now)."""
        with self._lock:
            state = self._failures.get(key)
        if state is None:
            return 0.0
        return max(0.0, state.retry_at - self.clock())

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures)
