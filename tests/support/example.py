"""A disposable copy of the embedded example config repo, plus a tiny in-test blueprint."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("blueprints", "environments", "apps", "rollouts", "lib", "vendor", "midway.yaml")

PROBE_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: probe}
spec:
  version: 1.0.0
  description: A minimal blueprint the tests rewrite at will
  parameters:
    type: object
    additionalProperties: false
    properties:
      greeting: {type: string, default: hello, description: text to put in the ConfigMap}
      logLevel: {type: string, description: env-wide log level}
"""

PROBE_MAIN = """\
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: app.name + '-probe'},
    data: {greeting: params.greeting},
  },
]
"""

PROBE_APP = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: probe, team: qa}
spec:
  blueprint: probe@^1
  params: {greeting: hi}
  environments:
    dev: {}
"""


def copy_example(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        src = PROJECT_ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part)
        elif src.is_file():
            shutil.copy2(src, target / part)
    return target


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content) if content.startswith("\n") else content)
    return path


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """The example config, copied so a test may change it."""
    return copy_example(tmp_path / "config")


@pytest.fixture
def probe_repo(example_repo: Path) -> Path:
    """The example plus blueprints/probe and apps/qa/probe.yaml (one ConfigMap in dev)."""
    write(example_repo, "blueprints/probe/blueprint.yaml", PROBE_BLUEPRINT)
    write(example_repo, "blueprints/probe/main.jsonnet", PROBE_MAIN)
    write(example_repo, "apps/qa/probe.yaml", PROBE_APP)
    return example_repo


RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run the real CLI in-process: returns (exit code, stdout, stderr)."""
    from midway.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
