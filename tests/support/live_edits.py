"""The live-edit corpus: edits other field managers make to the example's dev objects.

Shared by tests/drift/test_drift_mutations.py (each edit detected in both modes, and
`kubectl diff --server-side` agrees) and tests/sync/test_sync_live_edits.py (each edit
detected, corrected by `midway sync`, and `midway drift` clean afterwards, all in one
applied copy of the example). `EXAMPLE_EDITS` touch only the example's objects;
`RECREATE_EDITS` need the `recreatable` test app (`add_recreatable_app`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

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
    # what `midway sync` does about it: "corrected" (an apply, plus taking out what other
    # managers added), "left" (an ignored field: left alone), "recreated" (an immutable
    # field: deleted and created again, opted in), "pruned" (an orphan, --prune-orphans)
    sync: str = "corrected"


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


EXAMPLE_EDITS = [
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
        sync="left",
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
        sync="pruned",
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
        sync="left",
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
        sync="left",
    ),
    Mutation(
        "secret-like-key-masked",
        lambda e: k(
            e,
            "payments-ledger-worker",
            "patch",
            "configmap",
            "ledger-worker-queue",
            "-p",
            '{"data":{"db-password":"hunter2"}}',
        ),
        "ConfigMap",
        "payments-ledger-worker",
        "ledger-worker-queue",
        "modified",
        "data.db-password",
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
]


def json_patch(env: DriftEnv, team_app: str, what: str, *ops: dict[str, Any]) -> None:
    k(env, team_app, "patch", *what.split("/"), "--type=json", "-p", json.dumps(list(ops)))


def replace_by_hand(env: DriftEnv, team_app: str, what: str, change: str) -> None:
    """`kubectl get -o json` | change | `kubectl replace` (what `kubectl edit` does)."""
    live = json.loads(env.kubectl("-n", env.ns(team_app), "get", what, "-o", "json"))
    exec(change, {"d": live})
    k(env, team_app, "replace", "-f", "-", input=json.dumps(live))


def recreate_by_hand(env: DriftEnv, team_app: str, what: str, change: str) -> None:
    """Delete and create the object again, changed (`kubectl replace --force`): the way
    someone changes a field that cannot change in place."""
    live = json.loads(env.kubectl("-n", env.ns(team_app), "get", what, "-o", "json"))
    meta = live["metadata"]
    for server_field in ("managedFields", "resourceVersion", "uid", "creationTimestamp"):
        meta.pop(server_field, None)
    live.pop("status", None)
    if live["kind"] == "Job":  # the server generates the selector and these labels
        live["spec"].pop("selector", None)
        labels = live["spec"]["template"]["metadata"].get("labels") or {}
        for generated in ("controller-uid", "job-name"):
            labels.pop(generated, None)
    exec(change, {"d": live})
    k(env, team_app, "replace", "--force", "-f", "-", input=json.dumps(live))


EXAMPLE_EDITS += [
    Mutation(
        "container-port-rekeyed",
        lambda e: json_patch(
            e,
            "payments-checkout",
            "deployment/checkout",
            {
                "op": "replace",
                "path": "/spec/template/spec/containers/0/ports/0/containerPort",
                "value": 9090,
            },
        ),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].ports[name=http].containerPort",
        "changed",
        "kubectl-patch",
        kubectl_rc=2,
    ),
    Mutation(
        "container-renamed",
        lambda e: json_patch(
            e,
            "payments-checkout",
            "deployment/checkout",
            {"op": "replace", "path": "/spec/template/spec/containers/0/name", "value": "old"},
        ),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=old]",
        "added",
        "kubectl-patch",
    ),
    Mutation(
        "env-renamed",
        lambda e: json_patch(
            e,
            "payments-ledger-worker",
            "deployment/ledger-worker",
            {
                "op": "replace",
                "path": "/spec/template/spec/containers/0/env/0/name",
                "value": "RENAMED",
            },
        ),
        "Deployment",
        "payments-ledger-worker",
        "ledger-worker",
        "modified",
        "spec.template.spec.containers[name=ledger-worker].env[name=RENAMED]",
        "added",
        "kubectl-patch",
    ),
    Mutation(
        "env-added-by-json-patch",
        lambda e: json_patch(
            e,
            "search-indexer",
            "deployment/indexer",
            {
                "op": "add",
                "path": "/spec/template/spec/containers/0/env/-",
                "value": {"name": "EXTRA", "value": "1"},
            },
        ),
        "Deployment",
        "search-indexer",
        "indexer",
        "modified",
        "spec.template.spec.containers[name=indexer].env[name=EXTRA]",
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
    Mutation(
        "set-env-remove",
        lambda e: k(
            e, "payments-checkout", "set", "env", "deployment/checkout", "PAYMENT_PROVIDER-"
        ),
        "Deployment",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.template.spec.containers[name=checkout].env[name=PAYMENT_PROVIDER]",
        "removed",
        "unknown*",
    ),
    Mutation(
        "strategic-patch-image",
        lambda e: k(
            e,
            "search-indexer",
            "patch",
            "deployment",
            "indexer",
            "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"indexer",'
            '"image":"ghcr.io/acme/search-indexer:0.0.1"}]}}}}',
        ),
        "Deployment",
        "search-indexer",
        "indexer",
        "modified",
        "spec.template.spec.containers[name=indexer].image",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "service-port-added",
        lambda e: k(
            e,
            "payments-checkout",
            "patch",
            "service",
            "checkout",
            "-p",
            '{"spec":{"ports":[{"name":"metrics","port":9090,"protocol":"TCP"}]}}',
        ),
        "Service",
        "payments-checkout",
        "checkout",
        "modified",
        "spec.ports[name=metrics]",
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
    Mutation(
        "service-port-edited",
        lambda e: k(e, "identity-auth-gateway", "edit", "service", "auth-gateway"),
        "Service",
        "identity-auth-gateway",
        "auth-gateway",
        "modified",
        "spec.ports[name=http].port",
        "changed",
        "kubectl-edit",
        kubectl_rc=2,
        edit="d['spec']['ports'][0]['port'] = 81",
    ),
    Mutation(
        "service-type-nodeport",
        lambda e: k(
            e,
            "search-search-api",
            "patch",
            "service",
            "search-api",
            "--type=merge",
            "-p",
            '{"spec":{"type":"NodePort"}}',
        ),
        "Service",
        "search-search-api",
        "search-api",
        "modified",
        "spec.type",
        "changed",
        "kubectl-patch",
    ),
    Mutation(
        "volume-added",
        lambda e: k(
            e,
            "payments-ledger-worker",
            "patch",
            "deployment",
            "ledger-worker",
            "-p",
            '{"spec":{"template":{"spec":{"volumes":[{"name":"scratch","emptyDir":{}}]}}}}',
        ),
        "Deployment",
        "payments-ledger-worker",
        "ledger-worker",
        "modified",
        "spec.template.spec.volumes[name=scratch]",
        "added",
        "kubectl-patch",
        kubectl_rc=0,
    ),
    Mutation(
        "replace-configmap",
        lambda e: replace_by_hand(
            e,
            "search-indexer",
            "configmap/indexer-queue",
            "d['data']['QUEUE_NAME'] = 'other-queue'",
        ),
        "ConfigMap",
        "search-indexer",
        "indexer-queue",
        "modified",
        "data.QUEUE_NAME",
        "changed",
        "kubectl-replace",
    ),
    Mutation(
        "annotate-add",
        lambda e: k(
            e, "identity-user-profile", "annotate", "deployment", "user-profile", "owner=alice"
        ),
        "Deployment",
        "identity-user-profile",
        "user-profile",
        "modified",
        "metadata.annotations.owner",
        "added",
        "kubectl-annotate",
        kubectl_rc=0,
    ),
]

# Edits of fields that cannot change in place, on the `recreatable` app's objects (which
# opt in to being recreated).
RECREATE_TEAM_APP = "ops-batch"
RECREATE_EDITS = [
    Mutation(
        "job-template-recreated-by-hand",
        lambda e: recreate_by_hand(
            e,
            RECREATE_TEAM_APP,
            "job/batch-migrate",
            "d['spec']['template']['spec']['containers'][0]['image'] = 'busybox:1.35'",
        ),
        "Job",
        RECREATE_TEAM_APP,
        "batch-migrate",
        "modified",
        "spec.template.spec.containers[name=migrate].image",
        "changed",
        "kubectl-replace",
        kubectl_rc=2,
        sync="recreated",
    ),
    Mutation(
        "statefulset-claim-size",
        lambda e: recreate_by_hand(
            e,
            RECREATE_TEAM_APP,
            "statefulset/batch",
            "d['spec']['volumeClaimTemplates'][0]['spec']['resources']['requests']"
            "['storage'] = '2Gi'",
        ),
        "StatefulSet",
        RECREATE_TEAM_APP,
        "batch",
        "modified",
        "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
        "changed",
        "kubectl-replace",
        kubectl_rc=2,
        sync="recreated",
    ),
    Mutation(
        "deployment-selector",
        lambda e: recreate_by_hand(
            e,
            RECREATE_TEAM_APP,
            "deployment/batch-api",
            "d['spec']['selector']['matchLabels']['tier'] = 'x';"
            "d['spec']['template']['metadata']['labels']['tier'] = 'x'",
        ),
        "Deployment",
        RECREATE_TEAM_APP,
        "batch-api",
        "modified",
        # offline compares the selector as a subset: the label added to the pods shows
        "spec.template.metadata.labels.tier",
        "added",
        "kubectl-replace",
        kubectl_rc=2,
        sync="recreated",
    ),
    Mutation(
        "headless-service-given-an-ip",
        lambda e: recreate_by_hand(
            e,
            RECREATE_TEAM_APP,
            "service/batch-headless",
            "d['spec'].pop('clusterIP'); d['spec'].pop('clusterIPs', None)",
        ),
        "Service",
        RECREATE_TEAM_APP,
        "batch-headless",
        "modified",
        "spec.clusterIP",
        "changed",
        "unknown*",  # allocated by the server, not written by the creator
        kubectl_rc=2,
        sync="recreated",
    ),
]

RECREATABLE_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: recreatable}
spec:
  version: 1.0.0
  description: Objects with fields that cannot change in place, opted in to recreation
  parameters:
    type: object
    additionalProperties: false
    properties:
      image: {type: string, default: "busybox:1.36", description: the image}
      logLevel: {type: string, default: info, description: unused}
"""

