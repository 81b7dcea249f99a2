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


# ---------------------------------------------------------------------- exit codes
# 0 ok / no differences, 1 differences, 2 a user error, 3 an internal error (a bug).

CRASHING = """
import sys
import midway.cli.context

def broken(*args, **kwargs):
    raise RuntimeError("no such thing\\nsecond line")

midway.cli.context.load_config = broken  # a bug anywhere below the entry point
sys.argv = ["midway", *sys.argv[1:]]
from midway.cli.main import run
run()
"""


def crashing_midway(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, with one function patched to fail as a bug would."""
    return subprocess.run(
        [sys.executable, "-c", CRASHING, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_internal_error_exits_3_with_one_line() -> None:
    done = crashing_midway("--config", str(PROJECT_ROOT), "render")
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        "midway: internal error: RuntimeError: no such thing second line "
        "(run with -v for the traceback, please report it)"
    ]


def test_an_internal_error_with_v_shows_the_traceback() -> None:
    done = crashing_midway("-v", "--config", str(PROJECT_ROOT), "render", "--env", "dev")
    assert done.returncode == 3
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert "in broken\nRuntimeError: no such thing\nsecond line\n" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("midway: internal error: RuntimeError:")


def test_a_user_error_is_2_without_a_traceback_even_with_v(tmp_path: Path) -> None:
    done = midway("-v", "--config", str(tmp_path / "missing"), "render")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_a_closed_output_pipe_is_141_not_differences() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "midway.cli.main", "--config", str(PROJECT_ROOT), "render"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the render writes a byte
    code = process.wait(300)
    err = process.stderr.read().decode()
    process.stderr.close()
    assert code == 141, err
    assert "Traceback" not in err and "internal error" not in err
