"""Environment params no blueprint in use declares: a typo there must not vanish silently.

An environment's `params` are env-wide defaults, and each blueprint takes only the keys it
declares (a key one blueprint lacks is skipped for it). A key that *no* blueprint used by
the environment's apps declares reaches nobody: almost always a typo (`loglevel`) or a
parameter whose blueprint support was never released. Reported at the key's line, with the
closest declared name.
"""

from __future__ import annotations

from midway.config.semver import best_match
from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import Blueprint, ConfigRepo


def _blueprint_of(config: ConfigRepo, name: str, range_text: str) -> Blueprint | None:
    versions = config.blueprints.get(name) or ()
    chosen = best_match(range_text, [bp.version for bp in versions])
    return next((bp for bp in versions if bp.version == chosen), None)


def _listed(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def unused_env_params(config: ConfigRepo) -> list[MidwayError]:
    """One error per environment param key that no blueprint of the env's apps declares.

    Environments no app deploys to are left alone (nothing reads their params yet), and so
    are apps whose blueprint does not resolve (that is reported as its own error).
    """
    # envs per blueprint request first: a few distinct requests, set updates at C speed
    envs_of: dict[tuple[str, str], set[str]] = {}
    for app in config.apps.values():
        own = envs_of.setdefault((app.blueprint.name, app.blueprint.range), set())
        if not config.rollouts:
            own.update(app.environments)
            continue
        for env_name in app.environments:  # a rollout sets the range where it applies
            rollout = config.rollout_for(app, env_name)
            request = (app.blueprint.name, rollout.to if rollout else app.blueprint.range)
            envs_of.setdefault(request, set()).add(env_name)
    used: dict[str, dict[str, Blueprint]] = {}
    for request, env_names in envs_of.items():
        blueprint = _blueprint_of(config, *request)
        if blueprint is None:
            continue
        for env_name in env_names:
            used.setdefault(env_name, {})[blueprint.ref] = blueprint
    errors: list[MidwayError] = []
    for env_name, env in sorted(config.environments.items()):
        blueprints = used.get(env_name)
        if not blueprints or not env.params:
            continue
        declared = sorted(
            {k for bp in blueprints.values() for k in bp.parameters.get("properties") or {}}
        )
        refs = ", ".join(sorted(blueprints))
        for key in sorted(env.params):
            if key in declared:
                continue
            errors.append(
                MidwayError(
                    f"environment param `{key}` is not a parameter of any blueprint used in "
                    f"{env_name} ({refs}), so no app receives it",
                    env.param_sources.get((key,)) or env.source,
                    hint=did_you_mean(key, declared)
                    or f"parameters these blueprints declare: {_listed(declared)}; remove the "
                    "key, or release blueprint versions that declare it first",
                )
            )
    return errors
