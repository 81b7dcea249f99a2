"""Offline validation of rendered objects against the Kubernetes OpenAPI (JSON) schemas.

Schemas come from the `kubernetes-validate` package (bundled, no network). Its own `validate()`
rebuilds a Python validator per call (~6 ms an object). We compile one jsonschema-rs validator
per (version, apiVersion, kind) and reuse it: ~13 µs an object, so every object of a
15,000-object render is checked for well under a second of CPU.
Kinds the bundle does not know (CRDs, or API versions older than the bundle) are reported as
"not validated", never as errors: the server's dry-run has the last word — except what we can
tell for sure offline: an API version the target Kubernetes version does not serve
(`api_versions.py`) and names or label values beyond Kubernetes' limits. For targets older than
the oldest bundled schemas, removed betas with an unchanged shape are checked against their
successor's schema (`api_versions.SCHEMA_TWINS`).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from midway.config.k8s_names import dns_label_problem, label_value_problem
from midway.render.api_versions import SCHEMA_TWINS, parse_minor, unserved


@functools.cache
def _bundle() -> Path:
    # Located, not imported: the package pulls in jsonschema and PyYAML (~50 ms) for code we
    # do not use.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("kubernetes_validate")
    return Path(spec.origin).parent / "kubernetes-json-schema"


@dataclass(frozen=True)
class SchemaProblem:
    path: str  # dotted field path, e.g. spec.template.spec.containers.0.ports.0.containerPort
    message: str


_minor = parse_minor
# kinds whose names must be DNS-1123 labels (63), not subdomains: they become DNS names
_LABEL_NAMED_KINDS = frozenset({"Service", "Namespace"})


@functools.cache
def bundled_versions() -> tuple[str, ...]:
    found = []
    for entry in _bundle().iterdir():
        match = re.match(r"^v(\d+\.\d+)\.\d+-local-strict$", entry.name)
        if match:
            found.append(match.group(1))
    return tuple(sorted(found, key=_minor))


@functools.cache
def schema_version_for(target: str) -> str:
    """The newest bundled schema not newer than target; the oldest bundled for older targets."""
    versions = bundled_versions()
    eligible = [v for v in versions if _minor(v) <= _minor(target)]
    return eligible[-1] if eligible else versions[0]


@functools.cache
def _directory(version: str) -> Path:
    for entry in _bundle().iterdir():
        if entry.name.startswith(f"v{version}.") and entry.name.endswith("-local-strict"):
            return entry
    raise FileNotFoundError(version)


@functools.cache
def _registry(version: str) -> Any:
    definitions = json.loads((_directory(version) / "_definitions.json").read_text())
    # Keyed by the definitions' own $id, so every $ref resolves locally (never the network).
    return jsonschema_rs.Registry([(definitions["$id"], definitions)])


@functools.cache
def _validator(version: str, api_version: str, kind: str) -> Any:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _directory(version) / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema_rs.validator_for(schema, registry=_registry(version))


def warm_schemas(target_version: str) -> None:
    """Parse the definitions of a version ahead of use (worker start-up)."""
    _registry(schema_version_for(target_version))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _name_problems(body: Mapping[str, Any]) -> list[SchemaProblem]:
    """Names and label values beyond Kubernetes' limits (the schemas do not encode them)."""
    found: list[SchemaProblem] = []
    meta = _mapping(body.get("metadata"))
    name = meta.get("name")
    if body.get("kind") in _LABEL_NAMED_KINDS and isinstance(name, str):
        problem = dns_label_problem(name)
        if problem is not None:
            found.append(SchemaProblem("metadata.name", f"a {body['kind']} name {problem}"))
    template_meta = _mapping(_mapping(_mapping(body.get("spec")).get("template")).get("metadata"))
    for at, labels in (
        ("metadata.labels", meta.get("labels")),
        ("spec.template.metadata.labels", template_meta.get("labels")),
    ):
        if not isinstance(labels, dict):
            continue
        for key, value in sorted(labels.items()):
            if isinstance(value, str):
                problem = label_value_problem(value)
                if problem is not None:
                    found.append(SchemaProblem(f"{at}.{key}", f"label value `{value}` {problem}"))
    return found


def validate_object(body: Mapping[str, Any], target_version: str) -> list[SchemaProblem] | None:
    """Problems found, [] if valid, or None when the schema set does not know this kind."""
    api_version, kind = str(body.get("apiVersion")), str(body.get("kind"))
    not_served = unserved(api_version, kind, target_version)
    if not_served is not None:
        return [SchemaProblem("apiVersion", not_served)]
    problems = _name_problems(body)
    version = schema_version_for(target_version)
    validator = _validator(version, api_version, kind)
    twin = SCHEMA_TWINS.get((api_version, kind))
    if validator is None and twin is not None and _minor(target_version) < _minor(version):
        # a removed beta on a target older than the bundle: its successor has the same shape
        validator = _validator(version, twin, kind)
        body = {**body, "apiVersion": twin}
    if validator is None:
        return problems or None
    if validator.is_valid(body):
        return problems
    for error in validator.iter_errors(body):
        path = ".".join(str(p) for p in error.instance_path)
        problems.append(SchemaProblem(path or "(object)", error.message))
    return sorted(problems, key=lambda p: (p.path, p.message))
