"""Release safety: is a blueprint release numbered as a minor or patch really compatible?

Semver promises that a minor or patch release breaks nobody: apps pinned `^1` take it
without review. A release is *breaking* for the apps that already use the blueprint when it

- changes their rendered objects (same app request, different output), or
- tightens the parameter schema, so params valid yesterday may be refused today: a
  parameter removed, a new required parameter without a default, a narrower `type`, an
  `enum` or `const` that drops values, a raised minimum / lowered maximum (values, lengths,
  item and property counts), a `pattern`, `format` or `multipleOf` added or changed,
  `uniqueItems` turned on, or `additionalProperties: false` where extra keys were allowed.

The schema comparison is conservative and syntactic (no JSON Schema subset solving): a
change it cannot prove harmless — a different pattern, a `$ref`, `oneOf`… — counts as
tightening. A new optional parameter, wider bounds, more enum values are not. Pure: it
works on two loaded configs and the change set, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from midway.model import ANNOTATION_BLUEPRINT, App, Blueprint, ConfigRepo
from midway.objects.pointer import escape
from midway.preview.changeset import Change, ChangeSet

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EXACT_KEYWORDS = ("pattern", "format", "multipleOf", "const")
# combinators and references: any change of them is not proven harmless
OPAQUE_KEYWORDS = (
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
)
# every object names its blueprint version: that field changes with any release
VERSION_MARK = f"/metadata/annotations/{escape(ANNOTATION_BLUEPRINT)}"
# JSON Schema type names, and the ones each one accepts the values of
_WIDER: dict[str, frozenset[str]] = {"number": frozenset({"number", "integer"})}


@dataclass(frozen=True)
class Release:
    """A blueprint version that replaces another of the same name and major."""

    old: Blueprint
    new: Blueprint

    @property
    def name(self) -> str:
        return self.new.name

    @property
    def level(self) -> str:
        """ "minor" or "patch" (a major release may break: it says so)."""
        return "minor" if self.new.version.minor != self.old.version.minor else "patch"


@dataclass(frozen=True)
class BreakingRelease:
    release: Release
    reasons: tuple[str, ...]  # schema tightenings first, then output changes
    apps: tuple[str, ...]  # existing apps whose rendered objects changed


def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    return frozenset(t for name in names for t in _WIDER.get(name, frozenset({name})))


def _label(at: str) -> str:
    return f"`{at}`" if at else "the parameters"


def schema_tightenings(old: Any, new: Any, at: str = "") -> list[str]:
    """How `new` accepts less than `old` (one sentence each, paths as `a.b`); [] when every
    value `old` accepted is still accepted, as far as a syntactic comparison can tell."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return [] if old == new else [f"the schema of {_label(at)} changed"]
    found: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if new_types is not None and (old_types is None or not old_types <= new_types):
        was = "any type" if old_types is None else "/".join(sorted(old_types))
        found.append(f"{_label(at)} narrowed from {was} to {'/'.join(sorted(new_types))}")
    if "enum" in new:
        lost = [v for v in old.get("enum", []) if v not in new["enum"]] if "enum" in old else None
        if lost is None:
            found.append(f"{_label(at)} is now limited to {new['enum']}")
        elif lost:
            found.append(f"{_label(at)} no longer allows {lost}")
    for key in LOWER_BOUNDS:
        if key in new and (key not in old or _gt(new[key], old[key])):
            found.append(_bound(at, key, old.get(key), new[key], "raised"))
    for key in UPPER_BOUNDS:
        if key in new and (key not in old or _gt(old[key], new[key])):
            found.append(_bound(at, key, old.get(key), new[key], "lowered"))
    for key in (*EXACT_KEYWORDS, *OPAQUE_KEYWORDS):
        if key in new and new[key] != old.get(key):
            verb = "added" if key not in old else "changed"
            found.append(f"`{key}` {verb} on {_label(at)}")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        found.append(f"{_label(at)} must now have unique items")
    found += _object_tightenings(old, new, at)
    if "items" in new:
        found += schema_tightenings(old.get("items", {}), new["items"], f"{at}[]")
    return found


