"""Rollouts: `rollouts/<name>.yaml` — a blueprint release moved environment by environment.

A rollout names a blueprint, a range (`to`) and the environments where that range applies
now; in those, the apps it selects (include/exclude by team or team/app) render with `to`
instead of the range in their own file. Advancing a rollout is a one-line PR (add the next
environment), so the PR preview shows exactly which app × env switch (docs/fleet.md).

Checked on the loaded model, every problem at its line: the blueprint exists, `to` is a range
one of its versions satisfies, the environments exist and are a prefix of the environment
order (no stage skipped) unless `force: true`, include/exclude entries name teams or apps of
the blueprint, and no two rollouts move the same app × env.
"""

from __future__ import annotations

import posixpath

from midway.config.documents import Documents, files_directly_in
from midway.config.semver import best_match, parse_range
from midway.config.validation import did_you_mean
from midway.errors import MidwayError, SourceLocation
from midway.model import ConfigRepo, Rollout

ROLLOUTS_DIR = "rollouts/"


def load_rollouts(
    docs: Documents, paths: list[str], errors: list[MidwayError]
) -> dict[str, Rollout]:
    rollouts: dict[str, Rollout] = {}
    for path in files_directly_in(paths, ROLLOUTS_DIR, "one <name>.yaml per rollout", errors):
        try:
            rollout = _load_rollout(docs, path)
        except MidwayError as exc:
            errors.append(exc)
            continue
        rollouts[rollout.name] = rollout
    return dict(sorted(rollouts.items()))


def _load_rollout(docs: Documents, path: str) -> Rollout:
    doc = docs.get(path, "Rollout")
    value = doc.value
    name = value["metadata"]["name"]
    stem = posixpath.basename(path).rsplit(".", 1)[0]
    if name != stem:
        raise MidwayError(
            f"rollout `{name}` must live in rollouts/{name}.yaml",
            doc.where(("metadata", "name")),
            hint=f"rename the file or set metadata.name: {stem}",
        )
    spec = value["spec"]
    envs = tuple(spec["environments"])
    sources: dict[str, SourceLocation] = {}
    for key in ("include", "exclude"):
        for index, entry in enumerate(spec.get(key) or ()):
            sources[f"{key}:{entry}"] = doc.where(("spec", key, index))
    return Rollout(
        name=name,
        blueprint=spec["blueprint"],
        to=spec["to"],
        environments=envs,
        source=doc.where(()),
        to_source=doc.where(("spec", "to")),
        env_sources={env: doc.where(("spec", "environments", i)) for i, env in enumerate(envs)},
        include=tuple(spec.get("include") or ()),
        exclude=tuple(spec.get("exclude") or ()),
        selector_sources=sources,
        force=bool(spec.get("force", False)),
    )


def rollout_errors(config: ConfigRepo) -> list[MidwayError]:
    """Every problem of every rollout, on the loaded model (never cached, like every error)."""
    errors: list[MidwayError] = []
    for rollout in config.rollouts.values():
        errors += _rollout_errors(config, rollout)
    errors += _overlaps(config)
    return errors


