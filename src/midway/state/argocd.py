"""ArgoCD objects for the state repo (docs/design.md §7), one object per file. Pure.

    argocd/root.yaml                              app-of-apps: syncs everything under argocd/
    argocd/<env>/<cluster>/<team>-<app>.yaml      one Application per app    (mode applications)
    argocd/<env>/<cluster>/applicationset.yaml    one ApplicationSet         (mode applicationset)

The team's shared design sketched `argocd/<env>/<cluster>.yaml` holding all Applications
of a destination; that file would be a multi-document YAML, and every file of the state
repo is exactly one object (so that readers, validators and ArgoCD's directory source treat
them alike). Hence one directory per destination with one file per Application
(docs/state-repo.md).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from midway.model import (
    LABEL_APP,
    LABEL_CLUSTER,
    LABEL_ENV,
    LABEL_MANAGED_BY,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    Cluster,
    ConfigRepo,
    Environment,
    RenderedObject,
)
from midway.render.layout import CLUSTER_SCOPED_DIR
from midway.render.serialize import canonical, to_yaml

ARGOCD_DIR = "argocd"
ROOT_PATH = f"{ARGOCD_DIR}/root.yaml"
ROOT_APP_NAME = "midway-root"
API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
# ArgoCD puts the Application name into the app.kubernetes.io/instance label: 63 characters
NAME_LIMIT = 63
SYNC_OPTIONS = ("CreateNamespace=true", "ServerSideApply=true")
CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io"
_INVALID = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class ArgoSource:
    """Where ArgoCD pulls the state repo from, unless an environment says otherwise."""

    repo_url: str
    revision: str


@dataclass(frozen=True)
class _AppDirs:
    team: str
    app: str
    directories: tuple[str, ...]  # state paths of the app's object directories, sorted
    namespace: str


def application_name(*parts: str) -> str:
    """`<team>-<app>-<env>-<cluster>`, lower-case; over 63 characters it is cut and given a
    stable hash suffix so two long names that share a prefix stay distinct."""
    full = "-".join(_INVALID.sub("-", p.lower()).strip("-") for p in parts if p)
    if len(full) <= NAME_LIMIT:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: NAME_LIMIT - 9].rstrip('-')}-{digest}"


def argocd_files(
    config: ConfigRepo,
    objects: Iterable[RenderedObject],
    source: ArgoSource,
    home_namespaces: Mapping[tuple[str, str, str], str] | None = None,
) -> dict[str, bytes]:
    """Every ArgoCD file of the state tree: {state path: YAML bytes}. `home_namespaces`
    ((env, cluster, app id) -> namespace) names the destination namespace of an Application
    whose objects span namespaces (a shared resource with copies in its consumers')."""
    by_destination: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for obj in objects:
        directory = obj.path.rsplit("/", 1)[0]
        by_destination[(obj.unit.env, obj.unit.cluster)][obj.unit.app].add(directory)
    files: dict[str, bytes] = {}
    for env in config.environments_in_order():
        for cluster in env.clusters:
            apps = by_destination.get((env.name, cluster.name), {})
            prefix = f"{ARGOCD_DIR}/{env.name}/{cluster.name}"
            if env.argocd_mode == "applicationset":
                cluster_scoped = any(
                    d.split("/")[2] == CLUSTER_SCOPED_DIR for dirs in apps.values() for d in dirs
                )
                for name, body in applicationsets(env, cluster, source, cluster_scoped).items():
                    files[f"{prefix}/{name}.yaml"] = _yaml(body)
                continue
            for app_id, dirs in sorted(apps.items()):
                team, app = app_id.split("/", 1)
                namespaces = sorted(d.split("/")[2] for d in dirs)
                namespace = (home_namespaces or {}).get((env.name, cluster.name, app_id)) or next(
                    (n for n in namespaces if n != CLUSTER_SCOPED_DIR), ""
                )
                body = application(
                    env, cluster, _AppDirs(team, app, tuple(sorted(dirs)), namespace), source
                )
                files[f"{prefix}/{team}-{app}.yaml"] = _yaml(body)
    files[ROOT_PATH] = _yaml(root_application(config, source))
    return files


def _yaml(body: Mapping[str, Any]) -> bytes:
    return to_yaml(canonical(body)).encode()


def _repo(env: Environment, source: ArgoSource) -> tuple[str, str]:
    return env.state_repo_url or source.repo_url, env.state_revision or source.revision


def _labels(
    env: Environment, cluster: Cluster, team: str | None, app: str | None
) -> dict[str, str]:
    labels = {LABEL_MANAGED_BY: MANAGED_BY_VALUE, LABEL_ENV: env.name, LABEL_CLUSTER: cluster.name}
    if team:
        labels[LABEL_TEAM] = team
    if app:
        labels[LABEL_APP] = app
    return labels


def sync_policy(env: Environment, *, create_namespace: bool = True) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "syncOptions": [o for o in SYNC_OPTIONS if create_namespace or "Namespace" not in o]
    }
    argo = env.policy.argocd
    if argo.automated:
        policy["automated"] = {"prune": argo.prune, "selfHeal": argo.self_heal}
    return policy


def _finalizers(env: Environment) -> list[str]:
    # Deleting an Application cascades to its resources only where the environment prunes:
    # when an app leaves the state repo, the root app removes its Application, and in an env
    # with prune off (prod) the workload must stay until someone deletes it on purpose.
    return [CASCADE_FINALIZER] if env.policy.argocd.prune else []


