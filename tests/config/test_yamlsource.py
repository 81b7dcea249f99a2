"""Config YAML parsing: plain data, a location for every value, clear errors."""

from __future__ import annotations

import pytest

from midway.config.yamlsource import parse_yaml
from midway.errors import MidwayError, SourceLocation


def test_values_and_locations() -> None:
    doc = parse_yaml("a.yaml", b"a: 1\nb:\n  c: [1, two]\n  d: 2020-01-01\n  e: null\n")
    assert doc.value == {"a": 1, "b": {"c": [1, "two"], "d": "2020-01-01", "e": None}}
    assert doc.where(("b", "c", 1)) == SourceLocation("a.yaml", 3, 10)
    assert doc.where(("b", "d")) == SourceLocation("a.yaml", 4, 3)
    assert doc.where(("b", "missing")) == SourceLocation("a.yaml", 2, 1)


def test_urls_in_flow_mappings_parse_as_yaml_1_2_says() -> None:
    doc = parse_yaml("e.yaml", b"clusters:\n  - {name: a, server: https://a.example:6443}\n")
    assert doc.value == {"clusters": [{"name": "a", "server": "https://a.example:6443"}]}


def test_merge_keys_expand_and_explicit_keys_win() -> None:
    doc = parse_yaml("m.yaml", b"base: &b {x: 1, y: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert doc.value["c"] == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (b"a: 1\nb: 2\na: 3\n", "a.yaml:3:1", "appears twice in one mapping (first at line 1)"),
        (b"a: [1\nb: 2\n", "a.yaml:2", "YAML syntax error"),
        (b"--- 1\n--- 2\n", "a.yaml", "several YAML documents"),
        (b"", "a.yaml:1", "file is empty"),
        (b"? [a]\n: 1\n", "a.yaml:1:3", "is not a string"),
    ],
)
def test_errors_name_the_place(text: bytes, where: str, says: str) -> None:
    with pytest.raises(MidwayError) as caught:
        parse_yaml("a.yaml", text)
    rendered = caught.value.render()
    assert rendered.startswith(where) and says in rendered


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("0", 0),
        ("-7", -7),
        ("0o17", 15),
        ("0x1f", 31),
        ("1_000", 1000),
        ("007", 7),
        ("1.5", 1.5),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("yes", "yes"),  # YAML 1.2: a string, not a bool
        ("null", None),
        ("~", None),
        ("", None),
        ("NULL", None),
        ('"42"', "42"),
        ("'true'", "true"),
    ],
)
def test_scalars_follow_yaml_1_2(text: str, value: object) -> None:
    doc = parse_yaml("x.yaml", f"v: {text}\n".encode())
    assert doc.value == {"v": value}
    assert type(doc.value["v"]) is type(value)  # type: ignore[index]
