"""Manifest bytes: any JSON-like value survives a YAML round trip, in a stable key order."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
import yaml

from midway.render.serialize import canonical, to_yaml

TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "null",
    "~",
    "",
    " x",
    "x ",
    "a: b",
    "a #b",
    "-x",
    "- x",
    "2001-12-14",
    "0x1F",
    "0o17",
    "012",
    "1e3",
    "1E5",
    "1_000",
    "1:20",
    ".inf",
    ".nan",
    "+1",
    "250m",
    "512Mi",
    "1.5Gi",
    "12h",
    "25%",
    "@at",
    "`tick",
    "*star",
    "&amp",
    "!tag",
    "|pipe",
    ">fold",
    "{x}",
    "[x]",
    "'q'",
    '"q"',
    "line1\nline2\n",
    "x\n\n\n",
    "noend\nx",
    "  ind\nx\n",
    "tab\tx",
    "ünïcode",
    "\x07bell",
    "a\u2028b",
    "\ufeffbom",
    "x\r\ny",
    "sp \nx",
    "ends:",
    "%x",
    "ghcr.io/acme/app:1.4.2",
    "img@sha256:abc",
    "/healthz",
    "?q",
    "<<",
    "=",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_round_trip(text: str) -> None:
    doc = {"key": text, text or "empty": [text], "nested": {"list": [{"v": text}]}}
    assert yaml.safe_load(to_yaml(doc)) == doc


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    alphabet = string.ascii_letters + string.digits + " :#-_./@~!\"'\n\t{}[],&*?|>%=`\\ü\u2028"
    kind = rnd.randint(0, 8 if depth < 3 else 5)
    text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
    if kind == 0:
        return {
            "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6))): _random_value(
                rnd, depth + 1
            )
            for _ in range(rnd.randint(0, 4))
        }
    if kind == 1:
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    if kind == 2:
        return rnd.randint(-(10**9), 10**9)
    if kind == 3:
        return rnd.choice([True, False, None])
    if kind == 4:
        return rnd.uniform(-1e9, 1e9)
    return text


def test_random_documents_round_trip() -> None:
    rnd = random.Random(20261125)
    for _ in range(3000):
        doc = {"value": _random_value(rnd)}
        assert yaml.safe_load(to_yaml(doc)) == doc


def test_key_order_is_apiversion_kind_metadata_spec_then_sorted() -> None:
    body = canonical(
        {
            "status": {},
            "spec": {"b": 1, "a": 2},
            "metadata": {"labels": {"z": "1", "a": "2"}, "name": "x", "annotations": {}},
            "kind": "ConfigMap",
            "data": {"k": "v"},
            "apiVersion": "v1",
        }
    )
    assert list(body) == ["apiVersion", "kind", "metadata", "spec", "data", "status"]
    assert list(body["metadata"]) == ["name", "labels", "annotations"]
    assert list(body["spec"]) == ["a", "b"]
    assert list(body["metadata"]["labels"]) == ["a", "z"]


def test_output_is_lf_with_one_trailing_newline() -> None:
    text = to_yaml({"a": {"b": ["c", {"d": "multi\nline\n"}]}})
    assert text.endswith("\n") and not text.endswith("\n\n") and "\r" not in text
