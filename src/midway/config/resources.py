"""The resource graph's config (docs/resources.md): what apps request (`spec.resources`), what
environments map types to (`spec.provisioners`), what provisioner blueprints provide
(`spec.provides`) and what workloads export (`spec.exports`). Parsing only; resolution is
render/graph/."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from midway.config.semver import parse_range
from midway.config.yamlsource import LocationView, YamlDocument
from midway.errors import MidwayError
from midway.model import (
    JSON,
    BlueprintRequest,
    OutputSpec,
    ParamPath,
    Provides,
    ProvisionerRule,
    ResourceRequest,
)

# Types midway resolves itself, without a provisioner.
SERVICE_PORT = "service-port"  # another app's endpoint, from its blueprint's `exports`
BUILTIN_TYPES = frozenset({SERVICE_PORT})
DEFAULT_CLASS = "default"


def resource_requests(doc: YamlDocument, at: ParamPath) -> dict[str, ResourceRequest]:
    """`spec.resources` (or an environment's overrides at `at`), sorted by name."""
    raw: Mapping[str, Any] = _get(doc.value, at) or {}
    found: dict[str, ResourceRequest] = {}
    for name in sorted(raw):
        entry = raw[name] or {}
        found[name] = ResourceRequest(
            name=name,
            type=entry.get("type", ""),
            class_=entry.get("class"),
            id=entry.get("id"),
            params=entry.get("params") or {},
            source=doc.where((*at, name)),
            param_sources=LocationView(doc.locations, (*at, name, "params")),
        )
    return found


def merge_override(base: ResourceRequest | None, override: ResourceRequest) -> ResourceRequest:
    """An environment's override of one resource: fields it sets replace the app's, params
    deep-merge (as app params do). An override of a resource the app does not declare must
    say its type (checked by the caller)."""
    if base is None:
        return override
    params: dict[str, JSON] = dict(base.params)
    _deep_merge(params, override.params)
    return ResourceRequest(
        name=base.name,
        type=override.type or base.type,
        class_=override.class_ if override.class_ is not None else base.class_,
        id=override.id if override.id is not None else base.id,
        params=params,
        source=override.source,
        param_sources=_Layered(base.param_sources, override.param_sources),
    )


class _Layered(Mapping[ParamPath, Any]):
    """Locations of merged params: the override's where it set a value, else the base's."""

    def __init__(self, base: Mapping[ParamPath, Any], top: Mapping[ParamPath, Any]) -> None:
        self.base, self.top = base, top

    def __getitem__(self, key: ParamPath) -> Any:
        return self.top[key] if key in self.top else self.base[key]

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.base

    def __iter__(self) -> Any:
        return iter(dict.fromkeys([*self.base, *self.top]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self.base, *self.top]))


def _deep_merge(base: dict[str, JSON], layer: Mapping[str, JSON]) -> None:
    for key, value in layer.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            _deep_merge(merged, value)
            base[key] = merged
        else:
            base[key] = value


def provisioner_rules(doc: YamlDocument) -> tuple[ProvisionerRule, ...]:
    rules: list[ProvisionerRule] = []
    for index, entry in enumerate(doc.value["spec"].get("provisioners") or []):
        at = ("spec", "provisioners", index)
        ref = entry["blueprint"]
        name, _, range_text = ref.partition("@")
        if range_text and parse_range(range_text) is None:
            raise MidwayError(
                f"`{range_text}` is not a version range",
                doc.where((*at, "blueprint")),
                hint="use e.g. ^1 (any 1.x), ~1.4 (1.4.x) or 1.4.0 (exact)",
            )
        if entry["type"] in BUILTIN_TYPES:
            raise MidwayError(
                f"resource type `{entry['type']}` is provided by midway itself",
                doc.where((*at, "type")),
                hint="remove this entry: a service-port resource is served by the consumed "
                "app's blueprint (`exports` in its blueprint.yaml)",
            )
        app = entry.get("app")
        team = entry.get("team")
        if app is not None and team is not None and not app.startswith(f"{team}/"):
            raise MidwayError(
                f"this entry matches team `{team}` and app `{app}`, which is in another team",
                doc.where(at),
                hint="keep one of `team:` and `app:`",
            )
        rules.append(
            ProvisionerRule(
                type=entry["type"],
                blueprint=BlueprintRequest(name, range_text, doc.where((*at, "blueprint"))),
                class_=entry.get("class"),
                team=team,
                app=app,
                source=doc.where(at),
            )
        )
    return tuple(rules)


def provides(doc: YamlDocument) -> Provides | None:
    raw = doc.value["spec"].get("provides")
    if raw is None:
        return None
    at = ("spec", "provides")
    if raw["type"] in BUILTIN_TYPES:
        raise MidwayError(
            f"resource type `{raw['type']}` is provided by midway itself",
            doc.where((*at, "type")),
            hint="pick another type name; service-port resources come from `exports`",
        )
    outputs: dict[str, OutputSpec] = {}
    for name in sorted(raw["outputs"]):
        entry = dict(raw["outputs"][name])
        secret = entry.pop("secret", False)
        if not isinstance(secret, bool):
            raise MidwayError(
                f"`secret` of output `{name}` must be true or false",
                doc.where((*at, "outputs", name, "secret")),
            )
        entry.pop("description", None)
        outputs[name] = OutputSpec(name, entry, secret)
    return Provides(
        type=raw["type"],
        classes=tuple(raw.get("classes") or [DEFAULT_CLASS]),
        outputs=outputs,
        stateful=bool(raw.get("stateful", False)),
        source=doc.where(at),
    )


def exports(doc: YamlDocument) -> dict[str, JSON]:
    raw = doc.value["spec"].get("exports") or {}
    return {name: raw[name] for name in sorted(raw)}


def _get(value: Any, at: ParamPath) -> Any:
    for part in at:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
