"""What `midway catalog` says about each app, team and resource (docs/catalog.md), checked
against what midway itself generates: the labels on rendered objects, the Applications and
ApplicationSets of state/argocd.py, the state tree's directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from midway.cache import Cache
from midway.catalog.build import build_catalog, catalog_of
from midway.catalog.entities import AppDependency, ResourceDescription
from midway.catalog.files import catalog_files
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError
from midway.model import RenderResult
from midway.render.pipeline import RenderOptions, render_config
from midway.state.argocd import ArgoSource
from midway.state.tree import state_files
from support.example import RunCli, write

SOURCE = ArgoSource("https://git.example.com/platform/state.git", "main")
STATE_BROWSE = "https://git.example.com/platform/state/tree/main/"


def render(repo: Path, cache: Cache | None = None) -> RenderResult:
    source = DiskSource(repo)
    return render_config(load_config(source), source, RenderOptions(cache=cache or Cache()))


def entities(result: RenderResult, **inputs: Any) -> dict[str, dict[str, Any]]:
    files = catalog_files(build_catalog(result, **inputs))
    return {name: yaml.safe_load(content) for name, content in files.items()}


def matches(selector: str, labels: dict[str, str]) -> bool:
    """An equality-based Kubernetes label selector (`k=v,k=v`), as midway writes them."""
    pairs = [term.split("=", 1) for term in selector.split(",")]
    return all(labels.get(key) == value for key, value in pairs)


def annotation(entity: dict[str, Any], key: str) -> str | None:
    value: str | None = entity["metadata"].get("annotations", {}).get(key)
    return value


# ------------------------------------------------------------------ Kubernetes and Argo CD


def test_kubernetes_selector_matches_every_object_of_the_app_and_no_other(
    example_repo: Path,
) -> None:
    result = render(example_repo)
    catalog = entities(result)
    for app_id in result.config.apps:
        team, app = app_id.split("/")
        selector = annotation(
            catalog[f"component-{team}-{app}.yaml"], "backstage.io/kubernetes-label-selector"
        )
        assert selector is not None
        for obj in result.objects:
            labels = obj.body["metadata"].get("labels", {})
            assert matches(selector, labels) == (obj.unit.app == app_id), (app_id, obj.path)


def test_kubernetes_namespace_is_named_when_the_app_has_one(example_repo: Path) -> None:
    checkout = entities(render(example_repo))["component-payments-checkout.yaml"]
    assert annotation(checkout, "backstage.io/kubernetes-namespace") == "payments-checkout"
    staging = example_repo / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace('"{team}-{app}"', '"{team}-{app}-{env}"'))
    checkout = entities(render(example_repo))["component-payments-checkout.yaml"]
    assert annotation(checkout, "backstage.io/kubernetes-namespace") is None


def _glob(path: str, pattern: str) -> bool:
    """ArgoCD's git directory pattern: `*` is one whole path segment."""
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        w in ("*", p) for p, w in zip(parts, wanted, strict=False)
    )


def _argo_applications(files: dict[str, bytes]) -> list[dict[str, str]]:
    """The labels of every Application ArgoCD will hold: the Applications midway writes, and
    those each ApplicationSet's git directory generator makes (one per app directory)."""
    found = []
    for path, content in sorted(files.items()):
        if not path.startswith("argocd/") or path == "argocd/root.yaml":
            continue
        body = yaml.safe_load(content)
        if body["kind"] == "Application":
            found.append(body["metadata"]["labels"])
            continue
        template = body["spec"]["template"]["metadata"]["labels"]
        for generator in body["spec"]["generators"]:
            include = [d["path"] for d in generator["git"]["directories"] if not d.get("exclude")]
            exclude = [d["path"] for d in generator["git"]["directories"] if d.get("exclude")]
            dirs = {p.rsplit("/", 1)[0] for p in files}
            for directory in sorted(dirs):
                if any(_glob(directory, i) for i in include) and not any(
                    _glob(directory, x) for x in exclude
                ):
                    basename = directory.rsplit("/", 1)[1]
                    found.append(
                        {
                            k: v.replace("{{ .path.basename }}", basename)
                            for k, v in template.items()
                        }
                    )
    return found


