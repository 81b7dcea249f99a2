"""`pre-commit try-repo <midway> midway-check`: the hook manifest works from another repository.

pre-commit installs midway into its own virtualenv from the project (pip, from PyPI), once per
try-repo call: slow, hence `slow`. The project is copied into a fresh git repository first,
so the test sees the working tree as it is, committed or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.previewrepo import ConfigHistory

PROJECT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@midway.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@midway.invalid",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed"),
]


def hook_repo(target: Path) -> Path:
    """The project's installable parts and hook manifest, committed in a new git repository."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(PROJECT / name, target / name)
    shutil.copytree(
        PROJECT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "hooks"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True)
    return target


def try_repo(hooks: Path, config: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(hooks), "midway-check", "--verbose", "--files", *files],
        cwd=config,
        env=env,
        capture_output=True,
        text=True,
        timeout=850,
    )


def test_try_repo_passes_good_and_fails_bad_files(tmp_path: Path) -> None:
    hooks = hook_repo(tmp_path / "midway")
    config = ConfigHistory(tmp_path / "config")
    config.commit("initial config")
    path = "apps/payments/checkout.yaml"

    good = try_repo(hooks, config.root, path, "README.md")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "midway check" in good.stdout and "Passed" in good.stdout
    assert "checked 1 files, rendered 1 apps" in good.stdout

    (config.root / path).write_text(config.edit(path, "port: 8080", "port: eighty"))
    bad = try_repo(hooks, config.root, path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert f"{path}:10:5: error: `params.port` must be a whole number" in bad.stdout
