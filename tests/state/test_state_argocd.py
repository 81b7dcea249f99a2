"""Generated ArgoCD objects: structure, names, modes; valid against ArgoCD's own CRD schemas
(offline with jsonschema, and server-side dry-run in the real test cluster)."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
import yaml

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.model import (
    Cluster,
    ConfigRepo,
    Environment,
    ObjectKey,
    Policy,
    RenderedObject,
    RenderUnit,
    Settings,
)
from midway.render.pipeline import RenderOptions, render_config
from midway.state.argocd import (
    NAME_LIMIT,
    ROOT_PATH,
    ArgoSource,
    application_name,
    argocd_files,
)
from midway.state.tree import README_PATH, check_single_objects, state_files
from support.cluster import TestCluster, kubectl
from support.configrepo import PROJECT_ROOT

CRD_DIR = PROJECT_ROOT.parent / "shared" / "data" / "argocd-crds"
SOURCE = ArgoSource("https://git.example.com/platform/state.git", "main")
ArgoMode = Literal["applications", "applicationset"]
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.fixture(scope="module")
def example_state() -> dict[str, bytes]:
    source = DiskSource(PROJECT_ROOT)
    config = load_config(source)
    result = render_config(config, source, RenderOptions(cache=Cache.disabled()))
    return state_files(result, SOURCE)


def argo_objects(files: dict[str, bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, data in sorted(files.items()):
        if path.startswith("argocd/"):
            yield path, yaml.safe_load(data)


def test_layout_one_object_per_file(example_state: dict[str, bytes]) -> None:
    check_single_objects(example_state, example_state)  # every file, not only changed ones
    paths = sorted(p for p in example_state if p.startswith("argocd/"))
    assert ROOT_PATH in paths and README_PATH in example_state
    # dev and staging: one Application per app; prod (applicationset mode): one set per cluster
    assert "argocd/dev/dev-1/payments-checkout.yaml" in paths
    assert "argocd/prod/prod-eu/applicationset.yaml" in paths
    assert "argocd/prod/prod-us/applicationset.yaml" in paths
    assert not [p for p in paths if p.startswith("argocd/prod/") and "applicationset" not in p]


def test_applications_point_at_existing_app_directories(example_state: dict[str, bytes]) -> None:
    directories = {p.rsplit("/", 1)[0] for p in example_state if not p.startswith("argocd/")}
    seen = 0
    for path, body in argo_objects(example_state):
        if body["kind"] != "Application" or path == ROOT_PATH:
            continue
        seen += 1
        meta, spec = body["metadata"], body["spec"]
        assert body["apiVersion"] == "argoproj.io/v1alpha1"
        assert DNS_LABEL.match(meta["name"]) and len(meta["name"]) <= NAME_LIMIT
        assert meta["namespace"] == "argocd"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "midway"
        env, cluster = path.split("/")[1:3]
        team_app = path.rsplit("/", 1)[1][: -len(".yaml")]
        assert meta["name"] == f"{team_app}-{env}-{cluster}"
        # one source, or several when the app's objects span namespaces (a shared resource
        # with Secret copies in its consumers' namespaces): the destination is its home
        sources = spec["sources"] if "sources" in spec else [spec["source"]]
        for source in sources:
            assert source["path"] in directories
            assert source["path"].startswith(f"{env}/{cluster}/")
            assert source["repoURL"] == SOURCE.repo_url and source["targetRevision"] == "main"
        home = f"{team_app.split('-', 1)[0]}-{team_app.split('-', 1)[1]}"
        namespaces = [s["path"].split("/")[2] for s in sources]
        assert spec["destination"]["namespace"] in namespaces
        if len(sources) > 1:
            assert spec["destination"]["namespace"] == home
        assert spec["destination"]["server"].startswith("https://")
        assert spec["project"] == "default"
        assert spec["syncPolicy"]["syncOptions"] == [
            "CreateNamespace=true",
            "ServerSideApply=true",
        ]
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert meta["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert seen == 18  # 9 Applications in dev + 9 in staging (8 apps and the shared ledger-db)


def test_applicationset_and_root(example_state: dict[str, bytes]) -> None:
    appset = yaml.safe_load(example_state["argocd/prod/prod-eu/applicationset.yaml"])
    git = appset["spec"]["generators"][0]["git"]
    assert git["directories"][0] == {"path": "prod/prod-eu/*/*"}
    assert git["directories"][1] == {"path": "prod/prod-eu/_cluster/*", "exclude": True}
    template = appset["spec"]["template"]
    assert appset["spec"]["goTemplate"] is True
    assert template["spec"]["source"]["path"] == "{{ .path.path }}"
    assert template["spec"]["destination"]["namespace"] == "{{ index .path.segments 2 }}"
    assert "trunc 63" in template["metadata"]["name"]
    # prod: automated sync without prune/selfHeal, and no cascading finalizer
    assert template["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": False}
    assert "finalizers" not in template["metadata"]
    root = yaml.safe_load(example_state[ROOT_PATH])
    assert root["spec"]["source"]["path"] == "argocd"
    assert root["spec"]["source"]["directory"] == {"recurse": True}
    assert root["spec"]["destination"]["server"] == "https://kubernetes.default.svc"


def test_long_names_are_trimmed_with_a_stable_hash() -> None:
    short = application_name("payments", "checkout", "dev", "dev-1")
    assert short == "payments-checkout-dev-dev-1"
    parts = ("a" * 40, "b" * 40, "prod", "prod-eu")
    long_a = application_name(*parts)
    long_b = application_name("a" * 40, "b" * 39 + "c", "prod", "prod-eu")
    assert len(long_a) == NAME_LIMIT and DNS_LABEL.match(long_a)
    assert long_a == application_name(*parts) and long_a != long_b
    assert long_a[:54] == long_b[:54]


def _object(app: str, env: str, cluster: str, ns: str, kind: str, name: str) -> RenderedObject:
    ns_dir = ns or "_cluster"
    body = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    return RenderedObject(
        key=ObjectKey.of(body),
        unit=RenderUnit(app, env, cluster),
        blueprint="bp@1.0.0",
        path=f"{env}/{cluster}/{ns_dir}/{app.split('/')[1]}/{kind.lower()}-{name}.yaml",
        content=b"",
        body_json=json.dumps(body),
    )


QA_CLUSTER = Cluster("c1", "https://c1.example:6443", "1.31")
QA_ENV = Environment(
    name="qa",
    order=1,
    clusters=(QA_CLUSTER,),
    namespace_template="{team}-{app}",
    params={},
    policy=Policy(),
    state_repo_url="https://mirror.example/state.git",
    state_revision="qa-branch",
    argocd_namespace="gitops",
    argocd_project="qa",
)
QA_OBJECTS = [
    _object("ops/operator", "qa", "c1", "ops-operator", "Deployment", "op"),
    _object("ops/operator", "qa", "c1", "", "ClusterRole", "op"),
    _object("ops/crds", "qa", "c1", "", "CustomResourceDefinition", "x.example.com"),
]


def qa_files(mode: ArgoMode) -> dict[str, bytes]:
    """A destination with cluster-scoped objects and its own ArgoCD settings."""
    env = dataclasses.replace(QA_ENV, argocd_mode=mode)
    config = ConfigRepo(settings=Settings(), blueprints={}, environments={"qa": env}, apps={})
    return argocd_files(config, QA_OBJECTS, SOURCE)


def test_cluster_scoped_objects_and_environment_overrides() -> None:
    files = qa_files("applications")
    operator = yaml.safe_load(files["argocd/qa/c1/ops-operator.yaml"])
    assert [s["path"] for s in operator["spec"]["sources"]] == [
        "qa/c1/_cluster/operator",
        "qa/c1/ops-operator/operator",
    ]
    assert {s["repoURL"] for s in operator["spec"]["sources"]} == {QA_ENV.state_repo_url}
    assert {s["targetRevision"] for s in operator["spec"]["sources"]} == {"qa-branch"}
    assert operator["metadata"]["namespace"] == "gitops" and operator["spec"]["project"] == "qa"
    assert operator["spec"]["destination"]["namespace"] == "ops-operator"
    crds = yaml.safe_load(files["argocd/qa/c1/ops-crds.yaml"])
    assert "namespace" not in crds["spec"]["destination"]
    assert "CreateNamespace=true" not in crds["spec"]["syncPolicy"]["syncOptions"]
    # the same destination in applicationset mode gets a second set for _cluster/
    set_files = qa_files("applicationset")
    assert sorted(set_files) == [
        "argocd/qa/c1/applicationset-cluster-scoped.yaml",
        "argocd/qa/c1/applicationset.yaml",
        ROOT_PATH,
    ]
    scoped = yaml.safe_load(set_files["argocd/qa/c1/applicationset-cluster-scoped.yaml"])
    assert "namespace" not in scoped["spec"]["template"]["spec"]["destination"]
    root = yaml.safe_load(set_files[ROOT_PATH])
    assert root["metadata"]["namespace"] == "gitops" and root["spec"]["project"] == "qa"


def all_generated(example_state: dict[str, bytes]) -> dict[str, bytes]:
    """Every kind of generated ArgoCD file: the example's plus the qa destination's."""
    files = {p: d for p, d in example_state.items() if p.startswith("argocd/")}
    modes: tuple[ArgoMode, ...] = ("applications", "applicationset")
    for mode in modes:
        for path, data in qa_files(mode).items():
            if path != ROOT_PATH:
                files[path.replace("argocd/qa/", f"argocd/qa-{mode}/")] = data
    return files


def _crd_schemas() -> dict[str, dict[str, Any]]:
    if not CRD_DIR.is_dir():
        pytest.skip(f"ArgoCD CRDs not found at {CRD_DIR} (they live in the shared data folder)")
    schemas = {}
    for path in sorted(CRD_DIR.glob("*-crd.yaml")):
        crd = yaml.safe_load(path.read_text())
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
        schemas[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return schemas


def test_objects_match_the_crd_schemas_offline(example_state: dict[str, bytes]) -> None:
    schemas = _crd_schemas()
    checked = 0
    generated = all_generated(example_state)
    for path, body in argo_objects(generated):
        errors = sorted(
            jsonschema.Draft7Validator(schemas[body["kind"]]).iter_errors(body), key=str
        )
        assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"
        checked += 1
    assert checked == len(generated)


@pytest.mark.cluster
def test_server_side_dry_run_against_the_crds(
    test_cluster: TestCluster, example_state: dict[str, bytes], tmp_path: Path
) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"ArgoCD CRDs not found at {CRD_DIR} (they live in the shared data folder)")
    kubectl(test_cluster, "apply", "--server-side", "--force-conflicts", "-f", str(CRD_DIR))
    for name in ("applications", "applicationsets"):
        _wait_established(test_cluster, f"{name}.argoproj.io")
    namespaces = kubectl(test_cluster, "get", "namespace", "-o", "name").stdout.split()
    for namespace in ("argocd", "gitops"):
        if f"namespace/{namespace}" not in namespaces:
            kubectl(test_cluster, "create", "namespace", namespace, check=False)
    out = tmp_path / "argocd"
    generated = all_generated(example_state)
    for path, data in generated.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    done = kubectl(
        test_cluster,
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=midway",
        "-R",
        "-f",
        str(out),
    )
    applied = [line for line in done.stdout.splitlines() if "serverside-applied" in line]
    assert len(applied) == len(generated), done.stdout


def _wait_established(cluster: TestCluster, crd: str, timeout: float = 60) -> None:
    # `kubectl wait` fails outright while .status.conditions is still empty: poll instead
    deadline = time.monotonic() + timeout
    jsonpath = '{.status.conditions[?(@.type=="Established")].status}'
    while time.monotonic() < deadline:
        got = kubectl(cluster, "get", "crd", crd, "-o", f"jsonpath={jsonpath}", check=False)
        if got.stdout.strip() == "True":
            return
        time.sleep(0.2)
    pytest.fail(f"CRD {crd} not established after {timeout:.0f}s", pytrace=False)


def test_automated_sync_only_where_the_environment_says_so(tmp_path: Path) -> None:
    """docs/state-repo.md: `automated` only when the environment says so. An environment
    whose syncPolicy leaves it out gets Applications ArgoCD syncs only when asked to."""
    from support.example import copy_example

    root = copy_example(tmp_path / "config")
    prod = root / "environments" / "prod.yaml"
    text = prod.read_text()
    assert "syncPolicy: {automated: true, prune: false, selfHeal: false}" in text
    prod.write_text(text.replace("automated: true, ", ""))
    source = DiskSource(root)
    config = load_config(source)
    assert config.environments["prod"].policy.argocd.automated is False
    assert config.environments["dev"].policy.argocd.automated is True  # said so
    result = render_config(config, source, RenderOptions(cache=Cache.disabled()))
    files = state_files(result, SOURCE)
    by_env: dict[str, set[bool]] = {}
    for path, doc in argo_objects(files):
        if path == ROOT_PATH:
            continue
        spec = doc["spec"]["template"]["spec"] if doc["kind"] == "ApplicationSet" else doc["spec"]
        by_env.setdefault(path.split("/")[1], set()).add("automated" in spec["syncPolicy"])
    assert by_env["prod"] == {False} and by_env["dev"] == {True}  # prod: an ApplicationSet
