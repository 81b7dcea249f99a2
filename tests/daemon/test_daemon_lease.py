"""Leases: one holder per shard, renewals, takeover after expiry, release, sharding."""

from __future__ import annotations

import pytest

from midway.cluster import Connection, get
from midway.daemon.lease import LeaseManager, ShardLease, shard_of
from midway.model import Destination
from support.clock import FakeClock


def test_destinations_spread_over_shards_stably() -> None:
    destinations = [Destination(f"env{i}", f"cluster{j}") for i in range(10) for j in range(3)]
    shards = [shard_of(d, 4) for d in destinations]
    assert shards == [shard_of(d, 4) for d in destinations]  # stable
    assert set(shards) == {0, 1, 2, 3}
    assert {shard_of(d, 1) for d in destinations} == {0}


@pytest.mark.cluster
def test_one_holder_then_takeover_after_expiry(conn: Connection, k8s_namespace: str) -> None:
    clock = FakeClock()
    a = ShardLease(conn, k8s_namespace, 0, "replica-a", duration_s=5, clock=clock)
    b = ShardLease(conn, k8s_namespace, 0, "replica-b", duration_s=5, clock=clock)
    assert a.tick() is True
    assert b.tick() is False and b.holder == "replica-a"
    clock.now += 3
    assert a.tick() is True  # renewed
    assert b.tick() is False  # saw the renewal: a's lease is fresh again
    clock.now += 3
    assert b.tick() is False  # 3 s since b saw it change: not expired
    clock.now += 2.1  # a stopped renewing (crashed): 5.1 s without a change
    assert a.held  # a does not know yet
    assert b.tick() is True and b.holder == "replica-b"
    lease = get(conn, "coordination.k8s.io/v1", "Lease", k8s_namespace, "midway-shard-0")
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == "replica-b"
    assert lease["spec"]["leaseTransitions"] == 1
    assert a.tick() is False  # a sees b holding it and steps down


@pytest.mark.cluster
def test_a_holder_that_cannot_renew_steps_down_before_expiry(
    conn: Connection, k8s_namespace: str
) -> None:
    clock = FakeClock()
    a = ShardLease(conn, k8s_namespace, 1, "replica-a", duration_s=6, clock=clock)
    assert a.tick()
    clock.now += 4.1  # more than the renew deadline (2/3 of 6 s) since the last renewal
    a._tick = lambda *_: None  # type: ignore[method-assign]  # the API server is unreachable
    assert a.tick() is False


@pytest.mark.cluster
def test_release_lets_the_other_replica_take_over_at_once(
    conn: Connection, k8s_namespace: str
) -> None:
    seen: list[frozenset[int]] = []
    a = LeaseManager(conn, k8s_namespace, "replica-a", shards=2, duration_s=30)
    b = LeaseManager(
        conn, k8s_namespace, "replica-b", shards=2, duration_s=30, on_change=seen.append
    )
    assert a.tick() == frozenset({0, 1})
    assert b.tick() == frozenset()
    a.stop(release=True)
    assert b.tick() == frozenset({0, 1})
    assert seen == [frozenset({0, 1})]


@pytest.mark.cluster
def test_replicas_share_the_shards_and_take_them_back_when_one_dies(
    conn: Connection, k8s_namespace: str
) -> None:
    clock = FakeClock()

    def replica(name: str) -> LeaseManager:
        return LeaseManager(conn, k8s_namespace, name, shards=4, duration_s=5, clock=clock)

    a = replica("replica-a")
    assert a.tick() == frozenset({0, 1, 2, 3})  # alone: everything
    b = replica("replica-b")
    for _ in range(4):  # a hands one shard over per tick, b takes it
        a.tick()
        b.tick()
        clock.now += 1
    assert len(a.held) == len(b.held) == 2
    assert a.held | b.held == frozenset({0, 1, 2, 3}) and not a.held & b.held

    c = replica("replica-c")
    for _ in range(4):
        for r in (a, b, c):
            r.tick()
        clock.now += 1
    held = [r.held for r in (a, b, c)]
    assert sorted(len(h) for h in held) == [1, 1, 2]  # shard n -> the (n mod 3)-th replica
    assert frozenset().union(*held) == frozenset({0, 1, 2, 3})

    # c crashes (no release): a and b see its member and shard leases go silent
    for _ in range(8):
        a.tick()
        b.tick()
        clock.now += 1
    assert a.members.alive == b.members.alive == ("replica-a", "replica-b")
    assert len(a.held) == len(b.held) == 2 and a.held | b.held == frozenset({0, 1, 2, 3})


@pytest.mark.cluster
def test_long_silent_members_are_deleted(conn: Connection, k8s_namespace: str) -> None:
    clock = FakeClock()
    gone = LeaseManager(conn, k8s_namespace, "replica-gone", shards=2, duration_s=5, clock=clock)
    gone.tick()
    name = gone.members.own.name
    live = LeaseManager(conn, k8s_namespace, "replica-live", shards=2, duration_s=5, clock=clock)
    live.tick()
    assert live.members.alive == ("replica-gone", "replica-live")
    clock.now += 5 * 10 + 1
    live.tick()
    assert live.members.alive == ("replica-live",)
    assert get(conn, "coordination.k8s.io/v1", "Lease", k8s_namespace, name) is None
