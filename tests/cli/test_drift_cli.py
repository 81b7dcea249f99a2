"""`midway drift` as users run it: errors (exit 2, no traceback), the stale layer, the
output formats and their JSON schema, and --watch latency against the real test cluster."""

from __future__ import annotations

import json
import re
import select
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from support.cluster import TestCluster
from support.example import write

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_env, drift_crds

pytestmark = pytest.mark.cluster

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "src/midway/drift/drift-report.schema.json"

WIDGET_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: widget}
spec:
  version: 1.0.0
  description: Renders a custom resource whose CRD the test cluster does not have
  parameters: {type: object, properties: {logLevel: {type: string, description: unused}}}
"""
WIDGET_MAIN = """\
function(app, env, params) [
  {apiVersion: 'example.dev/v1', kind: 'Widget', metadata: {name: app.name}, spec: {size: 1}},
]
"""
WIDGET_APP = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: gadget, team: qa}
spec:
  blueprint: widget@^1
  environments:
    dev: {}
"""


def prepare_example(tmp_path: Path, cluster: TestCluster, **kwargs: Any) -> DriftEnv:
    # imported here: pytest_plugins above loads the module first (assertion rewriting)
    from support.drift_example import prepare_example as prepare

    return prepare(tmp_path, cluster, **kwargs)


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text


def _schema_check(data: dict[str, Any]) -> None:
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))


# ---------------------------------------------------------------------------- errors


def test_unreachable_apiserver_is_a_clear_error(tmp_path: Path, test_cluster: TestCluster) -> None:
    def nothing_listens(config: Path) -> None:  # the env names the server the kubeconfig has
        path = config / "environments" / "dev.yaml"
        path.write_text(path.read_text().replace("https://127.0.0.1:16443", "https://127.0.0.1:1"))

    env = prepare_example(tmp_path, test_cluster, customize=nothing_listens)
    kubeconfig = tmp_path / "kubeconfig"
    text = test_cluster.kubeconfig.read_text()
    kubeconfig.write_text(re.sub(r"https://127\.0\.0\.1:\d+", "https://127.0.0.1:1", text))
    code, out, err = env.cli(
        "drift", "--kubeconfig", str(kubeconfig), "--context", test_cluster.context, kube=False
    )
    assert code == 2
    assert "cannot reach the cluster" in err and "connection refused" in err
    _no_traceback(out, err)


def test_wrong_token_is_a_clear_error(tmp_path: Path, test_cluster: TestCluster) -> None:
    env = prepare_example(tmp_path, test_cluster)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        test_cluster.kubeconfig.read_text().replace(test_cluster.token, "not-the-token")
    )
    code, out, err = env.cli(
        "drift", "--kubeconfig", str(kubeconfig), "--context", test_cluster.context, kube=False
    )
    assert code == 2
    assert "rejected midway's credentials (401 Unauthorized)" in err
    _no_traceback(out, err)


def test_missing_crd_is_an_error_per_object(tmp_path: Path, drift_crds: TestCluster) -> None:
    def add_widget(config: Path) -> None:
        write(config, "blueprints/widget/blueprint.yaml", WIDGET_BLUEPRINT)
        write(config, "blueprints/widget/main.jsonnet", WIDGET_MAIN)
        write(config, "apps/qa/gadget.yaml", WIDGET_APP)

    env = prepare_example(tmp_path, drift_crds, customize=add_widget)
    code, out, err = env.cli("drift", "-o", "json")
    assert code == 2, err
    report = json.loads(out)
    _schema_check(report)
    (error,) = report["errors"]
    assert (error["kind"], error["name"]) == ("Widget", "gadget")
    assert "does not serve Widget in example.dev/v1 (is the CRD installed?)" in error["message"]
    assert error["path"].endswith("/gadget/widget-gadget.yaml")
    # the other objects were still checked (not applied here: all missing)
    assert report["counts"]["missing"] > 20
    code, out, err = env.cli("drift")
    assert code == 2 and "is the CRD installed?" in out
    _no_traceback(out, err)


def test_kinds_the_cluster_does_not_serve(tmp_path: Path, drift_crds: TestCluster) -> None:
    # rendered for 1.31, the example uses policy/v1 PDBs and autoscaling/v2 HPAs: 1.20 has
    # only the beta versions
    env = prepare_example(tmp_path, drift_crds, kubernetes_version="1.31")
    code, out, err = env.cli("drift", "-o", "json")
    assert code == 2, err
    report = json.loads(out)
    unserved = {
        (e["kind"], e["message"].split(" does not serve ")[1].split(" (")[0])
        for e in report["errors"]
    }
    assert ("PodDisruptionBudget", "PodDisruptionBudget in policy/v1") in unserved
    assert ("HorizontalPodAutoscaler", "HorizontalPodAutoscaler in autoscaling/v2") in unserved
    _no_traceback(out, err)


