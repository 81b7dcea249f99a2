"""Several versions of a blueprint side by side, any number per major (issue 13).

The bug this started from: publishing cron-job 1.1.0 replaced 1.0.x (one directory per
major), so an app pinned `~1.0` stopped rendering. Now every `blueprints/<name>@<label>/`
directory is one version; ranges keep their npm/Cargo meaning among all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError, MidwayErrors
from midway.model import RenderResult
from midway.render.pipeline import RenderOptions, render_config
from support.fleet import app, cron_job, fleet_files


def write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def render(root: Path) -> RenderResult:
    source = DiskSource(root)
    return render_config(load_config(source), source, RenderOptions(cache=Cache.disabled()))


def made_by(result: RenderResult, app_id: str) -> set[str]:
    return {o.body["data"]["made_by"] for o in result.objects if o.unit.app == app_id}


def test_tilde_keeps_the_old_minor_after_a_new_minor_is_published(tmp_path: Path) -> None:
    # cron-job 1.1.0 published next to 1.0.3 (its own directory), as a platform team would
    files = fleet_files({**cron_job("1.1.0", "cron-job@1.1"), **app("data", "newest", "^1")})
    result = render(write(tmp_path, files))

    assert result.resolved["data/etl"] == "cron-job@1.0.3"  # ~1.0 stays on 1.0.x
    assert made_by(result, "data/etl") == {"cron-job 1.0.3"}
    assert result.resolved["data/newest"] == "cron-job@1.1.0"  # ^1 takes the newest 1.x
    assert made_by(result, "data/newest") == {"cron-job 1.1.0"}


def test_any_number_of_versions_of_one_major_coexist(tmp_path: Path) -> None:
    files = fleet_files(
        {
            **cron_job("1.0.4", "cron-job@1.0.4"),
            **cron_job("1.1.0", "cron-job@1.1"),
            **app("data", "pinned", "1.0.3"),
        }
    )
    root = write(tmp_path, files)
    config = load_config(DiskSource(root))
    assert [str(bp.version) for bp in config.blueprints["cron-job"]] == ["1.1.0", "1.0.4", "1.0.3"]
    result = render(root)
    assert result.resolved["data/etl"] == "cron-job@1.0.4"  # the newest 1.0.x
    assert result.resolved["data/pinned"] == "cron-job@1.0.3"  # an exact pin keeps resolving


def test_two_definitions_of_one_version_are_an_error_naming_both(tmp_path: Path) -> None:
    # a copied directory whose version was not bumped: accepted silently before
    files = fleet_files(cron_job("1.0.3", "cron-job@1.0"))
    with pytest.raises(MidwayError) as caught:
        load_config(DiskSource(write(tmp_path, files)))
    assert not isinstance(caught.value, MidwayErrors)
    assert str(caught.value) == (
        "blueprints/cron-job@1.0/blueprint.yaml:6:3: error: blueprint cron-job version 1.0.3 "
        "is defined twice: in blueprints/cron-job/blueprint.yaml:6:3 and in "
        "blueprints/cron-job@1.0/blueprint.yaml:6:3\n"
        "  hint: each version lives in one directory: bump spec.version in one of them, or "
        "remove the copy"
    )


def test_a_version_directory_must_be_named_after_its_blueprint(tmp_path: Path) -> None:
    files = fleet_files(cron_job("1.1.0", "cronjob@1.1"))
    with pytest.raises(MidwayError) as caught:
        load_config(DiskSource(write(tmp_path, files)))
    assert str(caught.value) == (
        "blueprints/cronjob@1.1/blueprint.yaml:4:3: error: blueprint name `cron-job` does not "
        "match its directory blueprints/cronjob@1.1/\n"
        "  hint: rename the directory to blueprints/cron-job@1.1/ or set metadata.name: cronjob"
    )
