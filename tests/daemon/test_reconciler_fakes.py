"""The reconciler over a fake API server and watch cache (support/fakecluster.py): what it
writes and what it counts, object by object, without a kube-apiserver.

The same paths against the real server: test_daemon_correction.py, test_daemon_e2e.py.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from midway.daemon.metrics import Metrics
from midway.daemon.queue import Queued, WorkQueue
from midway.daemon.reconciler import Reconciler, TargetState, WorkItem
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import DesiredObject
from midway.model import Destination, DriftMode, ObjectKey
from midway.sync.contests import ContestTracker
from midway.sync.policy import DestinationPolicy, ObjectPolicy, PrunePolicy
from support.clock import FakeClock
from support.fakecluster import FakeConnection, FakeWatch

DEV = Destination("dev", "dev-1")
KEY = ObjectKey("", "ConfigMap", "shop", "web-kv")
LABELS = {
    "app.kubernetes.io/managed-by": "midway",
    "midway.dev/app": "web",
    "midway.dev/team": "qa",
    "midway.dev/env": "dev",
}


class FixedPolicy(DestinationPolicy):
    """One drift mode for every object, no ignore rules, no prune (no config repo)."""

    def __init__(self, mode: DriftMode = "correct") -> None:
        self.ignore = IgnoreRules(presets=False)
        self.prune = PrunePolicy()
        self.mode = mode

    def for_object(self, app_id: str | None, body: Any) -> ObjectPolicy:
        return ObjectPolicy(self.mode, (), "test")


def _desired(mode: str = "fast") -> DesiredObject:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": KEY.name, "namespace": KEY.namespace, "labels": LABELS},
        "data": {"mode": mode},
    }
    path = "dev/dev-1/shop/qa/web/ConfigMap-web-kv.yaml"
    return DesiredObject(body=body, path=path, app="qa/web")


class World:
    """A reconciler of DEV over the fakes, with the clock in the test's hand."""

    def __init__(self, *, mode: DriftMode = "correct", threshold: int = 3) -> None:
        self.clock = FakeClock()
        self.conn = FakeConnection()
        self.watch = FakeWatch(self.conn, DEV)
        self.metrics = Metrics()
        self.policy = FixedPolicy(mode)
        self.contests = ContestTracker(threshold, 600.0, clock=self.clock)
        self.reconciler = Reconciler(
            DEV,
            self.conn,
            self.watch,
            WorkQueue(),
            metrics=self.metrics,
            contests=self.contests,
            clock=self.clock,
        )

    def commit(self, commit: str, desired: DesiredObject, blob: str) -> None:
        state = TargetState(commit, (desired,), {desired.path: blob}, self.policy)
        self.reconciler.set_desired(state)

    def handle(self, reason: str = "resync") -> None:
        self.clock.now += 1
        self.reconciler.handle(Queued(WorkItem("object", KEY), reason, time.monotonic()))

    def edit(self, mode: str, manager: str = "kubectl-edit") -> None:
        self.conn.edit(KEY.namespace, KEY.name, manager, {"mode": mode})

    def live_mode(self) -> str:
        return str(self.conn.objects[(KEY.namespace, KEY.name)]["data"]["mode"])

    def count(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(
            name, {"env": DEV.env, "cluster": DEV.cluster, **labels}
        )
        return value or 0.0


@pytest.fixture
def world() -> World:
    w = World()
    w.commit("c1", _desired(), "blob-1")
    w.handle("state")  # created: a rollout of the first commit
    w.conn.writes.clear()
    return w


def test_a_new_desired_object_is_created_and_counted_as_rollout_not_drift() -> None:
    w = World()
    w.commit("c1", _desired(), "blob-1")
    w.handle("state")
    assert [method for method, _, _ in w.conn.writes] == ["PATCH"]
    assert w.live_mode() == "fast"
    assert w.count("midway_rollout_applied_total", action="created") == 1
    assert w.count("midway_corrections_total", action="created") == 1
    assert w.count("midway_drift_detected_total", policy="correct") == 0


def test_in_sync_writes_nothing(world: World) -> None:
    world.handle()
    world.handle()
    assert world.conn.writes == []
    assert world.count("midway_drift_detected_total", policy="correct") == 0


def test_drift_is_corrected_with_one_forced_apply_and_counted_as_drift(world: World) -> None:
    world.edit("slow")
    world.handle("live modified")
    assert world.live_mode() == "fast"
    assert len(world.conn.writes) == 1
    method, _, query = world.conn.writes[0]
    assert (method, query.get("force"), query.get("fieldManager")) == ("PATCH", "true", "midway")
    assert world.count("midway_drift_detected_total", policy="correct") == 1
    assert world.count("midway_corrections_total", action="configured") == 1
    assert world.count("midway_rollout_applied_total", action="configured") == 0
    assert world.count("midway_correction_latency_seconds_count") == 1
    world.handle()  # the corrected object is in sync again
    assert len(world.conn.writes) == 1


def test_a_changed_desired_object_is_a_rollout_not_drift(world: World) -> None:
    world.commit("c2", _desired("faster"), "blob-2")
    world.handle("state")
    assert world.live_mode() == "faster"
    assert len(world.conn.writes) == 1
    assert world.count("midway_rollout_applied_total", action="configured") == 1
    assert world.count("midway_drift_detected_total", policy="correct") == 0


def test_warn_policy_counts_drift_and_writes_nothing(world: World) -> None:
    world.policy.mode = "warn"
    world.edit("slow")
    world.handle("live modified")
    assert world.conn.writes == []
    assert world.live_mode() == "slow"
    assert world.count("midway_drift_detected_total", policy="warn") == 1


def test_warn_policy_does_not_create_a_missing_object() -> None:
    w = World(mode="warn")
    w.commit("c1", _desired(), "blob-1")
    w.handle("state")
    assert w.conn.writes == []
    assert w.conn.objects == {}


def test_a_field_reverted_threshold_times_is_contested_and_left_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = World(threshold=2)
    w.commit("c1", _desired(), "blob-1")
    w.handle("state")
    w.conn.writes.clear()
    for revert in ("slow", "slower"):  # corrected, then corrected again (1 revert counted)
        w.edit(revert)
        w.handle("live modified")
    assert len(w.conn.writes) == 2
    with caplog.at_level(logging.WARNING, logger="midway.daemon.reconciler"):
        w.edit("slowest")  # the 2nd revert within the window: contested
        w.handle("live modified")
    assert len(w.conn.writes) == 2  # no write
    assert w.live_mode() == "slowest"  # kubectl-edit keeps its value
    [contested] = w.contests.contested(DEV)
    assert (contested.path, contested.manager) == ("data.mode", "kubectl-edit")
    assert w.count("midway_fights_total", manager="kubectl-edit") == 1
    assert "fight detected: data.mode of" in caplog.text
    caplog.clear()
    w.handle()  # still contested: no write, not detected again
    assert len(w.conn.writes) == 2
    assert w.count("midway_fights_total", manager="kubectl-edit") == 1
    assert "fight detected" not in caplog.text
