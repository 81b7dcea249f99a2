"""Synthetic config repos for the benchmarks: the project's own blueprints and environments,
plus N generated apps spread over ~20 teams, each deployed to dev, staging and prod.

The apps use the example blueprints with parameters that pass their schemas (mostly
web-service@^2 and worker@~1.2, some postgres-database@^1), with per-environment overrides like
the hand-written apps in apps/. Generation is deterministic for a given (n_apps, seed).

`generate_kustomize` writes the equivalent layout for the `kubectl kustomize` peer: a base per
blueprint, one overlay per app × destination, one kustomization per destination listing its
overlays, and one top-level kustomization listing them all.

    python bench/generate.py DIR --apps 1000 [--seed 0] [--kustomize KDIR] [--commit]
    python bench/generate.py DIR --change-one     # edit one app (incremental benchmarks)
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COPIED_DIRS = ("blueprints", "environments", "lib", "vendor")
COPIED_FILES = ("midway.yaml", "jsonnetfile.json")
N_TEAMS = 20
# Destinations of the example environments (prod has two clusters): the kustomize peer gets
# one overlay per app × destination, so both tools produce the same sets of manifests.
DESTINATIONS = (
    ("dev", "dev-1"),
    ("staging", "staging-1"),
    ("prod", "prod-eu"),
    ("prod", "prod-us"),
)
# Share of each blueprint among generated apps, in order of the cumulative thresholds.
BLUEPRINT_MIX = (("web-service", 0.60), ("worker", 0.90), ("postgres-database", 1.0))
# worker ~1.2: the example publishes 1.3.0 beside 1.2.x (docs/fleet.md); the benchmark stays on 1.2
BLUEPRINT_RANGES = {"web-service": "^2", "worker": "~1.2", "postgres-database": "^1"}


@dataclass(frozen=True)
class SyntheticApp:
    """One generated app request: common params plus per-environment params."""

    team: str
    name: str
    blueprint: str
    params: dict[str, Any]
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"apps/{self.team}/{self.name}.yaml"

    def document(self) -> dict[str, Any]:
        return {
            "apiVersion": "midway.dev/v1",
            "kind": "App",
            "metadata": {"name": self.name, "team": self.team},
            "spec": {
                "blueprint": f"{self.blueprint}@{BLUEPRINT_RANGES[self.blueprint]}",
                "params": self.params,
                "environments": {
                    env: ({"params": p} if p else {}) for env, p in self.environments.items()
                },
            },
        }

    def effective(self, env: str) -> dict[str, Any]:
        """App params with the environment's overrides on top (shallow, enough for peers)."""
        return {**self.params, **self.environments.get(env, {})}


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"


