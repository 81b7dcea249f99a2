"""Symbolic links in the config repo: followed while they stay inside it, refused (named, exit 2)
when they leave it — identically for the working tree (`render`) and git (`render --rev`,
`check --staged`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygit2
import pytest

from support.example import RunCli, write

SECRET = "TOP-SECRET-TOKEN"
READS_SECRET = """\
local s = importstr '%s';
function(app, env, params) [
  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: app.name + '-probe'}, data: {s: s}},
]
"""


def commit_all(root: Path) -> None:
    """A git repo of exactly the files on disk, links stored as links (mode 120000)."""
    repo = pygit2.init_repository(str(root), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    sig = pygit2.Signature("midway test", "test@midway.invalid", 1_700_000_000, 0)
    repo.create_commit("HEAD", sig, sig, "config", tree, [])


def three_ways(run_cli: RunCli, root: Path) -> list[tuple[str, int, str, str]]:
    """(how, exit code, stdout, stderr) of render, render --rev HEAD and check --staged."""
    commit_all(root)
    config = ("--config", str(root))
    runs = {
        "render": run_cli(*config, "render", "--no-cache"),
        "render --rev": run_cli(*config, "render", "--rev", "HEAD", "--no-cache"),
        "check --staged": run_cli(*config, "check", "--staged", "--no-cache"),
    }
    return [(how, *result) for how, result in runs.items()]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the config repo holding what must never be read."""
    place = tmp_path / "outside"
    write(place, "secret.txt", SECRET)
    write(place, "k8s.libsonnet", "{}\n")
    return place


@dataclass(frozen=True)
class Escape:
    name: str
    apply: Callable[[Path, Path], None]  # (config root, outside dir)
    link: str  # the path the error must name


def _root_lib(root: Path, outside: Path) -> None:
    for child in (root / "lib").iterdir():
        child.unlink()
    (root / "lib").rmdir()
    (root / "lib").symlink_to(os.path.relpath(outside, root))
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "secret.txt")


def _nested(root: Path, outside: Path) -> None:
    (root / "lib/shared").symlink_to(os.path.relpath(outside, root / "lib"))
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "shared/secret.txt")


def _vendor(root: Path, outside: Path) -> None:
    (root / "vendor/xlib").symlink_to(outside)  # absolute
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "xlib/secret.txt")


def _blueprint_subdir(root: Path, outside: Path) -> None:
    here = root / "blueprints/probe"
    (here / "files").symlink_to(os.path.relpath(outside, here))
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "files/secret.txt")


def _blueprint_dir(root: Path, outside: Path) -> None:
    write(outside, "blueprint.yaml", (root / "blueprints/probe/blueprint.yaml").read_text())
    write(outside, "main.jsonnet", READS_SECRET % "secret.txt")
    for child in (root / "blueprints/probe").iterdir():
        child.unlink()
    (root / "blueprints/probe").rmdir()
    (root / "blueprints/probe").symlink_to(os.path.relpath(outside, root / "blueprints"))


def _file_link(root: Path, outside: Path) -> None:
    (root / "lib/secret.txt").symlink_to(outside / "secret.txt")
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "secret.txt")


def _dotdot_chain(root: Path, outside: Path) -> None:
    # inside at first sight: lib/up -> ../vendor/up2, vendor/up2 -> ../.. (above the repo)
    (root / "vendor/up2").symlink_to("../..")
    (root / "lib/up").symlink_to("../vendor/up2")
    write(root, "blueprints/probe/main.jsonnet", READS_SECRET % "up/outside/secret.txt")


ESCAPES = [
    Escape("top-level lib/ is a link", _root_lib, "lib"),
    Escape("nested directory link", _nested, "lib/shared"),
    Escape("absolute link in vendor/", _vendor, "vendor/xlib"),
    Escape("directory link in a blueprint", _blueprint_subdir, "blueprints/probe/files"),
    Escape("the blueprint directory is a link", _blueprint_dir, "blueprints/probe"),
    Escape("file link", _file_link, "lib/secret.txt"),
    Escape("chain of links climbing out", _dotdot_chain, "lib/up"),
]


@pytest.mark.parametrize("case", ESCAPES, ids=[c.name for c in ESCAPES])
def test_a_link_leaving_the_repo_is_refused_by_every_source(
    case: Escape, probe_repo: Path, outside: Path, run_cli: RunCli
) -> None:
    case.apply(probe_repo, outside)
    for how, code, out, err in three_ways(run_cli, probe_repo):
        assert code == 2, (how, err)
        assert f"{case.link}: error: symbolic link" in err, (how, err)
        assert SECRET not in out + err, how
        assert "Traceback" not in err, how


def test_a_link_loop_is_refused_not_walked_forever(probe_repo: Path, run_cli: RunCli) -> None:
    (probe_repo / "vendor/loop").symlink_to(".")
    for how, code, _, err in three_ways(run_cli, probe_repo):
        assert code == 2, (how, err)
        assert "vendor/loop: error: symbolic link loops" in err, (how, err)


def test_links_inside_the_repo_are_followed_alike(probe_repo: Path, run_cli: RunCli) -> None:
    write(probe_repo, "vendor/github.com/acme/libs/x/greet.txt", "hello from x")
    (probe_repo / "vendor/xlib").symlink_to("github.com/acme/libs/x")  # a directory link
    (probe_repo / "lib/greet.txt").symlink_to("../vendor/xlib/greet.txt")  # through it
    write(probe_repo, "blueprints/probe/main.jsonnet", READS_SECRET % "greet.txt")
    outputs = set()
    for how, code, out, err in three_ways(run_cli, probe_repo):
        assert code == 0, (how, err)
        if how != "check --staged":
            outputs.add(out)
    [only] = outputs
    assert "s: hello from x" in only
