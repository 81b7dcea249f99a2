"""Worker processes: how they start, and the Go runtime settings large renders get."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import cast

import pytest

from midway.render import pool
from midway.render.engine import EvalRequest


def test_few_units_fork_many_units_spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    # the decision for a plain one-thread CLI process (other tests in this pytest worker may
    # have left threads or loaded a binding, which would rightly make it forkserver)
    monkeypatch.setattr(pool.threading, "active_count", lambda: 1)
    monkeypatch.setattr(pool, "_binding_loaded", lambda: False)
    assert pool.start_method(pool.SPAWN_FROM_UNITS - 1) == "fork"
    assert pool.start_method(pool.SPAWN_FROM_UNITS) == "spawn"


def test_threads_or_a_loaded_binding_make_small_renders_use_forkserver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool.threading, "active_count", lambda: 3)
    assert pool.start_method(pool.SPAWN_FROM_UNITS - 1) == "forkserver"
    monkeypatch.setattr(pool.threading, "active_count", lambda: 1)
    monkeypatch.setattr(pool, "_binding_loaded", lambda: True)
    assert pool.start_method(pool.SPAWN_FROM_UNITS - 1) == "forkserver"


def test_spawned_workers_run_go_with_the_collector_tuned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in pool.GO_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with pool.WorkerPool(2, units=pool.SPAWN_FROM_UNITS) as workers:
        assert workers.method == "spawn"
        seen = [{n: workers.call(os.getenv, n, slot=i) for n in pool.GO_SETTINGS} for i in range(2)]
    assert seen == [workers.go_settings] * 2
    assert workers.go_settings["GOGC"] == "off"
    assert workers.go_settings["GOMEMLIMIT"].endswith("MiB")
    # only the workers: the parent's environment is as it was
    assert not any(name in os.environ for name in pool.GO_SETTINGS)


def test_a_users_own_go_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGC", "50")
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with pool.WorkerPool(1, units=pool.SPAWN_FROM_UNITS) as workers:
        gogc = workers.call(os.getenv, "GOGC")
        limit = workers.call(os.getenv, "GOMEMLIMIT")
    assert (gogc, limit) == ("50", None)


def _exit_abruptly(batch: pool.Batch) -> tuple[list[pool.UnitResult], int]:
    os._exit(3)


def test_a_worker_that_dies_is_reported_as_a_crash_not_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # fork-started workers inherit the patched module
    monkeypatch.setattr(pool, "start_method", lambda units: "fork")
    monkeypatch.setattr(pool, "_evaluate_and_check", _exit_abruptly)
    unit = EvalRequest("{}", "{}", "{}")
    batch = pool.Batch("blueprints/x/main.jsonnet", {}, (unit,), (cast(pool.UnitContext, None),))
    with pool.WorkerPool(1, units=1) as workers, pytest.raises(pool.WorkerCrashed):
        workers.evaluate([batch], lambda group, results: None)


_ORPHAN_SCRIPT = """
import os, sys, time
from midway.render import pool
workers = pool.WorkerPool(2, units=int(sys.argv[1]))
pids = {workers.call(os.getpid, slot=i) for i in range(2)}
print(" ".join(map(str, pids)), flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("units", [1, pool.SPAWN_FROM_UNITS])
def test_workers_end_when_their_parent_is_killed(units: int) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, str(units)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert pids
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"  # a zombie waits for init to reap it
    except FileNotFoundError:
        return False


def test_forkserver_workers_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # the daemon's renders run beside threads, where workers come from a fork server
    monkeypatch.setattr(pool, "start_method", lambda units: "forkserver")
    with pool.WorkerPool(1, units=1) as workers:
        assert workers.method == "forkserver"
        assert workers.call(os.getpid) != os.getpid()
