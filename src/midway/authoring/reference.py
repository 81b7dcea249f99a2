"""docs/reference.md: a field reference for every config kind, generated from the same JSON
Schemas the loader validates with (`config/schemas.py`), so the two cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from midway.authoring.editor_schemas import FILES
from midway.config import schemas

REFERENCE_PATH = "docs/reference.md"
REGENERATE = f"midway schema --reference {REFERENCE_PATH}"


@dataclass(frozen=True)
class Field:
    path: str  # e.g. spec.clusters[].name
    type: str
    required: bool
    description: str
    constraints: str


def fields(schema: Mapping[str, Any]) -> list[Field]:
    """Every field of a kind's schema, depth first in schema order (first mention wins)."""
    found: dict[str, Field] = {}
    for item in _walk(schema, "", False):
        found.setdefault(item.path, item)
    return list(found.values())


def _walk(schema: Mapping[str, Any], path: str, required: bool) -> Iterator[Field]:
    if path:
        yield Field(path, _type(schema), required, _description(schema), _constraints(schema))
    needed = set(schema.get("required") or ())
    for name, child in (schema.get("properties") or {}).items():
        yield from _walk(child, f"{path}.{name}" if path else name, name in needed)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield from _walk(extra, f"{path}.<name>", False)
    items = schema.get("items")
    if isinstance(items, Mapping) and (items.get("properties") or items.get("anyOf")):
        yield from _walk_items(items, f"{path}[]")
    for branch in schema.get("anyOf") or ():
        for sub in _walk(branch, path, required):
            if sub.path != path:
                yield sub


def _walk_items(schema: Mapping[str, Any], path: str) -> Iterator[Field]:
    for item in _walk(schema, path, False):
        if item.path != path:
            yield item


def _type(schema: Mapping[str, Any]) -> str:
    if "const" in schema:
        return "string"
    if "anyOf" in schema:
        return " or ".join(_type(branch) for branch in schema["anyOf"])
    kind = schema.get("type")
    names = {"object": "mapping", "array": "list", "integer": "whole number"}
    if isinstance(kind, list):
        return " or ".join(names.get(k, str(k)) for k in kind)
    if kind == "array":
        items = schema.get("items") or {}
        inner = _type(items) if items else "any"
        return f"list of {inner}"
    if kind is None and "enum" in schema:
        return "string"
    return names.get(kind, kind) if isinstance(kind, str) else "any"


def _description(schema: Mapping[str, Any]) -> str:
    return " ".join(str(schema.get("description", "")).split())


def _constraints(schema: Mapping[str, Any]) -> str:
    parts = []
    if "const" in schema:
        parts.append(f"always `{schema['const']}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "pattern" in schema:
        parts.append(f"pattern `{schema['pattern']}`")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    if "minItems" in schema:
        parts.append(f"at least {schema['minItems']} item(s)")
    if schema.get("uniqueItems"):
        parts.append("no duplicates")
    if schema.get("additionalProperties") is False and "properties" in schema:
        parts.append("no other fields")
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def _prose(text: str) -> str:
    """A description: a bare `<team>` would be read as an HTML tag (code spans are kept)."""
    parts = text.split("`")
    return _cell("`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts)))


def reference_markdown() -> str:
    """The whole of docs/reference.md (deterministic)."""
    lines = [
        "# Config field reference",
        "",
        "<!-- Generated from src/midway/config/schemas.py; do not edit. Regenerate with:",
        f"     {REGENERATE} -->",
        "",
        "Every config file is YAML with `apiVersion: midway.dev/v1` and a `kind`. This page",
        "lists each kind's fields; a blueprint's own parameters (`spec.params` of an app) are",
        "listed by `midway blueprint show NAME`. Editors can check and complete these files",
        "with the schemas `midway schema` writes (docs/authoring.md).",
        "",
    ]
    for kind, schema in schemas.BY_KIND.items():
        files = ", ".join(f"`{glob}`" for glob in FILES.get(kind, ()))
        lines += [f"## {kind}", ""]
        if files:
            lines += [f"Files: {files}", ""]
        lines += [
            "| field | type | required | description | allowed values |",
            "|---|---|---|---|---|",
        ]
        for item in fields(schema):
            lines.append(
                f"| `{item.path}` | {_cell(item.type)} | {'yes' if item.required else 'no'} "
                f"| {_prose(item.description)} | {_cell(item.constraints)} |"
            )
        lines.append("")
    return "\n".join(lines)
