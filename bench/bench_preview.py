"""Pull-request preview benchmarks on a synthetic 1,000-app config repo (bench/generate.py):

- `midway diff` for a one-app change (warm cache: what a developer or CI with a cache sees);
- `midway diff` for a blueprint change (web-service, ~60% of the apps) and for a shared-library
  change that alters every object of all 1,000 apps × 3 environments, three ways: warm (both
  sides cached), cold head (base cached, as CI with main's cache), and fully cold;
- `midway check` on one app file that changes before every run (the pre-commit hook).

Each run is a whole CLI process (markdown output, as in CI), timed by bench_render's
`time_command`. MIDWAY_BENCH_QUICK=1 uses 200 apps and fewer runs. Targets: one-app diff ≤ 1 s,
full blast radius ≤ 8 s, check ≤ 1 s.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from bench_render import Workspace, quick, time_command, venv_bin  # noqa: E402
from generate import change_one_app, commit_all, generate  # noqa: E402

Report = Callable[[str, float, dict[str, Any]], None]

# Every object of every blueprint goes through k8s.compact: an extra annotation there changes
# all of them (the worst case for a preview: every unit re-evaluated, every object different).
LIB = "lib/k8s.libsonnet"
LIB_OLD = "local compact(list) = std.filter(function(o) o != null, list);"
LIB_NEW = (
    "local compact(list) = [o + { metadata+: { annotations+: { 'example.com/reviewed': 'yes' } } }"
    " for o in std.filter(function(o) o != null, list)];"
)
WEB = "blueprints/web-service/main.jsonnet"
WEB_OLD = "revisionHistoryLimit: 5,"
WEB_NEW = "revisionHistoryLimit: 3,"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _branch(root: Path, name: str, edit: Callable[[Path], object]) -> None:
    """A branch off main with one commit made by `edit`; main stays checked out."""
    _git(root, "checkout", "-q", "-b", name, "main")
    edit(root)
    commit_all(root, name)
    _git(root, "checkout", "-q", "main")


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        if old not in text:
            raise RuntimeError(f"bench: {old!r} not found in {rel}; update bench_preview.py")
        path.write_text(text.replace(old, new))

    return edit


def _diff_command(config: Path, branch: str) -> str:
    """Exit 1 means "changes": the expected outcome, so only that counts as success."""
    midway = shlex.quote(venv_bin("midway"))
    return (
        f"{midway} -q --config {shlex.quote(str(config))} diff main {branch} -o markdown "
        "> /dev/null; test $? -eq 1"
    )


def _summary(config: Path, branch: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [venv_bin("midway"), "-q", "--config", str(config), "diff", "main", branch, "-o", "json"],
        capture_output=True,
        text=True,
        env={**dict(os.environ), **env},
        check=False,
    )
    report = json.loads(done.stdout)
    objects = report["summary"]["objects"]
    units = sum(len(c["changed"]) for c in report["blastRadius"])
    return {
        "changed_objects": objects["changed"],
        "unchanged_objects": objects["unchanged"],
        "changed_apps": len({o["app"] for o in report["objects"]}),
        "skipped_apps": report["summary"]["apps"]["skipped"],
        "blast_units_changed": units,
    }


def run(report: Report) -> None:
    n_apps = 200 if quick() else 1000
    runs = 3 if quick() else 7
    cold_runs = 1 if quick() else 3
    with Workspace("preview") as work:
        config, cache, base_cache = work / "config", work / "cache", work / "cache-base"
        generate(config, n_apps)
        commit_all(config, "synthetic config")
        _branch(config, "one-app", lambda root: change_one_app(root, 0, 1))
        _branch(config, "web-service", _replace(WEB, WEB_OLD, WEB_NEW))
        _branch(config, "shared-lib", _replace(LIB, LIB_OLD, LIB_NEW))
        env = {"MIDWAY_CACHE_DIR": str(cache)}
        facts = {"apps": n_apps, "env": "dev, staging, prod (4 clusters)", "output": "markdown"}

        # main's render cached, as CI restores it from the default branch
        subprocess.run(
            [venv_bin("midway"), "-q", "--config", str(config), "render", "-o", "text"],
            env={**dict(os.environ), **env},
            check=True,
            capture_output=True,
        )
        shutil.copytree(cache, base_cache)
        quoted, quoted_base = shlex.quote(str(cache)), shlex.quote(str(base_cache))
        restore = f"rm -rf {quoted} && cp -r {quoted_base} {quoted}"

        one = time_command(_diff_command(config, "one-app"), runs=max(runs, 10), warmup=1, env=env)
        extra = {**facts, **_summary(config, "one-app", env), **one.extra(), "target_s": 1.0}
        report("preview/diff-one-app", one.median, extra)

        for branch, label in (
            ("web-service", "blueprint-web-service"),
            ("shared-lib", "blast-all-apps"),
        ):
            command = _diff_command(config, branch)
            cold_head = time_command(command, runs=cold_runs, prepare=restore, env=env)
            summary = _summary(config, branch, env)
            report(
                f"preview/diff-{label}-cold-head",
                cold_head.median,
                {**facts, **summary, "cache": "base only", **cold_head.extra(), "target_s": 8.0},
            )
            warm = time_command(command, runs=runs, warmup=1, env=env)
            report(
                f"preview/diff-{label}-warm",
                warm.median,
                {**facts, **summary, "cache": "both sides", **warm.extra()},
            )
        cold = time_command(
            _diff_command(config, "shared-lib"),
            runs=cold_runs,
            prepare=f"rm -rf {shlex.quote(str(cache))}",
            env=env,
        )
        report(
            "preview/diff-blast-all-apps-cold",
            cold.median,
            {**facts, "cache": "none", **cold.extra()},
        )

        # pre-commit: one app file edited before every run (a cache miss for that app)
        target = config / "apps/team-00/app-0000.yaml"
        midway = shlex.quote(venv_bin("midway"))
        check = f"{midway} -q --config {shlex.quote(str(config))} check {shlex.quote(str(target))}"
        edit = (
            f"{shlex.quote(sys.executable)} {shlex.quote(str(BENCH_DIR / 'generate.py'))} "
            f"{shlex.quote(str(config))} --change-one --index 0"
        )
        checked = time_command(check, runs=max(runs, 10), warmup=1, prepare=edit, env=env)
        report(
            "preview/check-one-file",
            checked.median,
            {
                "apps": n_apps,
                "changed": "1 app file (image tag)",
                **checked.extra(),
                "target_s": 1.0,
            },
        )
