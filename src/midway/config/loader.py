"""Load and validate a whole config repo into the model, reporting every problem at once.

The orchestration only: each kind is read by its own module (`settings`, `blueprints`,
`environments`, `apps`, `rollouts`; parsed documents cached in `documents`), every kind's errors are
collected, then the checks across files run on the finished model.
"""

from __future__ import annotations

from typing import Any

from midway import gc_pause
from midway.cache import Cache
from midway.config.apps import load_apps
from midway.config.blueprints import load_blueprints
from midway.config.documents import Documents
from midway.config.env_params import unused_env_params
from midway.config.environments import load_environments
from midway.config.k8s_names import namespace_errors
from midway.config.placement import placement_errors
from midway.config.rollouts import load_rollouts, rollout_errors
from midway.config.score import score_blueprint_errors
from midway.config.settings import SETTINGS_PATH, load_settings
from midway.config.source import ConfigSource
from midway.errors import MidwayError, MidwayErrors
from midway.model import ConfigRepo, Settings


def load_config(source: ConfigSource, cache: Cache | None = None) -> ConfigRepo:
    """Load and validate everything; `cache` (optional) skips re-parsing unchanged files."""
    with gc_pause.paused():
        return _load(source, cache)


def _load(source: ConfigSource, cache: Cache | None) -> ConfigRepo:
    errors: list[MidwayError] = []
    paths = source.paths()
    docs = Documents(source, cache)
    docs.prefetch(paths)

    settings = Settings()
    if SETTINGS_PATH in paths:
        try:
            settings = load_settings(docs)
        except MidwayError as exc:
            errors.append(exc)

    blueprints = _collect(errors, load_blueprints, docs, paths)
    environments = _collect(errors, load_environments, docs, paths)
    apps = _collect(errors, load_apps, docs, paths, environments or {}, settings)
    rollouts = _collect(errors, load_rollouts, docs, paths)
    if cache is not None:
        cache.flush()
    MidwayErrors.raise_if_any(errors)
    assert blueprints is not None and environments is not None and apps is not None
    assert rollouts is not None
    config = ConfigRepo(
        settings=settings,
        blueprints=blueprints,
        environments=environments,
        apps=apps,
        revision=source.revision,
        rollouts=rollouts,
    )
    # checks across files, on the model (cheap; never cached, like every error)
    MidwayErrors.raise_if_any(
        [
            *unused_env_params(config),
            *namespace_errors(config),
            *placement_errors(config),
            *rollout_errors(config),
            *score_blueprint_errors(config),
        ]
    )
    return config


def _collect(errors: list[MidwayError], fn: Any, *args: Any) -> Any:
    try:
        return fn(*args, errors)
    except MidwayError as exc:
        errors.append(exc)
        return None