def _rollout_errors(config: ConfigRepo, rollout: Rollout) -> list[MidwayError]:
    versions = config.blueprints.get(rollout.blueprint)
    if not versions:
        return [
            MidwayError(
                f"rollout {rollout.name}: blueprint `{rollout.blueprint}` does not exist",
                rollout.to_source,
                hint=did_you_mean(rollout.blueprint, sorted(config.blueprints))
                or f"available blueprints: {', '.join(sorted(config.blueprints)) or 'none'}",
            )
        ]
    errors: list[MidwayError] = []
    available = ", ".join(str(bp.version) for bp in versions)
    if parse_range(rollout.to) is None:
        errors.append(
            MidwayError(
                f"rollout {rollout.name}: `{rollout.to}` is not a version range",
                rollout.to_source,
                hint="use e.g. ~1.3 (1.3.x), ^2 (any 2.x) or 1.3.0 (exact)",
            )
        )
    elif best_match(rollout.to, [bp.version for bp in versions]) is None:
        errors.append(
            MidwayError(
                f"rollout {rollout.name}: no version of blueprint `{rollout.blueprint}` "
                f"satisfies `{rollout.to}`",
                rollout.to_source,
                hint=f"available versions: {available}; publish the new version in its own "
                f"directory (blueprints/{rollout.blueprint}@<version>/) first",
            )
        )
    unknown = [e for e in rollout.environments if e not in config.environments]
    in_order = ", ".join(e.name for e in config.environments_in_order())
    for env in unknown:
        errors.append(
            MidwayError(
                f"rollout {rollout.name}: environment `{env}` does not exist",
                rollout.env_sources[env],
                hint=did_you_mean(env, sorted(config.environments))
                or f"known environments: {in_order}",
            )
        )
    if not unknown and not rollout.force:
        errors += _order_errors(config, rollout)
    errors += _selector_errors(config, rollout)
    return errors


def _order_errors(config: ConfigRepo, rollout: Rollout) -> list[MidwayError]:
    """The listed environments must be a prefix of the order: every environment that comes
    before a listed one (lower `order`) is listed too."""
    listed = set(rollout.environments)
    ordered = config.environments_in_order()
    errors: list[MidwayError] = []
    for env in ordered:
        if env.name not in listed:
            continue
        skipped = [e.name for e in ordered if e.order < env.order and e.name not in listed]
        if skipped:
            names = ", ".join(e.name for e in ordered)
            errors.append(
                MidwayError(
                    f"rollout {rollout.name} advances to {env.name} before "
                    f"{' and '.join(skipped)}, which come(s) first in the environment order "
                    f"({names})",
                    rollout.env_sources[env.name],
                    hint=f"add {', '.join(skipped)} to spec.environments first (one stage per "
                    "PR), or set `force: true` to skip on purpose",
                )
            )
    return errors


def _selector_errors(config: ConfigRepo, rollout: Rollout) -> list[MidwayError]:
    """An include/exclude entry that names no team or app of the blueprint is a typo."""
    apps = [a for a in config.apps.values() if a.blueprint.name == rollout.blueprint]
    names = sorted({a.team for a in apps} | {a.id for a in apps})
    errors: list[MidwayError] = []
    for key, entries in (("include", rollout.include), ("exclude", rollout.exclude)):
        for entry in entries:
            if entry in names:
                continue
            errors.append(
                MidwayError(
                    f"rollout {rollout.name}: {key} `{entry}` is no team or app using blueprint "
                    f"{rollout.blueprint}",
                    rollout.selector_sources.get(f"{key}:{entry}", rollout.source),
                    hint=did_you_mean(entry, names)
                    or f"teams and apps on {rollout.blueprint}: {', '.join(names) or 'none'}",
                )
            )
    return errors


def _overlaps(config: ConfigRepo) -> list[MidwayError]:
    """Two rollouts moving the same app × env: which range wins would be a guess."""
    errors: list[MidwayError] = []
    reported: set[tuple[str, str]] = set()
    rollouts = list(config.rollouts.values())
    for app in config.apps.values():
        for env in app.environments:
            found = [r for r in rollouts if r.applies(app, env)]
            if len(found) < 2:
                continue
            first, second = found[0], found[1]
            if (first.name, second.name) in reported:
                continue
            reported.add((first.name, second.name))
            errors.append(
                MidwayError(
                    f"rollouts {first.name} and {second.name} both move app {app.id} in {env} "
                    f"(and maybe more): {first.env_sources[env]} and {second.env_sources[env]}",
                    second.env_sources[env],
                    hint="one rollout per app × env: narrow them with include/exclude, or "
                    "finish one before starting the other",
                )
            )
    return errors
