"""Worker processes: how they start, and the Go runtime settings large renders get."""

from __future__ import annotations

import os

import pytest

from midway.render import pool


def test_few_units_fork_many_units_spawn() -> None:
    assert pool.start_method(pool.SPAWN_FROM_UNITS - 1) == "fork"
    assert pool.start_method(pool.SPAWN_FROM_UNITS) == "spawn"


def test_spawned_workers_run_go_with_the_collector_tuned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in pool.GO_RUNTIME_ENV:
        monkeypatch.delenv(name, raising=False)
    with pool.WorkerPool(1, units=pool.SPAWN_FROM_UNITS) as workers:
        assert workers.method == "spawn"
        seen = {n: workers.executor.submit(os.getenv, n).result() for n in pool.GO_RUNTIME_ENV}
    assert seen == pool.GO_RUNTIME_ENV
    # only the workers: the parent's environment is as it was
    assert not any(name in os.environ for name in pool.GO_RUNTIME_ENV)


def test_a_users_own_go_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGC", "50")
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with pool.WorkerPool(1, units=pool.SPAWN_FROM_UNITS) as workers:
        gogc = workers.executor.submit(os.getenv, "GOGC").result()
        limit = workers.executor.submit(os.getenv, "GOMEMLIMIT").result()
    assert (gogc, limit) == ("50", None)


def _exit_abruptly(batch: pool.Batch) -> list[pool.UnitResult]:
    os._exit(3)


def test_a_worker_that_dies_is_reported_as_a_crash_not_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # fork-started workers inherit the patched module
    monkeypatch.setattr(pool, "start_method", lambda units: "fork")
    monkeypatch.setattr(pool, "_evaluate_and_check", _exit_abruptly)
    batch = pool.Batch("blueprints/x/main.jsonnet", {}, (), ())
    with pool.WorkerPool(1, units=1) as workers, pytest.raises(pool.WorkerCrashed):
        workers.evaluate([batch])
