"""The `midway` console script: exit codes and complete output, also on its quick exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from midway.cli.main import QUICK_EXIT_VERBS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def midway(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "midway.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_render_is_a_quick_exit_verb_and_the_daemon_is_not() -> None:
    assert "render" in QUICK_EXIT_VERBS
    assert "daemon" not in QUICK_EXIT_VERBS


def test_quick_exit_flushes_all_output(tmp_path: Path) -> None:
    done = midway("--config", str(PROJECT_ROOT), "render", "--env", "dev")
    assert done.returncode == 0, done.stderr
    documents = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert len(documents) > 10
    assert all("kind" in d for d in documents)


def test_errors_exit_2_with_the_message(tmp_path: Path) -> None:
    done = midway("--config", str(tmp_path / "missing"), "render")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_help_exits_0() -> None:
    done = midway("--help")
    assert done.returncode == 0
    assert "render" in done.stdout
