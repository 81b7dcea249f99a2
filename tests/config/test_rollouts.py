"""Rollout files (rollouts/<name>.yaml): what they select, and every guard at its line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError, MidwayErrors
from midway.model import ConfigRepo
from support.fleet import cron_job, fleet_files, rollout

NEW_VERSION = cron_job("1.1.0", "cron-job@1.1", timezone=True)


def load(root: Path, files: Mapping[str, str]) -> ConfigRepo:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_config(DiskSource(root))


def problems(root: Path, files: Mapping[str, str]) -> list[str]:
    with pytest.raises(MidwayError) as caught:
        load(root, files)
    found = caught.value.errors if isinstance(caught.value, MidwayErrors) else (caught.value,)
    return [f"{e.source}: {e.message}" + (f"\n  hint: {e.hint}" if e.hint else "") for e in found]


def test_a_rollout_applies_to_the_apps_it_selects_in_its_environments(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        fleet_files({**NEW_VERSION, **rollout("cron-1.1", "~1.1", ["dev"], "\n  exclude: [shop]")}),
    )
    moved = config.rollouts["cron-1.1"]
    etl, cleanup = config.apps["data/etl"], config.apps["shop/cleanup"]
    assert config.rollout_for(etl, "dev") == moved
    assert config.rollout_for(etl, "staging") is None  # not there yet
    assert config.rollout_for(cleanup, "dev") is None  # excluded by team
    assert str(moved.to_source) == "rollouts/cron-1.1.yaml:7:3"


def test_include_takes_teams_and_single_apps(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        fleet_files(
            {**NEW_VERSION, **rollout("cron-1.1", "~1.1", ["dev"], "\n  include: [shop, data/etl]")}
        ),
    )
    moved = {a.id for a in config.apps.values() if config.rollout_for(a, "dev")}
    assert moved == {"data/etl", "shop/cleanup"}


def test_advancing_past_an_environment_not_rolled_out_is_refused(tmp_path: Path) -> None:
    files = fleet_files({**NEW_VERSION, **rollout("cron-1.1", "~1.1", ["dev", "prod"])})
    assert problems(tmp_path, files) == [
        "rollouts/cron-1.1.yaml:8:23: rollout cron-1.1 advances to prod before staging, which "
        "come(s) first in the environment order (dev, staging, prod)\n"
        "  hint: add staging to spec.environments first (one stage per PR), or set "
        "`force: true` to skip on purpose"
    ]


def test_force_allows_skipping_a_stage(tmp_path: Path) -> None:
    files = fleet_files(
        {**NEW_VERSION, **rollout("cron-1.1", "~1.1", ["dev", "prod"], "\n  force: true")}
    )
    config = load(tmp_path, files)
    assert config.rollout_for(config.apps["data/etl"], "prod") is not None


def test_names_a_rollout_uses_must_exist(tmp_path: Path) -> None:
    files = fleet_files(
        {
            **NEW_VERSION,
            **rollout("cron-1.1", "~1.2", ["dev", "stagign"], "\n  exclude: [data/etll]"),
        }
    )
    assert problems(tmp_path, files) == [
        "rollouts/cron-1.1.yaml:7:3: rollout cron-1.1: no version of blueprint `cron-job` "
        "satisfies `~1.2`\n"
        "  hint: available versions: 1.1.0, 1.0.3; publish the new version in its own directory "
        "(blueprints/cron-job@<version>/) first",
        "rollouts/cron-1.1.yaml:8:23: rollout cron-1.1: environment `stagign` does not exist\n"
        "  hint: did you mean `staging`?",
        "rollouts/cron-1.1.yaml:9:13: rollout cron-1.1: exclude `data/etll` is no team or app "
        "using blueprint cron-job\n"
        "  hint: did you mean `data/etl`?",
    ]


def test_two_rollouts_moving_one_app_env_are_refused(tmp_path: Path) -> None:
    files = fleet_files(
        {
            **NEW_VERSION,
            **rollout("cron-a", "~1.1", ["dev"]),
            **rollout("cron-b", "~1.1", ["dev"], "\n  include: [data]"),
        }
    )
    [found] = problems(tmp_path, files)
    assert found.startswith(
        "rollouts/cron-b.yaml:8:18: rollouts cron-a and cron-b both move app data/etl in dev "
        "(and maybe more): rollouts/cron-a.yaml:8:18 and rollouts/cron-b.yaml:8:18"
    )


def test_a_rollout_file_must_be_named_after_its_rollout(tmp_path: Path) -> None:
    files = fleet_files(
        {**NEW_VERSION, "rollouts/cron.yaml": rollout("x", "~1.1", ["dev"])["rollouts/x.yaml"]}
    )
    assert problems(tmp_path, files) == [
        "rollouts/cron.yaml:4:3: rollout `x` must live in rollouts/x.yaml\n"
        "  hint: rename the file or set metadata.name: cron"
    ]
