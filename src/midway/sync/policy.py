"""Which policy governs an object: correct or warn, which fields are ignored, prune or not.

Drift mode: the environment's `policy.drift`, overridden by the blueprint's `drift.policy`,
overridden by the app's `drift.policy` (most specific wins); a command-line override beats
all three. Ignore rules: blueprint + environment + app rules together (the drift engine
applies them when it evaluates; sync also uses them to decide which conflicting fields it
may force). Prune: per environment (`policy.prune`, `policy.allowEmptyPrune`).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from midway.drift.ignoring import IgnoreRules
from midway.model import (
    ANNOTATION_BLUEPRINT,
    App,
    Blueprint,
    ConfigRepo,
    Destination,
    DriftMode,
    Environment,
    IgnoreRule,
    ObjectKey,
)
from midway.objects.pointer import parse_pointer

DEFAULT_MODE: DriftMode = "warn"  # what an object outside any known env/app gets


@dataclass(frozen=True)
class ObjectPolicy:
    """The policy for one object of one destination."""

    mode: DriftMode
    rules: tuple[IgnoreRule, ...] = ()  # the rules scoped to this object (app, blueprint, env)
    decided_by: str = "default"  # "environment dev", "blueprint web-service@2.1.0", "app …"

    @property
    def correct(self) -> bool:
        return self.mode == "correct"


@dataclass(frozen=True)
class PrunePolicy:
    enabled: bool = False
    allow_empty: bool = False


def blueprint_of(config: ConfigRepo, ref: str | None) -> Blueprint | None:
    """The Blueprint named by a `midway.dev/blueprint` annotation ("web-service@2.1.0")."""
    if not ref:
        return None
    name, _, version = ref.partition("@")
    versions = config.blueprints.get(name) or ()
    for blueprint in versions:
        if not version or str(blueprint.version) == version:
            return blueprint
    return None


def blueprint_ref(body: Mapping[str, Any] | None) -> str | None:
    annotations = ((body or {}).get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ANNOTATION_BLUEPRINT)
    return str(value) if value else None


class DestinationPolicy:
    """Policies of every object of one destination, resolved once per config and cached."""

    def __init__(
        self, config: ConfigRepo, destination: Destination, *, override: DriftMode | None = None
    ) -> None:
        self.config = config
        self.destination = destination
        self.override = override
        self.ignore = IgnoreRules.from_config(config, destination.env)
        self.prune = prune_policy(config, destination.env)
        self._cache: dict[tuple[str | None, str | None], ObjectPolicy] = {}
        self._lock = threading.Lock()

    def for_object(self, app_id: str | None, body: Mapping[str, Any] | None) -> ObjectPolicy:
        ref = blueprint_ref(body)
        with self._lock:
            cached = self._cache.get((app_id, ref))
        if cached is not None:
            return cached
        policy = object_policy(
            self.config, self.destination.env, app_id, ref, override=self.override
        )
        scoped = tuple(r.rule for r in self.ignore.for_object(app_id, ref))
        policy = ObjectPolicy(policy.mode, scoped, policy.decided_by)
        with self._lock:
            self._cache[(app_id, ref)] = policy
        return policy


def object_policy(
    config: ConfigRepo,
    env: str,
    app_id: str | None,
    blueprint: str | None = None,
    *,
    override: DriftMode | None = None,
) -> ObjectPolicy:
    """Resolve the drift mode (and the raw ignore rules) of one object."""
    environment: Environment | None = config.environments.get(env)
    app: App | None = config.apps.get(app_id) if app_id else None
    resolved = blueprint_of(config, blueprint)
    rules: list[IgnoreRule] = []
    mode: DriftMode = DEFAULT_MODE
    decided_by = "default"
    if environment is not None:
        mode, decided_by = environment.policy.drift, f"environment {env}"
        rules.extend(environment.ignore)
    if resolved is not None:
        rules.extend(resolved.ignore)
        if resolved.policy_drift is not None:
            mode, decided_by = resolved.policy_drift, f"blueprint {resolved.ref}"
    if app is not None:
        rules.extend(app.ignore)
        if app.policy_drift is not None:
            mode, decided_by = app.policy_drift, f"app {app.id}"
    if override is not None:
        mode, decided_by = override, "command line"
    return ObjectPolicy(mode=mode, rules=tuple(rules), decided_by=decided_by)


def prune_policy(config: ConfigRepo, env: str) -> PrunePolicy:
    environment = config.environments.get(env)
    if environment is None:
        return PrunePolicy()
    return PrunePolicy(
        enabled=environment.policy.prune, allow_empty=environment.policy.allow_empty_prune
    )


def rule_covers(
    rule: IgnoreRule,
    key: ObjectKey,
    pointer: str,
    manager: str | None = None,
    doc: Any = None,
) -> bool:
    """Does `rule` cover the field `pointer` (of `doc`) of object `key`, written by `manager`?

    Conservative for sync's purpose (may midway force this field?): a `when` condition
    midway cannot check here counts as met, so a conditionally ignored field is never
    taken by force. Rule pointers may name list items by index, `field=value` or `*`.
    """
    if rule.kind and not fnmatch.fnmatchcase(key.kind, rule.kind):
        return False
    if rule.name and not fnmatch.fnmatchcase(key.name, rule.name):
        return False
    if rule.manager and manager is not None and not fnmatch.fnmatchcase(manager, rule.manager):
        return False
    if not rule.path:
        return True
    rule_tokens = parse_pointer(rule.path)
    field_tokens = parse_pointer(pointer)
    if len(rule_tokens) > len(field_tokens):
        return False
    node = doc
    for wanted, actual in zip(rule_tokens, field_tokens, strict=False):
        item = None
        if isinstance(node, list) and actual.isdigit() and int(actual) < len(node):
            item = node[int(actual)]
        elif isinstance(node, dict):
            item = node.get(actual)
        if wanted not in ("*", actual):
            field_name, sep, value = wanted.partition("=")
            if not (sep and isinstance(item, dict) and str(item.get(field_name)) == value):
                return False
        node = item
    return True


def ignoring_rule(
    rules: Sequence[IgnoreRule],
    key: ObjectKey,
    pointer: str,
    manager: str | None = None,
    doc: Any = None,
) -> IgnoreRule | None:
    return next((r for r in rules if rule_covers(r, key, pointer, manager, doc)), None)


def describe_rule(rule: IgnoreRule) -> str:
    where = f" ({rule.source})" if rule.source else ""
    what = rule.path or "the whole object"
    return f"ignored by rule {what}{where}"
