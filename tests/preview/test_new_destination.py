"""A cluster added to an environment is a new destination: `midway diff` says how many apps
arrive there (every app placed on it), in text, markdown and JSON, on a real git repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from midway.preview.report_json import schema
from support.example import RunCli
from support.previewrepo import ConfigHistory

PROD_AP = """\
    - name: prod-ap
      server: https://prod-ap.k8s.example.com:6443
      kubernetesVersion: "1.31"
      labels: {region: ap}
"""


@pytest.fixture
def new_cluster(tmp_path: Path) -> ConfigHistory:
    """The example config, then a pull request adding prod-ap (region: ap) to prod."""
    repo = ConfigHistory(tmp_path / "config")
    repo.commit("initial config")
    repo.branch("add-prod-ap")
    prod = "environments/prod.yaml"
    repo.commit(
        "prod: add the Asia-Pacific cluster",
        {
            prod: repo.edit(
                prod, '  namespace: "{team}-{app}"\n', PROD_AP + '  namespace: "{team}-{app}"\n'
            )
        },
    )
    return repo


# every app deploying to prod, except identity/user-profile: it is placed on region: eu
ARRIVING = [
    "identity/auth-gateway",
    "identity/sessions-db",
    "payments/checkout",
    "payments/ledger-api",
    "payments/ledger-worker",
    "search/indexer",
    "search/search-api",
    "search/suggest",
]


def test_text_names_the_new_destination_and_its_app_count(
    run_cli: RunCli, new_cluster: ConfigHistory
) -> None:
    code, out, err = run_cli("--config", str(new_cluster.root), "diff")
    assert code == 1, err
    assert f"  new destination prod/prod-ap: {len(ARRIVING)} apps\n" in out
    assert "prod/prod-eu" not in out  # the existing clusters do not change


def test_markdown_and_json_say_the_same(run_cli: RunCli, new_cluster: ConfigHistory) -> None:
    code, markdown, _ = run_cli("--config", str(new_cluster.root), "diff", "-o", "markdown")
    assert code == 1
    assert f"**new destination prod/prod-ap: {len(ARRIVING)} apps**" in markdown

    code, out, _ = run_cli("--config", str(new_cluster.root), "diff", "-o", "json")
    assert code == 1
    report = json.loads(out)
    Draft202012Validator(schema()).validate(report)
    assert report["newDestinations"] == [
        {"env": "prod", "cluster": "prod-ap", "apps": ARRIVING, "appCount": len(ARRIVING)}
    ]
    arrived = {o["app"] for o in report["objects"] if o["cluster"] == "prod-ap"}
    # the render agrees with the count; the shared database arrives with its consumers
    assert sorted(arrived - {"payments/ledger-db"}) == ARRIVING


def test_a_change_without_new_clusters_lists_none(run_cli: RunCli, tmp_path: Path) -> None:
    repo = ConfigHistory(tmp_path / "config")
    repo.commit("initial config")
    repo.branch("warn")
    prod = "environments/prod.yaml"
    repo.commit("prod: log less", {prod: repo.edit(prod, "logLevel: warn", "logLevel: error")})
    code, out, _ = run_cli("--config", str(repo.root), "diff", "-o", "json")
    assert code == 1
    assert json.loads(out)["newDestinations"] == []
