"""Catalog entities as files: one entity per file, `<kind>-<name>.yaml` (the Location is
`all.yaml`), deterministic bytes (the state repo's serializer). Pure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from midway.catalog.entities import (
    API_VERSION,
    Catalog,
    ComponentSpec,
    Entity,
    GroupSpec,
    LocationSpec,
    ResourceSpec,
    Spec,
    SystemSpec,
)
from midway.render.serialize import canonical, to_yaml

CATALOG_DIR = "catalog"  # in the state repo; no ArgoCD Application points at it


def catalog_files(catalog: Catalog, prefix: str = "") -> dict[str, bytes]:
    """{path: YAML bytes}; paths are `<prefix>/<file>` (just `<file>` without a prefix)."""
    lead = f"{prefix}/" if prefix else ""
    return {
        f"{lead}{e.file_name}": to_yaml(canonical(entity_body(e))).encode()
        for e in catalog.entities
    }


def entity_body(entity: Entity) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": entity.name}
    if entity.title:
        metadata["title"] = entity.title
    if entity.description:
        metadata["description"] = entity.description
    if entity.annotations:
        metadata["annotations"] = dict(entity.annotations)
    if entity.tags:
        metadata["tags"] = list(entity.tags)
    if entity.links:
        metadata["links"] = [asdict(link) for link in entity.links]
    return {
        "apiVersion": API_VERSION,
        "kind": entity.kind,
        "metadata": metadata,
        "spec": _spec(entity.spec),
    }


def _spec(spec: Spec) -> dict[str, Any]:
    if isinstance(spec, ComponentSpec):
        body: dict[str, Any] = {
            "type": spec.type,
            "lifecycle": spec.lifecycle,
            "owner": spec.owner,
            "system": spec.system,
        }
        if spec.depends_on:
            body["dependsOn"] = list(spec.depends_on)
        return body
    if isinstance(spec, ResourceSpec):
        body = {"type": spec.type, "owner": spec.owner}
        if spec.system:
            body["system"] = spec.system
        return body
    if isinstance(spec, SystemSpec):
        return {"owner": spec.owner}
    if isinstance(spec, GroupSpec):
        return {"type": spec.type, "children": []}
    assert isinstance(spec, LocationSpec)
    return {"targets": list(spec.targets)}