def application(
    env: Environment, cluster: Cluster, app: _AppDirs, source: ArgoSource
) -> dict[str, Any]:
    repo_url, revision = _repo(env, source)
    sources = [
        {"repoURL": repo_url, "targetRevision": revision, "path": d} for d in app.directories
    ]
    destination = {"server": cluster.server}
    if app.namespace:
        destination["namespace"] = app.namespace
    spec: dict[str, Any] = {
        "project": env.argocd_project,
        "destination": destination,
        "syncPolicy": sync_policy(env, create_namespace=bool(app.namespace)),
    }
    if len(sources) == 1:
        spec["source"] = sources[0]
    else:  # namespaced objects plus cluster-scoped ones (`_cluster/<app>`): a multi-source app
        spec["sources"] = sources
    metadata: dict[str, Any] = {
        "name": application_name(app.team, app.app, env.name, cluster.name),
        "namespace": env.argocd_namespace,
        "labels": _labels(env, cluster, app.team, app.app),
    }
    if _finalizers(env):
        metadata["finalizers"] = _finalizers(env)
    return {"apiVersion": API_VERSION, "kind": "Application", "metadata": metadata, "spec": spec}


def applicationsets(
    env: Environment, cluster: Cluster, source: ArgoSource, cluster_scoped: bool
) -> dict[str, dict[str, Any]]:
    """`applicationset`: a git directory generator over <env>/<cluster>/<namespace>/<app>;
    plus `applicationset-cluster-scoped` over <env>/<cluster>/_cluster/<app> when needed."""
    repo_url, revision = _repo(env, source)
    base = f"{env.name}/{cluster.name}"
    suffix = f"-{env.name}-{cluster.name}"
    namespaced = _applicationset(
        env,
        cluster,
        repo_url,
        revision,
        set_name=application_name("midway", env.name, cluster.name),
        directories=[
            {"path": f"{base}/*/*"},
            {"path": f"{base}/{CLUSTER_SCOPED_DIR}/*", "exclude": True},
        ],
        name_template="{{ index .path.segments 2 }}-{{ .path.basename }}" + suffix,
        namespace_template="{{ index .path.segments 2 }}",
    )
    out = {"applicationset": namespaced}
    if cluster_scoped:
        out["applicationset-cluster-scoped"] = _applicationset(
            env,
            cluster,
            repo_url,
            revision,
            set_name=application_name("midway", env.name, cluster.name, "cluster-scoped"),
            directories=[{"path": f"{base}/{CLUSTER_SCOPED_DIR}/*"}],
            name_template="{{ .path.basename }}-cluster-scoped" + suffix,
            namespace_template=None,
        )
    return out


def _applicationset(
    env: Environment,
    cluster: Cluster,
    repo_url: str,
    revision: str,
    *,
    set_name: str,
    directories: list[dict[str, Any]],
    name_template: str,
    namespace_template: str | None,
) -> dict[str, Any]:
    name = _trimmed_name_template(name_template)
    destination: dict[str, Any] = {"server": cluster.server}
    if namespace_template:
        destination["namespace"] = namespace_template
    app_metadata: dict[str, Any] = {
        "name": name,
        "labels": {**_labels(env, cluster, None, None), LABEL_APP: "{{ .path.basename }}"},
    }
    if _finalizers(env):
        app_metadata["finalizers"] = _finalizers(env)
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {
            "name": set_name,
            "namespace": env.argocd_namespace,
            "labels": _labels(env, cluster, None, None),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "git": {
                        "repoURL": repo_url,
                        "revision": revision,
                        "directories": directories,
                    }
                }
            ],
            "template": {
                "metadata": app_metadata,
                "spec": {
                    "project": env.argocd_project,
                    "source": {
                        "repoURL": repo_url,
                        "targetRevision": revision,
                        "path": "{{ .path.path }}",
                    },
                    "destination": destination,
                    "syncPolicy": sync_policy(env, create_namespace=bool(namespace_template)),
                },
            },
        },
    }


def _trimmed_name_template(template: str) -> str:
    """Wrap a Go-template name so ArgoCD cuts it to 63 characters (sprig trunc/trimSuffix)."""
    pieces = re.split(r"({{.*?}})", template)
    args = []
    fmt = ""
    for piece in pieces:
        if piece.startswith("{{"):
            fmt += "%s"
            args.append("(" + piece[2:-2].strip() + ")")
        else:
            fmt += piece.replace("%", "%%")
    return "{{ printf " + f'"{fmt}" ' + " ".join(args) + ' | trunc 63 | trimSuffix "-" }}'


def root_application(config: ConfigRepo, source: ArgoSource) -> dict[str, Any]:
    """The app-of-apps: every file under argocd/ (recursively), itself included, so changing
    this file in git updates it in the cluster too. The repo's README.md stays outside."""
    envs = config.environments_in_order()
    namespaces = {e.argocd_namespace for e in envs}
    projects = {e.argocd_project for e in envs}
    namespace = namespaces.pop() if len(namespaces) == 1 else "argocd"
    project = projects.pop() if len(projects) == 1 else "default"
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": ROOT_APP_NAME,
            "namespace": namespace,
            "labels": {LABEL_MANAGED_BY: MANAGED_BY_VALUE},
        },
        "spec": {
            "project": project,
            "source": {
                "repoURL": source.repo_url,
                "targetRevision": source.revision,
                "path": ARGOCD_DIR,
                "directory": {"recurse": True},
            },
            "destination": {"server": IN_CLUSTER, "namespace": namespace},
            # prune: an app removed from the state repo loses its Application (its resources
            # follow only where the environment prunes, see _finalizers)
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }
