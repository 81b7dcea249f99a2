"""The config loader: a small real config repo read from disk and from git, every kind parsed
into the model, and every problem of a broken repo reported at once with its file and line."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from midway.cache import Cache
from midway.config import documents
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.config.source import ConfigSource, DiskSource
from midway.config.yamlsource import YamlDocument
from midway.errors import MidwayError, MidwayErrors
from midway.model import ConfigRepo, IgnoreRule
from support.configrepo import make_config_repo

SETTINGS = """\
apiVersion: midway.dev/v1
kind: Settings
spec:
  kubernetesVersion: "1.29"
  state:
    path: ../state.git
    branch: deploy
  teams:
    shop: {owners: [alice]}
    data:
"""

BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata:
  name: web
spec:
  version: {version}
  parameters:
    type: object
    properties:
      image: {{type: string}}
      logLevel: {{type: string, default: info}}
  drift:
    policy: correct
    ignore:
      - kind: Deployment
        path: /spec/replicas
        reason: HPA owns it
  examples:
    - name: small
      params: {{image: "nginx:1.25"}}
      environments: [dev]
"""

DEV = """\
apiVersion: midway.dev/v1
kind: Environment
metadata:
  name: dev
spec:
  order: 1
  clusters:
    - name: dev-1
      server: https://127.0.0.1:16443
      kubernetesVersion: "1.20"
  params:
    logLevel: debug
  policy:
    prune: true
"""

PROD = """\
apiVersion: midway.dev/v1
kind: Environment
metadata:
  name: prod
spec:
  order: 3
  clusters:
    - name: prod-eu
      server: https://prod-eu.example.com
      context: prod-eu-admin
    - name: prod-us
      server: https://prod-us.example.com
  namespace: "{env}-{team}-{app}"
  policy: {drift: correct}
  argocd:
    mode: applicationset
    repoURL: https://git.example.com/state.git
    syncPolicy: {automated: true, selfHeal: true}
"""

SHOP_CART = """\
apiVersion: midway.dev/v1
kind: App
metadata:
  name: cart
  team: shop
spec:
  blueprint: web@^2
  params:
    image: ghcr.io/acme/cart:1.0.0
  environments:
    dev:
    prod:
      params: {logLevel: warn}
  drift:
    ignore:
      - kind: ConfigMap
        name: cart-*
"""

DATA_ETL = """\
apiVersion: midway.dev/v1
kind: App
metadata:
  name: etl
  team: data
spec:
  blueprint: web
  params:
    image: ghcr.io/acme/etl:0.3.0
"""

REPO: Mapping[str, str] = {
    "midway.yaml": SETTINGS,
    "blueprints/web@1/blueprint.yaml": BLUEPRINT.format(version="1.4.0"),
    "blueprints/web@1/main.jsonnet": "function(app, env, params) []\n",
    "blueprints/web/blueprint.yaml": BLUEPRINT.format(version="2.0.1"),
    "blueprints/web/main.jsonnet": "function(app, env, params) []\n",
    "environments/dev.yaml": DEV,
    "environments/prod.yaml": PROD,
    "apps/shop/cart.yaml": SHOP_CART,
    "apps/data/etl.yaml": DATA_ETL,
}


def write(root: Path, files: Mapping[str, str | None]) -> Path:
    for rel, text in files.items():
        target = root / rel
        if text is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def load(root: Path, changes: Mapping[str, str | None] | None = None) -> ConfigRepo:
    write(root, {**REPO, **(changes or {})})
    return load_config(DiskSource(root))


def problems(root: Path, changes: Mapping[str, str | None]) -> list[str]:
    """Every error of the repo with `changes` applied, as `file:line: message`."""
    with pytest.raises(MidwayError) as caught:
        load(root, changes)
    error = caught.value
    found = error.errors if isinstance(error, MidwayErrors) else (error,)
    return [f"{e.source}: {e.message}" for e in found]


# --- the whole repo -----------------------------------------------------------------------


