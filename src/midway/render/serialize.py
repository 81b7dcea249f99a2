"""Deterministic manifest bytes: stable key order, LF, trailing newline, fast C emitter."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import orjson

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


# Plain (unquoted) scalars are limited to a conservative subset that every YAML 1.1/1.2 parser
# (PyYAML, go-yaml in kubectl/ArgoCD) reads back as the same string; anything else is written
# as a JSON string, which is valid YAML double-quoted style.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:@ -]*")
# Quantities and durations (250m, 512Mi, 1.5Gi, 15m, 12h): digits then letters only, which no
# YAML 1.1/1.2 resolver reads as a number (no exponent digits, no 0x, no colons).
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?[A-Za-z]+")
_NOT_PLAIN_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})


def _plain_ok(text: str) -> bool:
    if _QUANTITY.fullmatch(text):
        return True
    return (
        _PLAIN.fullmatch(text) is not None
        and text.lower() not in _NOT_PLAIN_WORDS
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
    )


def _quoted(text: str) -> str:
    if text.isprintable():
        return json.dumps(text, ensure_ascii=False)
    return json.dumps(text, ensure_ascii=True)


@functools.lru_cache(maxsize=65536)
def _string(text: str) -> str:
    """Strings repeat a lot across objects (label keys, kinds, image names): decide once."""
    return text if _plain_ok(text) else _quoted(text)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text:  # YAML 1.1 floats need a dot: 1e+20 -> 1.0e+20
            text = text.replace("e", ".0e", 1)
        return text
    return _string(str(value))


def _block_ok(text: str) -> bool:
    """Multi-line text that a literal block (`|`) reproduces exactly."""
    if "\n" not in text or not text.strip("\n"):
        return False
    lines = text.rstrip("\n").split("\n")
    first = next(line for line in lines if line)
    return (
        not first.startswith((" ", "\t"))
        and all(line == line.rstrip(" \t") for line in lines)
        and all(line.isprintable() or line == "" for line in lines)
        and "\r" not in text
    )


def _emit_block(text: str, indent: str, out: list[str]) -> str:
    trailing = len(text) - len(text.rstrip("\n"))
    header = "|-" if trailing == 0 else ("|" if trailing == 1 else "|+")
    body = text.rstrip("\n").split("\n") + [""] * (trailing - 1 if trailing > 1 else 0)
    for line in body:
        out.append(f"{indent}{line}" if line else "")
    return header


def _emit_value(key_prefix: str, value: Any, indent: str, out: list[str]) -> None:
    """Emit `key_prefix` (e.g. "name:" or "-") followed by value, at indent."""
    if isinstance(value, dict):
        if not value:
            out.append(f"{indent}{key_prefix} {{}}")
            return
        if key_prefix == "-":
            _emit_mapping(value, indent + "  ", out, first_prefix=f"{indent}- ")
        else:
            out.append(f"{indent}{key_prefix}")
            _emit_mapping(value, indent + "  ", out)
        return
    if isinstance(value, list):
        if not value:
            out.append(f"{indent}{key_prefix} []")
            return
        if key_prefix == "-":
            _emit_sequence(value, indent + "  ", out, first_prefix=f"{indent}- ")
        else:
            out.append(f"{indent}{key_prefix}")
            _emit_sequence(value, indent, out)  # indentless, as kubectl and PyYAML write them
        return
    if isinstance(value, str) and _block_ok(value):
        at = len(out)
        out.append("")
        header = _emit_block(value, indent + "  ", out)
        out[at] = f"{indent}{key_prefix} {header}"
        return
    out.append(f"{indent}{key_prefix} {_scalar(value)}")


def _emit_mapping(
    mapping: Mapping[str, Any], indent: str, out: list[str], first_prefix: str | None = None
) -> None:
    for index, (key, value) in enumerate(mapping.items()):
        key_text = f"{_scalar(str(key))}:"
        if index == 0 and first_prefix is not None:
            # "- key: value": the first key shares the dash's line
            start = len(out)
            _emit_value(key_text, value, indent, out)
            out[start] = first_prefix + out[start][len(indent) :]
        else:
            _emit_value(key_text, value, indent, out)


def _emit_sequence(
    items: list[Any], indent: str, out: list[str], first_prefix: str | None = None
) -> None:
    for index, item in enumerate(items):
        start = len(out)
        _emit_value("-", item, indent, out)
        if index == 0 and first_prefix is not None:
            out[start] = first_prefix + out[start][len(indent) :]


def to_yaml(body: Mapping[str, Any]) -> str:
    """Block-style YAML for JSON-like data; deterministic and ~10x faster than PyYAML's dumper."""
    out: list[str] = []
    _emit_mapping(body, "", out)
    return "\n".join(out) + "\n"


def to_json(body: Mapping[str, Any]) -> str:
    return orjson.dumps(body).decode()
