"""Offline validation of rendered objects against the Kubernetes OpenAPI (JSON) schemas.

Schemas come from the `kubernetes-validate` package (bundled, no network). Its own `validate()`
rebuilds a Python validator per call (~6 ms an object). We compile one jsonschema-rs validator
per (version, apiVersion, kind) and reuse it: ~13 µs an object, so every object of a
15,000-object render is checked for well under a second of CPU.
Kinds the bundle does not know (CRDs, or API versions older than the bundle) are reported as
"not validated", never as errors: the server's dry-run has the last word.
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


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


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


def validate_object(body: Mapping[str, Any], target_version: str) -> list[SchemaProblem] | None:
    """Problems found, [] if valid, or None when the schema set does not know this kind."""
    version = schema_version_for(target_version)
    validator = _validator(version, str(body.get("apiVersion")), str(body.get("kind")))
    if validator is None:
        return None
    if validator.is_valid(body):
        return []
    problems = []
    for error in validator.iter_errors(body):
        path = ".".join(str(p) for p in error.instance_path)
        problems.append(SchemaProblem(path or "(object)", error.message))
    return sorted(problems, key=lambda p: (p.path, p.message))
