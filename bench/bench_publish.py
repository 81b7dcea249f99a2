"""Publish benchmarks: writing a 1,000-app × 3-env state tree (12,000 manifests of ~1.5 KB plus
3,000 ArgoCD Applications) as one commit, render excluded: a prepared {path: bytes} goes
straight to midway.state.publishing.publish.

Scenarios (median of several runs, in-process timer):
  publish_full          empty repo -> first commit (every blob and tree written, one pack)
  publish_one_app       one app changed in all envs (hash all, gate + write the changed files,
                        commit, CAS)
  publish_noop          nothing changed (hash all, compare the root tree id, no commit)
  publish_gate_full     the validation gate alone on every file (YAML parse, one object each):
                        what a first publish adds to publish_full
and the git CLI on the same files in a worktree: `git add -A && git commit` for the full
tree, after one app changed, and with nothing changed (`add -A` + `diff --cached --quiet`):
once with only the changed files rewritten (git's best case: its index skips unchanged files
by stat), once with every file rewritten first, as a render to a directory does.

Targets: full ≤ 3 s, one app ≤ 0.3 s, no-op ≤ 0.2 s, each faster than the git CLI path.

    .venv/bin/python bench/bench_publish.py          # prints the numbers
MIDWAY_BENCH_QUICK=1 uses 200 apps and fewer runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from midway.state.location import parse_state_spec
from midway.state.publishing import ConfigOrigin, PublishRequest, publish
from midway.state.tree import check_single_objects

Report = Callable[[str, float, dict[str, Any]], None]
ENVS = ("dev", "staging", "prod")
KINDS = ("deployment", "service", "configmap", "horizontalpodautoscaler")
TARGETS = {"publish_full": 3.0, "publish_one_app": 0.3, "publish_noop": 0.2}


def quick() -> bool:
    return os.environ.get("MIDWAY_BENCH_QUICK", "") not in ("", "0")


def manifest(env: str, team: str, app: str, kind: str, revision: int) -> bytes:
    """A ~1.5 KB object in the shape midway renders (labels, annotations, spec)."""
    lines = [
        "apiVersion: apps/v1" if kind == "deployment" else "apiVersion: v1",
        f"kind: {kind.title()}",
        "metadata:",
        f"  name: {app}",
        f"  namespace: {team}-{app}",
        "  labels:",
        "    app.kubernetes.io/managed-by: midway",
        f"    midway.dev/app: {app}",
        f"    midway.dev/env: {env}",
        f"    midway.dev/team: {team}",
        "  annotations:",
        "    midway.dev/blueprint: web-service@2.1.0",
        "spec:",
        f"  revision: {revision}",
    ]
    lines += [f"  setting{i:02}: value-{env}-{app}-{kind}-{i:02}-padding-text" for i in range(22)]
    return ("\n".join(lines) + "\n").encode()


def application(env: str, team: str, app: str) -> bytes:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        f"  name: {team}-{app}-{env}-{env}-1\n  namespace: argocd\nspec:\n"
        f"  destination:\n    namespace: {team}-{app}\n    server: https://{env}.example:6443\n"
        "  project: default\n  source:\n"
        f"    path: {env}/{env}-1/{team}-{app}/{app}\n"
        "    repoURL: https://git.example.com/platform/state.git\n    targetRevision: main\n"
    ).encode()


def state_tree(n_apps: int, changed: dict[int, int] | None = None) -> dict[str, bytes]:
    """{path: bytes}; `changed` maps app index -> revision (default 0)."""
    changed = changed or {}
    files: dict[str, bytes] = {"README.md": b"# state (generated)\n"}
    for i in range(n_apps):
        team, app = f"team{i % 20:02}", f"app{i:04}"
        revision = changed.get(i, 0)
        for env in ENVS:
            base = f"{env}/{env}-1/{team}-{app}/{app}"
            for kind in KINDS:
                files[f"{base}/{kind}-{app}.yaml"] = manifest(env, team, app, kind, revision)
            files[f"argocd/{env}/{env}-1/{team}-{app}.yaml"] = application(env, team, app)
    return files


def _origin(n: int) -> ConfigOrigin:
    return ConfigOrigin(f"{n:040x}", "bench", False, 1_700_000_000 + n, 0)


def _publish(
    state: Path, files: dict[str, bytes], n: int, validate: bool = True
) -> tuple[float, Any]:
    request = PublishRequest(
        files=files, location=parse_state_spec(str(state)), origin=_origin(n), validate=validate
    )
    started = time.perf_counter()
    outcome = publish(request)
    return time.perf_counter() - started, outcome


def _git(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@localhost",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
    }
    return subprocess.run(
        ["git", "-C", str(work), *args], env=env, capture_output=True, check=check
    )


def _write_worktree(work: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _rewrite_and_git(work: Path, files: dict[str, bytes], then: str) -> None:
    _write_worktree(work, files)
    _git(work, "add", "-A")
    if then == "commit":
        _git(work, "commit", "-q", "-m", "z")
    else:
        _git(work, "diff", "--cached", "--quiet")


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "runs": len(times),
        "min_s": round(min(times), 4),
        "max_s": round(max(times), 4),
        "load": round(os.getloadavg()[0], 2),
    }


def run(report: Report) -> None:
    n_apps = 200 if quick() else 1000
    runs = 3 if quick() else 5
    files = state_tree(n_apps)
    facts = {
        "apps": n_apps,
        "files": len(files),
        "mb": round(sum(map(len, files.values())) / 1e6, 1),
    }
    scratch = Path(tempfile.mkdtemp(prefix="midway-bench-publish-"))
    try:
        # -- midway ------------------------------------------------------------------------
        full = []
        for r in range(runs):
            # the gate (every file is new here) is timed apart: publish_gate_full
            seconds, outcome = _publish(scratch / f"full-{r}.git", files, 0, validate=False)
            assert outcome.commit is not None
            full.append(seconds)
        objects = outcome.objects_written
        state = scratch / "full-0.git"
        incremental, noop = [], []
        current = files
        for r in range(runs + 2):
            current = state_tree(n_apps, {r * 37 % n_apps: r + 1})
            seconds, outcome = _publish(state, current, r + 1)
            assert outcome.commit is not None and len(outcome.changes) == 4 * len(ENVS) * (
                2 if r else 1
            ), len(outcome.changes)
            incremental.append(seconds)
            seconds, outcome = _publish(state, current, r + 100)
            assert outcome.noop
            noop.append(seconds)
        gate = [_timed(lambda: check_single_objects(files, files)) for _ in range(max(2, runs - 2))]

        # -- git CLI on a worktree -----------------------------------------------------------
        git_full, git_one, git_noop, write_tree = [], [], [], []
        for r in range(runs):
            work = scratch / f"git-{r}"
            write_tree.append(_timed(lambda w=work: _write_worktree(w, files)))  # type: ignore[misc]
            _git(work, "init", "-q")
            git_full.append(
                _timed(lambda w=work: (_git(w, "add", "-A"), _git(w, "commit", "-q", "-m", "x")))  # type: ignore[misc]
            )
        work = scratch / "git-0"
        git_one_rewrite, git_noop_rewrite = [], []
        for r in range(runs + 2):
            one = state_tree(n_apps, {r * 37 % n_apps: r + 1})
            changed = {p: d for p, d in one.items() if files.get(p) != d}
            _write_worktree(work, changed)  # only the changed files: git's best case
            files = one
            git_one.append(
                _timed(lambda: (_git(work, "add", "-A"), _git(work, "commit", "-q", "-m", "y")))
            )
            git_noop.append(
                _timed(lambda: (_git(work, "add", "-A"), _git(work, "diff", "--cached", "--quiet")))
            )
        for r in range(runs):
            # what `midway render --out` + git would do: the render rewrites every file
            one = state_tree(n_apps, {(r * 37 + 11) % n_apps: r + 50})
            git_one_rewrite.append(_timed(lambda o=one: _rewrite_and_git(work, o, "commit")))  # type: ignore[misc]
            git_noop_rewrite.append(_timed(lambda o=one: _rewrite_and_git(work, o, "diff")))  # type: ignore[misc]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    results = {
        "publish_full": (full, {"objects_written": objects}),
        "publish_one_app": (incremental, {}),
        "publish_noop": (noop, {}),
        "publish_gate_full": (gate, {"note": "validation gate on every file; first publish only"}),
        "git_cli_full": (git_full, {"worktree_write_s": round(statistics.median(write_tree), 3)}),
        "git_cli_one_app": (git_one, {"note": "only the changed files rewritten"}),
        "git_cli_noop": (git_noop, {"note": "worktree untouched"}),
        "git_cli_one_app_rewrite": (git_one_rewrite, {"note": "every file rewritten"}),
        "git_cli_noop_rewrite": (git_noop_rewrite, {"note": "every file rewritten"}),
    }
    for name, (times, extra) in results.items():
        median = statistics.median(times)
        info = {**facts, **_summary(times), **extra}
        if name in TARGETS:
            info["target_s"] = TARGETS[name]
            info["meets_target"] = median <= TARGETS[name]
            peer = statistics.median(results[name.replace("publish_", "git_cli_")][0])
            info["git_cli_s"] = round(peer, 4)
            info["faster_than_git_cli"] = median < peer
            rewrite = results.get(name.replace("publish_", "git_cli_") + "_rewrite")
            if rewrite:
                info["git_cli_rewrite_s"] = round(statistics.median(rewrite[0]), 4)
        report(name, median, info)


def _print(name: str, seconds: float, extra: dict[str, Any]) -> None:
    detail = ", ".join(f"{k}={v}" for k, v in extra.items())
    print(f"{name:<20} {seconds:8.3f} s   {detail}")


if __name__ == "__main__":
    run(_print)
