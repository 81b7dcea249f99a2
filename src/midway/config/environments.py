"""Environments: one `environments/<env>.yaml` each (clusters, namespace, policy, ArgoCD)."""

from __future__ import annotations

import posixpath
import re

from midway.config.documents import Documents, files_directly_in
from midway.config.ignore_rules import ignore_rules
from midway.config.placement import cluster_labels
from midway.config.resources import provisioner_rules
from midway.config.yamlsource import LocationView
from midway.errors import MidwayError
from midway.model import ArgoSyncPolicy, Cluster, Environment, Policy


def load_environments(
    docs: Documents, paths: list[str], errors: list[MidwayError]
) -> dict[str, Environment]:
    envs: dict[str, Environment] = {}
    holds = "one <env>.yaml per environment"
    for path in files_directly_in(paths, "environments/", holds, errors):
        try:
            env = _load_environment(docs, path)
        except MidwayError as exc:
            errors.append(exc)
            continue
        envs[env.name] = env
    return envs


def _load_environment(docs: Documents, path: str) -> Environment:
    doc = docs.get(path, "Environment")
    value = doc.value
    name = value["metadata"]["name"]
    stem = posixpath.basename(path).rsplit(".", 1)[0]
    if name != stem:
        raise MidwayError(
            f"environment `{name}` must live in environments/{name}.yaml",
            doc.where(("metadata", "name")),
            hint=f"rename the file or set metadata.name: {stem}",
        )
    spec = value["spec"]
    clusters = []
    seen: set[str] = set()
    for index, raw in enumerate(spec["clusters"]):
        if raw["name"] in seen:
            raise MidwayError(
                f"cluster `{raw['name']}` is listed twice",
                doc.where(("spec", "clusters", index, "name")),
            )
        seen.add(raw["name"])
        clusters.append(
            Cluster(
                name=raw["name"],
                server=raw["server"],
                kubernetes_version=raw.get("kubernetesVersion", "1.31"),
                context=raw.get("context"),
                labels=cluster_labels(raw),
                server_source=doc.where(("spec", "clusters", index, "server")),
            )
        )
    template = spec.get("namespace", "{team}-{app}")
    unknown = set(re.findall(r"{([^}]*)}", template)) - {"team", "app", "env"}
    if unknown:
        raise MidwayError(
            f"namespace template uses unknown placeholder(s) {sorted(unknown)}",
            doc.where(("spec", "namespace")),
            hint="available placeholders: {team}, {app}, {env}",
        )
    policy_raw = spec.get("policy") or {}
    argo = spec.get("argocd") or {}
    sync = argo.get("syncPolicy") or {}
    policy = Policy(
        drift=policy_raw.get("drift", "warn"),
        prune=policy_raw.get("prune", False),
        allow_empty_prune=policy_raw.get("allowEmptyPrune", False),
        argocd=ArgoSyncPolicy(
            automated=sync.get("automated", False),  # off unless the environment says so
            prune=sync.get("prune", policy_raw.get("prune", False)),
            self_heal=sync.get("selfHeal", False),
        ),
    )
    return Environment(
        name=name,
        order=spec.get("order", 0),
        clusters=tuple(clusters),
        namespace_template=template,
        params=spec.get("params") or {},
        policy=policy,
        ignore=ignore_rules(doc, ("spec", "drift")),
        state_repo_url=argo.get("repoURL"),
        state_revision=argo.get("targetRevision"),
        argocd_mode=argo.get("mode", "applications"),
        argocd_namespace=argo.get("namespace", "argocd"),
        argocd_project=argo.get("project", "default"),
        source=doc.where(()),
        param_sources=LocationView(doc.locations, ("spec", "params")),
        namespace_source=doc.where(("spec", "namespace")) if "namespace" in spec else None,
        provisioners=provisioner_rules(doc),
    )
