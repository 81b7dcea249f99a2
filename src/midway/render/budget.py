"""How much work a render worker takes at once, how long it may take, and how much memory its
Go runtime may hold: pure decisions from measurements (no processes here; see pool.py).

The time limit is per unit of work (app × env × cluster), in CPU seconds: a batch of n units
may take n times the limit, so batching never turns a slow-but-fine blueprint into a timeout.
Batch sizes follow the measured cost of the blueprint's earlier batches (CPU seconds and
output bytes per unit), so an expensive blueprint is evaluated a few units at a time and a
cheap one in big batches that parse its libraries once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_TIMEOUT_S = 60.0
MIB = 1024 * 1024
# A batch is sized to take about this long: long enough that parsing the libraries once per
# batch is noise, short enough that the workers share the tail of a render evenly.
TARGET_BATCH_S = 4.0
# ...and, towards the end of a render, at least this long: a batch also costs parsing the
# libraries and a round trip, which dozens of one-unit batches of a cheap blueprint would pay.
MIN_BATCH_S = 0.25
MAX_BATCH = 200
# Before a blueprint's first batch has been measured, a slot gets this many of its units.
PROBE_UNITS = 1
# Once a cost is known, a batch's time budget is a full limit plus this many times its
# expected duration (capped at limit × units): a runaway unit in a batch is caught within
# about one limit, and a batch that only *looks* slow is re-run unit by unit, not failed.
BUDGET_SLACK = 4.0
# Go heap held alive per byte of a unit's JSON output while the batch is evaluated (measured
# on bench/heavy: about 10; doubled for safety). Only used to size batches.
HEAP_PER_OUTPUT_BYTE = 20
# A batch's estimated live heap stays below this fraction of the worker's GOMEMLIMIT: with
# the collector off, collection work is about live / (limit - live) of the evaluation's, so
# keeping live small relative to the limit is what makes GOGC=off cheap.
LIVE_HEAP_SHARE = 0.25
# Workers' Go heaps together may use this share of the machine's available memory...
MEMORY_SHARE = 0.5
# ...but each at least MIN and at most MAX (MIDWAY_WORKER_MEMORY sets it explicitly).
MIN_WORKER_HEAP = 256 * MIB
MAX_WORKER_HEAP = 512 * MIB


def timeout_seconds() -> float:
    """The per-unit limit (MIDWAY_RENDER_TIMEOUT, seconds of CPU time)."""
    try:
        value = float(os.environ.get("MIDWAY_RENDER_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


@dataclass
class Cost:
    """What one blueprint's units have cost so far (per unit: CPU seconds and JSON bytes;
    the latest batches weigh most)."""

    seconds: float | None = None
    output_bytes: float | None = None

    def record(self, units: int, seconds: float, output_bytes: int) -> None:
        per_s, per_b = seconds / units, output_bytes / units
        if self.seconds is None or self.output_bytes is None:
            self.seconds, self.output_bytes = per_s, per_b
        else:  # a batch includes parsing the libraries once: later, bigger batches say more
            self.seconds = 0.5 * self.seconds + 0.5 * per_s
            self.output_bytes = max(self.output_bytes, per_b)


def batch_size(remaining: int, workers: int, cost: Cost, worker_heap: int) -> int:
    """Units for the next batch of a blueprint with `remaining` units waiting."""
    if remaining <= 0:
        return 0
    if cost.seconds is None or cost.output_bytes is None:
        return min(remaining, PROBE_UNITS)
    by_time = int(TARGET_BATCH_S / max(cost.seconds, 1e-4))
    heap_per_unit = max(cost.output_bytes * HEAP_PER_OUTPUT_BYTE, 1.0)
    by_memory = int(worker_heap * LIVE_HEAP_SHARE / heap_per_unit)
    # guided self-scheduling: big batches first, smaller towards the end so no worker idles
    guided = max(-(-remaining // (2 * max(1, workers))), int(MIN_BATCH_S / cost.seconds))
    return max(1, min(remaining, by_time, by_memory, guided, MAX_BATCH))


# Workers forked for a small render run Go's default collector (a fork cannot change it);
# once the measured work left reaches this many CPU seconds, they are replaced by spawned
# workers with the collector off (about 0.5 s to start one; GOGC=off saved about a third
# of the evaluation's CPU on bench/heavy).
RESPAWN_WORK_S = 10.0


def wants_tuned_collector(work_left_s: float) -> bool:
    return work_left_s >= RESPAWN_WORK_S


def wanted_heap(cost: Cost, cap: int) -> int:
    """The GOMEMLIMIT a worker wants for this blueprint: a batch of about TARGET_BATCH_S of
    its units within LIVE_HEAP_SHARE of it, between MIN_WORKER_HEAP and `cap`. Workers start
    at the minimum: a heap that is never needed still costs page faults (a 1,000-app render
    of small units was 15% slower with 512 MiB than with 256 MiB)."""
    if cost.seconds is None or cost.output_bytes is None:
        return MIN_WORKER_HEAP
    units = max(1, min(MAX_BATCH, int(TARGET_BATCH_S / max(cost.seconds, 1e-4))))
    wanted = int(cost.output_bytes * HEAP_PER_OUTPUT_BYTE * units / LIVE_HEAP_SHARE)
    return max(MIN_WORKER_HEAP, min(cap, wanted))


def batch_budget(units: int, limit_s: float, cost: Cost) -> float:
    """Seconds a batch of `units` may run before its worker is stopped."""
    ceiling = limit_s * units
    if units <= 1 or cost.seconds is None:
        return ceiling
    return min(ceiling, limit_s + BUDGET_SLACK * units * cost.seconds)


def mem_available(meminfo: str) -> int | None:
    """MemAvailable from /proc/meminfo text, in bytes."""
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def parse_size(text: str) -> int | None:
    """`768MiB`, `2GiB`, `512M`, `1G` or plain bytes."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = 1
    for suffix, size in (("K", 1024), ("M", MIB), ("G", 1024 * MIB)):
        if value.endswith(suffix):
            value, factor = value[:-1], size
            break
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number * factor) if number > 0 else None


