"""JSON pointers (RFC 6901), one implementation for drift, sync and the preview."""

from __future__ import annotations

import pytest

from midway.objects.paths import Item, pointer
from midway.objects.pointer import escape, parse_pointer, resolve_pointer, to_pointer, unescape


def test_tokens_escape_and_round_trip() -> None:
    assert escape("a/b~c") == "a~1b~0c"
    assert unescape("a~1b~0c") == "a/b~c"
    assert unescape("~01") == "~1"  # ~0 is undone last: "~01" is the key "~1"
    tokens: list[str | int] = ["metadata", "annotations", "kubectl.kubernetes.io/restartedAt"]
    text = to_pointer(tokens)
    assert text == "/metadata/annotations/kubectl.kubernetes.io~1restartedAt"
    assert parse_pointer(text) == tokens
    assert to_pointer(["spec", "containers", 0, "image"]) == "/spec/containers/0/image"


def test_parse_is_strict_rfc_6901() -> None:
    assert parse_pointer("") == []  # the whole document
    assert parse_pointer("/") == [""]  # the key "" (ignore rules read "/" as the whole object)
    with pytest.raises(ValueError, match="not a JSON pointer"):
        parse_pointer("spec/replicas")


def test_resolve_gives_concrete_tokens_or_none() -> None:
    doc = {"spec": {"ports": [{"port": 80}, {"port": 81}], "a/b": 1}}
    assert resolve_pointer(doc, "/spec/ports/1/port") == ["spec", "ports", 1, "port"]
    assert resolve_pointer(doc, "/spec/a~1b") == ["spec", "a/b"]
    assert resolve_pointer(doc, "/spec/ports/2") is None
    assert resolve_pointer(doc, "/spec/ports/x") is None
    assert resolve_pointer(doc, "/spec/missing") is None


def test_drift_paths_point_by_index_whatever_their_merge_key() -> None:
    path = ("spec", "containers", Item(1, ("name", "web")), "env", Item(0), "a/b")
    assert pointer(path) == "/spec/containers/1/env/0/a~1b"
    assert pointer(()) == ""
