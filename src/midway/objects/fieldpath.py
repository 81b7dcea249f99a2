"""Find, read, remove and set one field of an object, named the ways Kubernetes names it.

Three spellings reach sync: JSON pointers (`/spec/template/spec/containers/0/image`), the
drift report's readable paths (`spec.template.spec.containers[name=web].image`,
`metadata.annotations["kubectl.kubernetes.io/restartedAt"]`) and the
field paths of a server-side apply conflict (`.spec.template.spec.containers[name="web"]
.image`). The readable forms are ambiguous on their own (map keys may contain dots:
`metadata.annotations.kubectl.kubernetes.io/restartedAt`), so they are resolved *against a
document*: at a map, the longest key that matches wins; at a list, `[k=v,…]` selects the item
whose fields match, `[3]` an index, `[=v]` a value of a set-list. The result is a concrete
list of tokens (str keys, int indexes) into that document.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping, MutableSequence
from typing import Any

from midway.objects.pointer import Tokens, resolve_pointer


def resolve_path(doc: Any, path: str) -> Tokens | None:
    """Tokens of a readable or server-side-apply field path in `doc`, None when absent."""
    if path.startswith("/"):
        return resolve_pointer(doc, path)
    return _resolve(doc, path.lstrip("."))


def _resolve(node: Any, rest: str) -> Tokens | None:
    if not rest:
        return []
    if rest.startswith('["') and isinstance(node, dict):  # a map key with odd characters
        end = _closing_bracket(rest)
        try:
            key = json.loads(rest[1:end]) if end > 0 else None
        except ValueError:
            key = None
        if not isinstance(key, str) or key not in node:
            return None
        tail = _resolve(node[key], rest[end + 1 :].lstrip("."))
        return None if tail is None else [key, *tail]
    if rest.startswith("["):
        if not isinstance(node, list):
            return None
        end = _closing_bracket(rest)
        if end < 0:
            return None
        index = _select(node, rest[1:end])
        if index is None:
            return None
        tail = _resolve(node[index], rest[end + 1 :].lstrip("."))
        return None if tail is None else [index, *tail]
    if isinstance(node, dict):
        # Longest key first: "kubectl.kubernetes.io/restartedAt" beats "kubectl".
        for key in sorted(node, key=len, reverse=True):
            if rest == key or rest.startswith((key + ".", key + "[")):
                tail = _resolve(node[key], rest[len(key) :].lstrip("."))
                if tail is not None:
                    return [key, *tail]
        return None
    if isinstance(node, list):  # "containers.0.image" style
        head, _, tail_path = rest.partition(".")
        if head.isdigit() and int(head) < len(node):
            tail = _resolve(node[int(head)], tail_path)
            return None if tail is None else [int(head), *tail]
    return None


def _closing_bracket(text: str) -> int:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif ch == "]" and not quoted:
            return i
    return -1


def _split_selector(selector: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    for ch in selector:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _selector_value(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        try:
            return json.loads(text)
        except ValueError:
            return text.strip('"')
    try:
        return json.loads(text)  # numbers, true/false
    except ValueError:
        return text


def _same(live: Any, wanted: Any) -> bool:
    return live == wanted or str(live) == str(wanted)


def _select(items: list[Any], selector: str) -> int | None:
    selector = selector.strip()
    if selector.isdigit():
        return int(selector) if int(selector) < len(items) else None
    if selector.startswith("="):  # set-list value: [="a"]
        wanted = _selector_value(selector[1:])
        return next((i for i, item in enumerate(items) if _same(item, wanted)), None)
    pairs = []
    for part in _split_selector(selector):
        key, sep, value = part.partition("=")
        if not sep:
            return None
        pairs.append((key.strip(), _selector_value(value)))
    for i, item in enumerate(items):
        if isinstance(item, dict) and all(k in item and _same(item[k], v) for k, v in pairs):
            return i
    return None


def get_value(doc: Any, tokens: Tokens) -> Any:
    node = doc
    for token in tokens:
        node = node[token]
    return node


def remove(doc: Any, tokens: Tokens) -> bool:
    """Delete the field at `tokens`; maps and lists left empty by it are removed too."""
    if not tokens:
        return False
    parent = get_value(doc, tokens[:-1])
    last = tokens[-1]
    in_map = isinstance(parent, MutableMapping) and last in parent
    in_list = isinstance(parent, MutableSequence) and isinstance(last, int) and last < len(parent)
    if not (in_map or in_list):
        return False
    del parent[last]
    if len(tokens) > 1 and not parent:
        remove(doc, tokens[:-1])
    return True


def set_value(doc: Any, tokens: Tokens, value: Any) -> None:
    """Set the field at `tokens` (its parents must exist)."""
    parent = get_value(doc, tokens[:-1])
    parent[tokens[-1]] = value