def test_argocd_selector_finds_the_apps_applications_in_both_modes(example_repo: Path) -> None:
    """dev and staging write one Application per app, prod an ApplicationSet per cluster."""
    result = render(example_repo)
    applications = _argo_applications(state_files(result, SOURCE))
    catalog = entities(result)
    for app_id, app in result.config.apps.items():
        selector = annotation(
            catalog[f"component-{app.team}-{app.name}.yaml"], "argocd/app-selector"
        )
        assert selector is not None
        found = [a for a in applications if matches(selector, a)]
        destinations = {(a["midway.dev/env"], a["midway.dev/cluster"]) for a in found}
        expected = {
            (o.unit.env, o.unit.cluster) for o in result.objects if o.unit.app == app_id
        }  # where it renders (placement may keep it off some clusters)
        assert destinations == expected, app_id
        assert len(found) == len(expected), app_id  # and nobody else's


def test_argocd_selector_names_the_team_when_two_teams_share_an_app_name(
    example_repo: Path,
) -> None:
    other = (example_repo / "apps/payments/checkout.yaml").read_text()
    write(
        example_repo,
        "apps/search/checkout.yaml",
        other.replace("team: payments", "team: search").replace(
            "workload: ledger-api", "workload: payments/ledger-api"
        ),
    )
    catalog = entities(render(example_repo))
    for team in ("payments", "search"):
        selector = annotation(catalog[f"component-{team}-checkout.yaml"], "argocd/app-selector")
        assert selector == (
            f"app.kubernetes.io/managed-by=midway,midway.dev/app=checkout,midway.dev/team={team}"
        )
    unique = annotation(catalog["component-search-indexer.yaml"], "argocd/app-selector")
    assert unique == "app.kubernetes.io/managed-by=midway,midway.dev/app=indexer"


# ------------------------------------------------------------------ owner, system, lifecycle


def test_a_component_per_app_owned_by_its_team_in_its_teams_system(example_repo: Path) -> None:
    catalog = entities(render(example_repo))
    worker = catalog["component-payments-ledger-worker.yaml"]
    assert worker["metadata"]["title"] == "ledger-worker"
    assert worker["spec"] == {
        "type": "worker",  # blueprints/worker says `catalog: {type: worker}`
        "lifecycle": "production",
        "owner": "group:payments",
        "system": "system:payments",
    }
    assert catalog["component-identity-sessions-db.yaml"]["spec"]["type"] == "database"
    assert catalog["group-payments.yaml"]["spec"] == {"type": "team", "children": []}
    assert catalog["system-payments.yaml"]["spec"] == {"owner": "group:payments"}
    assert {n for n in catalog if n.startswith(("group-", "system-"))} == {
        f"{kind}-{team}.yaml"
        for kind in ("group", "system")
        for team in ("identity", "payments", "search")
    }


def test_lifecycle_is_production_only_when_the_app_reaches_the_last_environment(
    probe_repo: Path,
) -> None:
    """The probe app (qa/probe) deploys to dev only; a blueprint without `catalog.type` makes
    a `service`."""
    catalog = entities(render(probe_repo))
    probe = catalog["component-qa-probe.yaml"]
    assert probe["spec"]["lifecycle"] == "experimental"
    assert probe["spec"]["type"] == "service"
    app = probe_repo / "apps/qa/probe.yaml"
    app.write_text(app.read_text().replace("dev: {}", "dev: {}\n    prod: {}"))
    assert entities(render(probe_repo))["component-qa-probe.yaml"]["spec"]["lifecycle"] == (
        "production"
    )


