"""The markdown PR comment for a fixed scenario, byte for byte (testdata/golden-diff.md), and
the JSON report against its published schema. Regenerate: MIDWAY_UPDATE_GOLDEN=1 pytest …"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from midway.preview.report_json import schema
from support.example import RunCli
from support.previewrepo import ConfigHistory

TESTDATA = Path(__file__).parent / "testdata"
GOLDEN_MARKDOWN = TESTDATA / "golden-diff.md"

CART = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: cart, team: shop}
spec:
  blueprint: service@^1
  params:
    image: registry.example/shop/cart:1.1.0
    port: 8080
  environments:
    dev: {params: {image: registry.example/shop/cart:1.1.0-rc.1, replicas: 0}}
    prod: {params: {replicas: 3}}
"""

CATALOG = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: catalog, team: shop}
spec:
  blueprint: service@^2
  params:
    image: registry.example/shop/catalog:4.2.0
    storage: 1Gi
  environments:
    dev: {}
    prod: {params: {replicas: 2, storage: 20Gi}}
"""


@pytest.fixture
def scenario(tmp_path: Path) -> ConfigHistory:
    """One pull request touching a bit of everything the report knows about."""
    repo = ConfigHistory(tmp_path / "config", template=TESTDATA / "golden-config")
    repo.commit("initial config")
    repo.branch("feature")
    blueprint = "blueprints/service@1/main.jsonnet"
    repo.commit(
        "the change under review",
        {
            "apps/shop/cart.yaml": CART,  # prod image, dev scaled to 0, new service port
            "apps/shop/catalog.yaml": CATALOG,  # major blueprint bump, bigger prod volume
            "apps/ops/legacy.yaml": None,  # removed: prune plan
            blueprint: repo.edit(blueprint, "refreshInterval: '1h'", "refreshInterval: '15m'"),
        },
    )
    return repo


def update_golden() -> bool:
    return os.environ.get("MIDWAY_UPDATE_GOLDEN", "") not in ("", "0")


def test_markdown_matches_golden(run_cli: RunCli, scenario: ConfigHistory) -> None:
    code, markdown, err = run_cli("--config", str(scenario.root), "diff", "-o", "markdown")
    assert code == 1, err
    if update_golden():
        GOLDEN_MARKDOWN.write_text(markdown)
    assert markdown == GOLDEN_MARKDOWN.read_text(), (
        "markdown report changed; review it and regenerate with MIDWAY_UPDATE_GOLDEN=1"
    )
    # stable: a bot can compare it with the comment it posted before
    assert run_cli("--config", str(scenario.root), "diff", "-o", "markdown")[1] == markdown


def test_json_validates_against_the_schema(run_cli: RunCli, scenario: ConfigHistory) -> None:
    code, out, err = run_cli("--config", str(scenario.root), "diff", "-o", "json")
    assert code == 1, err
    report = json.loads(out)
    Draft202012Validator.check_schema(schema())
    errors = sorted(Draft202012Validator(schema()).iter_errors(report), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    kinds = {r["kind"] for r in report["risks"]}
    assert kinds == {
        "objects-deleted",
        "replicas-to-zero",
        "image-changed-in-prod",
        "service-changed",
        "volume-changed",
        "secret-touched",
        "blueprint-major-bump",
    }
    [cause] = report["blastRadius"]
    assert cause["name"] == "service@1"
    assert cause["appFileChanged"] == ["ops/legacy", "shop/cart", "shop/catalog"]
    assert [(u["app"], u["env"]) for u in cause["unchanged"]] == [("shop/search", "dev")]


def test_schema_in_the_docs_is_the_shipped_one() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs/pull-requests.md").read_text()
    section = docs.split("### JSON output", 1)[1]
    block = section.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(block) == schema()


def test_no_changes_report_validates(run_cli: RunCli, scenario: ConfigHistory) -> None:
    code, out, _ = run_cli("--config", str(scenario.root), "diff", "HEAD", "HEAD", "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert report["changed"] is False and report["headline"] == "no changes"
    assert not list(Draft202012Validator(schema()).iter_errors(report))
