"""Apps: `apps/<team>/<app>.yaml` — the blueprint asked for, params, environments, ignore rules.
`apps/<team>/<name>.score.yaml` files are Score workloads, read by config/score.py."""

from __future__ import annotations

from collections.abc import Mapping

from midway.config.documents import YAML_SUFFIXES, Documents
from midway.config.ignore_rules import ignore_rules
from midway.config.placement import parse_placement
from midway.config.resources import merge_override, resource_requests
from midway.config.score import is_score_file, load_score_app
from midway.config.semver import parse_range
from midway.config.validation import did_you_mean
from midway.config.yamlsource import LocationView
from midway.errors import MidwayError, SourceLocation
from midway.model import App, AppEnvironment, BlueprintRequest, Environment, Settings


def load_apps(
    docs: Documents,
    paths: list[str],
    environments: Mapping[str, Environment],
    settings: Settings,
    errors: list[MidwayError],
) -> dict[str, App]:
    apps: dict[str, App] = {}
    for path in paths:
        if not path.startswith("apps/"):
            continue
        parts = path.split("/")
        if len(parts) != 3 or not path.endswith(YAML_SUFFIXES):
            errors.append(
                MidwayError(
                    "unexpected file: apps/ holds apps/<team>/<app>.yaml files only",
                    SourceLocation(path),
                    hint="move or remove this file",
                )
            )
            continue
        try:
            if is_score_file(path):
                app = load_score_app(docs, path, environments, settings, _check_team)
            else:
                app = _load_app(docs, path, environments, settings)
        except MidwayError as exc:
            errors.append(exc)
            continue
        if app.id in apps:  # apps/t/x.yaml beside apps/t/x.score.yaml
            errors.append(
                MidwayError(
                    f"app {app.id} is also defined in {apps[app.id].source.path}",
                    app.source,
                    hint="keep one of the two files",
                )
            )
            continue
        apps[app.id] = app
    return dict(sorted(apps.items()))


def _load_app(
    docs: Documents, path: str, environments: Mapping[str, Environment], settings: Settings
) -> App:
    doc = docs.get(path, "App")
    value = doc.value
    meta, spec = value["metadata"], value["spec"]
    _, team_dir, file_name = path.split("/")
    stem = file_name.rsplit(".", 1)[0]
    if meta["team"] != team_dir or meta["name"] != stem:
        raise MidwayError(
            f"app {meta['team']}/{meta['name']} must live in "
            f"apps/{meta['team']}/{meta['name']}.yaml",
            doc.where(("metadata",)),
            hint="the file path and metadata.team/metadata.name must agree",
        )
    _check_team(meta["team"], doc.where(("metadata", "team")), settings)
    ref = spec["blueprint"]
    name, _, range_text = ref.partition("@")
    ref_where = doc.where(("spec", "blueprint"))
    if range_text and parse_range(range_text) is None:
        raise MidwayError(
            f"`{range_text}` is not a version range",
            ref_where,
            hint="use e.g. ^2 (any 2.x), ~1.4 (1.4.x), 1.4.0 (exact) or >=1.2 <2",
        )
    wanted = spec.get("environments")
    resources = resource_requests(doc, ("spec", "resources"))
    app_envs: dict[str, AppEnvironment] = {}
    for env_name in wanted if wanted is not None else sorted(environments):
        env_where = doc.where(("spec", "environments", env_name))
        if env_name not in environments:
            raise MidwayError(
                f"environment `{env_name}` does not exist",
                env_where,
                hint=did_you_mean(env_name, sorted(environments))
                or f"known environments: {', '.join(sorted(environments))}",
            )
        entry = (wanted or {}).get(env_name) or {}
        overrides = resource_requests(doc, ("spec", "environments", env_name, "resources"))
        for res_name, override in overrides.items():
            if res_name not in resources and not override.type:
                raise MidwayError(
                    f"environment {env_name} overrides resource `{res_name}`, which the app "
                    "does not declare",
                    override.source,
                    hint=did_you_mean(res_name, sorted(resources))
                    or "declare it under spec.resources, or give this entry a `type:` to add "
                    f"a resource in {env_name} only",
                )
        app_envs[env_name] = AppEnvironment(
            name=env_name,
            params=entry.get("params") or {},
            source=env_where,
            param_sources=LocationView(doc.locations, ("spec", "environments", env_name, "params")),
            resources={n: merge_override(resources.get(n), o) for n, o in overrides.items()},
            placement=parse_placement(doc, ("spec", "environments", env_name, "placement")),
        )
    drift = spec.get("drift") or {}
    return App(
        name=meta["name"],
        team=meta["team"],
        blueprint=BlueprintRequest(name=name, range=range_text, source=ref_where),
        params=spec.get("params") or {},
        environments=app_envs,
        source=doc.where(()),
        param_sources=LocationView(doc.locations, ("spec", "params")),
        ignore=ignore_rules(doc, ("spec", "drift")),
        policy_drift=drift.get("policy"),
        all_environments=wanted is None,
        resources=resources,
        placement=parse_placement(doc, ("spec", "placement")),
    )


def _check_team(team: str, where: SourceLocation, settings: Settings) -> None:
    """With a team registry in midway.yaml, a team folder must be a registered team: a typo
    (`apps/dtaa/`) would otherwise create a new team, namespace and label quietly."""
    if settings.teams is None or team in settings.teams:
        return
    raise MidwayError(
        f"team `{team}` is not in the team registry (`teams:` in midway.yaml)",
        where,
        hint=did_you_mean(team, list(settings.teams))
        or f"registered teams: {', '.join(settings.teams)}; add the team to midway.yaml "
        f"({settings.teams_source}) if it is new",
    )