def test_a_small_repo_loads_every_kind(tmp_path: Path) -> None:
    config = load(tmp_path)

    assert config.settings.state == "../state.git"
    assert config.settings.state_branch == "deploy"
    assert config.settings.kubernetes_version == "1.29"
    assert [str(bp.version) for bp in config.blueprints["web"]] == ["2.0.1", "1.4.0"]
    assert list(config.environments) == ["dev", "prod"]
    assert list(config.apps) == ["data/etl", "shop/cart"]  # sorted by id


def test_git_at_a_commit_gives_the_same_model_as_the_working_tree(tmp_path: Path) -> None:
    repo = make_config_repo(tmp_path, example=False, files=REPO)
    repo.write({"apps/data/etl.yaml": None})  # uncommitted: the commit still has it

    from_git = load_config(GitSource(repo.path, repo.head))
    from_disk = load_config(DiskSource(write(tmp_path / "disk", REPO)))

    assert from_git.revision == repo.head
    assert "data/etl" in from_git.apps
    assert dataclasses.replace(from_git, revision=None) == dataclasses.replace(
        from_disk, revision=None
    )


def test_unchanged_documents_come_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "config", REPO)
    cold = load_config(DiskSource(tmp_path / "config"), Cache(tmp_path / "cache"))
    parsed = parse_counter(monkeypatch)
    warm = load_config(DiskSource(tmp_path / "config"), Cache(tmp_path / "cache"))
    assert warm == cold
    assert parsed == []


def test_a_document_with_errors_is_parsed_again_on_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"apps/data/etl.yaml": DATA_ETL.replace("blueprint: web", "blueprint: 7web!")}
    write(tmp_path / "config", {**REPO, **broken})
    with pytest.raises(MidwayError, match="does not match the pattern"):
        load_config(DiskSource(tmp_path / "config"), Cache(tmp_path / "cache"))
    parsed = parse_counter(monkeypatch)
    with pytest.raises(MidwayError, match="does not match the pattern"):
        load_config(DiskSource(tmp_path / "config"), Cache(tmp_path / "cache"))
    assert parsed == ["apps/data/etl.yaml"]


