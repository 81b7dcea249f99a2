"""Layer 1 vs 2: does the state commit still hold what config HEAD renders?

Renders the destination's environment from the config and compares the bytes of each
object file with the state commit's. Pure given its inputs, apart from the render.
"""

from __future__ import annotations

from collections.abc import Mapping

from midway.config.source import ConfigSource
from midway.errors import MidwayError
from midway.model import ConfigRepo, Destination
from midway.objects.gitobject import blob_id
from midway.objects.stale import StaleReport, stale_objects
from midway.render.pipeline import RenderOptions, render_config


def compare_files(
    rendered: Mapping[str, bytes],
    state: Mapping[str, bytes],
    *,
    config_revision: str | None,
    state_commit: str | None,
) -> StaleReport:
    """Compare two {path: bytes} maps (already limited to one destination)."""
    state_ids = {path: blob_id(content) for path, content in state.items()}
    return StaleReport(
        config_revision=config_revision,
        state_commit=state_commit,
        objects=tuple(stale_objects(state_ids, rendered)),
    )


def destination_files(
    files: Mapping[str, bytes], destination: Destination, app_dir: str | None = None
) -> dict[str, bytes]:
    """The object files of one destination (optionally one app directory name)."""
    prefix = f"{destination.env}/{destination.cluster}/"
    selected = {}
    for path, content in files.items():
        if not path.startswith(prefix):
            continue
        parts = path.split("/")
        if app_dir is not None and (len(parts) < 4 or parts[3] != app_dir):
            continue
        selected[path] = content
    return selected


def stale_report(
    config: ConfigRepo,
    source: ConfigSource,
    destination: Destination,
    state_files: Mapping[str, bytes],
    *,
    state_commit: str | None,
    app: str | None = None,
) -> StaleReport:
    """Render `config` for the destination's environment and compare with `state_files`
    (the destination's files at `state_commit`). A render failure is reported in the
    StaleReport (error), not raised: drift against the state still means something."""
    app_dir = app.rpartition("/")[2] if app else None
    try:
        result = render_config(
            config, source, RenderOptions(env=destination.env, app=app if app else None)
        )
    except MidwayError as exc:
        return StaleReport(
            config_revision=config.revision,
            state_commit=state_commit,
            error=exc.message,
        )
    rendered = destination_files(result.files, destination, app_dir)
    state = destination_files(state_files, destination, app_dir)
    return compare_files(
        rendered, state, config_revision=config.revision, state_commit=state_commit
    )