def test_a_repo_wide_system_and_links_to_the_app_file(example_repo: Path) -> None:
    settings = example_repo / "midway.yaml"
    settings.write_text(
        settings.read_text()
        + "  catalog:\n"
        + "    system: {name: acme-shop, owner: platform}\n"
        + "    configRepoURL: https://git.example.com/platform/config.git\n"
        + "    configBranch: trunk\n"
    )
    queue = ResourceDescription(
        type="amqp", id="events", provisioner="rabbitmq@2.1.0", consumers=("search/indexer",)
    )
    catalog = entities(render(example_repo), resources=[queue])
    assert catalog["resource-amqp-search-events.yaml"]["spec"]["system"] == "system:acme-shop"
    systems = [e for e in catalog.values() if e["kind"] == "System"]
    assert [s["metadata"]["name"] for s in systems] == ["acme-shop"]
    assert systems[0]["spec"] == {"owner": "group:platform"}
    assert "group-platform.yaml" in catalog
    checkout = catalog["component-payments-checkout.yaml"]
    assert checkout["spec"]["system"] == "system:acme-shop"
    url = "https://git.example.com/platform/config/blob/trunk/apps/payments/checkout.yaml"
    assert annotation(checkout, "backstage.io/view-url") == url
    assert checkout["metadata"]["links"][0] == {
        "url": url,
        "title": "App file apps/payments/checkout.yaml",
    }


def test_state_links_point_at_the_apps_directories_in_the_state_tree(example_repo: Path) -> None:
    result = render(example_repo)
    tree = state_files(result, SOURCE)
    checkout = entities(result)["component-payments-checkout.yaml"]
    links = [link for link in checkout["metadata"]["links"] if link["title"].startswith("State ")]
    assert [link["title"] for link in links] == [
        "State dev/dev-1",
        "State staging/staging-1",
        "State prod/prod-eu",
        "State prod/prod-us",
    ]
    for link in links:
        assert link["url"].startswith(STATE_BROWSE)
        directory = link["url"].removeprefix(STATE_BROWSE)
        assert directory.endswith("/payments-checkout/checkout")
        assert any(path.startswith(directory + "/") for path in tree), directory


# ------------------------------------------------------------------ the resource graph seam


def test_resources_become_resource_entities_and_depends_on(example_repo: Path) -> None:
    resources = [
        ResourceDescription(
            type="postgres",
            id="ledger",
            resource_class="ha",
            provisioner="cnpg-postgres@1.0.0",
            consumers=("payments/ledger-worker", "payments/checkout"),
            environments=("staging", "prod"),
        ),
        ResourceDescription(
            type="amqp",
            id="events",
            provisioner="rabbitmq-queue@2.1.0",
            consumers=("payments/ledger-worker", "search/indexer"),
        ),
    ]
    deps = [AppDependency(consumer="search/search-api", provider="search/indexer")]
    catalog = entities(render(example_repo), resources=resources, dependencies=deps)

    postgres = catalog["resource-postgres-payments-ledger.yaml"]
    assert postgres["spec"] == {
        "type": "postgres",
        "owner": "group:payments",  # every consumer is a payments app
        "system": "system:payments",
    }
    assert postgres["metadata"]["annotations"] == {
        "midway.dev/environments": "staging,prod",
        "midway.dev/provisioner": "cnpg-postgres@1.0.0",
        "midway.dev/resource-class": "ha",
        "midway.dev/resource-id": "ledger",
        "midway.dev/resource-type": "postgres",
    }
    shared = catalog["resource-amqp-platform-events.yaml"]
    assert shared["spec"] == {"type": "amqp", "owner": "group:platform"}  # two teams use it
    assert "group-platform.yaml" in catalog

    def depends_on(name: str) -> list[str]:
        deps: list[str] = catalog[f"component-{name}.yaml"]["spec"].get("dependsOn", [])
        return deps

    assert depends_on("payments-ledger-worker") == [
        "resource:amqp-platform-events",
        "resource:postgres-payments-ledger",
    ]
    assert depends_on("payments-checkout") == ["resource:postgres-payments-ledger"]
    assert depends_on("search-indexer") == ["resource:amqp-platform-events"]
    assert depends_on("search-search-api") == ["component:search-indexer"]
    assert depends_on("identity-user-profile") == []
    targets = catalog["all.yaml"]["spec"]["targets"]
    assert "./resource-amqp-platform-events.yaml" in targets


