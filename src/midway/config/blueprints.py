"""Blueprints: `blueprints/<name>[@<label>]/blueprint.yaml`, every version of each, newest first.

Any number of versions of a blueprint coexist, several per major if need be (`cron-job/`,
`cron-job@1.0/`, `cron-job@1.0.3/`): the version is `spec.version`, the directory label after
`@` only keeps directories apart (docs/design.md §3).
"""

from __future__ import annotations

import posixpath
import re

import jsonschema_rs

from midway.config.documents import Documents
from midway.config.ignore_rules import ignore_rules
from midway.config.placement import parse_placement
from midway.config.resources import exports, provides
from midway.config.semver import parse_version, sort_newest_first
from midway.config.yamlsource import LocationView, YamlDocument
from midway.errors import MidwayError, SourceLocation
from midway.model import Blueprint, BlueprintExample

_BLUEPRINT_DIR = re.compile(
    r"^blueprints/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(@[^/]+)?/blueprint\.yaml$"
)


def load_blueprints(
    docs: Documents, paths: list[str], errors: list[MidwayError]
) -> dict[str, tuple[Blueprint, ...]]:
    found: dict[str, list[Blueprint]] = {}
    dirs_with_yaml = set()
    for path in paths:
        if not path.startswith("blueprints/") or not path.endswith("/blueprint.yaml"):
            continue
        match = _BLUEPRINT_DIR.match(path)
        if not match:
            # its directory does have a blueprint.yaml: that one error says all
            dirs_with_yaml.add(posixpath.dirname(path))
            errors.append(
                MidwayError(
                    "blueprint.yaml must sit directly in blueprints/<name>/ or "
                    "blueprints/<name>@<version>/",
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
                        f"blueprint {name} version {bp.version} is defined twice: in "
                        f"{clash.version_source or clash.source} and in "
                        f"{bp.version_source or bp.source}",
                        bp.version_source or bp.source,
                        hint="each version lives in one directory: bump spec.version in one "
                        "of them, or remove the copy",
                    )
                )
            by_version[str(bp.version)] = bp
        ordered = sort_newest_first(bp.version for bp in by_version.values())
        result[name] = tuple(by_version[str(v)] for v in ordered)
    return result


def _load_blueprint(docs: Documents, path: str, dir_name: str, paths: list[str]) -> Blueprint:
    doc = docs.get(path, "Blueprint")
    value = doc.value
    name = value["metadata"]["name"]
    directory = posixpath.dirname(path)
    if name != dir_name:
        label = directory.split("/")[1].removeprefix(dir_name)  # "" or "@<version>"
        raise MidwayError(
            f"blueprint name `{name}` does not match its directory {directory}/",
            doc.where(("metadata", "name")),
            hint=f"rename the directory to blueprints/{name}{label}/ or set metadata.name: "
            f"{dir_name}",
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
        ignore=ignore_rules(doc, ("spec", "drift")),
        policy_drift=drift.get("policy"),
        source=doc.where(()),
        examples=_examples(doc),
        version_source=doc.where(("spec", "version")),
        param_sources=LocationView(doc.locations, ("spec", "parameters")),
        catalog_type=(spec.get("catalog") or {}).get("type"),
        provides=provides(doc),
        exports=exports(doc),
        exports_source=doc.where(("spec", "exports")) if "exports" in spec else None,
        placement=parse_placement(doc, ("spec", "placement")),
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
                param_sources=LocationView(doc.locations, (*at, "params")),
            )
        )
    return tuple(found)
