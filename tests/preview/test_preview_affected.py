"""Which apps a changed file can affect (shared by `check` and `diff`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.model import ConfigRepo
from midway.preview.affected import (
    ConfigFile,
    affected_apps,
    changed_paths,
    classify,
    is_config_path,
    with_namespace_neighbours,
)


def example(root: Path) -> ConfigRepo:
    return load_config(DiskSource(root))


def test_classify() -> None:
    assert classify("apps/payments/checkout.yaml") == ConfigFile(
        "app", "payments/checkout", "apps/payments/checkout.yaml"
    )
    assert classify("blueprints/web-service@1/main.jsonnet") == ConfigFile(
        "blueprint", "web-service@1", "blueprints/web-service@1/main.jsonnet"
    )
    assert classify("environments/prod.yaml") == ConfigFile(
        "environment", "prod", "environments/prod.yaml"
    )
    assert classify("vendor/github.com/x/y.libsonnet").role == "shared"  # type: ignore[union-attr]
    assert classify("midway.yaml").role == "settings"  # type: ignore[union-attr]
    for outside in ("README.md", "docs/apps/x.yaml", "apps", ".github/workflows/x.yaml"):
        assert classify(outside) is None
        assert not is_config_path(outside)


def test_changed_paths_by_blob_id() -> None:
    base = {"a": "1", "b": "2", "c": "3"}
    head = {"a": "1", "b": "9", "d": "4"}
    assert changed_paths(base, head) == ["b", "c", "d"]


def test_affected_apps(example_repo: Path) -> None:
    config = example(example_repo)
    assert affected_apps(["README.md"], [config]) == frozenset()
    assert affected_apps(["apps/search/indexer.yaml"], [config]) == frozenset({"search/indexer"})
    assert affected_apps(["blueprints/worker/README.md"], [config]) == frozenset(
        {"payments/ledger-worker", "search/indexer"}
    )
    # every version directory of a blueprint counts for every app asking for it by name
    # (and the apps reaching one of them by service-port: the exports may change)
    web = frozenset(a.id for a in config.apps.values() if a.blueprint.name == "web-service")
    assert affected_apps(["blueprints/web-service@1/main.jsonnet"], [config]) == web | {
        "search/suggest"
    }
    staging = frozenset(a.id for a in config.apps.values() if "staging" in a.environments)
    assert affected_apps(["environments/staging.yaml"], [config]) == staging
    assert affected_apps(["lib/k8s.libsonnet"], [config]) is None
    assert affected_apps(["midway.yaml", "apps/x/y.yaml"], [config]) is None


def test_apps_of_both_sides_count(example_repo: Path) -> None:
    base = example(example_repo)
    head = dataclasses.replace(base, apps={})
    assert affected_apps(["environments/dev.yaml"], [head]) == frozenset()
    assert affected_apps(["environments/dev.yaml"], [head, base]) == frozenset(
        a.id for a in base.apps.values() if "dev" in a.environments
    )


def test_namespace_neighbours(example_repo: Path) -> None:
    config = example(example_repo)
    # the usual {team}-{app} template: no neighbours
    assert with_namespace_neighbours(frozenset({"search/indexer"}), config) == {"search/indexer"}
    shared = dataclasses.replace(
        config,
        environments={
            name: dataclasses.replace(env, namespace_template="{team}")
            for name, env in config.environments.items()
        },
    )
    assert with_namespace_neighbours(frozenset({"search/indexer"}), shared) == {
        "search/indexer",
        "search/search-api",
        "search/suggest",
    }


def test_affected_apps_follow_the_resource_graph(example_repo: Path) -> None:
    config = example(example_repo)
    # a provisioner feeds the apps requesting a type some environment maps to it
    assert affected_apps(["blueprints/postgres-cnpg/main.jsonnet"], [config]) == frozenset(
        {"payments/ledger-api", "payments/ledger-worker"}
    )
    assert affected_apps(["blueprints/amqp-external/blueprint.yaml"], [config]) == frozenset(
        {"payments/ledger-worker"}
    )
    # an app file feeds the other consumers of its shared database and its service-port users
    assert affected_apps(["apps/payments/ledger-api.yaml"], [config]) == frozenset(
        {"payments/ledger-api", "payments/ledger-worker", "payments/checkout"}
    )
    # a workload blueprint change does not reach the co-consumers of a shared resource
    assert affected_apps(["blueprints/worker/main.jsonnet"], [config]) == frozenset(
        {"payments/ledger-worker", "search/indexer"}
    )
