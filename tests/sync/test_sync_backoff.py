"""Per-object backoff: 2 s doubling to a 5 min cap, jittered, forgotten on success."""

from __future__ import annotations

import random

from midway.sync.backoff import Backoff
from support.clock import FakeClock


def test_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(jitter=0.0, clock=FakeClock(100.0))
    delays = [backoff.failed("a") for _ in range(10)]
    assert delays[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert delays[-1] == 300.0
    assert backoff.failures("a") == 10


def test_jitter_stays_within_twenty_percent_and_keys_are_independent() -> None:
    clock = FakeClock(100.0)
    backoff = Backoff(clock=clock, rng=random.Random(7))
    for _ in range(3):
        backoff.failed("broken")
    assert 8 * 0.8 <= backoff.remaining("broken") <= 8 * 1.2
    assert backoff.remaining("healthy") == 0.0
    clock.now += 10
    assert backoff.remaining("broken") == 0.0
    backoff.succeeded("broken")
    assert backoff.failures("broken") == 0
    assert 1.6 <= backoff.failed("broken") <= 2.4
