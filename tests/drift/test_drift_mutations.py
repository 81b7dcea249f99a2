"""Acceptance 2: a corpus of real live edits, each detected with the right class, path and
field manager, in both modes; and `kubectl diff --server-side` agrees wherever it sees a
difference (midway has no false negatives against kubectl).

Some edits kubectl diff cannot see: a field another manager *added* (a sidecar, a ConfigMap
key, a label) survives a server-side apply, so the dry-run equals live. midway reports them
anyway (`revertedByApply: false`), from managedFields; those cases are marked
`kubectl_rc=0` and the test checks that kubectl indeed stays silent.

With MIDWAY_RECORD_DRIFT_CORPUS=1 each case also writes its real desired/live/dry-run triple
to tests/drift/testdata/corpus/ (the regression corpus test_drift_corpus.py replays).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from support.cluster import kubectl_path

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_env, drift_crds

pytestmark = pytest.mark.cluster

CORPUS_DIR = Path(__file__).parent / "testdata" / "corpus"
LABELS = {
    "app.kubernetes.io/managed-by": "midway",
    "midway.dev/env": "dev",
    "midway.dev/app": "checkout",
    "midway.dev/team": "payments",
}
EDITOR = """\
import os, sys, yaml
path = sys.argv[1]
with open(path) as fh:
    d = yaml.safe_load(fh)
exec(os.environ["MIDWAY_TEST_EDIT"])
with open(path, "w") as fh:
    yaml.safe_dump(d, fh)
