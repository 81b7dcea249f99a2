"""`midway publish` records jsonnet-bundler's lock in the state commit (one Vendor-Lock
trailer per dependency, sorted) and refuses the comparison-only C++ binding."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.configrepo import make_config_repo
from support.example import RunCli

LOCK = {
    "version": 1,
    "dependencies": [
        {
            "source": {
                "git": {
                    "remote": "https://github.com/grafana/jsonnet-libs.git",
                    "subdir": "ksonnet-util",
                }
            },
            "version": "9b0f6b3a",
            "sum": "c5Bq1qXq1BUQ3xyYHgRmkZ6ZnEH3Nng6XBTMn0dLZlE=",
        },
        {
            "source": {
                "git": {
                    "remote": "https://github.com/jsonnet-libs/docsonnet.git",
                    "subdir": "doc-util",
                }
            },
            "version": "6ac6c69685b8",
            "sum": "BrAL/k23jq+xy9oA7TWIhUx07dsA/QLm3g7ktCwe//U=",
        },
    ],
    "legacyImports": True,
}


def test_the_lock_is_recorded_in_the_state_commit(tmp_path: Path, run_cli: RunCli) -> None:
    config = make_config_repo(tmp_path)
    config.commit("vendor", {"jsonnetfile.lock.json": json.dumps(LOCK, indent=2)})
    state = tmp_path / "state.git"
    code, _, err = run_cli("--config", str(config.path), "publish", "--state", str(state))
    assert code == 0, err
    message = subprocess.run(
        ["git", "--git-dir", str(state), "log", "-1", "--format=%B", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert message.rstrip("\n").endswith(
        "Vendor-Lock: github.com/grafana/jsonnet-libs/ksonnet-util 9b0f6b3a "
        "c5Bq1qXq1BUQ3xyYHgRmkZ6ZnEH3Nng6XBTMn0dLZlE=\n"
        "Vendor-Lock: github.com/jsonnet-libs/docsonnet/doc-util 6ac6c69685b8 "
        "BrAL/k23jq+xy9oA7TWIhUx07dsA/QLm3g7ktCwe//U="
    ), message


def test_a_broken_lock_is_named(tmp_path: Path, run_cli: RunCli) -> None:
    config = make_config_repo(tmp_path)
    config.commit("vendor", {"jsonnetfile.lock.json": "{not json"})
    code, _, err = run_cli("--config", str(config.path), "publish", "--state", str(tmp_path / "s"))
    assert code == 2
    assert "jsonnetfile.lock.json: error: jsonnetfile.lock.json is not valid JSON" in err
    assert not (tmp_path / "s").exists()


def test_publish_refuses_the_cpp_binding(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config_repo(tmp_path)
    monkeypatch.setattr("midway.cli.publish.ENGINE_NAME", "cpp")
    code, _, err = run_cli("--config", str(config.path), "publish", "--state", str(tmp_path / "s"))
    assert code == 2
    assert "MIDWAY_JSONNET=cpp is a comparison-only switch" in err
    assert not (tmp_path / "s").exists()
