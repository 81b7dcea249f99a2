"""Secret outputs are references, never values (docs/resources.md, "Secrets").

A secret output (`{secretKeyRef: {name, key}}`) enters the params as a marker string. After
the workload blueprint ran, `rewrite` turns markers in container env vars into Kubernetes
references: an env var whose whole value is one marker gets `valueFrom.secretKeyRef`; markers
inside a longer value become secretKeyRef variables defined just before it, joined with
Kubernetes' `$(VAR)` expansion (what score-k8s does). A marker anywhere else — a label, an
annotation, ConfigMap data, a file — is an error: the value would have to be in git.

Pure; runs in the render worker on the raw Jsonnet output, before normalisation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from midway.errors import MidwayError, SourceLocation
from midway.model import JSON

# Characters no Secret name (DNS subdomain), key ([-._a-zA-Z0-9]) or placeholder contains.
_MARK = re.compile(r"\[\[midway-secret\|([^|\]]+)\|([^|\]]+)\|([^|\]]+)\]\]")
_POD_SPEC_PATHS = (
    ("spec", "template", "spec"),  # Deployment, StatefulSet, DaemonSet, Job, ReplicaSet
    ("spec", "jobTemplate", "spec", "template", "spec"),  # CronJob
    ("spec",),  # Pod
)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class SecretUse:
    """Where a secret placeholder was written: shown when it lands outside env vars."""

    placeholder: str  # "${resources.db.password}"
    source: SourceLocation


def marker(name: str, key: str, placeholder: str) -> str:
    """The string a secret output becomes in params (`placeholder` without `${}`)."""
    return f"[[midway-secret|{name}|{key}|{placeholder}]]"


def unmark(text: str) -> str:
    """`text` with each marker shown as the placeholder it came from (error messages)."""
    if "[[midway-" not in text:
        return text
    return _MARK.sub(lambda m: "${" + m.group(3).split("#", 1)[0] + "}", text)


def has_marker(value: JSON) -> bool:
    if isinstance(value, str):
        return "[[midway-secret|" in value
    if isinstance(value, dict):
        return any(has_marker(v) for v in value.values())
    if isinstance(value, list):
        return any(has_marker(v) for v in value)
    return False


def rewrite(raw: JSON, uses: Mapping[str, SecretUse], context: str) -> JSON:
    """The blueprint's output with env-var markers turned into secretKeyRefs; raises for a
    marker anywhere else, naming the placeholder, where it was written and the object field."""
    if not has_marker(raw):
        return raw
    return _walk(raw, uses, context, (), None)


def _walk(
    value: JSON,
    uses: Mapping[str, SecretUse],
    context: str,
    at: tuple[Any, ...],
    obj: tuple[Any, int] | None,
) -> JSON:
    if isinstance(value, dict):
        if obj is None and isinstance(value.get("kind"), str):
            obj = (value, len(at))
            value = _rewrite_pods(dict(value), uses, context)
        return {k: _walk(v, uses, context, (*at, k), obj) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, uses, context, (*at, i), obj) for i, v in enumerate(value)]
    if isinstance(value, str) and (found := _MARK.search(value)) is not None:
        use = uses.get(found.group(3))
        placeholder = use.placeholder if use else "${" + found.group(3).split("#", 1)[0] + "}"
        raise MidwayError(
            f"secret output `{placeholder}` is used in {_describe(obj, at)}: secret outputs "
            "can only be the value of a container's environment variable",
            use.source if use else None,
            hint="there it becomes a secretKeyRef; anywhere else its value would have to be "
            "written to git. Pass it as an env var (e.g. `env: {DB_PASSWORD: "
            f"'{placeholder}'}}`) and read it from the environment in the app",
            detail=f"in {context}",
        )
    return value


def _describe(obj: tuple[Any, int] | None, at: tuple[Any, ...]) -> str:
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at[obj[1] if obj else 0 :])
    if obj is None:
        return f"the output at `{field.lstrip('.')}`"
    body = obj[0]
    name = (body.get("metadata") or {}).get("name")
    return f"{body.get('kind')} {name} field `{field.lstrip('.')}`"


def _rewrite_pods(obj: dict[str, Any], uses: Mapping[str, SecretUse], context: str) -> Any:
    for path in _POD_SPEC_PATHS:
        holder: Any = obj
        parents: list[tuple[dict[str, Any], str]] = []
        for part in path:
            if not isinstance(holder, dict) or not isinstance(holder.get(part), dict):
                holder = None
                break
            parents.append((holder, part))
            holder = holder[part]
        if holder is None or not any(isinstance(holder.get(c), list) for c in _CONTAINER_LISTS):
            continue
        pod = dict(holder)
        for list_name in _CONTAINER_LISTS:
            containers = pod.get(list_name)
            if isinstance(containers, list):
                pod[list_name] = [_rewrite_container(c) for c in containers]
        # copy the path down to the pod spec so the input is never mutated
        node: Any = pod
        for parent, part in reversed(parents):
            copy = dict(parent)
            copy[part] = node
            node = copy
        return node
    return obj


def _rewrite_container(container: Any) -> Any:
    if not isinstance(container, dict) or not isinstance(container.get("env"), list):
        return container
    env_out: list[Any] = []
    defined: set[str] = {
        str(e.get("name")) for e in container["env"] if isinstance(e, dict) and "name" in e
    }
    for entry in container["env"]:
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not _MARK.search(value):
            env_out.append(entry)
            continue
        whole = _MARK.fullmatch(value)
        if whole is not None:
            rest = {k: v for k, v in entry.items() if k != "value"}
            rest["valueFrom"] = {"secretKeyRef": {"name": whole.group(1), "key": whole.group(2)}}
            env_out.append(rest)
            continue
        parts: list[str] = []
        at = 0
        for found in _MARK.finditer(value):
            parts.append(value[at : found.start()].replace("$(", "$$("))
            at = found.end()
            var = _var_name(str(entry["name"]), found.group(3))
            if var not in defined:
                defined.add(var)
                env_out.append(
                    {
                        "name": var,
                        "valueFrom": {
                            "secretKeyRef": {"name": found.group(1), "key": found.group(2)}
                        },
                    }
                )
            parts.append(f"$({var})")
        parts.append(value[at:].replace("$(", "$$("))
        env_out.append({**entry, "value": "".join(parts)})
    return {**container, "env": env_out}


def _var_name(env_name: str, placeholder: str) -> str:
    """A stable helper variable: `<ENV>_<RESOURCE>_<OUTPUT>` in env-var characters."""
    placeholder = placeholder.split("#", 1)[0]  # the use's number is not part of the name
    tail = placeholder.split(".", 1)[1] if placeholder.startswith("resources.") else placeholder
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{env_name}_{tail}").upper()