RECREATABLE_MAIN = """\
local recreate = { 'midway.dev/sync-options': 'Recreate=true' };
function(app, env, params)
  local selector = { app: app.name };
  local pod = { containers: [{ name: 'main', image: params.image }] };
  [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: app.name + '-migrate', annotations: recreate },
      spec: {
        backoffLimit: 0,
        template: { spec: { restartPolicy: 'Never',
                            containers: [{ name: 'migrate', image: params.image }] } },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: app.name, annotations: recreate },
      spec: {
        serviceName: app.name + '-headless',
        replicas: 1,
        selector: { matchLabels: selector },
        template: { metadata: { labels: selector }, spec: pod },
        volumeClaimTemplates: [{
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app.name + '-api', annotations: recreate },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: { metadata: { labels: selector }, spec: pod },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.name + '-headless', annotations: recreate },
      spec: {
        clusterIP: 'None',
        selector: selector,
        ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
      },
    },
  ]
"""

RECREATABLE_APP = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: batch, team: ops}
spec:
  blueprint: recreatable@^1
  params: {}
  environments: {dev: {}}
"""


def add_recreatable_app(config: Path) -> None:
    """Add the `recreatable` blueprint and its app ops/batch to a copy of the example."""
    (config / "blueprints" / "recreatable").mkdir()
    (config / "blueprints" / "recreatable" / "blueprint.yaml").write_text(RECREATABLE_BLUEPRINT)
    (config / "blueprints" / "recreatable" / "main.jsonnet").write_text(RECREATABLE_MAIN)
    (config / "apps" / "ops").mkdir(exist_ok=True)
    (config / "apps" / "ops" / "batch.yaml").write_text(RECREATABLE_APP)


def make_edit(m: Mutation, env: DriftEnv, tmp_path: Path, monkeypatch: Any) -> None:
    """Make the edit (for `kubectl edit`, with a scripted $EDITOR)."""
    import sys

    if m.edit is not None:
        editor = tmp_path / "editor.py"
        editor.write_text(EDITOR)
        monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
        monkeypatch.setenv("MIDWAY_TEST_EDIT", m.edit)
    m.act(env)


def check_detected(report: dict[str, Any], m: Mutation, env: DriftEnv, mode: str) -> dict[str, Any]:
    """Assert the drift report shows the edit as expected (and nothing else drifted);
    returns the object's entry."""
    obj = find_object(report, m, env)
    assert obj["status"] == m.status, (mode, obj)
    others = [
        o for o in report["objects"] if o is not obj and o["status"] not in ("in-sync", "ignored")
    ]
    assert others == [], f"{mode}: unrelated drift {others}"
    if m.path is not None:
        fields = {f["path"]: f for f in obj["fields"]}
        assert m.path in fields, (mode, sorted(fields))
        field = fields[m.path]
        assert field["change"] == m.change, (mode, field)
        assert m.manager is not None and manager_ok(m.manager, field["manager"]), (mode, field)
        assert (field["ignoredBy"] is not None) == (m.status == "ignored"), (mode, field)
        assert field["revertedByApply"] == (m.change != "added"), (mode, field)
    return obj


def find_object(report: dict[str, Any], m: Mutation, env: DriftEnv) -> dict[str, Any]:
    namespace = env.ns(m.team_app)
    found = [
        o
        for o in report["objects"]
        if (o["kind"], o["namespace"], o["name"]) == (m.kind, namespace, m.obj)
    ]
    assert len(found) == 1, f"{m.kind} {namespace}/{m.obj} not in the report"
    return found[0]


def manager_ok(expected: str, actual: str | None) -> bool:
    if expected.endswith("*"):
        return (actual or "").startswith(expected[:-1])
    return actual == expected
