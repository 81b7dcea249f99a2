"""The native functions a blueprint may call with `std.native('<name>')(…)`: Tanka's
deterministic ones, with its names and parameters (pkg/native in Tanka). Helm and Kustomize,
which run programs, are left out: a render reads nothing but the repo.

Pure functions of their arguments. Semantics that differ from Tanka's Go code are noted:
regular expressions use Python's `re` (RE2's syntax is a subset: the same pattern matches the
same text, except for RE2-only classes like `\\pN`), YAML is parsed as YAML 1.2 (as yaml.v3).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML

NativeFn = Callable[..., Any]

# Go's regexp.QuoteMeta escapes exactly these; re.escape escapes more ('-', '#', ' ', …)
_META = re.compile(r"([\\.+*?()|\[\]{}^$])")
# Go's Regexp.Expand template: $name, ${name}, $$ — a name is the longest [A-Za-z0-9_]+
_TEMPLATE = re.compile(r"\$(?:(\$)|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _json_value(value: Any) -> Any:
    """YAML values JSON has no type for become strings (as Tanka's YAML -> JSON round trip)."""
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def parse_json(text: str) -> Any:
    return json.loads(text)


def parse_yaml(text: str) -> list[Any]:
    """Every document of a YAML stream, as a list (one document gives a list of one)."""
    loader = YAML(typ="safe", pure=True)
    return [_json_value(doc) for doc in loader.load_all(text)]


def manifest_yaml_from_json(text: str) -> str:
    """A JSON text as one YAML document: keys sorted, 4-space indents (as Go's yaml.v3)."""
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = False
    dumper.indent(mapping=4, sequence=6, offset=4)
    dumper.width = 1 << 30  # never fold long strings
    out = io.StringIO()
    dumper.dump(json.loads(text), out)
    return out.getvalue()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def escape_string_regex(text: str) -> str:
    return _META.sub(r"\\\1", text)


def regex_match(regex: str, text: str) -> bool:
    """Whether `regex` matches anywhere in `text` (Go's MatchString is unanchored)."""
    return re.search(regex, text) is not None


def regex_subst(regex: str, src: str, repl: str) -> str:
    """Every match of `regex` in `src` replaced by `repl`, `$1`/`${name}` expanded as in Go."""
    pattern = re.compile(regex)

    def expand(match: re.Match[str]) -> str:
        def group(ref: re.Match[str]) -> str:
            if ref.group(1):
                return "$"
            name = ref.group(2) or ref.group(3)
            try:
                found = match.group(int(name) if name.isdigit() else name)
            except IndexError:
                return ""  # Go expands an unknown group to nothing
            return found or ""

        return _TEMPLATE.sub(group, repl)

    return pattern.sub(expand, src)


# name -> (parameter names, function), the binding's native_callbacks shape
NATIVES: dict[str, tuple[tuple[str, ...], NativeFn]] = {
    "escapeStringRegex": (("str",), escape_string_regex),
    "manifestYamlFromJson": (("json",), manifest_yaml_from_json),
    "parseJson": (("json",), parse_json),
    "parseYaml": (("yaml",), parse_yaml),
    "regexMatch": (("regex", "string"), regex_match),
    "regexSubst": (("regex", "src", "repl"), regex_subst),
    "sha256": (("str",), sha256),
}