def parse_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file parsed from here on (i.e. not served by the document cache)."""
    parsed: list[str] = []
    real = documents.read_document

    def counting(source: ConfigSource, path: str, kind: str) -> YamlDocument:
        parsed.append(path)
        return real(source, path, kind)

    monkeypatch.setattr(documents, "read_document", counting)
    return parsed


def test_every_problem_of_every_kind_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "midway.yaml": SETTINGS.replace('"1.29"', '"latest"'),
            "blueprints/web@1/main.jsonnet": None,
            "environments/prod.yaml": PROD.replace("{env}-{team}", "{region}-{team}"),
            "environments/stray.txt": "notes\n",
            "apps/shop/cart.yaml": SHOP_CART.replace("name: cart", "name: basket"),
            "apps/data/etl.yaml": DATA_ETL.replace("web", "web@banana"),
        },
    )
    assert found == [
        "apps/data/etl.yaml:7:3: `banana` is not a version range",
        "apps/shop/cart.yaml:3:1: app shop/basket must live in apps/shop/basket.yaml",
        "blueprints/web@1/blueprint.yaml:1:1: blueprint web has no main.jsonnet",
        "environments/prod.yaml:13:3: namespace template uses unknown placeholder(s) ['region']",
        "environments/stray.txt: unexpected file: environments/ holds one <env>.yaml per "
        "environment",
        'midway.yaml:4:3: `spec.kubernetesVersion`: "latest" does not match the pattern '
        "^\\d+\\.\\d+$",
    ]


def test_checks_across_files_run_on_the_loaded_model(tmp_path: Path) -> None:
    [found] = problems(
        tmp_path, {"environments/dev.yaml": DEV.replace("logLevel: debug", "logLevl: debug")}
    )
    assert found.startswith("environments/dev.yaml:12:5: environment param `logLevl`")


# --- settings -----------------------------------------------------------------------------


def test_no_midway_yaml_means_default_settings(tmp_path: Path) -> None:
    config = load(tmp_path, {"midway.yaml": None})
    assert config.settings.state_branch == "main"
    assert config.settings.kubernetes_version == "1.31"
    assert config.settings.teams is None


def test_the_team_registry_is_a_list_or_a_mapping_of_names(tmp_path: Path) -> None:
    as_mapping = load(tmp_path).settings
    assert as_mapping.teams == ("data", "shop")
    assert str(as_mapping.teams_source) == "midway.yaml:8:3"

    listed = SETTINGS.split("  teams:")[0] + "  teams: [shop, data]\n"
    assert load(tmp_path, {"midway.yaml": listed}).settings.teams == ("data", "shop")


def test_a_team_folder_outside_the_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MidwayError) as caught:
        load(tmp_path, {"apps/dtaa/etl.yaml": DATA_ETL.replace("team: data", "team: dtaa")})
    assert str(caught.value) == (
        "apps/dtaa/etl.yaml:5:3: error: team `dtaa` is not in the team registry "
        "(`teams:` in midway.yaml)\n"
        "  hint: did you mean `data`?"
    )


# --- blueprints ---------------------------------------------------------------------------


def test_a_blueprint_carries_its_schema_drift_policy_and_examples(tmp_path: Path) -> None:
    newest, oldest = load(tmp_path).blueprints["web"]
    assert (newest.directory, oldest.directory) == ("blueprints/web", "blueprints/web@1")
    assert newest.policy_drift == "correct"
    assert newest.parameters["properties"]["logLevel"]["default"] == "info"
    assert newest.ignore == (
        IgnoreRule(
            kind="Deployment",
            name=None,
            path="/spec/replicas",
            manager=None,
            when=None,
            reason="HPA owns it",
            source=newest.ignore[0].source,
        ),
    )
    assert str(newest.ignore[0].source) == "blueprints/web/blueprint.yaml:15:9"
    [example] = newest.examples
    assert (example.name, example.params, example.environments) == (
        "small",
        {"image": "nginx:1.25"},
        ("dev",),
    )
    assert str(example.param_sources[("image",)]) == "blueprints/web/blueprint.yaml:20:16"


def test_blueprint_directories_and_versions_are_checked(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "blueprints/web@1/blueprint.yaml": BLUEPRINT.format(version="2.0.1"),
            "blueprints/api/main.jsonnet": "[]\n",
            "blueprints/web@1/v2/blueprint.yaml": BLUEPRINT.format(version="1.0.0"),
        },
    )
    assert found == [
        "blueprints/api/main.jsonnet: blueprint directory blueprints/api/ has no blueprint.yaml",
        "blueprints/web@1/blueprint.yaml:6:3: blueprint web version 2.0.1 is defined twice: "
        "in blueprints/web/blueprint.yaml:6:3 and in blueprints/web@1/blueprint.yaml:6:3",
        "blueprints/web@1/v2/blueprint.yaml: blueprint.yaml must sit directly in "
        "blueprints/<name>/ or blueprints/<name>@<version>/",
    ]


def test_a_blueprint_directory_with_an_invalid_name_gets_one_error(tmp_path: Path) -> None:
    # field test: blueprints/Worker/ also got "has no blueprint.yaml", which was wrong
    found = problems(
        tmp_path,
        {
            "blueprints/Web/blueprint.yaml": BLUEPRINT.format(version="3.0.0"),
            "blueprints/Web/main.jsonnet": "[]\n",
            "blueprints/Web/README.md": "docs\n",
        },
    )
    assert found == [
        "blueprints/Web/blueprint.yaml: blueprint.yaml must sit directly in "
        "blueprints/<name>/ or blueprints/<name>@<version>/",
    ]


def test_a_blueprint_name_must_match_its_directory(tmp_path: Path) -> None:
    [found] = problems(
        tmp_path,
        {
            "blueprints/web@1/blueprint.yaml": BLUEPRINT.format(version="1.4.0").replace(
                "name: web", "name: site"
            )
        },
    )
    assert (
        found == "blueprints/web@1/blueprint.yaml:4:3: blueprint name `site` does not match "
        "its directory blueprints/web@1/"
    )


# --- environments -------------------------------------------------------------------------


def test_an_environment_carries_clusters_policy_and_argocd_settings(tmp_path: Path) -> None:
    config = load(tmp_path)
    dev, prod = config.environments["dev"], config.environments["prod"]

    assert [(c.name, c.server, c.kubernetes_version, c.context) for c in prod.clusters] == [
        ("prod-eu", "https://prod-eu.example.com", "1.31", "prod-eu-admin"),
        ("prod-us", "https://prod-us.example.com", "1.31", None),
    ]
    assert str(prod.clusters[1].server_source) == "environments/prod.yaml:12:7"
    assert dev.clusters[0].kubernetes_version == "1.20"
    assert (dev.namespace_template, dev.namespace_source) == ("{team}-{app}", None)
    assert prod.namespace_template == "{env}-{team}-{app}"
    assert dev.params == {"logLevel": "debug"}
    assert str(dev.param_sources[("logLevel",)]) == "environments/dev.yaml:12:5"

    # policy defaults; ArgoCD's prune follows midway's unless syncPolicy says otherwise
    assert (dev.policy.drift, dev.policy.prune, dev.policy.allow_empty_prune) == (
        "warn",
        True,
        False,
    )
    assert dev.policy.argocd == dataclasses.replace(
        dev.policy.argocd, automated=False, prune=True, self_heal=False
    )
    assert prod.policy.drift == "correct"
    assert (prod.policy.argocd.automated, prod.policy.argocd.prune) == (True, False)
    assert prod.policy.argocd.self_heal is True
    assert (dev.argocd_mode, dev.argocd_namespace, dev.argocd_project) == (
        "applications",
        "argocd",
        "default",
    )
    assert (prod.argocd_mode, prod.state_repo_url, prod.state_revision) == (
        "applicationset",
        "https://git.example.com/state.git",
        None,
    )


def test_environment_names_and_clusters_are_checked(tmp_path: Path) -> None:
    twice = PROD.replace("name: prod-us", "name: prod-eu")
    found = problems(
        tmp_path,
        {"environments/prod.yaml": twice, "environments/qa.yaml": DEV},
    )
    assert found == [
        "apps/shop/cart.yaml:12:5: environment `prod` does not exist",
        "environments/prod.yaml:11:7: cluster `prod-eu` is listed twice",
        "environments/qa.yaml:4:3: environment `dev` must live in environments/dev.yaml",
    ]


# --- apps ---------------------------------------------------------------------------------


def test_an_app_carries_its_request_environments_and_rules(tmp_path: Path) -> None:
    config = load(tmp_path)
    cart, etl = config.apps["shop/cart"], config.apps["data/etl"]

    assert (cart.blueprint.name, cart.blueprint.range) == ("web", "^2")
    assert (etl.blueprint.name, etl.blueprint.range) == ("web", "")
    assert cart.params == {"image": "ghcr.io/acme/cart:1.0.0"}
    assert {name: e.params for name, e in cart.environments.items()} == {
        "dev": {},
        "prod": {"logLevel": "warn"},
    }
    assert (
        str(cart.environments["prod"].param_sources[("logLevel",)]) == "apps/shop/cart.yaml:13:16"
    )
    assert cart.all_environments is False
    # without an `environments` map an app goes to every environment
    assert (list(etl.environments), etl.all_environments) == (["dev", "prod"], True)
    [rule] = cart.ignore
    assert (rule.kind, rule.name, rule.path) == ("ConfigMap", "cart-*", None)
    assert str(rule.source) == "apps/shop/cart.yaml:16:9"


def test_an_unknown_environment_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(MidwayError) as caught:
        load(tmp_path, {"apps/shop/cart.yaml": SHOP_CART.replace("prod:", "prd:")})
    assert str(caught.value) == (
        "apps/shop/cart.yaml:12:5: error: environment `prd` does not exist\n"
        "  hint: did you mean `prod`?"
    )


def test_files_outside_the_layout_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, {"apps/cart.yaml": SHOP_CART, "apps/shop/notes.md": "hi\n"})
    assert found == [
        "apps/cart.yaml: unexpected file: apps/ holds apps/<team>/<app>.yaml files only",
        "apps/shop/notes.md: unexpected file: apps/ holds apps/<team>/<app>.yaml files only",
    ]
