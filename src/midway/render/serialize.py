"""Deterministic manifest bytes: stable key order, LF, trailing newline, fast C emitter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


class _ManifestDumper(_Dumper):
    """Multi-line strings as literal blocks (`|`), readable in reviews and diffs."""


def _represent_str(dumper: _ManifestDumper, value: str) -> yaml.Node:
    if "\n" in value and not value.startswith((" ", "\t")) and " \n" not in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_ManifestDumper.add_representer(str, _represent_str)

_TOP = ("apiVersion", "kind", "metadata", "spec")
_META = ("name", "namespace", "labels", "annotations")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def canonical(body: Mapping[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, metadata (name, namespace, labels, annotations, rest), spec, rest."""
    out: dict[str, Any] = {}
    for key in _TOP:
        if key in body:
            out[key] = _sorted(body[key])
    meta = out.get("metadata")
    if isinstance(meta, dict):
        ordered = {k: meta[k] for k in _META if k in meta}
        ordered.update({k: meta[k] for k in sorted(meta) if k not in ordered})
        out["metadata"] = ordered
    for key in sorted(body):
        if key not in out:
            out[key] = _sorted(body[key])
    return out


def to_yaml(body: Mapping[str, Any]) -> str:
    text: str = yaml.dump(
        body,
        Dumper=_ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
        explicit_start=False,
    )
    return text if text.endswith("\n") else text + "\n"


def to_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
