"""Concurrent publishers on one branch: linear history, no commit lost, every commit's tree is
exactly the render of its Config-Commit, and an older config commit never lands after a newer
one (unless --allow-older). Processes start together on a barrier so they really collide on
the compare-and-swap (local) or on the push (remote)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pygit2
import pytest

from midway.cache import Cache
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.gitrepo.writing import GitStore
from midway.render.pipeline import RenderOptions, render_config
from midway.state.argocd import ArgoSource
from midway.state.location import StateLocation, parse_state_spec
from midway.state.publishing import ConfigOrigin, PublishRequest, config_origin, publish
from midway.state.tree import state_files
from support.configrepo import ConfigRepoFixture, make_config_repo

CHECKOUT = "apps/payments/checkout.yaml"
FORK = multiprocessing.get_context("fork")


def make_commits(config: ConfigRepoFixture, count: int) -> list[str]:
    """`count` config commits, each with a different checkout basket size."""
    base = config.read_text(CHECKOUT)
    return [
        config.commit(f"basket {i}", {CHECKOUT: base.replace("maxItems: 100", f"maxItems: {i}")})
        for i in range(count)
    ]


def render_state(config: ConfigRepoFixture, sha: str, location: StateLocation) -> dict[str, bytes]:
    source = GitSource(config.path, sha)
    loaded = load_config(source)
    result = render_config(loaded, source, RenderOptions(cache=Cache(), workers=1))
    url = loaded.settings.state_repo_url or location.display
    return state_files(result, ArgoSource(url, location.branch))


def expected_tree(files: dict[str, bytes], scratch: Path) -> str:
    return GitStore.open(scratch, create=True).plan_tree(files, None).tree


def history(repo: Path, ref: str = "main") -> list[tuple[str, str, list[str], str]]:
    """(commit, tree, parents, Config-Commit) from the head down, via the git CLI."""
    fmt = "%H %T %P|%(trailers:key=Config-Commit,valueonly,separator=)"
    out = subprocess.run(
        ["git", "--git-dir", str(repo), "log", f"--format={fmt}", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        ids, _, trailer = line.partition("|")
        commit, tree, *parents = ids.split()
        rows.append((commit, tree, parents, trailer.strip()))
    return rows


Published = tuple[str, str | None, int, str | None]  # config sha, commit, attempts, superseded


def _publisher(
    barrier: Any,
    results: Any,
    jobs: list[tuple[str, dict[str, bytes], ConfigOrigin]],
    location: StateLocation,
    push: bool,
    allow_older: bool,
) -> None:
    barrier.wait(timeout=60)
    for sha, files, origin in jobs:
        request = PublishRequest(
            files=files, location=location, origin=origin, push=push, allow_older=allow_older
        )
        outcome = publish(request)
        results.put((sha, outcome.commit, outcome.attempts, outcome.superseded_by))


def run_publishers(
    jobs: list[list[tuple[str, dict[str, bytes], ConfigOrigin]]],
    locations: list[StateLocation],
    push: bool,
    allow_older: bool = False,
) -> list[Published]:
    barrier = FORK.Barrier(len(jobs))
    results = FORK.Queue()
    procs = [
        FORK.Process(target=_publisher, args=(barrier, results, job, location, push, allow_older))
        for job, location in zip(jobs, locations, strict=True)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return [results.get(timeout=5) for _ in range(sum(len(j) for j in jobs))]


def check_history(
    repo: Path,
    published: list[Published],
    trees: dict[str, str],
    order: list[str],
    allow_older: bool = False,
) -> None:
    """`order`: the config commits oldest first (each contains the ones before it)."""
    rows = history(repo)
    assert all(len(parents) <= 1 for _, _, parents, _ in rows), "history must be linear"
    landed = [p for p in published if p[1] is not None]
    assert rows[-1][2] == [] and len(rows) == len(landed)
    for (_, _, parents, _), (older, *_rest) in itertools.pairwise(rows):
        assert parents == [older]
    in_history = {commit for commit, *_ in rows}
    assert {commit for _, commit, *_ in landed} <= in_history, "a published commit was lost"
    for commit, tree, _, config_commit in rows:
        assert tree == trees[config_commit], f"{commit}: tree is not the render of its config"
    rank = {sha: i for i, sha in enumerate(order)}
    for sha, commit, _, superseded_by in published:
        if commit is None:  # skipped: only ever for a newer config commit
            assert superseded_by is not None and rank[superseded_by] > rank[sha]
    if not allow_older:
        configs = [rank[config_commit] for *_, config_commit in reversed(rows)]
        assert configs == sorted(configs), "an older config commit landed after a newer one"
        assert rows[0][3] == order[-1], "the newest config commit is not the head"
    subprocess.run(["git", "--git-dir", str(repo), "fsck", "--full", "--strict"], check=True)


@pytest.mark.parametrize(("processes", "allow_older"), [(2, False), (8, False), (8, True)])
def test_concurrent_local_publishers(tmp_path: Path, processes: int, allow_older: bool) -> None:
    config = make_config_repo(tmp_path)
    per_process = 3
    shas = make_commits(config, processes * per_process)
    location = parse_state_spec(str(tmp_path / "state.git"))
    prepared = []
    trees = {}
    for sha in shas:
        files = render_state(config, sha, location)
        trees[sha] = expected_tree(files, tmp_path / "scratch.git")
        prepared.append((sha, files, config_origin(config.path, sha, worktree=False)))
    jobs = [prepared[i::processes] for i in range(processes)]
    published = run_publishers(jobs, [location] * processes, push=False, allow_older=allow_older)
    if allow_older:  # the old rule, last publisher wins: every publish lands
        assert all(commit is not None for _, commit, *_ in published)
    check_history(tmp_path / "state.git", published, trees, shas, allow_older)
    if allow_older:
        assert max(attempts for _, _, attempts, _ in published) > 1, "no collision happened"


def test_concurrent_pushers_retry_on_non_fast_forward(tmp_path: Path) -> None:
    config = make_config_repo(tmp_path)
    processes = 4
    shas = make_commits(config, processes * 2)
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    locations = []
    for i in range(processes):  # one CI runner each: its own clone with origin = remote
        clone = tmp_path / f"runner-{i}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(clone)], check=True)
        subprocess.run(
            ["git", "--git-dir", str(clone), "remote", "add", "origin", str(remote)], check=True
        )
        locations.append(parse_state_spec(str(clone)))
    prepared = []
    trees = {}
    for sha in shas:
        files = render_state(config, sha, locations[0])
        trees[sha] = expected_tree(files, tmp_path / "scratch.git")
        prepared.append((sha, files, config_origin(config.path, sha, worktree=False)))
    jobs = [prepared[i::processes] for i in range(processes)]
    published = run_publishers(jobs, locations, push=True, allow_older=True)
    check_history(remote, published, trees, shas, allow_older=True)
    assert max(a for _, _, a, _ in published) > 1, "no push was rejected and retried"


def test_concurrent_cli_publishers(tmp_path: Path) -> None:
    config = make_config_repo(tmp_path)
    shas = make_commits(config, 4)
    state = tmp_path / "state.git"
    env = {**os.environ, "MIDWAY_CACHE_DIR": str(tmp_path / "cache")}
    cli = [sys.executable, "-m", "midway.cli.main", "--config", str(config.path), "publish"]
    # warm the render cache so the processes reach the commit step at about the same time
    warm = subprocess.run([*cli, "--dry-run", "--rev", shas[0]], env=env, capture_output=True)
    assert warm.returncode == 0, warm.stderr.decode()
    procs = [
        subprocess.Popen(
            [*cli, "--rev", sha, "--state", str(state), "-o", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for sha in shas
    ]
    published = []
    for sha, proc in zip(shas, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        result = json.loads(out)
        published.append((sha, result["commit"], result["attempts"], result["superseded_by"]))
    location = parse_state_spec(str(state))
    trees = {
        sha: expected_tree(render_state(config, sha, location), tmp_path / "scratch.git")
        for sha in shas
    }
    check_history(state, published, trees, shas)
