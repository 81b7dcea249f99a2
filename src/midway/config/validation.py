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
    v, limit, value = error.validator, error.validator_value, error.instance
    limit = cast(Any, limit)
    if v == "minimum":
        return f"{_short(value)} is below the minimum {limit}"
    if v == "maximum":
        return f"{_short(value)} is above the maximum {limit}"
    if v == "pattern":
        return f"{_short(value)} does not match the pattern {limit}"
    if v == "minLength":
        return f"{_short(value)} is shorter than {limit} characters"
    if v == "maxLength":
        return f"{_short(value)} is longer than {limit} characters"
    if v == "minItems":
        return f"needs at least {limit} item(s)"
    if v == "maxItems":
        return f"allows at most {limit} item(s)"
    return error.message


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
