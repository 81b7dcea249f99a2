"""The work queue: de-duplication, never two workers on one item, delayed retries."""

from __future__ import annotations

import threading
import time

from midway.daemon.queue import Workers, WorkQueue
from support.clock import FakeClock


def test_an_item_queued_twice_runs_once_and_keeps_its_first_time() -> None:
    clock = FakeClock(0.0)
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add("a", "live")
    clock.now = 5
    queue.add("a", "resync")
    queue.add("b")
    assert queue.depth() == 2
    first = queue.get(0)
    assert first is not None and first.item == "a" and first.since == 0 and first.reason == "live"
    second = queue.get(0)
    assert second is not None and second.item == "b"
    assert queue.get(0) is None


def test_an_item_queued_while_processing_runs_again_afterwards() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    taken = queue.get(0)
    assert taken is not None
    queue.add("a")  # changed again while a worker holds it
    assert queue.get(0) is None  # not handed to a second worker
    queue.done("a")
    again = queue.get(0)
    assert again is not None and again.item == "a"


def test_add_after_waits_then_delivers() -> None:
    clock = FakeClock(0.0)
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add_after("retry-me", 2.0)
    assert queue.depth() == 1
    assert queue.get(0) is None
    clock.now = 2.5
    item = queue.get(0)
    assert item is not None and item.item == "retry-me" and item.reason == "retry"


def test_workers_survive_a_failing_handler_and_stop_cleanly() -> None:
    queue: WorkQueue[int] = WorkQueue()
    seen: list[int] = []
    lock = threading.Lock()

    def handle(entry: object) -> None:
        item = entry.item  # type: ignore[attr-defined]
        with lock:
            seen.append(item)
        if item == 2:
            raise RuntimeError("bug in the handler")

    workers = Workers(queue, handle, count=3).start()
    for i in range(10):
        queue.add(i)
    deadline = time.monotonic() + 5
    while len(seen) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(seen) == list(range(10))
    assert workers.stop(2.0)
    queue.add(99)  # ignored after shutdown
    assert queue.get(0) is None
