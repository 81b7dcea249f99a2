"""Leader election and sharding with coordination.k8s.io/v1 Leases.

One Lease per shard, `midway-shard-<n>`, in the daemon's namespace. Destinations map to
shards by a stable hash of "env/cluster"; a replica works only the destinations of the
shards it holds. With one shard (the default) this is plain leader election.

The protocol is client-go's, over midway.cluster's get/create/replace:
- a missing Lease is created (AlreadyExists: someone else was faster);
- the holder renews `renewTime` every `retry_s` with a compare-and-swap on resourceVersion;
- another replica takes the Lease over only when its record has not changed for
  `duration_s` *as measured by its own clock since it last saw it change* (no trust in
  clock agreement between machines), or when the holder released it (empty holder);
- the holder stops working a shard when it could not renew for `renew_deadline_s`
  (< duration), so it has stopped before anyone else may start;
- on shutdown the holder releases its Leases, and the others take over at once.

Shards are shared out, not grabbed: every replica also renews a member Lease
(`midway-member-<digest of its identity>`) and reads everyone's, so each knows the replicas
alive (renewed within their duration, by its own clock). Shard n belongs to the
(n mod alive)-th alive identity in sorted order: a replica only ever acquires its own shards,
and releases the ones that became someone else's (a replica joined), which that replica takes
on its next tick. When a replica dies, its member Lease goes silent, the others recompute and
take its shards as their Leases expire. Members silent for long are deleted by whoever sees
them. Views of who is alive can differ for a tick; a shard may then wait a tick, but is never
worked twice: the shard Lease itself is still the lock.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from midway.cluster import (
    AlreadyExists,
    Connection,
    ResourceConflict,
    create,
    delete,
    get,
    list_objects,
    replace,
    resolve,
)
from midway.daemon.log_setup import fields
from midway.errors import ClusterError
from midway.model import Destination

log = logging.getLogger(__name__)

LEASE_API = "coordination.k8s.io/v1"
LEASE_PREFIX = "midway-shard-"
MEMBER_PREFIX = "midway-member-"
ROLE_LABEL = "midway.dev/lease"  # "shard" or "member"
STALE_MEMBER_DURATIONS = 10  # a member silent this many lease durations is deleted


def shard_of(destination: Destination, shards: int) -> int:
    """A stable shard for a destination (same on every replica, every release)."""
    digest = hashlib.sha256(str(destination).encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(shards, 1)


def lease_name(shard: int) -> str:
    return f"{LEASE_PREFIX}{shard}"


def member_lease_name(identity: str) -> str:
    return MEMBER_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:16]


def _micro_time(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ShardLease:
    """The Lease of one shard as one replica sees it. Not thread-safe: one caller ticks."""

    def __init__(
        self,
        conn: Connection,
        namespace: str,
        shard: int,
        identity: str,
        *,
        duration_s: float = 15.0,
        renew_deadline_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
        role: str = "shard",
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.shard = shard
        self.name = name or lease_name(shard)
        self.role = role
        self.identity = identity
        self.duration_s = duration_s
        self.renew_deadline_s = renew_deadline_s or duration_s * 2 / 3
        self.clock = clock
        self.held = False
        self.holder: str | None = None  # last holder seen
        self._last_renew = 0.0
        self._observed_rv: str | None = None
        self._observed_at = 0.0

    def tick(self, may_acquire: bool = True) -> bool:
        """Acquire (if `may_acquire`) or renew; returns whether this replica holds it now."""
        try:
            self._tick(may_acquire)
        except ClusterError as exc:
            log.debug("lease %s: %s", self.name, exc.message)
        if self.held and self.clock() - self._last_renew > self.renew_deadline_s:
            log.warning(
                "lost lease %s: not renewed for %.1fs",
                self.name,
                self.clock() - self._last_renew,
                extra=fields(lease=self.name, identity=self.identity),
            )
            self.held = False
        return self.held

    def _body(self, lease: dict[str, Any] | None, *, acquire: bool) -> dict[str, Any]:
        now = _micro_time()
        spec = dict((lease or {}).get("spec") or {})
        if acquire:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (
                1 if lease is not None else 0
            )
        spec["holderIdentity"] = self.identity
        spec["leaseDurationSeconds"] = max(round(self.duration_s), 1)
        spec["renewTime"] = now
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if lease is not None:
            metadata["resourceVersion"] = lease["metadata"]["resourceVersion"]
        metadata["labels"] = {"app.kubernetes.io/name": "midway", ROLE_LABEL: self.role}
        return {"apiVersion": LEASE_API, "kind": "Lease", "metadata": metadata, "spec": spec}

    def _tick(self, may_acquire: bool = True) -> None:
        now = self.clock()
        lease = get(self.conn, LEASE_API, "Lease", self.namespace, self.name)
        if lease is None:
            if not may_acquire:
                return
            try:
                create(self.conn, self._body(None, acquire=True))
            except AlreadyExists:
                return
            self._won(now)
            return
        rv = str(lease["metadata"].get("resourceVersion") or "")
        if rv != self._observed_rv:
            self._observed_rv, self._observed_at = rv, now
        spec = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        self.holder = holder or None
        duration = float(spec.get("leaseDurationSeconds") or self.duration_s)
        mine = holder == self.identity
        expired = not holder or now - self._observed_at > duration
        if not mine and (not expired or not may_acquire):
            if self.held:
                log.warning("lease %s taken by %s", self.name, holder)
            self.held = False
            return
        try:
            updated = replace(self.conn, self._body(lease, acquire=not mine))
        except ResourceConflict:
            return  # someone wrote it meanwhile; look again next tick
        self._observed_rv = str(updated["metadata"].get("resourceVersion") or "")
        self._observed_at = now
        self._won(now)

    def _won(self, now: float) -> None:
        if not self.held:
            log.info(
                "acquired lease %s",
                self.name,
                extra=fields(lease=self.name, identity=self.identity),
            )
        self.held = True
        self.holder = self.identity
        self._last_renew = now

    def release(self) -> None:
        """Give the Lease up (shutdown), so another replica takes over immediately."""
        if not self.held:
            return
        self.held = False
        try:
            lease = get(self.conn, LEASE_API, "Lease", self.namespace, self.name)
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            body = self._body(lease, acquire=False)
            body["spec"]["holderIdentity"] = ""
            body["spec"]["leaseDurationSeconds"] = 1
            replace(self.conn, body)
            log.info("released lease %s", self.name, extra=fields(lease=self.name))
        except ClusterError as exc:
            log.warning("could not release lease %s: %s", self.name, exc.message)


class Membership:
    """This replica's member Lease, and the identities of the members alive (this one
    included, sorted)."""

    def __init__(
        self,
        conn: Connection,
        namespace: str,
        identity: str,
        *,
        duration_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.duration_s = duration_s
        self.clock = clock
        self.own = ShardLease(
            conn,
            namespace,
            -1,
            identity,
            duration_s=duration_s,
            clock=clock,
            name=member_lease_name(identity),
            role="member",
        )
        self.identity = identity
        self._seen: dict[str, tuple[str, float]] = {}  # name -> (resourceVersion, changed at)
        self.alive: tuple[str, ...] = (identity,)  # identities, sorted
        self.last_error: str | None = None

    def tick(self) -> tuple[str, ...]:
        self.own.tick()
        try:
            leases, _ = list_objects(
                self.conn,
                resolve(self.conn, LEASE_API, "Lease"),
                self.namespace,
                label_selector=f"{ROLE_LABEL}=member",
            )
        except ClusterError as exc:
            if exc.message != self.last_error:  # once per distinct problem, not every tick
                log.warning(
                    "cannot count the replicas (listing member leases: %s); shards are shared "
                    "out as if %d replicas were alive",
                    exc.message,
                    len(self.alive),
                )
            self.last_error = exc.message
            return self.alive  # keep the last count rather than grab everything
        self.last_error = None
        now = self.clock()
        alive = {self.identity}
        seen: dict[str, tuple[str, float]] = {}
        for lease in leases:
            name = str(lease["metadata"]["name"])
            rv = str(lease["metadata"].get("resourceVersion") or "")
            before = self._seen.get(name)
            changed_at = before[1] if before is not None and before[0] == rv else now
            seen[name] = (rv, changed_at)
            holder = (lease.get("spec") or {}).get("holderIdentity")
            if holder and now - changed_at <= self.duration_s:
                alive.add(str(holder))
            elif now - changed_at > self.duration_s * STALE_MEMBER_DURATIONS:
                self._forget(name)
        self._seen = seen
        self.alive = tuple(sorted(alive))
        return self.alive

    def _forget(self, name: str) -> None:
        try:
            delete(self.conn, LEASE_API, "Lease", self.namespace, name, "Background")
            log.info("deleted the member lease %s: silent for long", name)
        except ClusterError as exc:
            log.debug("deleting member lease %s: %s", name, exc.message)

    def leave(self) -> None:
        self.own.release()


class LeaseManager:
    """Ticks the Leases of all shards in a thread, holding this replica's fair share of them
    (see the module docstring); reports shards gained and lost."""

    def __init__(
        self,
        conn: Connection,
        namespace: str,
        identity: str,
        shards: int = 1,
        *,
        duration_s: float = 15.0,
        retry_s: float | None = None,
        on_change: Callable[[frozenset[int]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.leases = [
            ShardLease(conn, namespace, shard, identity, duration_s=duration_s, clock=clock)
            for shard in range(max(shards, 1))
        ]
        self.members = Membership(conn, namespace, identity, duration_s=duration_s, clock=clock)
        self.retry_s = retry_s or max(duration_s / 5, 0.2)
        self.on_change = on_change
        self.held: frozenset[int] = frozenset()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def owner(self, shard: int) -> str:
        """Who should work `shard`, as this replica sees the replicas alive."""
        alive = self.members.alive
        return alive[shard % len(alive)]

    def tick(self) -> frozenset[int]:
        if len(self.leases) == 1:  # plain leader election: whoever has it keeps it
            held = frozenset({0}) if self.leases[0].tick() else frozenset()
            return self._report(held)
        self.members.tick()
        me = self.members.identity
        for lease in self.leases:
            lease.tick(may_acquire=self.owner(lease.shard) == me)
        for lease in self.leases:
            if lease.held and self.owner(lease.shard) != me:  # a replica joined: hand it over
                lease.release()
        return self._report(frozenset(lease.shard for lease in self.leases if lease.held))

    def _report(self, held: frozenset[int]) -> frozenset[int]:
        if held != self.held:
            self.held = held
            if self.on_change is not None:
                self.on_change(held)
        return held

    def start(self) -> LeaseManager:
        self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:  # never let leader election die silently
                log.exception("lease tick failed")
            self._stop.wait(max(self.retry_s - (time.monotonic() - started), 0.05))

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if release:
            for lease in self.leases:
                lease.release()
            self.members.leave()
        self.held = frozenset()
