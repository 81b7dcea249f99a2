"""How big a batch is, how long it may run and how much heap a worker may hold (pure rules)."""

from __future__ import annotations

from midway.render import budget
from midway.render.budget import MIB, Cost

MEMINFO = "MemTotal:       24683520 kB\nMemFree:        1000 kB\nMemAvailable:    8388608 kB\n"


def test_a_blueprint_not_measured_yet_gets_a_probe_batch() -> None:
    assert budget.batch_size(100, 2, Cost(), 512 * MIB) == budget.PROBE_UNITS


def test_cheap_units_come_in_big_batches_that_shrink_towards_the_end() -> None:
    cheap = Cost(seconds=0.002, output_bytes=5_000)
    assert budget.batch_size(1000, 2, cheap, 512 * MIB) == budget.MAX_BATCH
    assert budget.batch_size(800, 2, cheap, 512 * MIB) == 200  # a quarter: both workers busy
    # never below ~0.25 s of work: 125 units of 2 ms
    assert budget.batch_size(300, 2, cheap, 512 * MIB) == 125
    assert budget.batch_size(40, 2, cheap, 512 * MIB) == 40
    medium = Cost(seconds=0.1, output_bytes=5_000)
    assert budget.batch_size(40, 2, medium, 512 * MIB) == 10


def test_slow_units_come_a_few_at_a_time() -> None:
    slow = Cost(seconds=2.0, output_bytes=5_000)
    assert budget.batch_size(200, 2, slow, 512 * MIB) == int(budget.TARGET_BATCH_S / 2.0)


def test_units_with_big_outputs_are_batched_by_memory() -> None:
    # 2 MB of JSON per unit: about 40 MB of heap each; a quarter of 512 MiB holds 3
    big = Cost(seconds=0.01, output_bytes=2_000_000)
    assert budget.batch_size(200, 2, big, 512 * MIB) == 3
    huge = Cost(seconds=0.01, output_bytes=50_000_000)
    assert budget.batch_size(200, 2, huge, 512 * MIB) == 1


def test_the_limit_is_per_unit() -> None:
    assert budget.batch_budget(1, 60, Cost(seconds=1.0, output_bytes=1)) == 60
    assert budget.batch_budget(10, 5, Cost()) == 50  # unmeasured: limit × units
    # measured: one limit plus a generous multiple of the expected time, never above the ceiling
    assert budget.batch_budget(10, 60, Cost(seconds=0.1, output_bytes=1)) == 64
    assert budget.batch_budget(10, 1, Cost(seconds=0.5, output_bytes=1)) == 10


def test_cost_follows_the_latest_batches() -> None:
    cost = Cost()
    cost.record(1, 1.0, 1000)
    assert (cost.seconds, cost.output_bytes) == (1.0, 1000)
    cost.record(4, 2.0, 8000)
    assert cost.seconds == 0.75 and cost.output_bytes == 2000


def test_each_worker_gets_a_share_of_available_memory_within_bounds() -> None:
    available = budget.mem_available(MEMINFO)
    assert available == 8 * 1024 * MIB
    assert budget.worker_heap(2, available) == budget.MAX_WORKER_HEAP
    assert budget.worker_heap(16, 2048 * MIB) == budget.MIN_WORKER_HEAP
    assert budget.worker_heap(2, 1400 * MIB) == 350 * MIB
    assert budget.worker_heap(2, None) == budget.MIN_WORKER_HEAP
    assert budget.worker_heap(2, available, "2GiB") == 2048 * MIB
    assert budget.go_runtime_env(350 * MIB) == {"GOGC": "off", "GOMEMLIMIT": "350MiB"}


def test_sizes_and_cgroup_limits_are_read() -> None:
    assert budget.parse_size("768MiB") == 768 * MIB
    assert budget.parse_size("1G") == 1024 * MIB
    assert budget.parse_size("1048576") == MIB
    assert budget.parse_size("lots") is None
    assert budget.cgroup_room("max\n", "100\n") is None
    assert budget.cgroup_room("1073741824\n", "73741824\n") == 1_000_000_000


def test_workers_start_with_a_small_heap_and_get_what_big_outputs_need() -> None:
    assert budget.wanted_heap(Cost(), 512 * MIB) == budget.MIN_WORKER_HEAP
    small = Cost(seconds=0.002, output_bytes=5_000)
    assert budget.wanted_heap(small, 512 * MIB) == budget.MIN_WORKER_HEAP
    # ~0.35 s and 1.2 MB of JSON per unit (bench/heavy): 11 units a batch want ~1 GB: the cap
    heavy = Cost(seconds=0.35, output_bytes=1_200_000)
    assert budget.wanted_heap(heavy, 512 * MIB) == 512 * MIB
    medium = Cost(seconds=1.0, output_bytes=1_000_000)  # 4 units × 20 MB / 0.25
    assert budget.wanted_heap(medium, 2048 * MIB) == 320_000_000
