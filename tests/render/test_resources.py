"""The resource graph on the example (docs/resources.md): app teams say what they need, the
platform decides per environment what provides it, and the outputs are wired in — hosts,
ports and Secret references, never a cluster DNS name or a Secret name in an app file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.model import LABEL_RESOURCE, RenderResult
from midway.render.pipeline import RenderOptions, render_config
from support.example import PROJECT_ROOT, write

ENVS = {"dev": ["dev-1"], "staging": ["staging-1"], "prod": ["prod-eu", "prod-us"]}


def render(root: Path, cache: Cache | None = None) -> RenderResult:
    source = DiskSource(root)
    cache = cache or Cache.disabled()
    return render_config(load_config(source, cache), source, RenderOptions(cache=cache))


def body(result: RenderResult, path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(result.files[path])
    return loaded


def env_of(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def test_example_apps_name_no_cluster_dns_name_and_no_secret() -> None:
    for path in sorted((PROJECT_ROOT / "apps").rglob("*.yaml")):
        text = path.read_text()
        assert not re.search(r"\.svc\b|svc\.cluster\.local", text), path
        assert not re.search(r"secretName|secretKeyRef|secretRef|kind: Secret", text), path


def test_workloads_receive_hosts_ports_and_secret_refs_in_every_environment(
    example_repo: Path,
) -> None:
    result = render(example_repo)
    for env, clusters in ENVS.items():
        for cluster in clusters:
            at = f"{env}/{cluster}"
            api = env_of(
                body(result, f"{at}/payments-ledger-api/ledger-api/deployment-ledger-api.yaml")
            )
            # the connection URL is composed by Kubernetes from a secretKeyRef variable
            assert api["DATABASE_URL"]["value"] == (
                "postgres://ledger:$(DATABASE_URL_DB_PASSWORD)@ledger-db-rw.payments-ledger-db"
                ".svc.cluster.local:5432/ledger?sslmode=require"
            )
            assert api["DATABASE_URL_DB_PASSWORD"]["valueFrom"] == {
                "secretKeyRef": {"name": "ledger-db-credentials", "key": "password"}
            }
            worker_path = f"{at}/payments-ledger-worker/ledger-worker/deployment-ledger-worker.yaml"
            worker = env_of(body(result, worker_path))
            assert worker["LEDGER_DB_HOST"]["value"] == (
                "ledger-db-rw.payments-ledger-db.svc.cluster.local"
            )
            assert worker["LEDGER_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": "ledger-db-credentials",
                "key": "password",
            }
            # the referenced Secret exists in each consumer's namespace (an ExternalSecret copy)
            for consumer in ("ledger-api", "ledger-worker"):
                copy = (
                    f"{at}/payments-{consumer}/ledger-db/externalsecret-ledger-db-credentials.yaml"
                )
                assert body(result, copy)["spec"]["target"]["name"] == "ledger-db-credentials"
            checkout_path = f"{at}/payments-checkout/checkout/deployment-checkout.yaml"
            checkout = env_of(body(result, checkout_path))
            assert checkout["LEDGER_URL"]["value"] == (
                "http://ledger-api.payments-ledger-api.svc.cluster.local:80"
            )
            queue = body(
                result,
                f"{at}/payments-ledger-worker/ledger-worker/configmap-ledger-worker-queue.yaml",
            )
            amqp_user = worker["AMQP_USER"]["valueFrom"]["secretKeyRef"]
            if env == "prod":  # the managed broker, credentials from Vault
                assert queue["data"]["QUEUE_URL"] == (
                    "amqps://mq.prod.acme.internal:5671/ledger-worker-queue"
                )
                assert amqp_user == {"name": "ledger-worker-queue-amqp", "key": "username"}
            else:  # a RabbitMQ of its own; the operator writes the Secret
                assert queue["data"]["QUEUE_URL"] == (
                    "amqp://ledger-worker-queue.payments-ledger-worker.svc.cluster.local:5672/"
                )
                assert amqp_user == {"name": "ledger-worker-queue-default-user", "key": "username"}
            db = body(result, f"{at}/payments-ledger-db/ledger-db/cluster-ledger-db.yaml")
            assert db["spec"]["instances"] == (3 if env == "prod" else 1)  # class ha in prod
    assert not any(b"[[midway-secret" in content for content in result.files.values())


def test_a_stateful_resource_is_never_pruned_automatically(example_repo: Path) -> None:
    result = render(example_repo)
    for obj in result.objects:
        labels = obj.body["metadata"]["labels"]
        if labels.get("midway.dev/resource-type") == "postgres":
            annotations = obj.body["metadata"]["annotations"]
            assert annotations["midway.dev/prune"] == "disabled"
            assert annotations["argocd.argoproj.io/sync-options"] == "Prune=false,Delete=false"
            assert labels[LABEL_RESOURCE] == "ledger-db"


THIRD_CONSUMER = """\
apiVersion: midway.dev/v1
kind: App
metadata: {name: ledger-audit, team: payments}
spec:
  blueprint: worker@^1
  resources:
    ledger: {type: postgres, id: ledger-db, params: {database: ledger}}
  params:
    image: ghcr.io/acme/ledger-audit:1.0.0
    queue: {name: audit, url: "https://sqs.eu-west-1.amazonaws.com/1/audit"}
    env:
      DB_HOST: ${resources.ledger.host}
      DB_PASSWORD: ${resources.ledger.password}
  environments:
    dev: {}
"""


def test_a_shared_resource_with_three_consumers_is_rendered_once(example_repo: Path) -> None:
    write(example_repo, "apps/payments/ledger-audit.yaml", THIRD_CONSUMER)
    result = render(example_repo)
    [ledger] = [r for r in result.resources if r.destination.env == "dev" and r.id == "ledger-db"]
    assert [c.app for c in ledger.consumers] == [
        "payments/ledger-api",
        "payments/ledger-audit",
        "payments/ledger-worker",
    ]
    clusters = [p for p in result.files if p.startswith("dev/") and "/cluster-ledger-db" in p]
    assert clusters == ["dev/dev-1/payments-ledger-db/ledger-db/cluster-ledger-db.yaml"]
    copies = sorted(
        p for p in result.files if p.startswith("dev/") and "ledger-db-credentials" in p
    )
    assert [p.split("/")[2] for p in copies] == [
        "payments-ledger-api",
        "payments-ledger-audit",
        "payments-ledger-worker",
    ]
    audit = env_of(
        body(result, "dev/dev-1/payments-ledger-audit/ledger-audit/deployment-ledger-audit.yaml")
    )
    assert audit["DB_HOST"]["value"] == "ledger-db-rw.payments-ledger-db.svc.cluster.local"


def test_rendering_twice_gives_identical_trees_and_resources(
    example_repo: Path, tmp_path: Path
) -> None:
    cold = render(example_repo)
    cache = Cache(tmp_path / "cache")
    first, warm = render(example_repo, cache), render(example_repo, cache)
    assert cold.files == first.files == warm.files
    assert cold.resources == first.resources == warm.resources
    assert warm.evaluations == 0


def test_a_provisioner_change_re_renders_its_consumers_only(
    example_repo: Path, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    before = render(example_repo, cache)
    main = example_repo / "blueprints/opensearch-shared/blueprint.yaml"
    main.write_text(main.read_text().replace("search-infra.svc", "search-platform.svc"))
    after = render(example_repo, cache)
    changed = {p for p in before.files if after.files.get(p) != before.files[p]}
    apps = {p.split("/")[3] for p in changed}
    assert apps == {"indexer", "search-api", "suggest"}  # its consumers, every environment
