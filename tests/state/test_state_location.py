"""`--state PATH|URL[@BRANCH]` parsing and defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from midway.errors import MidwayError
from midway.model import Settings
from midway.state.location import parse_state_spec, scrub_url, split_branch


@pytest.mark.parametrize(
    ("spec", "repo", "branch"),
    [
        ("state.git", "state.git", None),
        ("state.git@deploy", "state.git", "deploy"),
        ("/abs/state@env/prod", "/abs/state", "env/prod"),
        ("https://git.example.com/org/state.git", "https://git.example.com/org/state.git", None),
        (
            "https://git.example.com/org/state.git@main",
            "https://git.example.com/org/state.git",
            "main",
        ),
        (
            "https://bot:tok@git.example.com/state.git",
            "https://bot:tok@git.example.com/state.git",
            None,
        ),
        (
            "https://bot:tok@git.example.com/state.git@rel",
            "https://bot:tok@git.example.com/state.git",
            "rel",
        ),
        ("git@github.com:org/state.git", "git@github.com:org/state.git", None),
        ("git@github.com:org/state.git@main", "git@github.com:org/state.git", "main"),
        ("ssh://git@host:22/state.git@x", "ssh://git@host:22/state.git", "x"),
        ("file:///tmp/r.git@b", "file:///tmp/r.git", "b"),
        ("dir@with:colon", "dir@with:colon", None),  # not a valid branch: part of the path
    ],
)
def test_split_branch(spec: str, repo: str, branch: str | None) -> None:
    assert split_branch(spec) == (repo, branch)


def test_command_line_paths_are_relative_to_cwd(tmp_path: Path) -> None:
    loc = parse_state_spec("out/state.git", Settings(state_branch="prod"), cwd=tmp_path)
    assert loc.path == tmp_path / "out" / "state.git"
    assert loc.branch == "prod" and loc.ref == "refs/heads/prod" and not loc.is_remote


def test_settings_paths_are_relative_to_the_config_repo(tmp_path: Path) -> None:
    settings = Settings(state="../state.git@live")
    loc = parse_state_spec(None, settings, config_dir=tmp_path / "cfg", cwd=Path("/"))
    assert loc.path == tmp_path / "state.git" and loc.branch == "live"


def test_default_location(tmp_path: Path) -> None:
    loc = parse_state_spec(None, None, config_dir=tmp_path)
    assert loc.path == tmp_path / ".midway" / "state.git" and loc.branch == "main"
    assert str(loc) == f"{tmp_path}/.midway/state.git@main"


def test_urls_and_credentials() -> None:
    loc = parse_state_spec("https://bot:s3cret@git.example.com/state.git@main")
    assert loc.is_remote and loc.path is None
    assert loc.url == "https://bot:s3cret@git.example.com/state.git"
    assert loc.display == "https://git.example.com/state.git"
    assert "s3cret" not in str(loc)
    assert scrub_url("https://x-access-token:abc@github.com/o/r") == "https://github.com/o/r"


def test_invalid_branch_from_settings() -> None:
    with pytest.raises(MidwayError, match="not a valid branch"):
        parse_state_spec(None, Settings(state_branch="bad branch"))
