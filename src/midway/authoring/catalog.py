"""`midway blueprint ls|show`: the blueprints of a config repo, their versions, parameters and
examples, and which apps use which version."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from midway.authoring.explain import param_name
from midway.config.semver import best_match
from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import JSON, Blueprint, BlueprintExample, ConfigRepo, ParamPath
from midway.render.params import resolve_blueprint


@dataclass(frozen=True)
class ParamInfo:
    path: ParamPath
    type: str
    required: bool
    has_default: bool
    default: JSON
    description: str

    @property
    def name(self) -> str:
        return param_name(self.path)


@dataclass(frozen=True)
class BlueprintSummary:
    name: str
    versions: tuple[str, ...]  # newest first
    description: str  # of the newest version
    apps: int  # apps resolving to any of its versions


@dataclass(frozen=True)
class BlueprintDetail:
    name: str
    version: str
    versions: tuple[str, ...]
    directory: str
    description: str
    params: tuple[ParamInfo, ...]
    examples: tuple[BlueprintExample, ...]
    used_by: tuple[str, ...]  # apps that resolve to this version


def _users(config: ConfigRepo) -> dict[str, list[str]]:
    """blueprint ref -> app ids rendering it in some environment (a rollout's version where
    one applies; apps whose blueprint does not resolve are left out)."""
    users: dict[str, list[str]] = {}
    for app_id, app in config.apps.items():
        refs: set[str] = set()
        for env in app.environments or [None]:
            try:
                refs.add(resolve_blueprint(config, app, env).ref)
            except MidwayError:
                continue
        for ref in sorted(refs):
            users.setdefault(ref, []).append(app_id)
    return users


def list_blueprints(config: ConfigRepo) -> tuple[BlueprintSummary, ...]:
    users = _users(config)
    return tuple(
        BlueprintSummary(
            name=name,
            versions=tuple(str(bp.version) for bp in versions),
            description=versions[0].description,
            apps=len({a for bp in versions for a in users.get(bp.ref, ())}),
        )
        for name, versions in sorted(config.blueprints.items())
    )


def show_blueprint(config: ConfigRepo, wanted: str) -> BlueprintDetail:
    """`name` (the newest release) or `name@range` (the version the range picks)."""
    name, _, range_text = wanted.partition("@")
    versions = config.blueprints.get(name)
    if not versions:
        raise MidwayError(
            f"blueprint `{name}` does not exist",
            hint=did_you_mean(name, sorted(config.blueprints))
            or f"blueprints: {', '.join(sorted(config.blueprints)) or 'none'}",
        )
    chosen = best_match(range_text, [bp.version for bp in versions])
    if chosen is None:
        raise MidwayError(
            f"no version of blueprint `{name}` satisfies `{range_text}`",
            hint=f"versions: {', '.join(str(bp.version) for bp in versions)}",
        )
    blueprint = next(bp for bp in versions if bp.version == chosen)
    return BlueprintDetail(
        name=name,
        version=str(blueprint.version),
        versions=tuple(str(bp.version) for bp in versions),
        directory=blueprint.directory,
        description=blueprint.description,
        params=tuple(parameters(blueprint)),
        examples=blueprint.examples,
        used_by=tuple(_users(config).get(blueprint.ref, ())),
    )


def parameters(blueprint: Blueprint) -> Iterator[ParamInfo]:
    """Every parameter, nested mappings' fields dotted below their parent, schema order."""
    yield from _walk(blueprint.parameters, ())


def _walk(schema: Mapping[str, Any], path: ParamPath) -> Iterator[ParamInfo]:
    needed = set(schema.get("required") or ())
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        here = (*path, key)
        yield ParamInfo(
            path=here,
            type=type_name(prop),
            required=key in needed,
            has_default="default" in prop,
            default=prop.get("default"),
            description=" ".join(str(prop.get("description", "")).split()),
        )
        yield from _walk(prop, here)


def type_name(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"list of {type_name(items)}" if isinstance(items, Mapping) else "list"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map of {type_name(schema['additionalProperties'])}"
    if kind is None:
        if "enum" in schema:
            return "enum"
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return " or ".join(type_name(b) for b in schema[combinator])
        return "any"
    if "enum" in schema:
        return f"{kind} ({' | '.join(str(v) for v in schema['enum'])})"
    return str(kind)


# --- output --------------------------------------------------------------------------------


def _first_sentence(text: str, limit: int = 70) -> str:
    sentence = text.split(". ")[0].split(": ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    return [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]


def list_text(summaries: tuple[BlueprintSummary, ...]) -> str:
    rows = [
        (s.name, ", ".join(s.versions), str(s.apps), _first_sentence(s.description))
        for s in summaries
    ]
    return "\n".join(_table(("NAME", "VERSIONS", "APPS", "DESCRIPTION"), rows)) + "\n"


def list_json(summaries: tuple[BlueprintSummary, ...]) -> str:
    document = [
        {"name": s.name, "versions": list(s.versions), "description": s.description, "apps": s.apps}
        for s in summaries
    ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _default_text(param: ParamInfo) -> str:
    if not param.has_default:
        return "-"
    text = json.dumps(param.default, ensure_ascii=False)
    return text if len(text) <= 30 else text[:29] + "…"


def show_text(detail: BlueprintDetail) -> str:
    lines = [
        f"{detail.name} {detail.version}  ({detail.directory}/)",
        f"versions: {', '.join(detail.versions)}",
        f"used by: {', '.join(detail.used_by) or 'no app yet'}",
        "",
        detail.description,
        "",
        "parameters:",
    ]
    rows = [
        (p.name, p.type, "yes" if p.required else "", _default_text(p), p.description)
        for p in detail.params
    ]
    header = ("PARAM", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION")
    lines += ["  " + line for line in _table(header, rows)]
    if detail.examples:
        lines += ["", "examples:"]
        for example in detail.examples:
            lines.append(f"  {example.name}:")
            body = yaml.safe_dump(
                {"params": dict(example.params)}, sort_keys=False, default_flow_style=False
            )
            lines += ["    " + line for line in body.splitlines()]
    lines += [
        "",
        f"new app: midway new app TEAM/NAME --blueprint {detail.name}@^"
        f"{detail.version.split('.')[0]}"
        + "".join(f" --param {p.name}=…" for p in detail.params if _asked(p, detail.params)),
    ]
    return "\n".join(lines) + "\n"


def _asked(param: ParamInfo, every: tuple[ParamInfo, ...]) -> bool:
    """A required parameter without default, whose parents are required too (a leaf)."""
    if not param.required or param.has_default:
        return False
    if any(p.path[: len(param.path)] == param.path and p.path != param.path for p in every):
        return False
    parents = {p.path: p for p in every}
    return all(
        parents[param.path[:depth]].required and not parents[param.path[:depth]].has_default
        for depth in range(1, len(param.path))
    )


def show_json(detail: BlueprintDetail) -> str:
    document = {
        "name": detail.name,
        "version": detail.version,
        "versions": list(detail.versions),
        "directory": detail.directory,
        "description": detail.description,
        "usedBy": list(detail.used_by),
        "parameters": [
            {
                "param": p.name,
                "path": list(p.path),
                "type": p.type,
                "required": p.required,
                **({"default": p.default} if p.has_default else {}),
                "description": p.description,
            }
            for p in detail.params
        ],
        "examples": [
            {
                "name": e.name,
                "params": e.params,
                "environments": list(e.environments) if e.environments is not None else None,
            }
            for e in detail.examples
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
