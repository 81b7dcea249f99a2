"""Cluster-scoped objects: where they are stored, how they are marked, and who may own them.

The rule (docs/blueprints.md, "Cluster-scoped objects and their ownership"): one owner per
physical cluster — two apps, two environments or two destinations that render the same
cluster-scoped object for one server URL are an error naming both app files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError
from midway.model import RenderResult
from midway.render import layout
from midway.render.ownership import server_identity
from midway.render.pipeline import RenderOptions, render_config
from midway.state.argocd import ArgoSource
from midway.state.tree import state_files
from support.clusterscoped import (
    KINDS,
    cluster_scoped_names,
    install_platform_blueprint,
    platform_app,
)
from support.example import RunCli, write

DEV_SERVER = "https://127.0.0.1:16443"


def render(root: Path, **options: object) -> RenderResult:
    source = DiskSource(root)
    config = load_config(source, Cache.disabled())
    return render_config(config, source, RenderOptions(cache=Cache.disabled(), **options))  # type: ignore[arg-type]


def render_error(root: Path) -> str:
    with pytest.raises(MidwayError) as caught:
        render(root)
    return str(caught.value)


@pytest.fixture
def platform_repo(example_repo: Path) -> Path:
    install_platform_blueprint(example_repo)
    write(example_repo, "apps/ops/plat.yaml", platform_app("plat", "ops", ["dev"]))
    return example_repo


def share_dev_server(root: Path, env: str = "staging") -> None:
    """Point another environment's cluster at dev's server (one physical cluster)."""
    path = root / f"environments/{env}.yaml"
    text = path.read_text()
    server = next(line.split(": ", 1)[1] for line in text.splitlines() if "server:" in line)
    path.write_text(text.replace(server, DEV_SERVER, 1))


def test_every_cluster_scoped_kind_is_stored_under_cluster_dir(platform_repo: Path) -> None:
    result = render(platform_repo, app="ops/plat")
    names = cluster_scoped_names("ops-plat")
    by_kind = {o.key.kind: o for o in result.objects}
    assert set(by_kind) == {*KINDS, "ConfigMap"}
    for kind in KINDS:
        obj = by_kind[kind]
        assert obj.path == f"dev/dev-1/_cluster/plat/{kind.lower()}-{names[kind]}.yaml"
        assert obj.key.namespace == ""
        meta = obj.body["metadata"]
        assert "namespace" not in meta
        assert meta["labels"]["midway.dev/cluster"] == "dev-1"  # whose, on a shared cluster
        assert meta["labels"]["midway.dev/env"] == "dev"
    # the namespaced object of the same app keeps the ordinary layout and has no cluster label
    config_map = by_kind["ConfigMap"]
    assert config_map.path == "dev/dev-1/ops-plat/plat/configmap-plat-cfg.yaml"
    assert "midway.dev/cluster" not in config_map.body["metadata"]["labels"]


def test_cli_render_writes_the_cluster_dir(
    platform_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    # the bug of issue 17: `_cluster` was refused as an unsafe file name
    out = tmp_path / "out"
    code, _, err = run_cli("--config", str(platform_repo), "render", "--out", str(out))
    assert code == 0, err
    files = sorted(p.name for p in (out / "dev/dev-1/_cluster/plat").iterdir())
    assert len(files) == len(KINDS)
    assert "clusterrole-ops-plat-reader.yaml" in files


def test_crds_and_namespaces_tell_argocd_not_to_prune_them(platform_repo: Path) -> None:
    result = render(platform_repo, app="ops/plat")
    options = {
        o.key.kind: o.body["metadata"]["annotations"].get("argocd.argoproj.io/sync-options")
        for o in result.objects
    }
    assert options.pop("CustomResourceDefinition") == "Prune=false,Delete=false"
    assert options.pop("Namespace") == "Prune=false,Delete=false"
    assert set(options.values()) == {None}


def test_the_prune_opt_in_leaves_argocd_free_to_prune(platform_repo: Path) -> None:
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["dev"], "{allowPrune: [CustomResourceDefinition]}"),
    )
    result = render(platform_repo, app="ops/plat")
    [crd] = [o for o in result.objects if o.key.kind == "CustomResourceDefinition"]
    annotations = crd.body["metadata"]["annotations"]
    assert annotations["midway.dev/prune"] == "allow"
    assert "argocd.argoproj.io/sync-options" not in annotations


def test_an_unknown_prune_annotation_value_is_an_error(platform_repo: Path) -> None:
    main = platform_repo / "blueprints/platform/main.jsonnet"
    main.write_text(
        main.read_text().replace("'midway.dev/prune': 'allow'", "'midway.dev/prune': 'yes'")
    )
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["dev"], "{allowPrune: [Namespace]}"),
    )
    message = render_error(platform_repo)
    assert "Namespace ops-plat-extra" in message and "midway.dev/prune: 'yes'" in message
    assert "`allow`" in message and "`disabled`" in message


def test_two_apps_rendering_one_cluster_scoped_object_name_both(platform_repo: Path) -> None:
    # a second app whose namespace template gives the same names (same team and app name
    # are impossible, so use a blueprint edit: both apps name their ClusterRole alike)
    main = platform_repo / "blueprints/platform/main.jsonnet"
    main.write_text(
        main.read_text().replace("local base = env.namespace;", "local base = 'shared';")
    )
    write(
        platform_repo,
        "apps/ops/plat2.yaml",
        platform_app("plat2", "ops", ["dev"], "{kinds: [ClusterRole], configMap: false}"),
    )
    message = render_error(platform_repo)
    assert "ClusterRole.rbac.authorization.k8s.io shared-reader is produced twice in dev/dev-1" in (
        message
    )
    assert "ops/plat" in message and "ops/plat2" in message
    assert "apps/ops/plat2.yaml" in message and "apps/ops/plat.yaml" in message


def test_environments_sharing_a_cluster_share_its_cluster_scoped_objects(
    platform_repo: Path,
) -> None:
    # dev and staging on one physical cluster; the blueprint names a ClusterRole without
    # the environment: both would own it
    share_dev_server(platform_repo)
    main = platform_repo / "blueprints/platform/main.jsonnet"
    main.write_text(
        main.read_text().replace("local base = env.namespace;", "local base = app.name;")
    )
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["dev", "staging"], "{kinds: [ClusterRole]}"),
    )
    message = render_error(platform_repo)
    assert (
        "ClusterRole.rbac.authorization.k8s.io plat-reader is cluster-scoped and has two owners "
        "on the cluster https://127.0.0.1:16443: app ops/plat (platform@1.0.0) in dev/dev-1 and "
        "app ops/plat (platform@1.0.0) in staging/staging-1" in message
    )
    assert "environments that share a cluster share its cluster-scoped objects" in message
    assert "apps/ops/plat.yaml" in message
    assert "env.name" in message  # the hint says how to fix it


def test_namespace_template_with_env_keeps_envs_apart_on_one_cluster(
    platform_repo: Path,
) -> None:
    # what the docs recommend: include {env} in the namespace template (or the names)
    share_dev_server(platform_repo)
    for env in ("dev", "staging"):
        path = platform_repo / f"environments/{env}.yaml"
        path.write_text(path.read_text().replace('"{team}-{app}"', '"{team}-{app}-{env}"'))
    write(platform_repo, "apps/ops/plat.yaml", platform_app("plat", "ops", ["dev", "staging"]))
    result = render(platform_repo, app="ops/plat")
    roles = sorted(o.key.name for o in result.objects if o.key.kind == "ClusterRole")
    assert roles == ["ops-plat-dev-reader", "ops-plat-staging-reader"]


def test_two_destinations_of_one_env_on_one_server_collide(platform_repo: Path) -> None:
    path = platform_repo / "environments/prod.yaml"
    path.write_text(
        path.read_text().replace(
            "https://prod-us.k8s.example.com:6443", "https://PROD-EU.k8s.example.com:6443/"
        )
    )
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["prod"], "{kinds: [StorageClass]}"),
    )
    message = render_error(platform_repo)
    assert "StorageClass.storage.k8s.io ops-plat-slow is cluster-scoped and has two owners" in (
        message
    )
    assert "in prod/prod-eu and app ops/plat (platform@1.0.0) in prod/prod-us" in message
    assert "two destinations of one environment point at the same cluster" in message


def test_same_app_name_of_two_teams_cannot_share_the_cluster_dir(platform_repo: Path) -> None:
    write(
        platform_repo,
        "apps/data/plat.yaml",
        platform_app("plat", "data", ["dev"], "{kinds: [PriorityClass]}"),
    )
    message = render_error(platform_repo)
    assert (
        "apps data/plat and ops/plat both store cluster-scoped objects in dev/dev-1/_cluster/plat"
        in message
    )
    assert "rename one of the apps" in message


def test_check_reports_duplicate_owners_exit_2(platform_repo: Path, run_cli: RunCli) -> None:
    share_dev_server(platform_repo)
    main = platform_repo / "blueprints/platform/main.jsonnet"
    main.write_text(main.read_text().replace("local base = env.namespace;", "local base = 'x';"))
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["dev"], "{kinds: [ClusterRole], configMap: false}"),
    )
    # another app, in another environment on the same cluster, renders the same object; the
    # check is asked about that app's file only
    write(
        platform_repo,
        "apps/ops/other.yaml",
        platform_app("other", "ops", ["staging"], "{kinds: [ClusterRole], configMap: false}"),
    )
    code, out, err = run_cli(
        "--config", str(platform_repo), "check", str(platform_repo / "apps/ops/other.yaml")
    )
    assert code == 2, out
    assert (
        "ClusterRole.rbac.authorization.k8s.io x-reader is cluster-scoped and has two owners"
        in (err)
    )
    assert "apps/ops/other.yaml" in err and "apps/ops/plat.yaml" in err


def test_argocd_application_syncs_both_directories(platform_repo: Path) -> None:
    result = render(platform_repo)
    files = state_files(result, ArgoSource("https://git.example.com/state.git", "main"))
    app = yaml.safe_load(files["argocd/dev/dev-1/ops-plat.yaml"])
    paths = [s["path"] for s in app["spec"]["sources"]]
    assert paths == ["dev/dev-1/_cluster/plat", "dev/dev-1/ops-plat/plat"]
    assert app["spec"]["destination"]["namespace"] == "ops-plat"
    assert "CreateNamespace=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_argocd_application_of_only_cluster_scoped_objects_has_no_namespace(
    platform_repo: Path,
) -> None:
    write(
        platform_repo,
        "apps/ops/plat.yaml",
        platform_app("plat", "ops", ["dev"], "{configMap: false}"),
    )
    result = render(platform_repo)
    files = state_files(result, ArgoSource("https://git.example.com/state.git", "main"))
    app = yaml.safe_load(files["argocd/dev/dev-1/ops-plat.yaml"])
    assert app["spec"]["source"]["path"] == "dev/dev-1/_cluster/plat"
    assert app["spec"]["destination"] == {"server": DEV_SERVER}
    assert app["spec"]["syncPolicy"]["syncOptions"] == ["ServerSideApply=true"]


def test_applicationset_mode_gets_a_cluster_scoped_set(platform_repo: Path) -> None:
    write(platform_repo, "apps/ops/plat.yaml", platform_app("plat", "ops", ["prod"]))
    result = render(platform_repo)
    files = state_files(result, ArgoSource("https://git.example.com/state.git", "main"))
    body = yaml.safe_load(files["argocd/prod/prod-eu/applicationset-cluster-scoped.yaml"])
    [generator] = body["spec"]["generators"]
    assert generator["git"]["directories"] == [{"path": "prod/prod-eu/_cluster/*"}]
    assert "namespace" not in body["spec"]["template"]["spec"]["destination"]
    namespaced = yaml.safe_load(files["argocd/prod/prod-eu/applicationset.yaml"])
    assert {"path": "prod/prod-eu/_cluster/*", "exclude": True} in namespaced["spec"]["generators"][
        0
    ]["git"]["directories"]


def test_layout_keeps_cluster_dir_to_itself() -> None:
    assert (
        layout.object_path("dev", "dev-1", "", "plat", "ClusterRole", "system:plat")
        == "dev/dev-1/_cluster/plat/clusterrole-system:plat.yaml"
    )
    assert layout.app_directory("dev", "dev-1", "", "plat") == "dev/dev-1/_cluster/plat"
    # a user-supplied segment may still not start with `_` or `.`
    for bad in ("_cluster", ".git", ".."):
        with pytest.raises(ValueError):
            layout.object_path("dev", "dev-1", bad, "plat", "ConfigMap", "x")
        with pytest.raises(ValueError):
            layout.object_path("dev", "dev-1", "", bad, "ConfigMap", "x")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://K8s.Example:6443/", "https://k8s.example:6443"),
        ("https://k8s.example", "https://k8s.example:443"),
        ("http://10.0.0.1", "http://10.0.0.1:80"),
        ("https://[::1]:6443", "https://[::1]:6443/"),
    ],
)
def test_server_identity_names_one_cluster_one_way(a: str, b: str) -> None:
    assert server_identity(a) == server_identity(b)


def test_server_identity_keeps_different_clusters_apart() -> None:
    assert server_identity("https://a.example:6443") != server_identity("https://a.example:6444")
    assert server_identity("https://a.example/k8s/one") != server_identity(
        "https://a.example/k8s/two"
    )


DOCS = Path(__file__).resolve().parents[2] / "docs" / "blueprints.md"


def _docs_example() -> str:
    text = DOCS.read_text()
    start = text.index("// blueprints/search-indexer/main.jsonnet")
    return text[start : text.index("```", start)]


def test_the_docs_example_renders_as_documented(example_repo: Path) -> None:
    # docs/blueprints.md, "Cluster-scoped objects and their ownership", with dev and staging
    # on one physical cluster: the names carry the environment, the CRD is dev's alone
    share_dev_server(example_repo)
    write(
        example_repo,
        "blueprints/search-indexer/blueprint.yaml",
        "apiVersion: midway.dev/v1\nkind: Blueprint\nmetadata: {name: search-indexer}\n"
        "spec:\n  version: 1.0.0\n  description: docs example\n"
        "  parameters: {type: object, properties: {logLevel: {type: string, description: x}}}\n",
    )
    write(example_repo, "blueprints/search-indexer/main.jsonnet", _docs_example())
    write(
        example_repo,
        "apps/search/indexer.yaml",
        platform_app("indexer", "search", ["dev", "staging"]).replace(
            "platform@^1", "search-indexer@^1"
        ),
    )
    result = render(example_repo, app="search/indexer")
    assert sorted(p for p in result.files if p.startswith("dev/")) == sorted(
        [
            "dev/dev-1/search-indexer/indexer/serviceaccount-indexer.yaml",
            "dev/dev-1/_cluster/indexer/clusterrole-indexer-dev-reader.yaml",
            "dev/dev-1/_cluster/indexer/clusterrolebinding-indexer-dev-reader.yaml",
            "dev/dev-1/_cluster/indexer/customresourcedefinition-indexjobs.search.example.com.yaml",
        ]
    )
    staging = {o.key.kind for o in result.objects if o.unit.env == "staging"}
    assert staging == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding"}


def test_blueprint_examples_may_share_their_cluster_scoped_objects(
    platform_repo: Path, run_cli: RunCli
) -> None:
    # a CRD-shipping blueprint with two examples: both render the one CRD, and examples
    # never reach a cluster, so that is not a second owner
    main = platform_repo / "blueprints/platform/main.jsonnet"
    main.write_text(main.read_text().replace("local base = env.namespace;", "local base = 'x';"))
    spec = platform_repo / "blueprints/platform/blueprint.yaml"
    spec.write_text(
        spec.read_text()
        + "  examples:\n"
        + "    - {name: minimal, params: {kinds: [CustomResourceDefinition]}}\n"
        + "    - {name: full, params: {}}\n"
    )
    (platform_repo / "apps/ops/plat.yaml").unlink()
    code, out, err = run_cli("--config", str(platform_repo), "check", str(spec))
    assert code == 0, err
    assert "and 2 blueprint examples" in out
