"""`midway graph` on the embedded example: what each destination's graph holds, in all four
formats, byte-identical from run to run; the JSON against its shipped schema."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from midway.render.graph.view import schema
from support.configrepo import make_config_repo
from support.example import RunCli


def graph(run_cli: RunCli, root: Path, *args: str) -> str:
    code, out, err = run_cli("--config", str(root), "graph", *args)
    assert code == 0, err
    return out


def test_json_follows_the_schema_and_holds_the_graph(run_cli: RunCli, example_repo: Path) -> None:
    data = json.loads(graph(run_cli, example_repo, "-o", "json"))

    Draft202012Validator.check_schema(schema())
    errors = list(Draft202012Validator(schema()).iter_errors(data))
    assert not errors, errors[0]
    assert [(d["env"], d["cluster"]) for d in data["destinations"]] == [
        ("dev", "dev-1"),
        ("staging", "staging-1"),
        ("prod", "prod-eu"),
        ("prod", "prod-us"),
    ]
    prod = data["destinations"][2]
    [db] = [r for r in prod["resources"] if r["type"] == "postgres"]
    assert (db["class"], db["provisioner"], db["shared"], db["stateful"]) == (
        "ha",
        "postgres-cnpg@1.0.0",
        True,
        True,
    )
    edges = {(e["from"], e["to"], e["kind"], e["name"]) for e in prod["edges"]}
    assert ("app:payments/ledger-api", db["id"], "uses", "db") in edges
    assert ("app:payments/ledger-worker", db["id"], "uses", "db") in edges
    # a service-port is an edge from the consumer to the app it reaches
    assert ("app:payments/checkout", "app:payments/ledger-api", "service-port", "ledger") in edges
    # prod's queue comes from the managed broker, dev's from an in-cluster RabbitMQ
    [queue] = [r for r in prod["resources"] if r["type"] == "amqp"]
    [dev_queue] = [r for r in data["destinations"][0]["resources"] if r["type"] == "amqp"]
    assert (queue["provisioner"], dev_queue["provisioner"]) == (
        "amqp-external@1.0.0",
        "amqp-rabbitmq@1.0.0",
    )


def test_secret_outputs_are_references(run_cli: RunCli, example_repo: Path) -> None:
    data = json.loads(graph(run_cli, example_repo, "-o", "json"))
    for dest in data["destinations"]:
        for res in dest["resources"]:
            for name in ("password", "username"):
                if res["type"] == "amqp" or (res["type"] == "postgres" and name == "password"):
                    assert res["outputs"][name].startswith("secretKeyRef:"), res


def test_text_lists_resources_users_and_service_ports(run_cli: RunCli, example_repo: Path) -> None:
    out = graph(run_cli, example_repo, "--env", "prod", "--cluster", "prod-eu")
    lines = out.splitlines()
    assert lines[0] == "prod/prod-eu: 5 resource(s), 2 service-port(s), 6 app(s)"
    assert (
        "  postgres payments/ledger-db (shared, stateful) · class ha · postgres-cnpg@1.0.0 "
        "· ns payments-ledger-db"
    ) in lines
    assert "    used by: payments/ledger-api (db), payments/ledger-worker (db)" in lines
    assert "  service-port payments/checkout (ledger) -> app payments/ledger-api" in lines
    assert "dev/" not in out and "prod-us" not in out


def test_mermaid_and_dot(run_cli: RunCli, example_repo: Path) -> None:
    mermaid = graph(run_cli, example_repo, "--env", "dev", "-o", "mermaid")
    assert mermaid.startswith('flowchart LR\n  subgraph p0["dev/dev-1"]\n')
    assert '[("postgres payments/ledger-db<br/>default · postgres-cnpg@1.0.0")]' in mermaid
    assert mermaid.rstrip().endswith("end")

    dot = graph(run_cli, example_repo, "--env", "dev", "-o", "dot")
    assert dot.startswith("digraph midway {")
    assert '"dev/dev-1|app:payments/ledger-api" -> "dev/dev-1|resource:' in dot
    assert "shape=cylinder" in dot and dot.rstrip().endswith("}")


def test_output_is_deterministic_and_reads_a_revision(run_cli: RunCli, tmp_path: Path) -> None:
    repo = make_config_repo(tmp_path)
    for fmt in ("text", "json", "dot", "mermaid"):
        first = graph(run_cli, repo.path, "--rev", "HEAD", "-o", fmt)
        assert first == graph(run_cli, repo.path, "--rev", "HEAD", "-o", fmt, "--no-cache")
    data = json.loads(graph(run_cli, repo.path, "--rev", "HEAD", "-o", "json"))
    assert data["revision"] == repo.head


def test_unknown_environment_or_cluster_is_exit_2(run_cli: RunCli, example_repo: Path) -> None:
    code, out, err = run_cli("--config", str(example_repo), "graph", "--env", "prd")
    assert (code, out) == (2, "")
    assert "environment `prd` does not exist" in err and "prod" in err
    code, _, err = run_cli("--config", str(example_repo), "graph", "--cluster", "mars")
    assert code == 2 and "no cluster `mars`" in err


def test_render_and_publish_summaries_count_the_graph(run_cli: RunCli, example_repo: Path) -> None:
    code, _, err = run_cli(
        "--config", str(example_repo), "render", "--out", str(example_repo / "out")
    )
    assert code == 0, err
    assert "resources: 20 in 4 destinations (amqp 4, opensearch 12, postgres 4)" in err
