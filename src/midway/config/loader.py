"""Load and validate a whole config repo into the model, reporting every problem at once."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

import jsonschema_rs
import orjson

from midway import gc_pause
from midway.cache import Cache
from midway.config import schemas
from midway.config.env_params import unused_env_params
from midway.config.k8s_names import namespace_errors
from midway.config.param_defaults import default_errors
from midway.config.semver import parse_range, parse_version, sort_newest_first
from midway.config.source import ConfigSource
from midway.config.validation import did_you_mean, schema_errors
from midway.config.yamlsource import LocationView, StoredLocations, YamlDocument, parse_yaml
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import (
    App,
    AppEnvironment,
    ArgoSyncPolicy,
    Blueprint,
    BlueprintExample,
    BlueprintRequest,
    Cluster,
    ConfigRepo,
    Environment,
    IgnoreRule,
    ParamPath,
    Policy,
    Settings,
)

YAML_SUFFIXES = (".yaml", ".yml")
_BLUEPRINT_DIR = re.compile(
    r"^blueprints/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(@[^/]+)?/blueprint\.yaml$"
)


# Cached documents were validated by these schemas: any schema change invalidates them.
# Bump the prefix when parsing itself changes.
DOCUMENT_FORMAT = (
    "config-doc-4-"
    + hashlib.sha256(json.dumps(schemas.BY_KIND, sort_keys=True).encode()).hexdigest()[:16]
)
CACHE_NAMESPACE = "yaml"


class _Documents:
    """Parsed + schema-validated config documents, reused across runs by content (blob id).

    Parsing with ruamel round-trip costs ~1 ms a file; a 1,000-app repo would pay a second on
    every command. Only documents that validated are cached, so errors are always fresh.
    """

    def __init__(self, source: ConfigSource, cache: Cache | None) -> None:
        self.source = source
        self.cache = cache
        self.cached: dict[str, str] = {}

    def prefetch(self, paths: list[str]) -> None:
        if self.cache is None:
            return
        keys = [self._key(p) for p in paths if p.endswith(YAML_SUFFIXES)]
        self.cached = self.cache.get_many(CACHE_NAMESPACE, keys)

    def _key(self, path: str) -> str:
        return f"{DOCUMENT_FORMAT}:{path}:{self.source.digest(path)}"

    def get(self, path: str, kind: str) -> YamlDocument:
        key = self._key(path) if self.cache is not None else ""
        hit = self.cached.get(key) if key else None
        if hit is not None:
            data = orjson.loads(hit)
            return YamlDocument(path, data["v"], StoredLocations(path, data["l"]))
        doc = _document(self.source, path, kind)
        if self.cache is not None:
            encoded = {"v": doc.value, "l": StoredLocations.encode(doc.locations)}
            self.cache.put(CACHE_NAMESPACE, key, orjson.dumps(encoded).decode())
        return doc


def load_config(source: ConfigSource, cache: Cache | None = None) -> ConfigRepo:
    """Load and validate everything; `cache` (optional) skips re-parsing unchanged files."""
    with gc_pause.paused():
        return _load(source, cache)


def _load(source: ConfigSource, cache: Cache | None) -> ConfigRepo:
    errors: list[MidwayError] = []
    paths = source.paths()
    docs = _Documents(source, cache)
    docs.prefetch(paths)

    settings = Settings()
    if "midway.yaml" in paths:
        try:
            settings = _load_settings(docs)
        except MidwayError as exc:
            errors.append(exc)

    blueprints = _collect(errors, _load_blueprints, docs, paths)
    environments = _collect(errors, _load_environments, docs, paths)
    apps = _collect(errors, _load_apps, docs, paths, environments or {}, settings)
    if cache is not None:
        cache.flush()
    MidwayErrors.raise_if_any(errors)
    assert blueprints is not None and environments is not None and apps is not None
    config = ConfigRepo(
        settings=settings,
        blueprints=blueprints,
        environments=environments,
        apps=apps,
        revision=source.revision,
    )
    # checks across files, on the model (cheap; never cached, like every error)
    MidwayErrors.raise_if_any([*unused_env_params(config), *namespace_errors(config)])
    return config


def _collect(errors: list[MidwayError], fn: Any, *args: Any) -> Any:
    try:
        return fn(*args, errors)
    except MidwayError as exc:
        errors.append(exc)
        return None


def _document(source: ConfigSource, path: str, kind: str) -> YamlDocument:
    doc = parse_yaml(path, source.read(path))
    if not isinstance(doc.value, dict):
        raise MidwayError(
            f"expected a {kind} object (a mapping), found {type(doc.value).__name__}",
            doc.where(()),
        )
    found_kind = doc.value.get("kind")
    if found_kind != kind:
        hint = f"files here must be `kind: {kind}` with `apiVersion: midway.dev/v1`"
        raise MidwayError(
            f"expected kind {kind}, found {found_kind!r}", doc.where(("kind",)), hint=hint
        )
    problems = schema_errors(schemas.BY_KIND[kind], doc.value, doc.where)
    MidwayErrors.raise_if_any(problems)
    if kind == "Blueprint":
        # A default that breaks its own schema would fail every app, each blamed for it.
        # Checked here, before the document is cached: a cached blueprint passed it (~10 ms
        # of schema compiling a run otherwise).
        parameters = doc.value["spec"]["parameters"]
        MidwayErrors.raise_if_any(default_errors(parameters, doc.where, ("spec", "parameters")))
    return doc


def _ignore_rules(doc: YamlDocument, at: ParamPath) -> tuple[IgnoreRule, ...]:
    node = doc.value
    for part in at:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    rules = node.get("ignore", []) if isinstance(node, dict) else []
    return tuple(
        IgnoreRule(
            kind=r.get("kind"),
            name=r.get("name"),
            path=r.get("path"),
            manager=r.get("manager"),
            when=r.get("when"),
            reason=r.get("reason"),
            source=doc.where((*at, "ignore", i)),
        )
        for i, r in enumerate(rules)
    )


def _load_settings(docs: _Documents) -> Settings:
    doc = docs.get("midway.yaml", "Settings")
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
    )


def _team_names(raw: Any) -> tuple[str, ...]:
    # a list of names, or a mapping name -> {owners, description} (the details are for people)
    return tuple(sorted(raw if isinstance(raw, list) else raw.keys()))


def _load_blueprints(
    docs: _Documents, paths: list[str], errors: list[MidwayError]
) -> dict[str, tuple[Blueprint, ...]]:
    found: dict[str, list[Blueprint]] = {}
    dirs_with_yaml = set()
    for path in paths:
        if not path.startswith("blueprints/") or not path.endswith("/blueprint.yaml"):
            continue
        match = _BLUEPRINT_DIR.match(path)
        if not match:
            errors.append(
                MidwayError(
                    "blueprint.yaml must sit directly in blueprints/<name>/ or "
                    "blueprints/<name>@<major>/",
                    SourceLocation(path),
                    hint="blueprint names are lower-case letters, digits and '-'",
                )
            )
            continue
        dirs_with_yaml.add(posixpath.dirname(path))
        try:
            blueprint = _load_blueprint(docs, path, match.group(1), paths)
        except MidwayError as exc:
            errors.append(exc)
            continue
        found.setdefault(blueprint.name, []).append(blueprint)
    for path in paths:
        parts = path.split("/")
        if (
            parts[0] == "blueprints"
            and len(parts) >= 3
            and "/".join(parts[:2]) not in dirs_with_yaml
        ):
            errors.append(
                MidwayError(
                    f"blueprint directory {'/'.join(parts[:2])}/ has no blueprint.yaml",
                    SourceLocation(path),
                    hint="add blueprint.yaml (kind: Blueprint) or remove the directory",
                )
            )
            dirs_with_yaml.add("/".join(parts[:2]))
    result: dict[str, tuple[Blueprint, ...]] = {}
    for name, versions in sorted(found.items()):
        by_version: dict[str, Blueprint] = {}
        for bp in versions:
            clash = by_version.get(str(bp.version))
            if clash is not None:
                errors.append(
                    MidwayError(
                        f"blueprint {name} version {bp.version} is defined twice "
                        f"(also in {clash.directory}/)",
                        bp.source,
                        hint="bump the version in one of them",
                    )
                )
            by_version[str(bp.version)] = bp
        ordered = sort_newest_first(bp.version for bp in by_version.values())
        result[name] = tuple(by_version[str(v)] for v in ordered)
    return result


def _load_blueprint(docs: _Documents, path: str, dir_name: str, paths: list[str]) -> Blueprint:
    doc = docs.get(path, "Blueprint")
    value = doc.value
    name = value["metadata"]["name"]
    directory = posixpath.dirname(path)
    if name != dir_name:
        raise MidwayError(
            f"blueprint name `{name}` does not match its directory {directory}/",
            doc.where(("metadata", "name")),
            hint=f"rename the directory to blueprints/{name}/ or set metadata.name: {dir_name}",
        )
    spec = value["spec"]
    version = parse_version(spec["version"])
    if version is None:
        raise MidwayError(
            f"`{spec['version']}` is not a semantic version",
            doc.where(("spec", "version")),
            hint="use MAJOR.MINOR.PATCH, e.g. 1.3.0",
        )
    parameters = spec["parameters"]
    # the compiled meta-schema check first; the Python one (slow to import) only to explain
    if not jsonschema_rs.meta.is_valid(parameters):
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(parameters)
        except SchemaError as exc:
            where = doc.where(("spec", "parameters", *exc.path))
            raise MidwayError(
                f"the parameter schema is not valid JSON Schema: {exc.message}", where
            ) from None
    if parameters.get("type", "object") != "object":
        raise MidwayError(
            "the parameter schema must describe an object (type: object)",
            doc.where(("spec", "parameters")),
        )
    if f"{directory}/main.jsonnet" not in paths:
        raise MidwayError(
            f"blueprint {name} has no main.jsonnet",
            doc.where(()),
            hint=f"add {directory}/main.jsonnet: function(app, env, params) -> [objects]",
        )
    drift = spec.get("drift") or {}
    return Blueprint(
        name=name,
        version=version,
        description=spec.get("description", ""),
        parameters=parameters,
        directory=directory,
        ignore=_ignore_rules(doc, ("spec", "drift")),
        policy_drift=drift.get("policy"),
        source=doc.where(()),
        examples=_examples(doc),
    )


def _examples(doc: YamlDocument) -> tuple[BlueprintExample, ...]:
    found: list[BlueprintExample] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc.value["spec"].get("examples") or []):
        at = ("spec", "examples", index)
        if entry["name"] in seen:
            raise MidwayError(
                f"example `{entry['name']}` is defined twice",
                doc.where((*at, "name")),
                hint="give each example its own name",
            )
        seen.add(entry["name"])
        envs = entry.get("environments")
        found.append(
            BlueprintExample(
                name=entry["name"],
                params=entry["params"],
                environments=tuple(envs) if envs is not None else None,
                source=doc.where(at),
                param_sources=_sub_locations(doc, (*at, "params")),
            )
        )
    return tuple(found)


def _load_environments(
    docs: _Documents, paths: list[str], errors: list[MidwayError]
) -> dict[str, Environment]:
    envs: dict[str, Environment] = {}
    for path in paths:
        if not path.startswith("environments/"):
            continue
        if path.count("/") != 1 or not path.endswith(YAML_SUFFIXES):
            errors.append(
                MidwayError(
                    "unexpected file: environments/ holds one <env>.yaml per environment",
                    SourceLocation(path),
                    hint="move or remove this file",
                )
            )
            continue
        try:
            env = _load_environment(docs, path)
        except MidwayError as exc:
            errors.append(exc)
            continue
        envs[env.name] = env
    return envs


def _load_environment(docs: _Documents, path: str) -> Environment:
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
        ignore=_ignore_rules(doc, ("spec", "drift")),
        state_repo_url=argo.get("repoURL"),
        state_revision=argo.get("targetRevision"),
        argocd_mode=argo.get("mode", "applications"),
        argocd_namespace=argo.get("namespace", "argocd"),
        argocd_project=argo.get("project", "default"),
        source=doc.where(()),
        param_sources=_sub_locations(doc, ("spec", "params")),
        namespace_source=doc.where(("spec", "namespace")) if "namespace" in spec else None,
    )


def _sub_locations(doc: YamlDocument, at: ParamPath) -> Mapping[ParamPath, SourceLocation]:
    return LocationView(doc.locations, at)


def _load_apps(
    docs: _Documents,
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
            app = _load_app(docs, path, environments, settings)
        except MidwayError as exc:
            errors.append(exc)
            continue
        apps[app.id] = app
    return dict(sorted(apps.items()))


def _load_app(
    docs: _Documents, path: str, environments: Mapping[str, Environment], settings: Settings
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
        app_envs[env_name] = AppEnvironment(
            name=env_name,
            params=entry.get("params") or {},
            source=env_where,
            param_sources=_sub_locations(doc, ("spec", "environments", env_name, "params")),
        )
    drift = spec.get("drift") or {}
    return App(
        name=meta["name"],
        team=meta["team"],
        blueprint=BlueprintRequest(name=name, range=range_text, source=ref_where),
        params=spec.get("params") or {},
        environments=app_envs,
        source=doc.where(()),
        param_sources=_sub_locations(doc, ("spec", "params")),
        ignore=_ignore_rules(doc, ("spec", "drift")),
        policy_drift=drift.get("policy"),
        all_environments=wanted is None,
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
