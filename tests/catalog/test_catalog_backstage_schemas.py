"""Acceptance: every file `midway catalog` writes for the example config is a valid Backstage
entity — against the JSON Schemas that npm's @backstage/catalog-model publishes (python
jsonschema, $refs resolved through a referencing registry) and against Backstage's own
entity policies from the same package (names, annotation keys, tags)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from midway.catalog.build import build_catalog
from midway.catalog.entities import AppDependency, ResourceDescription
from midway.catalog.files import catalog_files
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.render.pipeline import RenderOptions, render_config
from support.backstage import backstage_refusals, schema_errors
from support.example import RunCli, write

KINDS = {"Component", "Group", "System", "Location", "Resource"}


def _entities(directory: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(directory.glob("*.yaml")):
        docs = list(yaml.safe_load_all(path.read_text()))
        assert len(docs) == 1, f"{path.name}: one entity per file"
        found[path.name] = docs[0]
    return found


def test_every_file_of_the_example_is_a_valid_backstage_entity(
    example_repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "catalog"
    code, _, err = run_cli("--config", str(example_repo), "catalog", "--out", str(out))
    assert code == 0, err
    entities = _entities(out)
    assert {e["kind"] for e in entities.values()} == KINDS
    assert sum(e["kind"] == "Component" for e in entities.values()) == 9  # one per app
    for name, entity in entities.items():
        assert entity["apiVersion"] == "backstage.io/v1alpha1"
        assert schema_errors(entity) == [], name
    assert backstage_refusals(list(entities.values())) == []


def test_resources_and_a_repo_wide_system_are_valid_too(example_repo: Path) -> None:
    write(
        example_repo,
        "midway.yaml",
        (example_repo / "midway.yaml").read_text()
        + "  catalog:\n"
        + "    system: {name: acme-shop, owner: platform}\n"
        + "    configRepoURL: https://git.example.com/platform/config\n",
    )
    source = DiskSource(example_repo)
    result = render_config(load_config(source), source, RenderOptions())
    resources = [
        ResourceDescription(
            type="postgres",
            id="ledger",
            provisioner="cnpg-postgres@1.0.0",
            consumers=("payments/ledger-worker", "search/indexer"),
            resource_class="ha",
            environments=("staging", "prod"),
        ),
        ResourceDescription(
            type="amqp",
            id="ledger-postings",
            provisioner="rabbitmq-queue@2.1.0",
            consumers=("payments/ledger-worker",),
        ),
    ]
    deps = [AppDependency(consumer="payments/checkout", provider="payments/ledger-worker")]
    files = catalog_files(build_catalog(result, resources=resources, dependencies=deps))
    entities = [yaml.safe_load(content) for content in files.values()]
    assert {e["kind"] for e in entities} == KINDS | {"Resource"}
    for entity in entities:
        assert schema_errors(entity) == [], entity["metadata"]["name"]
    assert backstage_refusals(entities) == []


@pytest.mark.parametrize(
    ("break_it", "why"),
    [
        (lambda e: e["spec"].pop("owner"), "a Component needs spec.owner"),
        (lambda e: e["spec"].update(lifecycle=""), "lifecycle may not be empty"),
        (lambda e: e["metadata"].update(links=[{"title": "no url"}]), "a link needs a url"),
    ],
)
def test_the_schemas_do_refuse_a_broken_entity(example_repo: Path, break_it: Any, why: str) -> None:
    """The validation is not vacuous: the same check refuses what Backstage refuses."""
    source = DiskSource(example_repo)
    files = catalog_files(build_catalog(render_config(load_config(source), source)))
    entity = yaml.safe_load(files["component-payments-checkout.yaml"])
    break_it(entity)
    assert schema_errors(entity), why
    assert backstage_refusals([entity]), why


def test_backstage_refuses_what_its_schemas_let_through() -> None:
    """Why both checks run: entity names are checked by Backstage's policies, not its
    schemas; midway's names must pass those too."""
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "not a name!"},
        "spec": {"type": "team", "children": []},
    }
    assert schema_errors(entity) == []
    assert backstage_refusals([entity])