def test_resource_descriptions_the_builder_refuses_or_merges(example_repo: Path) -> None:
    result = render(example_repo)
    bad = ResourceDescription(type="redis", id="c", provisioner="redis@1.0.0", consumers=("x/y",))
    with pytest.raises(ValueError, match="unknown consumer app x/y"):
        build_catalog(result, resources=[bad])
    cache = ResourceDescription(
        type="redis", id="c", provisioner="redis@1.0.0", consumers=("search/indexer",)
    )
    twice = build_catalog(result, resources=[cache, cache])
    assert [e.name for e in twice.entities if e.kind == "Resource"] == ["redis-search-c"]
    other = ResourceDescription(
        type="redis", id="c", provisioner="redis@2.0.0", consumers=("search/indexer",)
    )
    with pytest.raises(ValueError, match="would both be the Backstage resource `redis-search-c`"):
        build_catalog(result, resources=[cache, other])


# ------------------------------------------------------------------ names, files, errors


def test_output_is_deterministic_with_stable_file_names(
    example_repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    first = catalog_files(catalog_of(render(example_repo)))
    second = catalog_files(catalog_of(render(example_repo, Cache.disabled())))
    assert first == second
    assert sorted(first)[:3] == [
        "all.yaml",
        "component-identity-auth-gateway.yaml",
        "component-identity-sessions-db.yaml",
    ]
    code, out, _ = run_cli("--config", str(example_repo), "catalog")
    assert code == 0
    assert out == "---\n".join(content.decode() for content in first.values())


def test_two_apps_that_would_share_a_component_name_are_an_error(
    probe_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    app = (probe_repo / "apps/qa/probe.yaml").read_text()
    write(probe_repo, "apps/qa-x/probe.yaml", app.replace("team: qa", "team: qa-x"))
    write(probe_repo, "apps/qa/x-probe.yaml", app.replace("name: probe", "name: x-probe"))
    out = tmp_path / "out"
    code, _, err = run_cli("--config", str(probe_repo), "catalog", "--out", str(out))
    assert code == 2
    assert "apps/qa/x-probe.yaml" in err and "qa-x/probe" in err
    assert "Backstage component `qa-x-probe`" in err
    assert not out.exists()


def test_catalog_is_a_reserved_environment_name(example_repo: Path) -> None:
    dev = (example_repo / "environments/dev.yaml").read_text()
    write(
        example_repo,
        "environments/catalog.yaml",
        dev.replace("name: dev", "name: catalog").replace("order: 1", "order: 9"),
    )
    # the Score app deploys everywhere, and the service it calls is not in `catalog`
    (example_repo / "apps/search/suggest.score.yaml").unlink()
    with pytest.raises(MidwayError, match="`catalog` is reserved"):
        state_files(render(example_repo), SOURCE)


def test_the_resource_graph_becomes_resources_and_depends_on(example_repo: Path) -> None:
    files = catalog_files(catalog_of(render(example_repo)))
    catalog = {name: yaml.safe_load(content) for name, content in files.items()}
    ledger_db = catalog["resource-postgres-payments-ledger-db.yaml"]
    assert ledger_db["spec"]["type"] == "postgres"
    assert ledger_db["metadata"]["annotations"]["midway.dev/resource-class"] == "default,ha"
    worker = catalog["component-payments-ledger-worker.yaml"]["spec"]
    assert worker["dependsOn"] == [
        "resource:amqp-payments-ledger-worker-queue",
        "resource:postgres-payments-ledger-db",
    ]
    # a service-port is an app-to-app dependency
    checkout = catalog["component-payments-checkout.yaml"]["spec"]
    assert "component:payments-ledger-api" in checkout["dependsOn"]