def _object_tightenings(old: Mapping[str, Any], new: Mapping[str, Any], at: str) -> list[str]:
    found = []
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    prefix = f"{at}." if at else ""
    for name in old_props:
        if name not in new_props:
            found.append(f"parameter `{prefix}{name}` removed")
    for name in sorted(set(new.get("required") or ()) - set(old.get("required") or ())):
        default = isinstance(new_props.get(name), Mapping) and "default" in new_props[name]
        if not default:
            found.append(f"new required parameter `{prefix}{name}` (no default)")
    for name, schema in new_props.items():
        if name in old_props:
            found += schema_tightenings(old_props[name], schema, f"{prefix}{name}")
    extra_old = old.get("additionalProperties", True)
    extra_new = new.get("additionalProperties", True)
    if extra_new is False and extra_old is not False:
        found.append(f"{_label(at)} no longer accept unknown keys (additionalProperties: false)")
    elif isinstance(extra_new, Mapping) and extra_new != extra_old:
        found += schema_tightenings(
            extra_old if isinstance(extra_old, Mapping) else {}, extra_new, f"{prefix}*"
        )
    return found


def _gt(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return True  # incomparable: not proven harmless


def _bound(at: str, key: str, before: Any, after: Any, verb: str) -> str:
    if before is None:
        return f"`{key}: {after}` added on {_label(at)}"
    return f"`{key}` of {_label(at)} {verb} from {before} to {after}"


def releases(base: ConfigRepo, head: ConfigRepo) -> list[Release]:
    """Versions new in head that follow a base version of the same name and major: the
    one in the same directory when it was bumped in place, else the newest lower one."""
    found = []
    for name, versions in sorted(head.blueprints.items()):
        before = base.blueprints.get(name, ())
        known = {bp.version for bp in before}
        for new in versions:
            if new.version in known or new.version.prerelease:
                continue
            same_dir = [bp for bp in before if bp.directory == new.directory]
            lower = [
                bp
                for bp in before
                if bp.version < new.version and bp.version.major == new.version.major
            ]
            candidates = [bp for bp in same_dir if bp in lower] or lower
            if candidates:
                found.append(Release(max(candidates, key=lambda bp: bp.version), new))
    return sorted(found, key=lambda r: (r.name, r.new.version))


def _same_request(old: App, new: App) -> bool:
    """The app asks for the same thing on both sides: its output may change only through its
    blueprint (or an environment or shared file)."""
    return (
        old.blueprint.name == new.blueprint.name
        and old.params == new.params
        and {e: v.params for e, v in old.environments.items()}
        == {e: v.params for e, v in new.environments.items()}
    )


def _really_changed(change: Change) -> bool:
    """Added, removed, or changed in more than the blueprint version it names."""
    return change.action != "changed" or any(f.path != VERSION_MARK for f in change.fields)


def _moved_apps(changeset: ChangeSet, release: Release) -> Iterable[str]:
    """Existing apps (same request on both sides) that moved from the old version to the new
    one and whose rendered objects changed."""
    changed = {c.app for c in changeset.changes if _really_changed(c)}
    for app_id, ref in sorted(changeset.head_resolved.items()):
        old_app, new_app = changeset.base.apps.get(app_id), changeset.head.apps.get(app_id)
        if (
            ref == release.new.ref
            and changeset.base_resolved.get(app_id) == release.old.ref
            and old_app is not None
            and new_app is not None
            and _same_request(old_app, new_app)
            and app_id in changed
        ):
            yield app_id


def breaking_releases(changeset: ChangeSet) -> list[BreakingRelease]:
    """Minor and patch releases of the change that break existing apps, with why."""
    found = []
    for release in releases(changeset.base, changeset.head):
        reasons = schema_tightenings(release.old.parameters, release.new.parameters)
        apps = tuple(_moved_apps(changeset, release))
        if apps:
            shown = ", ".join(f"`{a}`" for a in apps[:3])
            more = f" and {len(apps) - 3} more" if len(apps) > 3 else ""
            reasons.append(
                f"changes the rendered objects of {len(apps)} existing app(s): {shown}{more}"
            )
        if reasons:
            found.append(BreakingRelease(release, tuple(reasons), apps))
    return found
