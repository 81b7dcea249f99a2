"""One object -> its verdict (ObjectDrift). Pure: no cluster access.

compare (server or offline) -> fields other managers added -> attribution -> masking ->
ignore rules and presets -> class. The caller brings the live object, the dry-run result
(server mode) and the cluster facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from midway.drift.attribution import Owner, foreign_fields, managed_entries, owner_of
from midway.drift.compare import Difference, compare_offline, compare_server
from midway.drift.ignoring import FieldContext, IgnoreRules, field_rule_matches, whole_object_rule
from midway.drift.model import (
    DROPPED_FROM_GIT,
    UNKNOWN_MANAGER,
    UNKNOWN_REMOVER,
    ClusterFacts,
    CompareMode,
    DesiredObject,
    DriftStatus,
    FieldDrift,
    ObjectDrift,
)
from midway.drift.normalize import normalize_desired
from midway.drift.presets import Preset, all_presets
from midway.model import (
    ANNOTATION_BLUEPRINT,
    LABEL_APP,
    LABEL_TEAM,
    ObjectKey,
)
from midway.objects.masking import mask_value
from midway.objects.paths import Path, pointer, readable

_NO_RULES = IgnoreRules()
_NO_FACTS = ClusterFacts()


def evaluate_object(
    desired: DesiredObject | None,
    live: Mapping[str, Any] | None,
    *,
    mode: CompareMode,
    dry_run: Mapping[str, Any] | None = None,
    rules: IgnoreRules = _NO_RULES,
    facts: ClusterFacts = _NO_FACTS,
    presets: tuple[Preset, ...] | None = None,
) -> ObjectDrift:
    """Classify one object.

    - desired and no live: missing; live and no desired: orphan (the caller decides an
      object is ours by label before asking);
    - both: compare (server mode needs `dry_run`, the dry-run apply result), add the
      fields other managers set that desired does not, attribute each differing field to
      its manager from live managedFields, mask secret values, apply `rules` (scoped to
      the object's app and blueprint) and the built-in presets; modified if any field
      remains, ignored if all differing fields are ignored, in-sync if none differ.
    """
    if desired is None and live is None:
        raise ValueError("evaluate_object needs a desired or a live object")
    body: Mapping[str, Any] = desired.body if desired is not None else live  # type: ignore[assignment]
    key = ObjectKey.of(body)
    api_version = str(body.get("apiVersion", ""))
    app = desired.app if desired is not None and desired.app else _app_of(live)
    blueprint = _blueprint_of(desired.body if desired is not None else live)
    scoped = rules.for_object(app, blueprint)
    ctx = FieldContext(key, mode, desired.body if desired else None, live, facts)
    resource_version = str(((live or {}).get("metadata") or {}).get("resourceVersion") or "")

    def verdict(
        status: DriftStatus, fields: tuple[FieldDrift, ...] = (), ignored_by: str | None = None
    ) -> ObjectDrift:
        return ObjectDrift(
            key=key,
            status=status,
            api_version=api_version,
            fields=fields,
            path=desired.path if desired is not None else None,
            app=app,
            ignored_by=ignored_by,
            desired=desired.body if desired is not None else None,
            live=_without_managed_fields(live),
            resource_version=resource_version or None,
        )

    whole = whole_object_rule(scoped, ctx)
    if whole is not None:
        return verdict("ignored", ignored_by=whole.describe())
    if desired is None:
        return verdict("orphan")
    if live is None:
        return verdict("missing")

    if mode == "server":
        if dry_run is None:
            raise ValueError("server mode needs the dry-run apply result")
        differences = list(compare_server(dry_run, live))
    else:
        differences = list(compare_offline(desired.body, live))
    entries = managed_entries(live)
    reported = [d.path for d in differences]
    extras: dict[Path, Owner] = {}
    for path, value, extra_owner in foreign_fields(entries, live, normalize_desired(desired.body)):
        if any(path[: len(p)] == p or p[: len(path)] == path for p in reported):
            continue
        differences.append(Difference(path, "added", None, value))
        extras[path] = extra_owner

    references = (live, dry_run if dry_run is not None else desired.body)
    if presets is None:
        presets = all_presets() if rules.presets else ()
    active = tuple(p for p in presets if p.name not in rules.disabled_presets)
    fields: list[FieldDrift] = []
    for difference in differences:
        owner = extras.get(difference.path) or owner_of(entries, difference.path, references)
        field = _field(key.kind, difference, owner, reverted=difference.path not in extras)
        ignored_by: str | None = None
        for rule in scoped:
            if field_rule_matches(rule.rule, ctx, difference.path, field):
                ignored_by = rule.describe()
                break
        if ignored_by is None:
            preset = next((p for p in active if p.matches(ctx, difference.path, field)), None)
            if preset is not None:
                if preset.silent:
                    continue
                ignored_by = f"preset {preset.name}"
        if ignored_by is not None:
            field = replace(field, ignored_by=ignored_by)
        fields.append(field)
    fields.sort(key=lambda f: f.pointer)
    if not fields:
        return verdict("in-sync")
    if all(f.ignored for f in fields):
        return verdict("ignored", tuple(fields))
    return verdict("modified", tuple(fields))


def _field(kind: str, difference: Difference, owner: Owner | None, *, reverted: bool) -> FieldDrift:
    desired, masked_d = mask_value(kind, difference.path, difference.desired)
    live, masked_l = mask_value(kind, difference.path, difference.live)
    if owner is not None:
        manager, operation, time = owner.manager, owner.operation, owner.time
    elif difference.change == "removed":
        manager, operation, time = UNKNOWN_REMOVER, None, None
    elif difference.change == "added":
        manager, operation, time = DROPPED_FROM_GIT, None, None
    else:
        manager, operation, time = UNKNOWN_MANAGER, None, None
    return FieldDrift(
        pointer=pointer(difference.path),
        path=readable(difference.path),
        change=difference.change,
        desired=desired,
        live=live,
        masked=masked_d or masked_l,
        manager=manager,
        operation=operation,
        time=time,
        reverted_by_apply=reverted,
    )


def _without_managed_fields(obj: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if obj is None:
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return ((obj or {}).get("metadata") or {}).get("labels") or {}


def _app_of(obj: Mapping[str, Any] | None) -> str | None:
    labels = _labels(obj)
    team, app = labels.get(LABEL_TEAM), labels.get(LABEL_APP)
    return f"{team}/{app}" if team and app else None


def _blueprint_of(obj: Mapping[str, Any] | None) -> str | None:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ANNOTATION_BLUEPRINT)
    return str(value) if value else None
