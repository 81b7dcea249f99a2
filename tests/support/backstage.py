"""Backstage's published entity schemas and validators, read from the npm package
`@backstage/catalog-model` that `make backstage-schemas` installs into tests/backstage.

Nothing here skips: without the package (registry unreachable, setup not run) every test
that needs it fails, saying how to install it.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "backstage"
INSTALL_HINT = "run `make backstage-schemas` (npm ci in tests/backstage; needs the npm registry)"


def _node(script: str, stdin: str = "") -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed: {INSTALL_HINT}")
    if not (PACKAGE_DIR / "node_modules" / "@backstage" / "catalog-model").is_dir():
        pytest.fail(f"@backstage/catalog-model is not installed in {PACKAGE_DIR}: {INSTALL_HINT}")
    done = subprocess.run(
        [node, str(PACKAGE_DIR / script)],
        cwd=PACKAGE_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        pytest.fail(f"node {script} failed:\n{done.stderr}")
    return done.stdout


@functools.cache
def schemas() -> Mapping[str, Any]:
    """{"kinds/Component.v1alpha1.schema.json": {...}, "Entity.schema.json": {...}, ...}"""
    found: dict[str, Any] = json.loads(_node("export-schemas.cjs"))
    return found


@functools.cache
def _registry() -> Registry[Any]:
    # the schemas refer to each other by $id ("Entity", "EntityMeta", "common#relation")
    resources = [
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7))
        for s in schemas().values()
    ]
    return Registry().with_resources(resources)


def kind_schema(kind: str) -> Mapping[str, Any]:
    key = f"kinds/{kind}.v1alpha1.schema.json"
    if key not in schemas():
        pytest.fail(f"@backstage/catalog-model ships no schema {key}: {sorted(schemas())}")
    schema: Mapping[str, Any] = schemas()[key]
    return schema


def schema_errors(entity: Mapping[str, Any]) -> list[str]:
    """Every violation of the Entity schema and of the entity's kind schema."""
    messages = []
    for schema in (schemas()["Entity.schema.json"], kind_schema(str(entity.get("kind")))):
        validator = jsonschema.Draft7Validator(schema, registry=_registry())
        messages += [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(entity)
        ]
    return messages


def backstage_refusals(entities: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """What Backstage's own entity policies and kind validators refuse (names, annotation
    keys, tags, references...), run by node from the same package."""
    refused: list[dict[str, str]] = json.loads(_node("validate.cjs", json.dumps(entities)))
    return refused
