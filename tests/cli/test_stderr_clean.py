"""The happy paths of the CLI leave stderr clean: no warning, no traceback (issue 11,
acceptance 4). Each verb runs as a real `python -m midway.cli.main` process, as a user runs
it: the one-shot verbs end with os._exit, which is where leaked multiprocessing semaphores
used to show up as a resource_tracker UserWarning.

What midway prints to stderr on purpose stays allowed: `publish`'s summary table and its
"not validated offline" note, `state ls`'s header line. Verbs that print nothing there on
purpose (render, check, diff, drift, sync) must leave it empty."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.drift_example import DriftEnv
from support.example import copy_example

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Anything Python or a library prints when something is off.
NOISE = re.compile(
    r"Traceback|Warning|warnings\.warn|leaked|Retrying|urllib3|Exception|^error:", re.M
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def _env() -> dict[str, str]:
    env = {**os.environ, **GIT_ENV}
    src = str(PROJECT_ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def midway(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "midway.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=_env(), check=True, capture_output=True)


def assert_clean(done: subprocess.CompletedProcess[str], *, empty: bool) -> None:
    what = " ".join(str(a) for a in done.args[3:])
    assert not NOISE.search(done.stderr), f"{what}: stderr not clean:\n{done.stderr}"
    if empty:
        assert done.stderr == "", f"{what}: stderr not empty:\n{done.stderr}"


@pytest.fixture
def config_repo(tmp_path: Path) -> Path:
    """The example config as a git repo of two commits (the second changes one app)."""
    root = copy_example(tmp_path / "config")
    (root / ".gitignore").write_text(".midway/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    app = root / "apps" / "payments" / "checkout.yaml"
    text = app.read_text()
    assert "replicas: 1" in text, "the example's checkout app changed"
    app.write_text(text.replace("replicas: 1", "replicas: 2", 1))
    git(root, "commit", "-q", "-am", "checkout: 2 replicas in dev")
    return root


def test_offline_verbs_leave_stderr_clean(config_repo: Path) -> None:
    cfg = ("--config", str(config_repo))
    render = midway(*cfg, "render", "--env", "dev", "--no-cache", cwd=config_repo)
    assert render.returncode == 0, render.stderr
    assert_clean(render, empty=True)

    check = midway(*cfg, "check", "--no-cache", cwd=config_repo)
    assert check.returncode == 0, check.stderr
    assert_clean(check, empty=False)
    # the only stderr lines of a clean check: notes on apps that name no environments
    assert all(line.startswith("note: ") for line in check.stderr.splitlines()), check.stderr
    quiet = midway(*cfg, "check", "-q", "--no-cache", cwd=config_repo)
    assert quiet.returncode == 0, quiet.stderr
    assert_clean(quiet, empty=True)

    diff = midway(*cfg, "diff", "--no-cache", "HEAD~1", "HEAD", cwd=config_repo)
    assert diff.returncode == 1, diff.stderr  # 1: there are differences
    assert "payments/checkout" in diff.stdout
    assert_clean(diff, empty=True)

    publish = midway(*cfg, "publish", "--no-cache", cwd=config_repo)
    assert publish.returncode == 0, publish.stderr
    assert_clean(publish, empty=False)  # its summary table is meant for stderr

    listed = midway(*cfg, "state", "ls", cwd=config_repo)
    assert listed.returncode == 0, listed.stderr
    assert_clean(listed, empty=False)  # "<repo>@main at <commit> …: N objects"
    assert listed.stderr.count("\n") == 1


@pytest.mark.cluster
def test_drift_and_sync_against_the_test_cluster_leave_stderr_clean(drift_env: DriftEnv) -> None:
    drift = midway(*drift_env.argv("drift"), cwd=drift_env.config)
    assert drift.returncode == 0, drift.stdout + drift.stderr  # just applied: in sync
    assert_clean(drift, empty=True)

    sync = midway(*drift_env.argv("sync", "--env", "dev"), cwd=drift_env.config)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert_clean(sync, empty=True)
