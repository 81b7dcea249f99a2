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
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from midway.cluster import AlreadyExists, Connection, ResourceConflict, create, get, replace
from midway.daemon.logging import fields
from midway.errors import ClusterError
from midway.model import Destination

log = logging.getLogger(__name__)

LEASE_API = "coordination.k8s.io/v1"
LEASE_PREFIX = "midway-shard-"


def shard_of(destination: Destination, shards: int) -> int:
    """A stable shard for a destination (same on every replica, every release)."""
    digest = hashlib.sha256(str(destination).encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(shards, 1)


def lease_name(shard: int) -> str:
    return f"{LEASE_PREFIX}{shard}"


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
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.shard = shard
        self.name = lease_name(shard)
        self.identity = identity
        self.duration_s = duration_s
        self.renew_deadline_s = renew_deadline_s or duration_s * 2 / 3
        self.clock = clock
        self.held = False
        self.holder: str | None = None  # last holder seen
        self._last_renew = 0.0
        self._observed_rv: str | None = None
        self._observed_at = 0.0

    def tick(self) -> bool:
        """Acquire or renew; returns whether this replica holds the shard now."""
        try:
            self._tick()
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
        metadata["labels"] = {"app.kubernetes.io/name": "midway"}
        return {"apiVersion": LEASE_API, "kind": "Lease", "metadata": metadata, "spec": spec}

    def _tick(self) -> None:
        now = self.clock()
        lease = get(self.conn, LEASE_API, "Lease", self.namespace, self.name)
        if lease is None:
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
        if not mine and not expired:
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


class LeaseManager:
    """Ticks the Leases of all shards in a thread; reports shards gained and lost."""

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
    ) -> None:
        self.leases = [
            ShardLease(conn, namespace, shard, identity, duration_s=duration_s)
            for shard in range(max(shards, 1))
        ]
        self.retry_s = retry_s or max(duration_s / 5, 0.2)
        self.on_change = on_change
        self.held: frozenset[int] = frozenset()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> frozenset[int]:
        held = frozenset(lease.shard for lease in self.leases if lease.tick())
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
        self.held = frozenset()
