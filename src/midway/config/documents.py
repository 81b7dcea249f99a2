"""Config documents: parsed, checked against their kind's schema, cached by git blob id.

Parsing with ruamel round-trip costs ~1 ms a file; a 1,000-app repo would pay a second on
every command. Only documents that validated are cached, so errors are always fresh.
"""

from __future__ import annotations

import hashlib
import json

import orjson

from midway.cache import Cache
from midway.config import schemas
from midway.config.param_defaults import default_errors
from midway.config.source import ConfigSource
from midway.config.validation import schema_errors
from midway.config.yamlsource import StoredLocations, YamlDocument, parse_yaml
from midway.errors import MidwayError, MidwayErrors, SourceLocation

YAML_SUFFIXES = (".yaml", ".yml")


def files_directly_in(
    paths: list[str], directory: str, holds: str, errors: list[MidwayError]
) -> list[str]:
    """The YAML files directly in `directory` (e.g. "environments/"); any other file there
    is an error saying what the directory `holds` ("one <env>.yaml per environment")."""
    found: list[str] = []
    for path in paths:
        if not path.startswith(directory):
            continue
        if path.count("/") != 1 or not path.endswith(YAML_SUFFIXES):
            errors.append(
                MidwayError(
                    f"unexpected file: {directory} holds {holds}",
                    SourceLocation(path),
                    hint="move or remove this file",
                )
            )
            continue
        found.append(path)
    return found


# Cached documents were validated by these schemas: any schema change invalidates them.
# Bump the prefix when parsing itself changes.
DOCUMENT_FORMAT = (
    "config-doc-4-"
    + hashlib.sha256(json.dumps(schemas.BY_KIND, sort_keys=True).encode()).hexdigest()[:16]
)
CACHE_NAMESPACE = "yaml"


class Documents:
    """Parsed + schema-validated config documents, reused across runs by content (blob id)."""

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
        doc = read_document(self.source, path, kind)
        if self.cache is not None:
            encoded = {"v": doc.value, "l": StoredLocations.encode(doc.locations)}
            self.cache.put(CACHE_NAMESPACE, key, orjson.dumps(encoded).decode())
        return doc


def read_document(source: ConfigSource, path: str, kind: str) -> YamlDocument:
    """Parse one file and check it is a valid `kind` document (raises every schema error)."""
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
