"""What a provisioner returns (`{objects: [...], outputs: {...}}`) and how outputs are checked
against what its blueprint.yaml declares, and what a workload's `exports` give consumers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from midway.errors import MidwayError, SourceLocation
from midway.model import JSON, Blueprint
from midway.render.graph.placeholders import PlaceholderError, Ref, has_placeholder, substitute

SECRET_REF_KEY = "secretKeyRef"


def split_provisioner_output(
    raw: JSON, blueprint: Blueprint, context: str
) -> tuple[JSON, dict[str, JSON]]:
    """(objects, outputs) of a provisioner's evaluation, outputs checked: every declared
    output present with the declared type, secret outputs as {secretKeyRef: {name, key}},
    nothing undeclared."""
    assert blueprint.provides is not None
    where = SourceLocation(f"{blueprint.directory}/main.jsonnet")
    if not isinstance(raw, dict) or "outputs" not in raw:
        raise MidwayError(
            f"provisioner {context} did not return its outputs",
            where,
            hint="a provisioner's main.jsonnet returns {objects: [...], outputs: {...}} with the "
            f"outputs declared in {blueprint.directory}/blueprint.yaml "
            f"({', '.join(blueprint.provides.outputs) or 'none'})",
        )
    unknown = sorted(set(raw) - {"objects", "outputs"})
    if unknown:
        raise MidwayError(
            f"provisioner {context} returned the unknown key(s) {', '.join(unknown)}",
            where,
            hint="return {objects: [...], outputs: {...}}",
        )
    outputs = raw["outputs"]
    if not isinstance(outputs, dict):
        raise MidwayError(
            f"`outputs` returned by provisioner {context} is {type(outputs).__name__}, not an "
            "object",
            where,
        )
    declared = blueprint.provides.outputs
    problems: list[str] = []
    for name in sorted(set(outputs) - set(declared)):
        problems.append(f"`{name}` is returned but not declared in spec.provides.outputs")
    for name, spec in declared.items():
        if name not in outputs:
            problems.append(f"`{name}` is declared but not returned")
            continue
        value = outputs[name]
        if spec.secret:
            if not _is_secret_ref(value):
                problems.append(
                    f"`{name}` is a secret output, so it must be a reference "
                    "{secretKeyRef: {name: <Secret>, key: <key>}}, never a value"
                )
            continue
        if spec.schema and not jsonschema_rs.validator_for(dict(spec.schema)).is_valid(value):
            problems.append(
                f"`{name}` is {_kind(value)} {_short(value)}, which does not match the "
                f"declared {_schema_text(spec.schema)}"
            )
    if problems:
        raise MidwayError(
            f"provisioner {context} returned outputs that do not match its declaration",
            where,
            hint=f"the outputs are declared in {blueprint.directory}/blueprint.yaml "
            "(spec.provides.outputs); the platform team fixes the provisioner",
            detail="\n".join(problems),
        )
    return raw.get("objects") or [], {k: outputs[k] for k in sorted(outputs)}


def _is_secret_ref(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) != {SECRET_REF_KEY}:
        return False
    ref = value[SECRET_REF_KEY]
    return (
        isinstance(ref, dict)
        and set(ref) == {"name", "key"}
        and all(isinstance(ref[k], str) and ref[k] for k in ("name", "key"))
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _schema_text(schema: Mapping[str, Any]) -> str:
    if "type" in schema:
        return f"type {schema['type']}"
    return "schema"


def export_values(
    provider: Blueprint,
    params: Mapping[str, JSON],
    metadata: Mapping[str, str],
    env: Mapping[str, str],
) -> dict[str, JSON]:
    """A workload's `exports`, evaluated for one app in one destination. Exports use only the
    provider's own metadata, environment and plain params (no resource outputs), so two apps
    that call each other are not a cycle."""
    where = provider.exports_source or provider.source

    def resolve(ref: Ref) -> JSON:
        root, rest = ref.root, ref.parts[1:]
        if root == "metadata" and len(rest) == 1 and rest[0] in metadata:
            return metadata[rest[0]]
        if root == "env" and len(rest) == 1 and rest[0] in env:
            return env[rest[0]]
        if root == "params" and rest:
            node: Any = params
            for part in rest:
                if not isinstance(node, dict) or part not in node:
                    raise PlaceholderError(f"`{ref.text}`: the blueprint has no param {part}")
                node = node[part]
            if isinstance(node, str) and has_placeholder(node):
                raise PlaceholderError(
                    f"`{ref.text}` is set from a placeholder ({node}); exports use plain params"
                )
            return node
        raise PlaceholderError(f"`{ref.text}` is not available in exports")

    out: dict[str, JSON] = {}
    for name, template in provider.exports.items():
        try:
            out[name] = substitute(template, resolve, roots=("metadata", "env", "params"))
        except PlaceholderError as exc:
            raise MidwayError(
                f"export `{name}` of blueprint {provider.ref}: {exc.message}",
                where,
                hint="exports may use ${metadata.name|team}, ${env.name|namespace|cluster} "
                "and ${params.<param>}",
            ) from None
    return out
