"""Fidelity: midway's objects are the blueprint's own output, object for object, plus only the
documented additions (metadata.namespace, the ownership labels and annotation, key order).

Every blueprint of testdata/fidelity/ is rendered with the real CLI and evaluated directly
with `_gojsonnet` (same file, same arguments); the two must be equal once the additions are
taken off midway's objects.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from support.example import RunCli, write

CORPUS = Path(__file__).parent / "testdata/fidelity"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))
TEAM = "fid"
ADDED_LABELS = (
    "app.kubernetes.io/managed-by",
    "midway.dev/app",
    "midway.dev/env",
    "midway.dev/team",
)
ADDED_ANNOTATIONS = ("midway.dev/blueprint",)
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "Namespace"}

BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: fid-%s}
spec:
  version: 1.0.0
  description: fidelity corpus blueprint
  parameters:
    type: object
    additionalProperties: false
    properties:
      greeting: {type: string, default: hello, description: a value to render}
      logLevel: {type: string, description: env-wide log level}
"""
APP = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: %s, team: fid}
spec:
  blueprint: fid-%s@^1
  environments:
    dev: {}
"""


def direct_arguments(name: str) -> dict[str, str]:
    """The arguments midway passes (render/pipeline.py `_prepare`), for the example's dev."""
    app = {
        "name": name,
        "team": TEAM,
        "id": f"{TEAM}/{name}",
        "labels": {
            "app.kubernetes.io/managed-by": "midway",
            "midway.dev/app": name,
            "midway.dev/team": TEAM,
            "midway.dev/env": "dev",
        },
    }
    env = {
        "name": "dev",
        "order": 1,
        "namespace": f"{TEAM}-{name}",
        "cluster": {
            "name": "dev-1",
            "server": "https://127.0.0.1:16443",
            "kubernetesVersion": "1.20",
            "kubernetesMajor": 1,
            "kubernetesMinor": 20,
        },
    }
    params = {"greeting": "hello", "logLevel": "debug"}
    return {"app": json.dumps(app), "env": json.dumps(env), "params": json.dumps(params)}


def objects_of(value: Any) -> list[dict[str, Any]]:
    """The return shapes docs/blueprints.md documents, written out again as the spec."""
    if value is None:
        return []
    if isinstance(value, list):
        return [o for item in value for o in objects_of(item) if o is not None]
    assert isinstance(value, dict)
    if any(k in value for k in ("apiVersion", "kind", "metadata")):
        if str(value.get("kind", "")).endswith("List") and "items" in value:
            return objects_of(value["items"])
        return [value]
    return [o for key in sorted(value) for o in objects_of(value[key])]


def without_additions(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    body = json.loads(json.dumps(obj))
    meta = body["metadata"]
    if body["kind"] not in CLUSTER_SCOPED:
        assert meta.pop("namespace") == namespace
    for field, added in (("labels", ADDED_LABELS), ("annotations", ADDED_ANNOTATIONS)):
        for key in added:
            del meta[field][key]
        if not meta[field]:
            del meta[field]
    return body


def without_empty_marks(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata", {})
    for field in ("labels", "annotations"):
        if field in meta and not meta[field]:
            del meta[field]
    return obj


def by_identity(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    assert len(found) == len(objects)
    return found


def evaluate_directly(main: str, jpath: list[str], tlas: dict[str, str]) -> str:
    """The blueprint through the binding itself, with Jsonnet's own file importer. Runs in a
    spawned process: the test process must not load the binding (render workers fork)."""
    import _gojsonnet

    from midway.render.natives import NATIVES

    result: str = _gojsonnet.evaluate_file(
        main, jpathdir=jpath, tla_codes=tlas, native_callbacks=NATIVES
    )
    return result


@pytest.fixture(scope="module")
def direct() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as worker:
        yield worker


@pytest.fixture(scope="module")
def corpus_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from support.example import PROBE_APP, PROBE_BLUEPRINT, PROBE_MAIN, copy_example

    root = copy_example(tmp_path_factory.mktemp("fidelity") / "config")
    write(root, "blueprints/probe/blueprint.yaml", PROBE_BLUEPRINT)
    write(root, "blueprints/probe/main.jsonnet", PROBE_MAIN)
    write(root, "apps/qa/probe.yaml", PROBE_APP)
    shutil.copytree(CORPUS / "_vendor", root / "vendor", dirs_exist_ok=True)
    shutil.copytree(CORPUS / "_lib", root / "lib/fidelity")
    (root / "vendor/monitoring-mixin").symlink_to("github.com/acme/monitoring-mixin/mixin")
    for case in CASES:
        shutil.copytree(CORPUS / case, root / f"blueprints/fid-{case}")
        write(root, f"blueprints/fid-{case}/blueprint.yaml", BLUEPRINT % case)
        write(root, f"apps/{TEAM}/{case}.yaml", APP % (case, case))
    return root


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 10
    assert "big-dashboard" in CASES


@pytest.mark.parametrize("case", CASES)
def test_midway_renders_what_the_blueprint_returns(
    case: str, corpus_repo: Path, run_cli: RunCli, direct: ProcessPoolExecutor
) -> None:
    code, out, err = run_cli(
        "--config", str(corpus_repo), "render", "--app", f"{TEAM}/{case}", "-o", "json"
    )
    assert code == 0, err
    ours = [without_additions(o, f"{TEAM}-{case}") for o in json.loads(out)]
    blueprint_dir = corpus_repo / f"blueprints/fid-{case}"
    jpath = [str(blueprint_dir), str(corpus_repo / "lib"), str(corpus_repo / "vendor")]
    text = direct.submit(
        evaluate_directly, str(blueprint_dir / "main.jsonnet"), jpath, direct_arguments(case)
    ).result()
    theirs = [without_empty_marks(o) for o in objects_of(json.loads(text))]
    assert theirs, "the blueprint returned no objects"
    assert by_identity(ours) == by_identity(theirs)
    if case == "big-dashboard":  # grafana dashboards in one ConfigMap come close to 1 MiB
        assert 900_000 < len(ours[0]["data"]["big.json"]) < 1_000_000
