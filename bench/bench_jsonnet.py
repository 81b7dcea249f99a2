"""Jsonnet bindings compared: PyPI `gojsonnet` (`_gojsonnet`, midway's default) against the C++
`jsonnet` binding (`_jsonnet`, selected with MIDWAY_JSONNET=cpp).

1. Fixed cost per evaluation: `evaluate_snippet` of `{}`, many times, in a fresh process per
   binding (gojsonnet starts the Go runtime on import; keep it out of the runner process).
2. One app through midway's engine: the example app payments/checkout (web-service 2.x, prod)
   evaluated alone, and 100 times in ONE batch call (how the render pipeline calls it), per unit.
3. A whole `midway render` of the synthetic 1,000-app repo with a cold cache, per binding.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench_render import (
    PROJECT_ROOT,
    Report,
    Workspace,
    cold_render_command,
    quick,
    time_command,
)
from generate import generate

BINDINGS = {"go": "_gojsonnet", "cpp": "_jsonnet"}

# Runs in a child process: `python bench_jsonnet.py --child go|cpp ROUNDS`; prints JSON.
_CHILD_APP = "payments/checkout"
_CHILD_ENV = "prod"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _child(engine_name: str, rounds: int) -> dict[str, Any]:
    import importlib
    import os

    os.environ["MIDWAY_JSONNET"] = engine_name
    started = time.perf_counter()
    binding = importlib.import_module(BINDINGS[engine_name])
    import_s = time.perf_counter() - started

    binding.evaluate_snippet("warm", "{}")
    fixed = []
    cpu0 = time.process_time()
    for _ in range(rounds):
        t0 = time.perf_counter()
        binding.evaluate_snippet("bench", "{}")
        fixed.append(time.perf_counter() - t0)
    # CPU of every thread of the process: robust when other work competes for the cores
    fixed_cpu = (time.process_time() - cpu0) / rounds

    # midway's own engine on a real blueprint (internal API: this is a benchmark, not a client)
    from midway.config.loader import load_config
    from midway.config.source import DiskSource
    from midway.render import engine
    from midway.render.params import merge_params, resolve_blueprint

    source = DiskSource(PROJECT_ROOT)
    config = load_config(source, None)
    app = config.apps[_CHILD_APP]
    env = config.environments[_CHILD_ENV]
    blueprint = resolve_blueprint(config, app)
    cluster = env.clusters[0]
    request = engine.EvalRequest(
        json.dumps({"name": app.name, "team": app.team, "id": app.id, "labels": {}}),
        json.dumps(
            {
                "name": env.name,
                "order": env.order,
                "namespace": f"{app.team}-{app.name}",
                "cluster": {
                    "name": cluster.name,
                    "server": cluster.server,
                    "kubernetesVersion": cluster.kubernetes_version,
                },
            }
        ),
        json.dumps(merge_params(blueprint, env, app).values),
    )
    directory = blueprint.directory + "/"
    files: dict[str, bytes | None] = {
        p: source.read(p) for p in source.paths() if p.startswith((directory, *engine.SHARED_ROOTS))
    }
    main = f"{blueprint.directory}/main.jsonnet"
    engine.evaluate_batch(main, files, [request])
    single = []
    cpu0 = time.process_time()
    for _ in range(max(5, rounds // 4)):
        t0 = time.perf_counter()
        engine.evaluate_batch(main, files, [request])
        single.append(time.perf_counter() - t0)
    single_cpu = (time.process_time() - cpu0) / len(single)
    batched = []
    cpu0 = time.process_time()
    for _ in range(3):
        t0 = time.perf_counter()
        engine.evaluate_batch(main, files, [request] * 100)
        batched.append((time.perf_counter() - t0) / 100)
    batched_cpu = (time.process_time() - cpu0) / 300
    return {
        "binding": BINDINGS[engine_name],
        "version": getattr(binding, "version", "?"),
        "import_s": import_s,
        "fixed_s": _median(fixed),
        "fixed_cpu_s": fixed_cpu,
        "one_app_s": _median(single),
        "one_app_cpu_s": single_cpu,
        "per_app_in_batch_of_100_s": _median(batched),
        "per_app_in_batch_of_100_cpu_s": batched_cpu,
        "blueprint": blueprint.ref,
    }


def _round(seconds: float) -> float:
    return float(f"{seconds:.3g}")


def _measure_child(engine_name: str, rounds: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine_name, str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(report: Report) -> None:
    rounds = 40 if quick() else 200
    per_binding = {name: _measure_child(name, rounds) for name in BINDINGS}
    go, cpp = per_binding["go"], per_binding["cpp"]
    for name, data in per_binding.items():
        facts = {"binding": f"{data['binding']} {data['version']}", "rounds": rounds}
        report(
            f"jsonnet/{name}-fixed-per-evaluation",
            data["fixed_s"],
            {**facts, "cpu_s": _round(data["fixed_cpu_s"])},
        )
        report(
            f"jsonnet/{name}-one-app",
            data["one_app_s"],
            {
                **facts,
                "app": f"{_CHILD_APP} ({data['blueprint']}, {_CHILD_ENV})",
                "cpu_s": _round(data["one_app_cpu_s"]),
            },
        )
        report(
            f"jsonnet/{name}-per-app-in-batch-of-100",
            data["per_app_in_batch_of_100_s"],
            {
                **facts,
                "app": f"{_CHILD_APP} ×100 in one call",
                "cpu_s": _round(data["per_app_in_batch_of_100_cpu_s"]),
            },
        )
    report(
        "jsonnet/cpp-vs-go-fixed",
        cpp["fixed_s"] / go["fixed_s"],
        {"unit": "ratio (C++ binding / gojsonnet; >1 means gojsonnet is faster)"},
    )
    report(
        "jsonnet/cpp-vs-go-batched-app",
        cpp["per_app_in_batch_of_100_s"] / go["per_app_in_batch_of_100_s"],
        {"unit": "ratio (C++ binding / gojsonnet, per app in a batch of 100)"},
    )

    n_apps = 200 if quick() else 1000
    runs = 2 if quick() else 5
    with Workspace("jsonnet") as work:
        config = work / "config"
        generate(config, n_apps)
        renders = {}
        for name in BINDINGS:
            command = cold_render_command(config, work / name, env=f"MIDWAY_JSONNET={name}")
            timing = time_command(command, runs=runs)
            renders[name] = timing
            report(
                f"jsonnet/{name}-render-full-cold",
                timing.median,
                {"apps": n_apps, "MIDWAY_JSONNET": name, **timing.extra()},
            )
        ratio = renders["cpp"].median / renders["go"].median
        report(
            "jsonnet/cpp-vs-go-render",
            ratio,
            {
                "unit": "ratio (C++ render / gojsonnet render, whole command)",
                "faster": "gojsonnet (midway's default)" if ratio > 1 else "C++ jsonnet",
            },
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
    else:
        sys.exit("run through bench/run.py --only jsonnet")
