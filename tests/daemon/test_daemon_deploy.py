"""deploy/: every manifest is valid for the API server (server-side dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from midway.cluster import Connection, apply

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_the_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    on_disk = sorted(p.name for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk


def test_the_deployment_runs_two_replicas_with_leader_election() -> None:
    [deployment] = [d for d in _documents() if d["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 2
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[0] == "daemon" and "--leader-elect" in args
    secrets = [d for d in _documents() if d["kind"] == "Secret"]
    assert all(not d.get("data") and not d.get("stringData") for d in secrets)  # no values


@pytest.mark.cluster
def test_every_manifest_passes_a_server_side_dry_run(conn: Connection, k8s_namespace: str) -> None:
    for doc in _documents():
        if doc["kind"] == "Namespace":
            apply(conn, doc, dry_run=True)
            continue
        meta = doc["metadata"]
        if meta.get("namespace"):
            meta["namespace"] = k8s_namespace
        for subject in doc.get("subjects") or []:
            subject["namespace"] = k8s_namespace
        result = apply(conn, doc, dry_run=True)
        assert result["kind"] == doc["kind"]
