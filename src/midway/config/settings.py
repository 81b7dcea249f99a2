"""midway.yaml (kind Settings): the state repo, the Kubernetes version, the team registry."""

from __future__ import annotations

from typing import Any

from midway.config.documents import Documents
from midway.model import CatalogSettings, Settings

SETTINGS_PATH = "midway.yaml"


def load_settings(docs: Documents) -> Settings:
    doc = docs.get(SETTINGS_PATH, "Settings")
    spec = doc.value.get("spec") or {}
    state = spec.get("state") or {}
    return Settings(
        state=state.get("path"),
        state_branch=state.get("branch", "main"),
        state_repo_url=state.get("repoURL"),
        state_author=state.get("author"),
        state_committer=state.get("committer"),
        kubernetes_version=spec.get("kubernetesVersion", "1.31"),
        source=doc.where(()),
        teams=_team_names(spec["teams"]) if "teams" in spec else None,
        teams_source=doc.where(("spec", "teams")) if "teams" in spec else None,
        catalog=_catalog(spec.get("catalog") or {}),
    )


def _catalog(raw: dict[str, Any]) -> CatalogSettings:
    system = raw.get("system") or {}
    return CatalogSettings(
        publish=bool(raw.get("publish", False)),
        system=system.get("name"),
        system_owner=system.get("owner"),
        config_repo_url=raw.get("configRepoURL"),
        config_branch=raw.get("configBranch", "main"),
    )


def _team_names(raw: Any) -> tuple[str, ...]:
    # a list of names, or a mapping name -> {owners, description} (the details are for people)
    return tuple(sorted(raw if isinstance(raw, list) else raw.keys()))
