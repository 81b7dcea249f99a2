"""`midway explain`: each effective value of an app with the file:line that set it (golden)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from support.example import RunCli

TESTDATA = Path(__file__).parent / "testdata"
LOCATION = re.compile(r"(apps|environments|blueprints)/[-\w@./]+\.yaml:\d+")


def golden(name: str, text: str) -> None:
    path = TESTDATA / name
    if os.environ.get("MIDWAY_UPDATE_GOLDEN", "") not in ("", "0"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; review, regenerate: MIDWAY_UPDATE_GOLDEN=1"


def explain(run_cli: RunCli, repo: Path, *args: str) -> tuple[int, str, str]:
    return run_cli("--config", str(repo), "explain", *args)


def test_text_names_file_and_line_of_every_value(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = explain(run_cli, example_repo, "payments/checkout", "--env", "prod")
    assert code == 0, err
    golden("explain-checkout-prod.txt", out)
    rows = out.split("  PARAM ", 1)[1].splitlines()[1:]
    values = [r for r in rows if not r.strip().startswith(("overrides", "resource "))]
    assert len(values) >= 20
    for row in values:
        assert LOCATION.search(row), row
    # one of each origin
    assert re.search(r"replicas +6 +app environment +apps/payments/checkout.yaml:53", out)
    assert re.search(
        r"image +\"ghcr.io/acme/checkout:1.4.2\" +app +apps/payments/checkout.yaml:9", out
    )
    assert re.search(r"logLevel +\"warn\" +environment +environments/prod.yaml:18", out)
    assert re.search(
        r"servicePort +80 +blueprint default +blueprints/web-service/blueprint.yaml:47", out
    )
    assert 'overrides blueprint default "info" (blueprints/web-service/blueprint.yaml:52)' in out


def test_json_names_file_and_line_of_every_value(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = explain(
        run_cli, example_repo, "payments/checkout", "--env", "prod", "-o", "json"
    )
    assert code == 0, err
    golden("explain-checkout-prod.json", out)
    doc = json.loads(out)
    assert doc["blueprint"]["chosen"] == "2.1.0"
    assert doc["blueprint"]["candidates"] == ["2.1.0", "1.4.0"]
    assert doc["blueprint"]["matching"] == ["2.1.0"]
    (prod,) = doc["environments"]
    assert prod["clusters"] == ["prod-eu", "prod-us"]
    assert [r["provisioner"] for r in prod["resources"]] == [
        "service-port of app payments/ledger-api"
    ]
    for param in prod["params"]:
        assert LOCATION.fullmatch(param["source"]["at"]), param
        for lower in param["overrides"]:
            assert LOCATION.fullmatch(lower["source"]["at"]), lower


def test_one_param_and_why_the_version_was_chosen(example_repo: Path, run_cli: RunCli) -> None:
    code, out, err = explain(run_cli, example_repo, "identity/user-profile", "replicas")
    assert code == 0, err
    assert "blueprint web-service@^1 -> 1.4.0  (apps/identity/user-profile.yaml:" in out
    assert "versions: 2.1.0, 1.4.0" in out and "allowed by `^1`: 1.4.0" in out
    assert out.count("\nenvironment ") >= 2  # every environment of the app, in order
    assert "probes" not in out


def test_no_range_means_the_newest_release(example_repo: Path, run_cli: RunCli) -> None:
    code, out, _ = explain(run_cli, example_repo, "identity/sessions-db", "--cluster", "prod-eu")
    assert code == 0
    assert "chosen: 1.1.0, no range given: the newest release" in out
    assert "environment prod (clusters: prod-eu)" in out and "environment dev" not in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("payments/chekout",), "did you mean `payments/checkout`"),
        (("payments/checkout", "--env", "qa"), "environment `qa` does not exist"),
        (("payments/checkout", "replica"), "did you mean `replicas`"),
        (("payments/checkout", "--cluster", "prod-e"), "did you mean `prod-eu`"),
    ],
)
def test_mistakes_exit_2(
    example_repo: Path, run_cli: RunCli, args: tuple[str, ...], says: str
) -> None:
    code, _, err = explain(run_cli, example_repo, *args)
    assert code == 2, err
    assert says in err


NESTED_DEFAULTS = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: probe}
spec:
  version: 1.0.0
  parameters:
    type: object
    properties:
      greeting: {type: string, default: hello}
      logLevel: {type: string}
      limits:
        type: object
        default: {cpu: 500m}
        properties:
          cpu: {type: string}
          memory: {type: string, default: 1Gi}
"""


def test_a_nested_default_names_its_own_line(probe_repo: Path, run_cli: RunCli) -> None:
    # `limits` takes its whole default ({cpu: 500m}), then memory's own default fills it in
    (probe_repo / "blueprints/probe/blueprint.yaml").write_text(NESTED_DEFAULTS)
    code, out, err = explain(run_cli, probe_repo, "qa/probe", "limits", "-o", "json")
    assert code == 0, err
    (dev,) = json.loads(out)["environments"]
    where = {p["param"]: (p["value"], p["from"], p["source"]["at"]) for p in dev["params"]}
    blueprint = "blueprints/probe/blueprint.yaml"
    assert where == {
        "limits.cpu": ("500m", "blueprint default", f"{blueprint}:13"),
        "limits.memory": ("1Gi", "blueprint default", f"{blueprint}:16"),
    }


def test_explain_names_the_provisioner_of_each_resource(
    run_cli: RunCli, example_repo: Path
) -> None:
    code, out, err = explain(
        run_cli, example_repo, "payments/ledger-worker", "--env", "prod", "-o", "json"
    )
    assert code == 0, err
    [prod] = json.loads(out)["environments"]
    served = {r["resource"]: (r["provisioner"], r["source"]["at"]) for r in prod["resources"]}
    assert served["db"][0] == "postgres-cnpg@1.0.0 (postgres, class ha, shared id ledger-db)"
    assert served["db"][1].startswith("apps/payments/ledger-worker.yaml:")  # the prod override
    assert served["queue"][0] == "amqp-external@1.0.0 (amqp, class default)"
    code, out, _ = explain(run_cli, example_repo, "payments/ledger-worker", "--env", "dev")
    assert "resource queue: amqp-rabbitmq@1.0.0 (amqp, class default)" in out
