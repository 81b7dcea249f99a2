"""Parameter precedence and error attribution in the app team's terms."""

from __future__ import annotations

from pathlib import Path

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.render.params import merge_params, resolve_blueprint
from support.example import write


def test_precedence_defaults_env_app_app_env(probe_repo: Path) -> None:
    write(
        probe_repo,
        "apps/qa/probe.yaml",
        "apiVersion: midway.dev/v1\nkind: App\nmetadata: {name: probe, team: qa}\n"
        "spec:\n  blueprint: probe\n  params: {logLevel: app}\n"
        "  environments:\n    dev: {params: {greeting: per-env}}\n    prod: {}\n",
    )
    config = load_config(DiskSource(probe_repo), Cache.disabled())
    app = config.apps["qa/probe"]
    blueprint = resolve_blueprint(config, app)
    dev = merge_params(blueprint, config.environments["dev"], app)
    prod = merge_params(blueprint, config.environments["prod"], app)
    assert dev.values == {"greeting": "per-env", "logLevel": "app"}
    assert prod.values == {"greeting": "hello", "logLevel": "app"}  # blueprint default
    where = dev.where(("greeting",))
    assert where is not None and where.path == "apps/qa/probe.yaml" and where.line == 8


def test_environment_params_apply_only_to_declared_keys(probe_repo: Path) -> None:
    config = load_config(DiskSource(probe_repo), Cache.disabled())
    app = config.apps["qa/probe"]
    merged = merge_params(resolve_blueprint(config, app), config.environments["dev"], app)
    assert set(merged.values) <= {"greeting", "logLevel"}
    assert merged.values["logLevel"] == config.environments["dev"].params["logLevel"]
