"""Ignore rules: which differences do not count, and why.

Rules come from three places (docs/drift.md, "Ignore rules") — the blueprint that
rendered an object, the environment, the app — plus the built-in presets in
`midway.drift.presets`. A rule selects by kind, name (glob), JSON pointer prefix, field
manager (glob) and a named condition (`when: hpa` — a live HorizontalPodAutoscaler targets
the object). A rule without `path` ignores the whole object (missing and orphan included).

Pointer prefixes match segment by segment; a list segment may be written as an index
(`/spec/template/spec/containers/0/image`), as a merge key (`containers/name=web/image`)
or as `*`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from midway.drift.model import ClusterFacts, CompareMode, FieldDrift
from midway.errors import MidwayError
from midway.model import Blueprint, ConfigRepo, IgnoreRule, ObjectKey
from midway.objects.paths import Item, Path
from midway.objects.pointer import parse_pointer

KNOWN_CONDITIONS = ("hpa", "always")


@dataclass(frozen=True)
class FieldContext:
    """What a rule or preset may look at to decide about one field."""

    key: ObjectKey
    mode: CompareMode
    desired: Mapping[str, Any] | None
    live: Mapping[str, Any] | None
    facts: ClusterFacts


@dataclass(frozen=True)
class ScopedRule:
    """An IgnoreRule and where it applies: every object of the environment, of one app,
    or of the objects one blueprint version rendered."""

    rule: IgnoreRule
    scope: str  # "environment" | "app" | "blueprint"
    app: str | None = None  # "team/app" for app rules
    blueprint: str | None = None  # "name@version" for blueprint rules

    def describe(self) -> str:
        rule = self.rule
        parts = [
            f"{name}={value}"
            for name, value in (
                ("kind", rule.kind),
                ("name", rule.name),
                ("path", rule.path),
                ("manager", rule.manager),
                ("when", rule.when),
            )
            if value
        ]
        where = f" at {rule.source}" if rule.source else ""
        return f"{self.scope} rule{where} ({' '.join(parts) or 'everything'})"


@dataclass(frozen=True)
class IgnoreRules:
    """All configured rules of one destination, with their scopes."""

    rules: tuple[ScopedRule, ...] = ()
    presets: bool = True  # apply the built-in presets
    disabled_presets: frozenset[str] = field(default_factory=frozenset)

    def for_object(self, app: str | None, blueprint: str | None) -> tuple[ScopedRule, ...]:
        return tuple(
            r
            for r in self.rules
            if r.scope == "environment"
            or (r.scope == "app" and r.app == app)
            or (r.scope == "blueprint" and r.blueprint == blueprint)
        )

    @staticmethod
    def from_config(config: ConfigRepo, env: str) -> IgnoreRules:
        """Environment rules of `env`, every app's rules, every blueprint version's rules.
        Unknown `when` conditions are an error (with the rule's file and line)."""
        scoped: list[ScopedRule] = []
        environment = config.environments.get(env)
        if environment is not None:
            scoped += [ScopedRule(r, "environment") for r in environment.ignore]
        for app in config.apps.values():
            scoped += [ScopedRule(r, "app", app=app.id) for r in app.ignore]
        for versions in config.blueprints.values():
            for blueprint in versions:
                scoped += _blueprint_rules(blueprint)
        for rule in scoped:
            when = rule.rule.when
            if when is not None and when not in KNOWN_CONDITIONS:
                raise MidwayError(
                    f"unknown ignore condition when: {when!r}",
                    rule.rule.source,
                    hint=f"known conditions: {', '.join(KNOWN_CONDITIONS)}",
                )
        return IgnoreRules(tuple(scoped))


def _blueprint_rules(blueprint: Blueprint) -> list[ScopedRule]:
    return [ScopedRule(r, "blueprint", blueprint=blueprint.ref) for r in blueprint.ignore]


def _condition_holds(when: str | None, ctx: FieldContext) -> bool:
    if when is None or when == "always":
        return True
    if when == "hpa":
        target = (ctx.key.namespace, ctx.key.kind, ctx.key.name)
        return target in ctx.facts.hpa_targets
    return False


def object_rule_matches(rule: IgnoreRule, ctx: FieldContext) -> bool:
    """Kind, name and condition of a rule match this object."""
    if rule.kind and not fnmatch.fnmatchcase(ctx.key.kind, rule.kind):
        return False
    if rule.name and not fnmatch.fnmatchcase(ctx.key.name, rule.name):
        return False
    return _condition_holds(rule.when, ctx)


def _rule_tokens(prefix: str) -> list[str]:
    # rules are read leniently: "/" (like "") is the whole object, the leading "/" optional
    if prefix in ("", "/"):
        return []
    return parse_pointer(prefix if prefix.startswith("/") else "/" + prefix)


def pointer_prefix_matches(prefix: str, path: Path) -> bool:
    """Whether the JSON pointer `prefix` is a prefix of `path` (see the module doc)."""
    tokens = _rule_tokens(prefix)
    if len(tokens) > len(path):
        return False
    for token, seg in zip(tokens, path, strict=False):
        if token == "*":
            continue
        if isinstance(seg, Item):
            if token == str(seg.index):
                continue
            if seg.key is not None and "=" in token:
                field_name, _, value = token.partition("=")
                if field_name == seg.key[0] and value == str(seg.key[1]):
                    continue
            return False
        if token != seg:
            return False
    return True


def field_rule_matches(rule: IgnoreRule, ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    if not object_rule_matches(rule, ctx):
        return False
    if rule.path and not pointer_prefix_matches(rule.path, path):
        return False
    return not (rule.manager and not fnmatch.fnmatchcase(drift.manager or "", rule.manager))


def whole_object_rule(rules: Sequence[ScopedRule], ctx: FieldContext) -> ScopedRule | None:
    """The first rule without path or manager that ignores this object entirely."""
    for scoped in rules:
        rule = scoped.rule
        if rule.path or rule.manager:
            continue
        if object_rule_matches(rule, ctx):
            return scoped
    return None
