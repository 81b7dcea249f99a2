"""Options the rendering verbs (check, diff, publish, render) share: --no-cache and --workers,
one definition each, so each flag reads and means the same in every verb that takes it.

`midway check --no-cache` skips the parse cache too (it loads the config with the disabled
cache), the other verbs only the render cache: hence two wordings of --no-cache.
"""

from __future__ import annotations

from typing import Any

import click

from midway.cli.cluster_options import Command, Decorator, stacked

_WORKERS: Decorator[Any] = click.option(
    "--workers", type=int, help="Parallel Jsonnet workers (default: CPU count)."
)

_RENDER_CACHE: Decorator[Any] = click.option(
    "--no-cache", is_flag=True, help="Evaluate everything, ignore the render cache."
)

_ALL_CACHES: Decorator[Any] = click.option(
    "--no-cache", is_flag=True, help="Parse and evaluate everything afresh."
)


def render_cache_options(command: Command) -> Command:
    """--no-cache (the render cache), --workers (parameters `no_cache`, `workers`)."""
    return stacked((_RENDER_CACHE, _WORKERS), command)


def check_cache_options(command: Command) -> Command:
    """--no-cache (parsed documents and the render cache), --workers: `midway check`'s."""
    return stacked((_ALL_CACHES, _WORKERS), command)
