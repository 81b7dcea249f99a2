"""Drift ignore rules as written in a blueprint, an environment or an app (`…drift.ignore`)."""

from __future__ import annotations

from midway.config.yamlsource import YamlDocument
from midway.model import IgnoreRule, ParamPath


def ignore_rules(doc: YamlDocument, at: ParamPath) -> tuple[IgnoreRule, ...]:
    """The rules under `<at>.ignore` of an already validated document, each with its line."""
    node = doc.value
    for part in at:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    rules = node.get("ignore", []) if isinstance(node, dict) else []
    return tuple(
        IgnoreRule(
            kind=r.get("kind"),
            name=r.get("name"),
            path=r.get("path"),
            manager=r.get("manager"),
            when=r.get("when"),
            reason=r.get("reason"),
            source=doc.where((*at, "ignore", i)),
        )
        for i, r in enumerate(rules)
    )
