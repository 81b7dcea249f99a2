"""The resource graph's cost (issue 16, docs/resources.md): the 1,000-app bench repo with
resources on most apps, against the same repo written the old way, measured in one run.

Both repos hold the same generated apps (bench/generate.py). In the *graph* repo, 8 of 10
web services declare a database (`db: {type: postgres}`, provisioned by postgres-cnpg) and
take its host and password through placeholders, and every third one reaches its team's
first web service through a `service-port`. In the *apps* repo the same databases are
separate apps (`<app>-db`, postgres-database@^1) and the hosts and URLs are written out:
the same number of evaluations, so the difference is what planning the graph, resolving
placeholders and checking outputs cost.

Reported: full cold render of each (and their ratio), one-app incremental render and
`midway check` of one app file on the graph repo.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench_render import (
    Report,
    Workspace,
    change_one_command,
    cold_render_command,
    count_files,
    latest_run,
    quick,
    render_command,
    time_command,
    venv_bin,
)
from generate import SyntheticApp, _dump, generate, synthetic_apps

DB_SHARE = 8  # of 10 web services


def _variants(apps: list[SyntheticApp]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(graph documents, plain documents) for the same apps."""
    graph: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []
    first_web: dict[str, str] = {}
    for index, app in enumerate(apps):
        g, p = copy.deepcopy(app.document()), copy.deepcopy(app.document())
        if app.blueprint == "web-service":
            upstream = first_web.setdefault(app.team, app.name)
            g_env = g["spec"]["params"].setdefault("env", {})
            p_env = p["spec"]["params"].setdefault("env", {})
            resources: dict[str, Any] = {}
            if index % 10 < DB_SHARE:
                database = app.name.replace("-", "_")
                resources["db"] = {"type": "postgres", "params": {"database": database}}
                g_env["DB_HOST"] = "${resources.db.host}"
                g_env["DB_PASSWORD"] = "${resources.db.password}"
                host = f"{app.name}-db-rw.{app.team}-{app.name}-db.svc.cluster.local"
                p_env["DB_HOST"] = host
                plain.append(_database_app(app, database))
            if index % 3 == 0 and upstream != app.name:
                resources["up"] = {"type": "service-port", "params": {"workload": upstream}}
                g_env["UPSTREAM_URL"] = "${resources.up.url}"
                p_env["UPSTREAM_URL"] = (
                    f"http://{upstream}.{app.team}-{upstream}.svc.cluster.local:80"
                )
            if resources:
                g["spec"]["resources"] = resources
        graph.append(g)
        plain.append(p)
    return graph, plain


def _database_app(app: SyntheticApp, database: str) -> dict[str, Any]:
    return {
        "apiVersion": "midway.dev/v1",
        "kind": "App",
        "metadata": {"name": f"{app.name}-db", "team": app.team},
        "spec": {
            "blueprint": "postgres-database@^1",
            "params": {"database": database},
            "environments": {
                "dev": {"params": {"instances": 1, "storage": {"size": "2Gi"}}},
                "staging": {},
                "prod": {},
            },
        },
    }


def _write(root: Path, documents: list[dict[str, Any]], n_apps: int) -> None:
    generate(root, n_apps)  # blueprints, environments, lib (the apps are replaced)
    shutil.rmtree(root / "apps")
    for doc in documents:
        meta = doc["metadata"]
        target = root / "apps" / meta["team"] / f"{meta['name']}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(doc))


def _git_init(root: Path) -> None:
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(
            ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
            cwd=root,
            check=True,
        )


def run(report: Report) -> None:
    n_apps = 200 if quick() else 1000
    runs = 3 if quick() else 5
    with Workspace("resources") as work:
        apps = synthetic_apps(n_apps)
        graph_docs, plain_docs = _variants(apps)
        graph, plain = work / "graph", work / "plain"
        _write(graph, graph_docs, n_apps)
        _write(plain, plain_docs, n_apps)
        with_db = sum(1 for d in graph_docs if "db" in d["spec"].get("resources", {}))
        facts = {"apps": n_apps, "databases": with_db}

        # one after the other in the same run, so the machine's load is shared alike
        timings = {}
        for name, root in (("apps", plain), ("graph", graph)):
            timing = time_command(cold_render_command(root, work / f"cold-{name}"), runs=runs)
            objects = count_files(latest_run(work / f"cold-{name}") / "out")
            timings[name] = timing
            report(
                f"resources/full-cold-{name}",
                timing.median,
                {**facts, "objects": objects, **timing.extra()},
            )
        ratio = timings["graph"].median / timings["apps"].median
        report(
            "resources/full-cold-ratio",
            ratio,
            {**facts, "unit": "graph / apps", "goal": "<= 1.15"},
        )

        last = latest_run(work / "cold-graph")
        cache_env = {"MIDWAY_CACHE_DIR": str(last / "cache")}
        command = render_command(graph, last / "out")
        target = graph / "apps" / "team-00" / "app-0000.yaml"  # a web service with a database
        assert "resources" in target.read_text()
        change = change_one_command(graph)  # a new image tag, as a release does
        incremental = time_command(
            command, runs=max(runs, 10), prepare=change, env=cache_env, warmup=1
        )
        report(
            "resources/incremental-one-app",
            incremental.median,
            {**facts, "changed": "1 app file with resources", **incremental.extra()},
        )

        _git_init(graph)
        midway = venv_bin("midway")
        check = [midway, "-q", "--config", str(graph), "check", str(target)]
        checked = time_command(check, runs=max(runs, 10), warmup=1, env=cache_env)
        report(
            "resources/check-one-app",
            checked.median,
            {**facts, "checked": "1 app file with resources", **checked.extra()},
        )
