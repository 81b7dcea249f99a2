"""Turn JSON Schema violations into errors in the user's terms, at the line that caused them."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import jsonschema_rs

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from midway.errors import MidwayError, SourceLocation
from midway.model import JSON, ParamPath

Locator = Callable[[ParamPath], SourceLocation]
# A blueprint's own wording for a violation, next to the keyword it explains (the name
# ajv-errors uses): `not: {pattern: ':latest$'}, errorMessage: "pin a version, not latest"`.
# A string words every violation of that schema's own keywords; a mapping words them one by
# one (`errorMessage: {not: "...", pattern: "..."}`). type, enum, required and unknown keys
# keep midway's wording (it already names the expected type, the values, the key).
CUSTOM_MESSAGE = "errorMessage"

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def describe_path(path: ParamPath, prefix: str = "") -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out or "(top level)"


def _json_type(value: JSON) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "empty"


def _short(value: JSON) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(word: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


_FAST: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _fast_validator(schema: Mapping[str, Any]) -> Any:
    """A compiled jsonschema-rs validator for a schema object (cached by identity).

    Valid documents are the common case; checking them in Rust takes microseconds where the
    Python validator takes ~0.5 ms. Only invalid ones go through the Python validator, which
    gives the detailed errors we translate. None when jsonschema-rs cannot compile it.
    """
    found = _FAST.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    try:
        compiled = jsonschema_rs.Draft202012Validator(
            dict(schema), validate_formats=False, offline=True
        )
    except Exception:  # an unusual schema: the Python validator handles it alone
        compiled = None
    _FAST[id(schema)] = (schema, compiled)
    return compiled


def schema_errors(
    schema: Mapping[str, Any],
    instance: JSON,
    locate: Locator,
    prefix: str = "",
    subject: str = "field",
) -> list[MidwayError]:
    """Validate `instance` and return every violation as a located MidwayError."""
    fast = _fast_validator(schema)
    if fast is not None and fast.is_valid(instance):
        return []
    # the Python validator (slow to import, ~30 ms) only to explain a failure
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    out: list[MidwayError] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        out.extend(_translate(error, locate, prefix, subject))
    return out


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    # oneOf/anyOf: report the branch that got furthest, not a wall of alternatives.
    if error.context:
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
        yield from _leaf_errors(best)
    else:
        yield error


def _translate(
    error: ValidationError, locate: Locator, prefix: str, subject: str
) -> Iterator[MidwayError]:
    for leaf in _leaf_errors(error):
        path: ParamPath = tuple(leaf.absolute_path)
        where = locate(path)
        name = describe_path(path, prefix)
        validator = leaf.validator
        # jsonschema's stubs type these as unions with Unset; on a reported error they are set
        schema: Any = leaf.schema
        limit: Any = leaf.validator_value
        instance: Any = leaf.instance
        if validator == "additionalProperties" and isinstance(instance, dict):
            known = sorted((schema.get("properties") or {}).keys())
            for key in sorted(instance):
                if key in known:
                    continue
                hint = did_you_mean(key, known) or (
                    f"known {subject}s here: {', '.join(known)}" if known else None
                )
                yield MidwayError(
                    f"unknown {subject} `{describe_path((*path, key), prefix)}`",
                    locate((*path, key)),
                    hint=hint,
                )
        elif validator == "required":
            missing = [k for k in limit if k not in (instance or {})]
            for key in missing:
                yield MidwayError(
                    f"missing required {subject} `{describe_path((*path, key), prefix)}`",
                    where,
                    hint=_describe_property(schema, key),
                )
        elif validator == "type":
            wanted = limit
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            expected = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
            yield MidwayError(
                f"`{name}` must be {expected}, got {_json_type(instance)} {_short(instance)}",
                where,
                hint=_describe_schema(schema),
            )
        elif validator == "enum":
            options = ", ".join(_short(v) for v in limit)
            hint = None
            if isinstance(instance, str):
                hint = did_you_mean(instance, [str(v) for v in limit])
            yield MidwayError(
                f"`{name}` is {_short(instance)}; allowed values: {options}", where, hint=hint
            )
        else:
            yield MidwayError(
                f"`{name}`: {_plain_message(leaf)}", where, hint=_describe_schema(schema)
            )


def _plain_message(error: ValidationError) -> str:
    """The violation in words: never jsonschema's `… should not be valid under {…}`."""
    schema: Any = error.schema
    v, limit, value = error.validator, error.validator_value, error.instance
    custom = schema.get(CUSTOM_MESSAGE) if isinstance(schema, dict) else None
    if isinstance(custom, dict):  # per keyword: {pattern: "...", not: "..."}
        custom = custom.get(str(v))
    if isinstance(custom, str) and custom:
        return custom  # the blueprint author's own wording for this (sub)schema
    limit = cast(Any, limit)
    shown = _short(value)
    words: dict[str, Callable[[], str]] = {
        "minimum": lambda: f"{shown} is below the minimum {limit}",
        "maximum": lambda: f"{shown} is above the maximum {limit}",
        "exclusiveMinimum": lambda: f"{shown} must be greater than {limit}",
        "exclusiveMaximum": lambda: f"{shown} must be less than {limit}",
        "multipleOf": lambda: f"{shown} must be a multiple of {limit}",
        "pattern": lambda: f"{shown} does not match the pattern {limit}",
        "minLength": lambda: f"{shown} must be at least {limit} character(s) long",
        "maxLength": lambda: f"{shown} must be at most {limit} characters long",
        "minItems": lambda: f"needs at least {limit} item(s)",
        "maxItems": lambda: f"allows at most {limit} item(s)",
        "uniqueItems": lambda: "lists an item more than once; items must be unique",
        "minProperties": lambda: f"needs at least {limit} key(s)",
        "maxProperties": lambda: f"allows at most {limit} key(s)",
        "const": lambda: f"{shown} must be exactly {_short(limit)}",
        "not": lambda: _negated(shown, limit),
        "oneOf": lambda: (
            f"{shown} matches more than one of the allowed forms; make it match exactly one"
        ),
        "anyOf": lambda: f"{shown} matches none of the allowed forms",
        "format": lambda: f"{shown} is not a valid {limit}",
        "dependentRequired": lambda: (
            "a key here needs another key next to it: "
            + "; ".join(f"{k} needs {', '.join(d)}" for k, d in dict(limit).items())
        ),
        "propertyNames": lambda: f"key {shown} is not an allowed name here",
        "false": lambda: "nothing is allowed here",
    }
    found = words.get(str(v))
    return found() if found is not None else error.message


def _negated(shown: str, schema: Any) -> str:
    if isinstance(schema, dict):
        if "pattern" in schema:
            return f"{shown} must not match the pattern {schema['pattern']}"
        if "enum" in schema:
            return f"{shown} must not be one of {', '.join(_short(v) for v in schema['enum'])}"
        if "const" in schema:
            return f"{shown} must not be {_short(schema['const'])}"
    return f"{shown} is a value this parameter explicitly refuses"


def _describe_property(schema: Mapping[str, Any], key: str) -> str | None:
    prop = (schema.get("properties") or {}).get(key)
    if isinstance(prop, dict):
        return _describe_schema(prop)
    return None


def _describe_schema(schema: Mapping[str, Any]) -> str | None:
    if not isinstance(schema, dict):
        return None
    desc = schema.get("description")
    return f"expected: {desc}" if isinstance(desc, str) and desc else None