"""


@dataclass(frozen=True)
class Mutation:
    name: str
    act: Callable[[DriftEnv], None]
    kind: str
    team_app: str  # namespace suffix, e.g. "payments-checkout"
    obj: str
    status: str
    path: str | None = None  # readable field path expected among the fields
    change: str | None = None
    manager: str | None = None  # exact, or a prefix ending in "*"
    # what `kubectl diff --server-side` answers: 1 a difference, 0 none (a field another
    # manager added survives an apply), 2 refused (applying would fail); None: not
    # applicable (an orphan is not in git)
    kubectl_rc: int | None = 1
    edit: str | None = None  # for kubectl edit: Python run on the object `d`


def k(env: DriftEnv, team_app: str, *args: str, input: str | None = None) -> None:
    env.kubectl("-n", env.ns(team_app), *args, input=input)


def intruder(env: DriftEnv, team_app: str, body: dict[str, Any]) -> None:
    body["metadata"]["namespace"] = env.ns(team_app)
    k(
        env,
        team_app,
        "apply",
        "--server-side",
        "--field-manager=intruder",
        "--force-conflicts",
        "--validate=false",  # a partial object: only the fields the intruder takes
        "-f",
        "-",
        input=json.dumps(body),
    )


def orphan(env: DriftEnv) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "stray", "labels": LABELS},
        "data": {"a": "1"},
    }
    k(env, "payments-checkout", "create", "-f", "-", input=json.dumps(body))


def remove_port(env: DriftEnv) -> None:
    patch = '[{"op":"remove","path":"/spec/template/spec/containers/0/ports/0"}]'
    k(env, "payments-checkout", "patch", "deployment", "checkout", "--type=json", "-p", patch)


MUTATIONS = [
    Mutation(
        "scale-without-hpa",
        lambda e: k(e, "payments-checkout", "scale", "deployment", "checkout", "--replicas=3"),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.replicas",
        "changed",
        "unknown*",
    ),
    Mutation(
        "scale-with-hpa",
        lambda e: k(e, "search-search-api", "scale", "deployment", "search-api", "--replicas=3"),
        "Deployment",
        "search-search-api",
        "search-api",
        "ignored",
        "spec.replicas",
        "changed",
        "unknown*",
    ),
    Mutation(
        "set-image",
        lambda e: k(
            e,
            "payments-checkout",
            "set",
            "image",
            "deployment/checkout",
            "checkout=ghcr.io/acme/checkout:9.9.9",
        ),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].image",
        "changed",
        "kubectl-set",
    ),
    Mutation(
        "set-env-change",
        lambda e: k(
            e, "payments-checkout", "set", "env", "deployment/checkout", "PAYMENT_PROVIDER=adyen"
        ),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].env[name=PAYMENT_PROVIDER].value",
        "changed",
        "kubectl-set",
    ),
    Mutation(
        "set-env-add",
        lambda e: k(e, "payments-checkout", "set", "env", "deployment/checkout", "DEBUG=1"),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].env[name=DEBUG]",
        "added",
        "kubectl-set",
        kubectl_rc=0,
    ),
    Mutation(
        "label-add",
        lambda e: k(e, "payments-checkout", "label", "deployment", "checkout", "oncall=alice"),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "metadata.labels.oncall",
        "added",
        "kubectl-label",
        kubectl_rc=0,
    ),
    Mutation(
        "label-overwrite",
        lambda e: k(
            e,
            "payments-checkout",
            "label",
            "--overwrite",
            "configmap",
            "checkout-config",
            "midway.dev/team=other",
        ),
        "ConfigMap",
        "payments-checkout",
        "checkout-config",
        "modified",
        'metadata.labels["midway.dev/team"]',
        "changed",
        "kubectl-label",
    ),
    Mutation(
        "label-removed",
        lambda e: k(
            e,
            "identity-auth-gateway",
            "label",
            "deployment",
            "auth-gateway",
            "app.kubernetes.io/managed-by-",
        ),
        "Deployment",
        "identity-auth-gateway",
        "auth-gateway",
        "modified",
        'metadata.labels["app.kubernetes.io/managed-by"]',
        "removed",
        "unknown*",
    ),
    Mutation(
        "annotate-overwrite",
        lambda e: k(
            e,
            "payments-checkout",
            "annotate",
            "--overwrite",
            "service",
            "checkout",
            "midway.dev/blueprint=hand-made",
        ),
        "Service",
        "payments-checkout",
        "checkout",
        "modified",
        'metadata.annotations["midway.dev/blueprint"]',
        "changed",
        "kubectl-annotate",
    ),
    Mutation(
        "set-resources",
        lambda e: k(
            e,
            "payments-ledger-worker",
            "set",
            "resources",
            "deployment/ledger-worker",
            "--limits=memory=1Gi",
        ),
        "Deployment",
        "payments-ledger-worker",
        "ledger-worker",
        "modified",
        "spec.template.spec.containers[name=ledger-worker].resources.limits.memory",
        "changed",
        "kubectl-set",
    ),
    Mutation(
        "edit-add-container",
        lambda e: k(e, "search-indexer", "edit", "deployment", "indexer"),
        "Deployment",
        "search-indexer",
        "indexer",
        "modified",
        "spec.template.spec.containers[name=sidecar]",
        "added",
        "kubectl-edit",
        kubectl_rc=0,
        edit="d['spec']['template']['spec']['containers'].append("
        "{'name': 'sidecar', 'image': 'busybox:1.36'})",
    ),
    Mutation(
        "patch-remove-port",
        remove_port,
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].ports",
        "removed",
        "unknown*",
    ),
    Mutation(
        "configmap-add-key",
        lambda e: k(
            e,
            "payments-checkout",
            "patch",
            "configmap",
            "checkout-config",
            "-p",
            '{"data":{"extra.yaml":"x: 1"}}',
        ),
        "ConfigMap",
        "payments-checkout",
        "checkout-config",
        "modified",
        'data["extra.yaml"]',
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
    Mutation(
        "configmap-change-value",
        lambda e: k(
            e,
            "payments-ledger-worker",
            "patch",
            "configmap",
            "ledger-worker-queue",
            "-p",
            '{"data":{"WORKER_CONCURRENCY":"16"}}',
        ),
        "ConfigMap",
        "payments-ledger-worker",
        "ledger-worker-queue",
        "modified",
        "data.WORKER_CONCURRENCY",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "delete-object",
        lambda e: k(e, "search-indexer", "delete", "configmap", "indexer-queue"),
        "ConfigMap",
        "search-indexer",
        "indexer-queue",
        "missing",
    ),
    Mutation(
        "orphan-with-our-label",
        orphan,
        "ConfigMap",
        "payments-checkout",
        "stray",
        "orphan",
        kubectl_rc=None,
    ),
    Mutation(
        "intruder-label",
        lambda e: intruder(
            e,
            "identity-user-profile",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "user-profile", "labels": {"midway.dev/team": "hijack"}},
            },
        ),
        "Deployment",
        "identity-user-profile",
        "user-profile",
        "modified",
        'metadata.labels["midway.dev/team"]',
        "changed",
        "intruder",
    ),
    Mutation(
        "intruder-replicas",
        lambda e: intruder(
            e,
            "payments-ledger-worker",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "ledger-worker"},
                "spec": {"replicas": 5},
            },
        ),
        "Deployment",
        "payments-ledger-worker",
        "ledger-worker",
        "modified",
        "spec.replicas",
        "changed",
        "intruder",
    ),
    Mutation(
        "crd-object-spec",
        lambda e: k(
            e,
            "payments-ledger-db",
            "patch",
            "clusters.postgresql.cnpg.io",
            "ledger-db",
            "--type=merge",
            "-p",
            '{"spec":{"instances":3}}',
        ),
        "Cluster",
        "payments-ledger-db",
        "ledger-db",
        "modified",
        "spec.instances",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "externalsecret-edit",
        lambda e: k(
            e,
            "payments-ledger-worker",
            "edit",
            "externalsecrets.external-secrets.io",
            "ledger-worker-credentials",
        ),
        "ExternalSecret",
        "payments-ledger-worker",
        "ledger-worker-credentials",
        "modified",
        "spec.refreshInterval",
        "changed",
        "kubectl-edit",
        edit="d['spec']['refreshInterval'] = '5m'",
    ),
    Mutation(
        "service-port",
        lambda e: k(
            e,
            "payments-checkout",
            "patch",
            "service",
            "checkout",
            "--type=json",
            "-p",
            '[{"op":"replace","path":"/spec/ports/0/port","value":8080}]',
        ),
        "Service",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.ports[name=http].port",
        "changed",
        "kubectl-patch",
        kubectl_rc=2,
    ),
    Mutation(
        "hpa-max-replicas",
        lambda e: k(
            e,
            "search-search-api",
            "patch",
            "hpa.v2beta2.autoscaling",
            "search-api",
            "-p",
            '{"spec":{"maxReplicas":9}}',
        ),
        "HorizontalPodAutoscaler",
        "search-search-api",
        "search-api",
        "modified",
        "spec.maxReplicas",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "pdb-max-unavailable",
        lambda e: k(
            e,
            "identity-auth-gateway",
            "patch",
            "pdb",
            "auth-gateway",
            "--type=merge",
            "-p",
            '{"spec":{"maxUnavailable":2}}',
        ),
        "PodDisruptionBudget",
        "identity-auth-gateway",
        "auth-gateway",
        "modified",
        "spec.maxUnavailable",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "ingress-host",
        lambda e: k(
            e,
            "payments-checkout",
            "patch",
            "ingress.v1.networking.k8s.io",
            "checkout",
            "--type=json",
            "-p",
            '[{"op":"replace","path":"/spec/rules/0/host","value":"evil.example"}]',
        ),
        "Ingress",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.rules[0].host",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "rollout-restart",
        lambda e: k(e, "payments-checkout", "rollout", "restart", "deployment/checkout"),
        "Deployment",
        "payments-checkout",
        "checkout",
        "ignored",
        'spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]',
        "added",
        "kubectl-rollout",
        kubectl_rc=0,
    ),
    Mutation(
        "app-rule-feature-flags",
        lambda e: k(
            e,
            "identity-auth-gateway",
            "patch",
            "configmap",
            "auth-gateway-config",
            "-p",
            '{"data":{"feature-flags":"passkeys=false\\n"}}',
        ),
        "ConfigMap",
        "identity-auth-gateway",
        "auth-gateway-config",
        "ignored",
        "data.feature-flags",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "secret-like-key-masked",
        lambda e: k(
            e,
            "payments-ledger-db",
            "patch",
            "configmap",
            "ledger-db-connection",
            "-p",
            '{"data":{"db-password":"hunter2"}}',
        ),
        "ConfigMap",
        "payments-ledger-db",
        "ledger-db-connection",
        "modified",
        "data.db-password",
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
]


def _find(report: dict[str, Any], m: Mutation, env: DriftEnv) -> dict[str, Any]:
    namespace = env.ns(m.team_app)
    found = [
        o
        for o in report["objects"]
        if (o["kind"], o["namespace"], o["name"]) == (m.kind, namespace, m.obj)
    ]
    assert len(found) == 1, f"{m.kind} {namespace}/{m.obj} not in the report"
    return found[0]


def _manager_ok(expected: str, actual: str | None) -> bool:
    if expected.endswith("*"):
        return (actual or "").startswith(expected[:-1])
    return actual == expected


def _desired_file(env: DriftEnv, m: Mutation) -> bytes:
    wanted = [
        content
        for path, content in env.desired_files().items()
        if f"/{env.ns(m.team_app)}/" in path
        and path.endswith(f"-{m.obj}.yaml")
        and yaml.safe_load(content)["kind"] == m.kind
    ]
    assert len(wanted) == 1
    return wanted[0]


def _desired_body(env: DriftEnv, m: Mutation) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(_desired_file(env, m))
    return body


def _kubectl_diff(env: DriftEnv, m: Mutation, tmp_path: Path) -> int:
    binary = kubectl_path()
    if binary is None:
        pytest.skip("kubectl is not installed")
    manifest = tmp_path / "desired.yaml"
    manifest.write_bytes(_desired_file(env, m))
    done = subprocess.run(
        [
            binary,
            *env.kube_args,
            "diff",
            "--server-side",
            "--force-conflicts",
            "--field-manager=midway",
            "-f",
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1) or m.kubectl_rc == 2, done.stderr
    return done.returncode


@pytest.mark.parametrize("m", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_live_edit_is_detected(
    m: Mutation, drift_env: DriftEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if m.edit is not None:
        editor = tmp_path / "editor.py"
        editor.write_text(EDITOR)
        monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
        monkeypatch.setenv("MIDWAY_TEST_EDIT", m.edit)
    m.act(drift_env)

    for mode in ("server", "offline"):
        code, report = drift_env.drift_json("--mode", mode)
        obj = _find(report, m, drift_env)
        assert obj["status"] == m.status, (mode, obj)
        assert code == (0 if m.status == "ignored" else 1), mode
        others = [
            o
            for o in report["objects"]
            if o is not obj and o["status"] not in ("in-sync", "ignored")
        ]
        assert others == [], f"{mode}: unrelated drift {others}"
        if m.path is not None:
            fields = {f["path"]: f for f in obj["fields"]}
            assert m.path in fields, (mode, sorted(fields))
            field = fields[m.path]
            assert field["change"] == m.change, (mode, field)
            assert m.manager is not None and _manager_ok(m.manager, field["manager"]), (
                mode,
                field,
            )
            assert (field["ignoredBy"] is not None) == (m.status == "ignored"), (mode, field)
            assert field["revertedByApply"] == (m.change != "added"), (mode, field)
        if m.kubectl_rc == 2 and mode == "server":
            assert obj["note"] and "Duplicate value" in obj["note"], obj
        if m.name == "secret-like-key-masked":
            assert "hunter2" not in json.dumps(report)
            code, text, _ = drift_env.cli("drift", "--mode", mode)
            assert "hunter2" not in text and "***" in text

    if m.kubectl_rc is not None:
        kubectl_rc = _kubectl_diff(drift_env, m, tmp_path)
        # no false negatives: whatever kubectl sees, midway reported above
        assert kubectl_rc == m.kubectl_rc, f"kubectl diff exit {kubectl_rc}"

    if os.environ.get("MIDWAY_RECORD_DRIFT_CORPUS"):
        _record(drift_env, m)


def _record(env: DriftEnv, m: Mutation) -> None:
    """Write the real desired/live/dry-run triple of this case to the regression corpus."""
    from midway.cluster import StatusError, apply, connect, get

    desired = _desired_body(env, m) if m.status != "orphan" else None
    with connect(str(env.cluster.kubeconfig), env.cluster.context) as conn:
        api_version = desired["apiVersion"] if desired else "v1"
        live = get(conn, api_version, m.kind, env.ns(m.team_app), m.obj)
        dry_run = None
        if desired and live:
            try:
                dry_run = apply(conn, desired, dry_run=True, force=True)
            except StatusError:
                dry_run = None  # applying would fail: the corpus replays it offline
    prefix = env.prefix + "-"

    def scrub(obj: Any) -> Any:  # the test namespace prefix would change every recording
        return json.loads(json.dumps(obj).replace(prefix, "")) if obj is not None else None

    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    case = {
        "name": m.name,
        "desired": scrub(desired),
        "live": scrub(live),
        "dryRun": scrub(dry_run),
        "hpaTargets": [
            ["search-search-api", "Deployment", "search-api"],
            ["identity-user-profile", "Deployment", "user-profile"],
        ],
        "expect": {"status": m.status, "path": m.path, "change": m.change, "manager": m.manager},
    }
    (CORPUS_DIR / f"{m.name}.json").write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
