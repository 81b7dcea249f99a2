"""Schema violations in words: no `… should not be valid under {…}` reaches a user."""

from __future__ import annotations

from typing import Any

import pytest

from midway.config.validation import schema_errors
from midway.errors import SourceLocation
from midway.model import JSON


def message(schema: dict[str, Any], value: JSON) -> str:
    full = {"type": "object", "properties": {"p": schema}}
    [error] = schema_errors(full, {"p": value}, lambda _: SourceLocation("x.yaml", 1), "params")
    return error.message


@pytest.mark.parametrize(
    ("schema", "value", "says"),
    [
        ({"not": {"pattern": ":latest$"}}, "a:latest", '"a:latest" must not match the pattern'),
        ({"not": {"enum": ["root", "admin"]}}, "root", 'must not be one of "root", "admin"'),
        ({"not": {"const": 0}}, 0, "must not be 0"),
        ({"not": {"type": "string", "maxLength": 1}}, "x", "a value this parameter explicitly"),
        ({"pattern": "^[a-z]+$"}, "A1", '"A1" does not match the pattern ^[a-z]+$'),
        ({"const": "v1"}, "v2", '"v2" must be exactly "v1"'),
        ({"minLength": 3}, "ab", "must be at least 3 character(s) long"),
        ({"maxLength": 2}, "abc", "must be at most 2 characters long"),
        ({"exclusiveMinimum": 0}, 0, "0 must be greater than 0"),
        ({"multipleOf": 5}, 7, "7 must be a multiple of 5"),
        ({"uniqueItems": True}, [1, 1], "items must be unique"),
        ({"minProperties": 1}, {}, "needs at least 1 key(s)"),
        (
            {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
            3,
            "matches more than one of the allowed forms",
        ),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5, "must be a string"),
    ],
)
def test_violations_are_said_in_words(schema: dict[str, Any], value: JSON, says: str) -> None:
    text = message(schema, value)
    assert says in text
    assert "should not be valid" not in text and "is not valid under" not in text
    assert text.startswith("`params.p`")


def test_error_message_keyword_words_it_for_the_blueprint() -> None:
    schema = {"pattern": "^[a-z]+$", "errorMessage": "lower-case letters only, e.g. shop"}
    assert message(schema, "Shop") == "`params.p`: lower-case letters only, e.g. shop"


def test_error_message_per_keyword() -> None:
    schema = {
        "pattern": "^[a-z:.0-9]+$",
        "not": {"pattern": ":latest$"},
        "errorMessage": {"not": "pin a version, not latest"},
    }
    assert message(schema, "app:latest") == "`params.p`: pin a version, not latest"
    assert "does not match the pattern" in message(schema, "App:1")  # unlisted: midway's words
