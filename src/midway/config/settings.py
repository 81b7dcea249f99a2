"""midway.yaml (kind Settings): the state repo, the Kubernetes version, the team registry,
the workload blueprint of Score files."""

from __future__ import annotations

from typing import Any

from midway.config.documents import Documents
from midway.config.semver import parse_range
from midway.errors import MidwayError
from midway.model import BlueprintRequest, CatalogSettings, Settings

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
        score_blueprint=_score_blueprint(doc.where, spec.get("score")),
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


def _score_blueprint(where: Any, raw: Any) -> BlueprintRequest | None:
    """`score: {blueprint: score-workload@^1}`: what every `*.score.yaml` app renders with."""
    if not raw:
        return None
    name, _, range_text = raw["blueprint"].partition("@")
    at = where(("spec", "score", "blueprint"))
    if range_text and parse_range(range_text) is None:
        raise MidwayError(
            f"`{range_text}` is not a version range",
            at,
            hint="use e.g. ^1 (any 1.x), ~1.4 (1.4.x) or 1.4.0 (exact)",
        )
    return BlueprintRequest(name=name, range=range_text, source=at)


def _team_names(raw: Any) -> tuple[str, ...]:
    # a list of names, or a mapping name -> {owners, description} (the details are for people)
    return tuple(sorted(raw if isinstance(raw, list) else raw.keys()))
