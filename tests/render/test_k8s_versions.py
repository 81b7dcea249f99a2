"""Kubernetes-version-aware offline checks: API versions a cluster does not serve, old targets
validated too, names and label values within Kubernetes' limits — all before apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from midway.render.api_versions import TABLE, unserved
from midway.render.k8s_schema import validate_object
from support.example import RunCli, write


def probe_emits(root: Path, obj: str) -> None:
    write(root, "blueprints/probe/main.jsonnet", f"function(app, env, params) [\n  {obj},\n]\n")


def set_dev_version(root: Path, version: str) -> None:
    path = root / "environments/dev.yaml"
    path.write_text(
        path.read_text().replace('kubernetesVersion: "1.20"', f'kubernetesVersion: "{version}"')
    )


CRON = (
    "{{apiVersion: '{api}', kind: 'CronJob', metadata: {{name: 'nightly'}},"
    " spec: {{schedule: '0 2 * * *', jobTemplate: {{spec: {{template: {{spec: {{"
    "restartPolicy: 'Never', containers: [{{name: 'c', image: 'busybox:1.36'}}]}}}}}}}}}}}}"
)


@pytest.mark.parametrize(
    ("api_version", "kind", "version", "says"),
    [
        ("batch/v1", "CronJob", "1.20", "served from 1.21); use batch/v1beta1"),
        ("batch/v1beta1", "CronJob", "1.25", "removed in 1.25); use batch/v1"),
        ("policy/v1beta1", "PodDisruptionBudget", "1.25", "use policy/v1"),
        ("policy/v1", "PodDisruptionBudget", "1.20", "served from 1.21"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "use autoscaling/v2"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "use autoscaling/v2"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "1.22", "served from 1.23"),
        ("networking.k8s.io/v1beta1", "Ingress", "1.22", "use networking.k8s.io/v1"),
        ("extensions/v1beta1", "Ingress", "1.22", "use networking.k8s.io/v1"),
        ("discovery.k8s.io/v1", "EndpointSlice", "1.20", "served from 1.21"),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22", "v1"),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "1.22", "v1"),
        ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", "1.22", "v1"),
        ("storage.k8s.io/v1beta1", "CSIDriver", "1.22", "use storage.k8s.io/v1"),
    ],
)
def test_unserved_api_versions(api_version: str, kind: str, version: str, says: str) -> None:
    message = unserved(api_version, kind, version)
    assert message is not None and says in message
    assert f"not served by Kubernetes {version}" in message


@pytest.mark.parametrize(
    ("api_version", "kind", "version"),
    [
        ("batch/v1", "CronJob", "1.21"),
        ("batch/v1beta1", "CronJob", "1.24"),
        ("policy/v1beta1", "PodDisruptionBudget", "1.20"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.25"),
        ("apps/v1", "Deployment", "1.20"),
        ("postgresql.cnpg.io/v1", "Cluster", "1.31"),  # not a built-in API: not ours to judge
    ],
)
def test_served_api_versions_pass(api_version: str, kind: str, version: str) -> None:
    assert unserved(api_version, kind, version) is None


def test_table_rows_are_consistent() -> None:
    keys = [(r.api_version, r.kind) for r in TABLE]
    assert len(keys) == len(set(keys))
    for row in TABLE:
        assert row.since is not None or row.removed is not None
        if row.since and row.removed:
            assert row.since < row.removed


def test_batch_v1_cronjob_on_a_1_20_cluster_fails_at_render(
    probe_repo: Path, run_cli: RunCli
) -> None:
    probe_emits(probe_repo, CRON.format(api="batch/v1"))
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "not valid Kubernetes 1.20 for app qa/probe in dev/dev-1" in err  # cluster, version
    assert "batch/v1 CronJob is not served by Kubernetes 1.20" in err
    assert "use batch/v1beta1" in err
    # the blueprint chose the API version: blamed there, at the line with the text
    assert "blueprints/probe/main.jsonnet:2: error: blueprint probe@1.0.0 produced" in err
    assert "kubernetesMinor" in err


def test_removed_beta_on_a_newer_cluster_fails_at_check(probe_repo: Path, run_cli: RunCli) -> None:
    set_dev_version(probe_repo, "1.25")
    probe_emits(probe_repo, CRON.format(api="batch/v1beta1"))
    code, _, err = run_cli(
        "--config", str(probe_repo), "check", str(probe_repo / "apps/qa/probe.yaml")
    )
    assert code == 2, err
    assert "batch/v1beta1 CronJob is not served by Kubernetes 1.25 (removed in 1.25)" in err
    assert "use batch/v1" in err


def test_old_targets_are_validated_against_the_oldest_schemas(
    probe_repo: Path, run_cli: RunCli
) -> None:
    # policy/v1beta1 is gone from the bundled (1.25+) schemas; its successor has its shape
    probe_emits(
        probe_repo,
        "{apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: {name: 'pdb'},"
        " spec: {minAvailable: 1, selector: {matchLabels: {a: 'b'}}, maxUnavailble: 1}}",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "not valid Kubernetes 1.20" in err and "maxUnavailble" in err


def test_example_dev_objects_are_all_validated_offline(
    example_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    code, out, err = run_cli(
        "--config", str(example_repo), "render", "--env", "dev", "--out", str(tmp_path / "o")
    )
    assert code == 0, err
    assert "PodDisruptionBudget" not in out + err  # used to be "not validated offline"


def test_the_twin_schema_is_only_for_targets_older_than_the_bundle() -> None:
    pdb = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "x"},
        "spec": {"minAvailable": 1},
    }
    assert validate_object(pdb, "1.20") == []
    [problem] = validate_object(pdb, "1.26") or []
    assert problem.path == "apiVersion"


def test_service_name_over_63_characters_fails_before_apply(
    probe_repo: Path, run_cli: RunCli
) -> None:
    name = "s" * 64
    probe_emits(
        probe_repo,
        f"{{apiVersion: 'v1', kind: 'Service', metadata: {{name: '{name}'}},"
        " spec: {ports: [{port: 80}]}}",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "metadata.name: a Service name is 64 characters; Kubernetes allows at most 63" in err


def test_label_value_beyond_the_limit_fails_before_apply(probe_repo: Path, run_cli: RunCli) -> None:
    probe_emits(
        probe_repo,
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', labels: {tier: '"
        + "v" * 64
        + "', role: 'a b'}}}",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "metadata.labels.tier: label value" in err and "at most 63" in err
    assert "metadata.labels.role: label value `a b` must be letters" in err


def test_the_same_unserved_api_in_several_apps_is_one_error(
    probe_repo: Path, run_cli: RunCli
) -> None:
    probe_emits(probe_repo, CRON.format(api="batch/v1").replace("'nightly'", "app.name"))
    app = (probe_repo / "apps/qa/probe.yaml").read_text()
    write(probe_repo, "apps/qa/probe-two.yaml", app.replace("name: probe,", "name: probe-two,"))
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert err.count(": error: ") == 1, err
    assert "blueprints/probe/main.jsonnet:2: error:" in err
    assert "affects 2 apps (qa/probe, qa/probe-two) in 1 destination (dev/dev-1)" in err
    assert "    batch/v1 CronJob is not served by Kubernetes 1.20 (served from 1.21)" in err