def _web_service(rng: random.Random, team: str, name: str) -> SyntheticApp:
    image = f"ghcr.io/acme/{name}"
    tag = _version(rng)
    params: dict[str, Any] = {
        "image": f"{image}:{tag}",
        "port": rng.choice([8080, 8080, 3000, 9000]),
        "env": {
            "UPSTREAM_URL": f"http://{team}-gateway.{team}-gateway.svc",
            "FEATURE_BATCHING": rng.choice(["on", "off"]),
        },
    }
    if rng.random() < 0.4:
        params["config"] = {
            "app.yaml": f"service: {name}\nteam: {team}\ntimeouts:\n  read: {rng.randint(1, 30)}s\n"
        }
    if rng.random() < 0.5:
        params["probes"] = {"path": "/healthz", "readinessPath": "/ready"}
    if rng.random() < 0.5:
        params["resources"] = {
            "requests": {"cpu": f"{rng.choice([100, 250, 500])}m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        }
    host = f"{name}.{team}.acme.example"
    exposed = rng.random() < 0.6
    dev: dict[str, Any] = {"replicas": 1}
    staging: dict[str, Any] = {"replicas": 2}
    prod: dict[str, Any] = {"replicas": rng.randint(3, 8)}
    if rng.random() < 0.3:
        dev["image"] = staging["image"] = f"{image}:{tag}-rc.{rng.randint(1, 5)}"
    if exposed:
        dev["ingress"] = {"host": f"{name}.dev.{team}.acme.example"}
        staging["ingress"] = {
            "host": f"{name}.staging.{team}.acme.example",
            "className": "nginx",
            "tlsSecretName": f"{name}-tls",
        }
        prod["ingress"] = {
            "host": host,
            "className": "nginx",
            "tlsSecretName": f"{name}-tls",
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        }
    if rng.random() < 0.5:
        low = rng.randint(2, 4)
        prod["autoscaling"] = {
            "enabled": True,
            "minReplicas": low,
            "maxReplicas": low * rng.randint(3, 8),
            "targetCPU": rng.choice([60, 65, 70, 80]),
        }
        prod["resources"] = {
            "requests": {"cpu": "1", "memory": "512Mi"},
            "limits": {"memory": "1Gi"},
        }
    envs = {"dev": dev, "staging": staging, "prod": prod}
    return SyntheticApp(team, name, "web-service", params, envs)


def _worker(rng: random.Random, team: str, name: str) -> SyntheticApp:
    queue = f"{name}-jobs"
    params: dict[str, Any] = {
        "image": f"ghcr.io/acme/{name}:{_version(rng)}",
        "queue": {"name": queue, "url": f"amqps://rabbitmq.{team}-infra.svc:5671/{team}"},
        "concurrency": rng.choice([2, 4, 8]),
        "env": {"BATCH_SIZE": str(rng.choice([10, 50, 100]))},
    }
    if rng.random() < 0.3:
        params["args"] = ["consume", "--metrics-port=9090"]
    envs: dict[str, dict[str, Any]] = {
        "dev": {
            "concurrency": 1,
            "queue": {"name": queue, "url": f"amqp://rabbitmq.{team}-infra.svc:5672/{team}"},
        },
        "staging": {
            "replicas": 2,
            "credentials": {"secretStore": "vault", "remoteKey": f"{team}/staging/{name}"},
        },
        "prod": {
            "replicas": rng.randint(2, 6),
            "concurrency": rng.choice([8, 16]),
            "resources": {
                "requests": {"cpu": "500m", "memory": "512Mi"},
                "limits": {"memory": "1Gi"},
            },
            "credentials": {
                "secretStore": "vault",
                "remoteKey": f"{team}/prod/{name}",
                "refreshInterval": "15m",
            },
        },
    }
    return SyntheticApp(team, name, "worker", params, envs)


def _postgres(rng: random.Random, team: str, name: str) -> SyntheticApp:
    database = name.replace("-", "_")
    params: dict[str, Any] = {
        "postgresVersion": rng.choice(["15", "16", "17"]),
        "database": database,
        "parameters": {"max_connections": str(rng.choice([100, 200, 300]))},
    }
    envs: dict[str, dict[str, Any]] = {
        "dev": {"instances": 1, "storage": {"size": "2Gi"}},
        "staging": {"instances": 2, "storage": {"size": "20Gi"}},
        "prod": {
            "instances": 3,
            "storage": {"size": f"{rng.choice([50, 100, 200])}Gi"},
            "backup": {
                "destinationPath": f"s3://acme-pg-backups/{team}/{name}",
                "schedule": "0 0 2 * * *",
                "retentionPolicy": "30d",
                "credentials": {"secretStore": "vault", "remoteKey": f"{team}/prod/{name}-backup"},
            },
        },
    }
    return SyntheticApp(team, name, "postgres-database", params, envs)


_MAKERS = {"web-service": _web_service, "worker": _worker, "postgres-database": _postgres}


def synthetic_apps(n_apps: int, seed: int = 0) -> list[SyntheticApp]:
    rng = random.Random(seed)
    apps: list[SyntheticApp] = []
    for index in range(n_apps):
        team = f"team-{index % N_TEAMS:02d}"
        name = f"app-{index:04d}"
        draw = rng.random()
        blueprint = next(bp for bp, limit in BLUEPRINT_MIX if draw < limit)
        apps.append(_MAKERS[blueprint](rng, team, name))
    return apps


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (config files, kustomize patches) as readable `|` blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, width=100)


def generate(root: Path, n_apps: int, seed: int = 0) -> None:
    """Write a config repo with the project's blueprints/environments/lib and n_apps apps."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name in (*COPIED_DIRS, "apps"):
        shutil.rmtree(root / name, ignore_errors=True)
    for name in COPIED_DIRS:
        if (PROJECT_ROOT / name).is_dir():
            shutil.copytree(PROJECT_ROOT / name, root / name)
    for name in COPIED_FILES:
        if (PROJECT_ROOT / name).is_file():
            shutil.copy2(PROJECT_ROOT / name, root / name)
    for app in synthetic_apps(n_apps, seed):
        target = root / app.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(app.document()))


def change_one_app(root: Path, index: int = 0, generation: int = 1) -> Path:
    """Edit one app file the way a release does (new image tag); returns the file changed."""
    team = f"team-{index % N_TEAMS:02d}"
    path = Path(root) / "apps" / team / f"app-{index:04d}.yaml"
    doc = yaml.safe_load(path.read_text())
    params = doc["spec"]["params"]
    if "image" in params:
        base = params["image"].rsplit(":", 1)[0]
        params["image"] = f"{base}:99.{generation}.0"
    else:  # postgres-database: no image; change a server setting instead
        params.setdefault("parameters", {})["work_mem"] = f"{generation}MB"
    path.write_text(_dump(doc))
    return path


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit_all(root: Path, message: str = "synthetic config") -> str:
    """Make root a git repo (if needed) and commit everything in it; returns the commit id."""
    root = Path(root)
    if not (root / ".git").exists():
        _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(
        root,
        "-c",
        "user.name=midway bench",
        "-c",
        "user.email=bench@midway.invalid",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
    )
    return _git(root, "rev-parse", "HEAD")


# --- the kustomize peer ----------------------------------------------------------------------

_KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}


def _deployment(component: str, port: int | None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "app",
        "image": "IMAGE",
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
        container["readinessProbe"] = probe
        container["livenessProbe"] = probe
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"app.kubernetes.io/component": component}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/component": component}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/component": component}},
                "spec": {
                    "securityContext": {"runAsNonRoot": True},
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def _bases() -> dict[str, list[dict[str, Any]]]:
    selector = {"app.kubernetes.io/component": "web"}
    web = [
        _deployment("web", 8080),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "app"},
            "spec": {
                "selector": selector,
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-config"},
            "data": {"app.yaml": "service: app\n"},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "app"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "app"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
        },
    ]
    worker = [
        _deployment("worker", None),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-queue"},
            "data": {"QUEUE_NAME": "jobs", "QUEUE_URL": "amqp://mq/jobs"},
        },
    ]
    postgres = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": "app"},
            "spec": {
                "instances": 3,
                "imageName": "ghcr.io/cloudnative-pg/postgresql:16",
                "storage": {"size": "10Gi"},
                "bootstrap": {"initdb": {"database": "app", "owner": "app"}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-connection"},
            "data": {"host": "app-rw", "port": "5432"},
        },
    ]
    return {"web-service": web, "worker": worker, "postgres-database": postgres}


def _overlay(app: SyntheticApp, env: str, cluster: str, depth: int) -> dict[str, Any]:
    values = app.effective(env)
    ups = "../" * depth
    doc: dict[str, Any] = {
        **_KUSTOMIZATION,
        "resources": [f"{ups}bases/{app.blueprint}"],
        "namespace": f"{app.team}-{app.name}",
        # Unique names per destination: the top-level kustomization merges every destination,
        # and dev/staging share a namespace name (midway keeps them apart by directory).
        "namePrefix": f"{app.name}-",
        "nameSuffix": f"-{cluster}",
        "labels": [
            {
                "pairs": {
                    "app.kubernetes.io/managed-by": "midway",
                    "midway.dev/app": app.name,
                    "midway.dev/team": app.team,
                    "midway.dev/env": env,
                },
                "includeSelectors": False,
            }
        ],
    }
    if app.blueprint == "postgres-database":
        doc["patches"] = [
            {
                "target": {"kind": "Cluster"},
                "patch": _dump(
                    [
                        {"op": "replace", "path": "/spec/instances", "value": values["instances"]},
                        {
                            "op": "replace",
                            "path": "/spec/storage/size",
                            "value": values["storage"]["size"],
                        },
                    ]
                ),
            }
        ]
        return doc
    image, _, tag = values["image"].rpartition(":")
    doc["images"] = [{"name": "IMAGE", "newName": image, "newTag": tag}]
    doc["replicas"] = [{"name": "app", "count": values.get("replicas", 1)}]
    resources = values.get("resources", {"requests": {"cpu": "100m", "memory": "128Mi"}})
    deployment_patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "env": [
                                {"name": "LOG_LEVEL", "value": {"dev": "debug"}.get(env, "info")},
                                *({"name": k, "value": v} for k, v in values["env"].items()),
                            ],
                            "resources": resources,
                        }
                    ]
                }
            }
        },
    }
    doc["patches"] = [{"patch": _dump(deployment_patch)}]
    scaling = values.get("autoscaling")
    if app.blueprint == "web-service" and scaling:
        doc["patches"].append(
            {
                "target": {"kind": "HorizontalPodAutoscaler"},
                "patch": _dump(
                    [
                        {
                            "op": "replace",
                            "path": "/spec/minReplicas",
                            "value": scaling["minReplicas"],
                        },
                        {
                            "op": "replace",
                            "path": "/spec/maxReplicas",
                            "value": scaling["maxReplicas"],
                        },
                    ]
                ),
            }
        )
    return doc


def destination_dir(env: str, cluster: str) -> str:
    return f"destinations/{env}-{cluster}"


def generate_kustomize(root: Path, n_apps: int, seed: int = 0) -> Path:
    """Write bases/, overlays/<env>/<cluster>/<team>/<app>/, one kustomization per destination
    (destinations/<env>-<cluster>/, what an ArgoCD Application per cluster would point at) and
    one top-level kustomization at root listing every overlay."""
    root = Path(root)
    shutil.rmtree(root, ignore_errors=True)
    for blueprint, objects in _bases().items():
        base = root / "bases" / blueprint
        base.mkdir(parents=True)
        names = []
        for obj in objects:
            file_name = f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
            (base / file_name).write_text(_dump(obj))
            names.append(file_name)
        (base / "kustomization.yaml").write_text(_dump({**_KUSTOMIZATION, "resources": names}))
    overlays: dict[tuple[str, str], list[str]] = {dest: [] for dest in DESTINATIONS}
    for app in synthetic_apps(n_apps, seed):
        for env, cluster in DESTINATIONS:
            rel = f"overlays/{env}/{cluster}/{app.team}/{app.name}"
            (root / rel).mkdir(parents=True)
            overlay = _overlay(app, env, cluster, depth=rel.count("/") + 1)
            (root / rel / "kustomization.yaml").write_text(_dump(overlay))
            overlays[(env, cluster)].append(rel)
    for (env, cluster), rels in overlays.items():
        top = root / destination_dir(env, cluster)
        top.mkdir(parents=True)
        listed = [f"../../{rel}" for rel in rels]
        (top / "kustomization.yaml").write_text(_dump({**_KUSTOMIZATION, "resources": listed}))
    every = [rel for rels in overlays.values() for rel in rels]
    (root / "kustomization.yaml").write_text(_dump({**_KUSTOMIZATION, "resources": every}))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where to write the config repo")
    parser.add_argument("--apps", type=int, default=1000, help="number of apps (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--commit", action="store_true", help="also make it a git repo + commit")
    parser.add_argument("--kustomize", type=Path, help="also write the kustomize peer layout here")
    parser.add_argument(
        "--change-one",
        action="store_true",
        help="only edit one existing app (a new image tag each call), for incremental runs",
    )
    parser.add_argument("--index", type=int, default=0, help="which app --change-one edits")
    args = parser.parse_args()
    if args.change_one:
        # a fresh value on every call, so each incremental run really misses the cache
        change_one_app(args.directory, args.index, time.time_ns() % 1_000_000_000)
        return
    generate(args.directory, args.apps, args.seed)
    print(f"wrote {args.apps} apps to {args.directory}")
    if args.commit:
        print(f"committed {commit_all(args.directory)}")
    if args.kustomize:
        generate_kustomize(args.kustomize, args.apps, args.seed)
        print(f"wrote the kustomize layout to {args.kustomize}")


if __name__ == "__main__":
    main()
