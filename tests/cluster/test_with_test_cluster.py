"""scripts/with-test-cluster.sh (what `make test` runs the suite with): a test cluster the
run started is stopped afterwards; one that was up before stays up. Runs on a cluster of
its own (own dir and ports): the shared one is never stopped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support.cluster import REPO_ROOT, SCRIPT, _have_binaries

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

WRAPPER = REPO_ROOT / "scripts" / "with-test-cluster.sh"


def _settings(tmp_path: Path) -> dict[str, str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    offset = 560 + (int(worker[2:]) if worker[2:].isdigit() else 0)
    return {
        **os.environ,
        "MIDWAY_CLUSTER_DIR": str(tmp_path / "cluster"),
        "MIDWAY_ETCD_PORT": str(12379 + offset * 10),
        "MIDWAY_ETCD_PEER_PORT": str(12380 + offset * 10),
        "MIDWAY_APISERVER_PORT": str(16443 + offset * 10),
        "MIDWAY_KCM_PORT": str(16457 + offset * 10),
        "MIDWAY_CLUSTER_CONTEXT": "midway-wrapper",
    }


def _run(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _up(env: dict[str, str]) -> bool:
    return _run(env, str(SCRIPT), "status").returncode == 0


def test_a_cluster_the_run_started_is_stopped_and_one_already_up_stays(tmp_path: Path) -> None:
    if not _have_binaries():
        pytest.skip("the test cluster binaries are not built (scripts/test-cluster.sh build)")
    env = _settings(tmp_path)
    assert not _up(env)
    try:
        # the suite starts the cluster (as the first cluster fixture does) and fails:
        # the wrapper keeps its exit status and stops what it started
        started = _run(env, str(WRAPPER), "sh", "-c", f"{SCRIPT} up >/dev/null && exit 3")
        assert started.returncode == 3, started.stderr
        assert not _up(env)
        assert not (tmp_path / "cluster").exists()

        # `make cluster-up` before: the run leaves it running
        assert _run(env, str(SCRIPT), "up").returncode == 0
        kept = _run(env, str(WRAPPER), "true")
        assert kept.returncode == 0, kept.stderr
        assert _up(env)
    finally:
        _run(env, str(SCRIPT), "down")
