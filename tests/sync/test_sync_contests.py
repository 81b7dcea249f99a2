"""Fight detection: N reverts by one manager within the window make a field contested."""

from __future__ import annotations

from midway.daemon.contest_store import decode, encode
from midway.model import Destination, ObjectKey
from midway.sync.contests import ContestTracker
from support.clock import FakeClock

DEST = Destination("dev", "dev-1")
KEY = ObjectKey("apps", "Deployment", "shop", "web")


def _round(tracker: ContestTracker, manager: str = "hpa", desired: object = 2) -> object:
    contested = tracker.observe(
        DEST, KEY, "spec.replicas", pointer="/spec/replicas", manager=manager, desired=desired
    )
    if contested is None:
        tracker.corrected(DEST, KEY, "spec.replicas", desired)
    return contested


def test_third_revert_within_the_window_is_a_fight() -> None:
    clock = FakeClock()
    tracker = ContestTracker(threshold=3, window_s=600, clock=clock)
    assert _round(tracker) is None  # first drift: a plain correction, not a revert
    clock.now += 5
    assert _round(tracker) is None  # revert 1
    clock.now += 5
    assert _round(tracker) is None  # revert 2
    clock.now += 5
    contested = _round(tracker)  # revert 3
    assert contested is not None
    assert contested.manager == "hpa" and contested.reverts == 3  # type: ignore[attr-defined]
    assert tracker.contested(DEST) == [contested]
    assert tracker.detected == 1
    snippet = contested.suggestion("apps/shop/web.yaml")  # type: ignore[attr-defined]
    assert "path: /spec/replicas" in snippet and "kind: Deployment" in snippet


def test_slow_reverts_outside_the_window_are_no_fight() -> None:
    clock = FakeClock()
    tracker = ContestTracker(threshold=3, window_s=60, clock=clock)
    for _ in range(6):
        assert _round(tracker) is None
        clock.now += 61


def test_reverts_by_different_managers_do_not_add_up() -> None:
    clock = FakeClock()
    tracker = ContestTracker(threshold=3, clock=clock)
    for manager in ("a", "b", "c", "a", "b"):
        assert _round(tracker, manager) is None
        clock.now += 1


def test_a_new_desired_value_ends_the_contest() -> None:
    clock = FakeClock()
    tracker = ContestTracker(threshold=1, clock=clock)
    assert _round(tracker) is None
    assert _round(tracker) is not None
    assert _round(tracker) is not None  # stays contested
    assert _round(tracker, desired=3) is None  # the state repo now wants something else
    assert tracker.contested() == []


def test_a_contest_exported_and_restored_elsewhere_stays_until_the_desired_value_changes() -> None:
    clock = FakeClock()
    first = ContestTracker(threshold=2, clock=clock)
    while _round(first) is None:
        clock.now += 1
    saved = encode(first.export(DEST))

    second = ContestTracker(threshold=2, clock=clock)  # a restart, or another replica
    for contested, desired in decode(DEST, saved):
        second.restore(contested, desired)
    assert [c.path for c in second.contested(DEST)] == ["spec.replicas"]
    assert _round(second) is not None  # the same desired value: still contested
    assert _round(second, desired=3) is None  # a new one ends it
    assert second.contested(DEST) == []
    assert decode(DEST, encode(second.export(DEST))) == []
