"""The blast radius follows the resource graph (docs/graph.md): real config repos (the example,
two commits), the real `midway diff`. The markdown PR comment of a provisioner change is a
golden file (testdata/golden-graph-diff.md), mermaid picture included. Regenerate:
MIDWAY_UPDATE_GOLDEN=1 pytest tests/preview/test_graph_diff_golden.py"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from midway.preview.report_json import schema
from support.example import RunCli
from support.previewrepo import ConfigHistory

GOLDEN = Path(__file__).parent / "testdata" / "golden-graph-diff.md"
PROVISIONER = "blueprints/postgres-cnpg/main.jsonnet"

# Class `ha` (prod) gets a PgBouncer pooler, and its consumers connect through it: the
# objects and the `host` output change in prod only.
POOLER = """\
      if ha then {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Pooler',
        metadata: { name: name + '-pooler-rw' },
        spec: {
          cluster: { name: name }, instances: 2, type: 'rw',
          pgbouncer: { poolMode: 'transaction' },
        },
      },
"""


@pytest.fixture
def history(tmp_path: Path) -> ConfigHistory:
    repo = ConfigHistory(tmp_path / "config")
    repo.commit("initial config")
    repo.branch("feature")
    return repo


def pooler_change(history: ConfigHistory) -> None:
    text = history.edit(
        PROVISIONER,
        "host: '%s-rw.%s.svc.cluster.local' % [name, env.namespace],",
        "host: '%s-%s.%s.svc.cluster.local' % [name, if ha then 'pooler-rw' else 'rw', "
        "env.namespace],",
    )
    marker = "      if ha then k8s.externalSecret("
    assert marker in text
    history.commit(
        "postgres ha: through a pooler", {PROVISIONER: text.replace(marker, POOLER + marker, 1)}
    )


def diff(run_cli: RunCli, history: ConfigHistory, fmt: str) -> str:
    code, out, err = run_cli("--config", str(history.root), "diff", "-o", fmt)
    assert code == 1, err
    return out


def units(entries: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(u["app"], u["env"]) for u in entries}


def test_provisioner_change_lists_exactly_the_consumers_whose_output_changed(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    pooler_change(history)

    markdown = diff(run_cli, history, "markdown")
    if os.environ.get("MIDWAY_UPDATE_GOLDEN", "") not in ("", "0"):
        GOLDEN.write_text(markdown)
    assert markdown == GOLDEN.read_text(), (
        "markdown report changed; review it and regenerate with MIDWAY_UPDATE_GOLDEN=1"
    )
    assert "```mermaid\nflowchart LR\n" in markdown
    assert (
        "Consumers whose output changed: `payments/ledger-api` in prod; "
        "`payments/ledger-worker` in prod." in markdown
    )

    report = json.loads(diff(run_cli, history, "json"))
    assert not list(Draft202012Validator(schema()).iter_errors(report))
    [cause] = report["blastRadius"]
    assert (cause["kind"], cause["name"], cause["title"]) == (
        "provisioner",
        "postgres-cnpg",
        "provisioner postgres-cnpg@1.0.0",
    )
    # dev and staging use class default: rendered, compared, identical
    assert units(cause["changed"]) == {
        ("payments/ledger-api", "prod"),
        ("payments/ledger-worker", "prod"),
    }
    assert units(cause["unchanged"]) == {
        (app, env)
        for app in ("payments/ledger-api", "payments/ledger-worker")
        for env in ("dev", "staging")
    }
    assert cause["resources"] == [
        {
            "resource": "postgres payments/ledger-db",
            "envs": ["prod"],
            "reasons": ["outputs host", "objects"],
        }
    ]
    # the Pooler is the shared resource's, the new host the consumers'
    assert {(o["app"], o["kind"], o["action"]) for o in report["objects"]} == {
        ("payments/ledger-db", "Pooler", "added"),
        ("payments/ledger-api", "Deployment", "changed"),
        ("payments/ledger-worker", "Deployment", "changed"),
    }

    code, text, _ = run_cli("--config", str(history.root), "diff")
    assert code == 1
    assert (
        f"  provisioner postgres-cnpg@1.0.0 ({PROVISIONER}): 2 of 6 app × env changed, "
        "4 unchanged\n"
        "    resource postgres payments/ledger-db in prod: outputs host; objects\n"
        "    payments/ledger-api: prod\n"
        "    payments/ledger-worker: prod\n"
    ) in text


def test_provider_whose_exports_change_lists_its_consumers(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    path = "apps/payments/ledger-api.yaml"
    history.commit(
        "ledger-api on 8081",
        {path: history.edit(path, "  port: 8080\n", "  port: 8080\n    servicePort: 8081\n")},
    )

    report = json.loads(diff(run_cli, history, "json"))

    [provider] = [c for c in report["blastRadius"] if c["kind"] == "provider"]
    assert provider["title"] == "provider payments/ledger-api (exports port, url changed)"
    assert provider["files"] == [path]
    assert units(provider["changed"]) == {
        ("payments/checkout", env) for env in ("dev", "staging", "prod")
    }
    assert provider["unchanged"] == []
    # checkout was rendered although its own files did not change
    assert "payments/checkout" in report["summary"]["apps"]["changed"]


def test_removing_the_last_consumer_of_a_shared_database_is_flagged(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    api = "apps/payments/ledger-api.yaml"
    text = (history.root / api).read_text()
    start, end = text.index("  resources:\n    db:"), text.index("  params:\n")
    text = text[:start] + text[end:]
    start = text.index("    env:\n      # One URL")
    end = text.index("    resources:\n      requests")
    text = text[:start] + text[end:]
    text = text.replace("      resources:\n        db: {class: ha}\n", "")
    history.commit("retire the ledger", {api: text, "apps/payments/ledger-worker.yaml": None})

    report: dict[str, Any] = json.loads(diff(run_cli, history, "json"))

    lost = [r for r in report["risks"] if r["kind"] == "stateful-resource-removed"]
    assert len(lost) == 1, report["risks"]
    [note] = lost
    assert note["severity"] == "high"
    assert note["message"].startswith(
        "shared stateful resource `postgres payments/ledger-db` loses its last consumer "
        "(`payments/ledger-api`, `payments/ledger-worker`) in dev/dev-1, staging/staging-1, "
        "prod/prod-eu, prod/prod-us: possible data loss."
    )
    assert "never-prune (`midway.dev/prune: disabled`)" in note["message"]
    # the prune plan agrees: the database's objects stay live
    [cluster_gone] = [
        r
        for r in report["risks"]
        if r["kind"] == "objects-deleted"
        and r["app"] == "payments/ledger-db"
        and "dev/dev-1" in r["message"]
    ]
    assert "they are marked never-prune" in cluster_gone["message"]
    [shared] = [c for c in report["blastRadius"] if c["kind"] == "resource"]
    assert shared["title"] == "shared resource postgres payments/ledger-db"
    assert {r["reasons"][0] for r in shared["resources"]} == {"removed"}


def test_a_provisioner_release_names_both_versions(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "blueprints/postgres-cnpg/blueprint.yaml"
    history.commit("1.1.0", {path: history.edit(path, "version: 1.0.0", "version: 1.1.0")})

    report = json.loads(diff(run_cli, history, "json"))

    [cause] = report["blastRadius"]
    assert cause["title"] == "provisioner postgres-cnpg@1.0.0 → 1.1.0"
    # the version annotation changes on the Secret copies in each consumer's namespace:
    # every consumer's output changed, in every environment
    assert cause["unchanged"] == []
    assert units(cause["changed"]) == {
        (app, env)
        for app in ("payments/ledger-api", "payments/ledger-worker")
        for env in ("dev", "staging", "prod")
    }
    [db] = cause["resources"]
    assert db["reasons"][0] == "provisioner postgres-cnpg@1.0.0 → postgres-cnpg@1.1.0"