def worker_heap(workers: int, available: int | None, explicit: str | None = None) -> int:
    """The most GOMEMLIMIT a worker may get, in bytes (MIDWAY_WORKER_MEMORY: exactly that)."""
    if explicit:
        parsed = parse_size(explicit)
        if parsed is not None:
            return max(parsed, 64 * MIB)
    if available is None:
        return MIN_WORKER_HEAP
    share = int(available * MEMORY_SHARE / max(1, workers))
    return max(MIN_WORKER_HEAP, min(MAX_WORKER_HEAP, share))


def read_meminfo() -> str:
    try:
        with open("/proc/meminfo") as handle:
            return handle.read()
    except OSError:
        return ""


def cgroup_room(max_text: str, current_text: str) -> int | None:
    """Bytes left below a cgroup v2 memory limit (None: no limit)."""
    limit, current = max_text.strip(), current_text.strip()
    if not limit.isdigit() or not current.isdigit():
        return None
    return max(0, int(limit) - int(current))


def available_memory() -> int | None:
    """What this process may still use: MemAvailable, or less inside a container whose
    cgroup limit is lower (/proc/meminfo shows the whole machine there)."""
    found = mem_available(read_meminfo())
    try:
        with (
            open("/sys/fs/cgroup/memory.max") as limit,
            open("/sys/fs/cgroup/memory.current") as current,
        ):
            room = cgroup_room(limit.read(), current.read())
    except OSError:
        room = None
    if room is None:
        return found
    return room if found is None else min(found, room)


def go_runtime_env(heap: int) -> dict[str, str]:
    """The Go collector settings for a worker: off until the heap nears `heap` bytes."""
    return {"GOGC": "off", "GOMEMLIMIT": f"{heap // MIB}MiB"}
