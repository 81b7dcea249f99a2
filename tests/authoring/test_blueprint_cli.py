"""`midway blueprint ls|show`: which blueprints exist, their versions, params and examples."""

from __future__ import annotations

import json
from pathlib import Path

from support.example import RunCli


def test_ls_lists_versions_and_users(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("--config", str(example_repo), "blueprint", "ls")
    assert code == 0, err
    assert out.splitlines()[0].split() == ["NAME", "VERSIONS", "APPS", "DESCRIPTION"]
    assert "web-service        2.1.0, 1.4.0  5     Stateless HTTP service" in out
    code, out, _ = run_cli("--config", str(example_repo), "blueprint", "ls", "-o", "json")
    by_name = {b["name"]: b for b in json.loads(out)}
    # 1.3.0 beside 1.2.0 (rollouts/worker-1.3.yaml moves the dev apps): two apps, not four
    assert by_name["worker"]["versions"] == ["1.3.0", "1.2.0"] and by_name["worker"]["apps"] == 2


def test_show_has_a_parameter_table_and_examples(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("--config", str(example_repo), "blueprint", "show", "worker@~1.2")
    assert code == 0, err
    assert out.startswith("worker 1.2.0  (blueprints/worker/)\n")
    assert "used by: payments/ledger-worker, search/indexer" in out
    table = out.split("parameters:\n", 1)[1]
    assert table.splitlines()[0].split() == ["PARAM", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"]
    assert any(r.split()[:4] == ["replicas", "integer", "1", "Number"] for r in table.splitlines())
    assert any(r.split()[:4] == ["queue.url", "string", "yes", "-"] for r in table.splitlines())
    assert "examples:\n  minimal:\n    params:\n      image: ghcr.io/acme/mailer:3.1.0" in out
    assert "--blueprint worker@^1 --param image=… --param queue.name=… --param queue.url=…" in out


def test_show_a_range_picks_the_version(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli(
        "--config", str(example_repo), "blueprint", "show", "web-service@^1", "-o", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["version"] == "1.4.0" and doc["versions"] == ["2.1.0", "1.4.0"]
    assert doc["usedBy"] == ["identity/user-profile"]
    image = next(p for p in doc["parameters"] if p["param"] == "image")
    assert image["required"] is True and "default" not in image
    replicas = next(p for p in doc["parameters"] if p["param"] == "replicas")
    assert replicas["default"] == 2 and replicas["type"] == "integer"


def test_show_mistakes_exit_2(example_repo: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli("--config", str(example_repo), "blueprint", "show", "workr")
    assert code == 2 and "did you mean `worker`" in err
    code, _, err = run_cli("--config", str(example_repo), "blueprint", "show", "worker@^3")
    assert code == 2 and "versions: 1.3.0, 1.2.0" in err