def test_missing_state_repo_suggests_publish(tmp_path: Path, test_cluster: TestCluster) -> None:
    env = prepare_example(tmp_path, test_cluster)
    env.state = tmp_path / "nowhere.git"
    code, out, err = env.cli("drift")
    assert code == 2
    assert "does not exist" in err and "midway publish" in err
    _no_traceback(out, err)


def test_missing_state_branch_suggests_publish(tmp_path: Path, test_cluster: TestCluster) -> None:
    env = prepare_example(tmp_path, test_cluster)
    code, out, err = env.cli("drift", "--state", f"{env.state}@nobranch")
    assert code == 2
    assert "no branch `nobranch`" in err and "midway publish" in err
    _no_traceback(out, err)


def test_unknown_environment_lists_choices(tmp_path: Path, test_cluster: TestCluster) -> None:
    env = prepare_example(tmp_path, test_cluster)
    code, out, err = env.cli("drift", "--env", "qa")  # the later --env wins in click
    assert code == 2
    assert "environment `qa` does not exist" in err
    _no_traceback(out, err)


# ---------------------------------------------------------------------------- layers and output


def test_stale_state_is_its_own_section(drift_env: DriftEnv) -> None:
    app = drift_env.config / "apps/payments/checkout.yaml"
    app.write_text(app.read_text().replace("1.5.0-rc.2", "1.5.0-rc.3"))
    code, report = drift_env.drift_json()
    assert code == 1
    _schema_check(report)
    stale = report["stale"]
    assert stale["stale"] is True
    assert stale["changed"] == [
        f"dev/dev-1/{drift_env.ns('payments-checkout')}/checkout/deployment-checkout.yaml"
    ]
    assert report["inSync"] is True  # the cluster still matches the state commit
    code, text, _ = drift_env.cli("drift")
    assert "config → state: STALE" in text and "state → live:" in text
    code, report = drift_env.drift_json("--no-stale")
    assert code == 0 and report["stale"] is None


def test_text_markdown_and_json_agree(drift_env: DriftEnv) -> None:
    drift_env.kubectl(
        "-n",
        drift_env.ns("payments-checkout"),
        "set",
        "image",
        "deployment/checkout",
        "checkout=ghcr.io/acme/checkout:6.6.6",
    )
    code, report = drift_env.drift_json()
    assert code == 1
    _schema_check(report)
    assert report["counts"]["modified"] == 1
    code, text, _ = drift_env.cli("drift")
    assert code == 1
    assert "modified  Deployment.apps" in text
    assert '"ghcr.io/acme/checkout:1.5.0-rc.2" → "ghcr.io/acme/checkout:6.6.6"' in text
    assert "by kubectl-set (Update)" in text
    code, markdown, _ = drift_env.cli("drift", "-o", "markdown")
    assert code == 1
    assert markdown.startswith("## Drift of `dev/dev-1` (server mode)")
    assert "| modified | `Deployment.apps" in markdown and "kubectl-set" in markdown


def test_app_filter_and_all_kinds_orphan_scan(drift_env: DriftEnv) -> None:
    code, report = drift_env.drift_json("--app", "payments/checkout", "--orphan-kinds", "*")
    assert code == 0
    assert {o["app"] for o in report["objects"]} == {"payments/checkout"}
    assert len(report["objects"]) == 4


# ---------------------------------------------------------------------------- --watch


def _read_line(proc: Any, deadline: float) -> str | None:
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if line:
                return str(line)
            return None
    return None


@pytest.mark.parametrize("mode", ["server", "offline"])
def test_watch_reports_a_live_edit_quickly(drift_env: DriftEnv, mode: str) -> None:
    proc = drift_env.spawn("drift", "--watch", "-o", "json", "--mode", mode, "--watch-for", "60")
    try:
        first = _read_line(proc, time.monotonic() + 60)
        assert first is not None, proc.stderr.read() if proc.stderr else ""
        initial = json.loads(first)
        assert initial["kind"] == "DriftReport" and initial["inSync"] is True
        namespace = drift_env.ns("payments-checkout")
        drift_env.kubectl(
            "-n",
            namespace,
            "patch",
            "configmap",
            "checkout-config",
            "-p",
            '{"data":{"checkout.yaml":"currency: USD\\n"}}',
        )
        changed_at = time.monotonic()
        event = None
        while event is None:
            line = _read_line(proc, changed_at + 10)
            assert line is not None, "no drift event within 10 s"
            data = json.loads(line)
            _schema_check(data)
            if data["object"]["name"] == "checkout-config":
                event = data
        latency = time.monotonic() - changed_at
        print(f"\n--watch ({mode}) detection latency: {latency * 1000:.0f} ms")
        assert event["kind"] == "DriftEvent"
        assert event["object"]["status"] == "modified"
        assert event["previous"] == "in-sync"
        (field,) = event["object"]["fields"]
        assert field["path"] == 'data["checkout.yaml"]'
        assert field["manager"] == "kubectl-patch"
        assert latency < 10  # the target is 2 s; a loaded CI machine gets slack
    finally:
        proc.terminate()
        proc.wait(10)
