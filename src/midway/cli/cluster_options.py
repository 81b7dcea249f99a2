"""Options the cluster verbs (apply, drift, sync, daemon) share: one definition, so each flag
reads and means the same in every verb that takes it (the rendering verbs': render_options)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

Command = TypeVar("Command", bound=Callable[..., Any])
Decorator = Callable[[Command], Command]

_DESTINATION: Sequence[Decorator[Any]] = (
    click.option("--env", help="Environment (needed when there are several)."),
    click.option("--cluster", help="Cluster of the environment (needed when it has several)."),
    click.option("--app", metavar="TEAM/APP", help="Only this app's objects."),
)

_STATE: Sequence[Decorator[Any]] = (
    click.option(
        "--state",
        "state_spec",
        metavar="PATH|URL[@BRANCH]",
        help="State repo (default: midway.yaml state.path, else .midway/state.git).",
    ),
)

_KUBECONFIG: Sequence[Decorator[Any]] = (
    click.option(
        "--context",
        help="kubeconfig context (default: the cluster's `context:`, else the context whose "
        "server is the cluster's `server:`). Refused when it reaches another server.",
    ),
    click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubeconfig file."),
    click.option(
        "--allow-server-mismatch",
        is_flag=True,
        help="Use --context / `context:` even though its server is not the cluster's "
        "`server:` (logged as a warning). For a renamed or proxied API server only.",
    ),
)


def stacked(options: Sequence[Decorator[Any]], command: Command) -> Command:
    # Applied last to first, as stacked decorators are: --help lists them in the order above.
    for option in reversed(options):
        command = option(command)
    return command


def destination_options(command: Command) -> Command:
    """--env, --cluster, --app: the one destination (and app) a verb works on."""
    return stacked(_DESTINATION, command)


def state_option(command: Command) -> Command:
    """--state (parameter `state_spec`): the state repo, as parse_state_spec reads it."""
    return stacked(_STATE, command)


def kubeconfig_options(command: Command) -> Command:
    """--context, --kubeconfig, --allow-server-mismatch: how to reach the destination's
    cluster (see midway.cluster.target)."""
    return stacked(_KUBECONFIG, command)


def workers_option(default: int, help: str) -> Decorator[Any]:
    """--workers N: how much a cluster verb does at once (what it counts is in `help`)."""
    return click.option("--workers", type=int, default=default, show_default=True, help=help)
