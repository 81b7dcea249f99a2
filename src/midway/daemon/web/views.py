"""The status page's data: the daemon status document (and the config it applies) turned
into view models — the fleet matrix, an app, a blueprint, a destination.

Pure: no HTTP, no clock, no cluster. `daemon/web/routes.py` serves these as the JSON API
(`/api/v1/...`, described by openapi.json beside this module); the page's script renders
the very same JSON, so the page and the API cannot disagree.

One state per cell (app × destination), the first that holds, most urgent first:

- unreachable: the destination's API server does not answer, or it is refused (its
  context reaches another server) — nothing is known about the app there;
- contested: another field manager keeps reverting a field (midway stopped correcting it);
- missing: a desired object is not in the cluster;
- drifted: a live object differs from the state repo;
- stale-render: the newest config commit did not render (the cluster runs an older
  render), or the destination is still on an older state commit;
- syncing: not evaluated yet;
- in-sync.

Secret values never appear: params are masked with the drift masking rule
(objects/masking.py) and URLs lose their `user:password@`; drift field values come masked
from the drift compare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from midway.daemon.status_document import (
    AppStatus,
    ChangeSummary,
    DestinationStatus,
    DriftedField,
    StatusDocument,
)
from midway.errors import MidwayError
from midway.model import ConfigRepo
from midway.objects.masking import mask_value
from midway.render.params import merge_params, resolve_blueprint
from midway.state.location import scrub_url

CellState = Literal[
    "in-sync", "drifted", "contested", "missing", "stale-render", "unreachable", "syncing"
]
CELL_STATES: tuple[CellState, ...] = (
    "in-sync",
    "drifted",
    "contested",
    "missing",
    "stale-render",
    "unreachable",
    "syncing",
)
DestinationState = Literal["reachable", "unreachable", "refused", "syncing"]


# ---------------------------------------------------------------------- the rules


def destination_state(dest: DestinationStatus) -> DestinationState:
    if dest.refused:
        return "refused"
    if not dest.reachable:
        return "unreachable"
    if not dest.synced:
        return "syncing"
    return "reachable"


def destination_reason(dest: DestinationStatus) -> str | None:
    return dest.refused or dest.error or (None if dest.reachable else "cluster unreachable")


def stale_render(document: StatusDocument, dest: DestinationStatus) -> str | None:
    """Why what runs at `dest` is not the newest render, or None."""
    if document.publish_error:
        return "the newest config commit does not render: " + document.publish_error
    if document.state_commit and dest.state_commit and dest.state_commit != document.state_commit:
        return (
            f"still on state commit {dest.state_commit[:12]} (newest {document.state_commit[:12]})"
        )
    return None


def cell_state(
    document: StatusDocument, dest: DestinationStatus, app: AppStatus
) -> tuple[CellState, str | None]:
    """The state of one app on one destination, and a one-line reason."""
    if dest.refused or not dest.reachable:
        return "unreachable", destination_reason(dest)
    if app.contested:
        first = app.contested[0]
        return "contested", f"{first.field} of {first.object} contested by {first.manager}"
    missing = app.drift.get("missing", 0)
    if missing:
        return "missing", f"{missing} object(s) missing"
    modified = app.drift.get("modified", 0)
    if modified:
        return "drifted", drift_reason(modified, app.drift_fields)
    stale = stale_render(document, dest)
    if stale:
        return "stale-render", stale
    if app.status == "syncing":
        return "syncing", "not evaluated yet"
    return "in-sync", None


def drift_reason(modified: int, fields: Sequence[DriftedField]) -> str:
    if not fields:
        return f"{modified} object(s) modified"
    first = fields[0]
    more = f" and {len(fields) - 1} more field(s)" if len(fields) > 1 else ""
    return f"{first.field} changed by {first.manager or 'unknown'}{more}"


def masked_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Params as the page shows them: secret-looking keys masked, URL credentials dropped."""
    masked, _ = mask_value("", (), dict(values))
    return dict(_scrub(masked))


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return scrub_url(value)
    return value


# ---------------------------------------------------------------------- view models


@dataclass(frozen=True)
class Column:
    """A destination of the fleet matrix."""

    name: str  # "env/cluster"
    env: str
    cluster: str
    state: DestinationState
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "env": self.env,
            "cluster": self.cluster,
            "state": self.state,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Cell:
    state: CellState
    blueprint: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "blueprint": self.blueprint, "reason": self.reason}


@dataclass(frozen=True)
class Row:
    """An app of the fleet matrix; `cells` only where it is deployed."""

    app: str
    team: str
    name: str
    cells: Mapping[str, Cell]

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "team": self.team,
            "name": self.name,
            "cells": {dest: cell.to_json() for dest, cell in self.cells.items()},
        }


@dataclass(frozen=True)
class Header:
    """What every view starts with: which commits, and whether the newest one renders.
    (No clock time: the same state gives the same bytes, so a poll gets 304.)"""

    identity: str | None
    config_commit: str | None
    state_commit: str | None
    publish_error: str | None
    state_error: str | None
    standby: bool = False  # this replica holds no shard: it reports no destination

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "standby": self.standby,
            "config_commit": self.config_commit,
            "state_commit": self.state_commit,
            "publish_error": self.publish_error,
            "state_error": self.state_error,
        }


@dataclass(frozen=True)
class FleetView:
    header: Header
    destinations: tuple[Column, ...]
    apps: tuple[Row, ...]
    counts: Mapping[str, int]  # cells by state, every state present

    def to_json(self) -> dict[str, Any]:
        return {
            **self.header.to_json(),
            "states": list(CELL_STATES),
            "counts": dict(self.counts),
            "destinations": [c.to_json() for c in self.destinations],
            "apps": [r.to_json() for r in self.apps],
        }


@dataclass(frozen=True)
class AppOnDestination:
    destination: str
    state: CellState
    reason: str | None
    status: AppStatus

    def to_json(self) -> dict[str, Any]:
        app = self.status
        return {
            "destination": self.destination,
            "state": self.state,
            "reason": self.reason,
            "blueprint": app.blueprint,
            "objects": app.objects,
            "drift": dict(app.drift),
            "drift_fields": [f.to_json() for f in app.drift_fields],
            "contested": [c.to_json() for c in app.contested],
            "last_correction": _change_json(app.last_correction),
            "errors": list(app.errors),
        }


@dataclass(frozen=True)
class EnvParams:
    """The params an app renders with in one environment, resolved and masked."""

    env: str
    blueprint: str | None  # the version the config resolves, e.g. web-service@2.1.0
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "blueprint": self.blueprint,
            "values": dict(self.values),
            "error": self.error,
        }


@dataclass(frozen=True)
class AppView:
    header: Header
    app: str
    team: str
    name: str
    file: str | None  # the app file in the config repo
    blueprint: str | None  # what the app asks for, e.g. web-service@^2
    destinations: tuple[AppOnDestination, ...]
    params: tuple[EnvParams, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.header.to_json(),
            "app": self.app,
            "team": self.team,
            "name": self.name,
            "file": self.file,
            "blueprint": self.blueprint,
            "destinations": [d.to_json() for d in self.destinations],
            "params": [p.to_json() for p in self.params],
        }


@dataclass(frozen=True)
class VersionInUse:
    destination: str
    version: str  # "name@x.y.z"
    apps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "version": self.version, "apps": list(self.apps)}


@dataclass(frozen=True)
class BlueprintView:
    header: Header
    name: str
    description: str | None
    versions: tuple[str, ...]  # versions the config has, newest first
    in_use: tuple[VersionInUse, ...]
    # Rollouts of this blueprint (rollouts/*.yaml): `Portal(rollouts=...)` hands blueprint_view
    # their `rollout status` JSON (the daemon wires render/rollout_plan.rollouts_of); the page
    # shows them when there are any.
    rollouts: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            **self.header.to_json(),
            "name": self.name,
            "description": self.description,
            "versions": list(self.versions),
            "in_use": [v.to_json() for v in self.in_use],
            "rollouts": [dict(r) for r in self.rollouts],
        }


@dataclass(frozen=True)
class DestinationView:
    header: Header
    column: Column
    status: DestinationStatus
    apps: Mapping[str, Cell]

    def to_json(self) -> dict[str, Any]:
        dest = self.status
        return {
            **self.header.to_json(),
            **self.column.to_json(),
            "refused": dest.refused,
            "error": dest.error,
            "reachable": dest.reachable,
            "synced": dest.synced,
            "dest_state_commit": dest.state_commit,
            "applied_commit": dest.memory.applied_commit,
            "last_sync": dest.last_sync,
            "queue_depth": dest.queue_depth,
            "objects": dict(dest.objects),
            "apps": {name: cell.to_json() for name, cell in self.apps.items()},
            "contested": [c.to_json() for c in dest.contested],
            "failing": dict(dest.failing),
            "recent": [_change_json(e) for e in dest.recent],
            "unwatched": dict(dest.unwatched),
        }


def _change_json(change: ChangeSummary | None) -> dict[str, Any] | None:
    return change.to_json() if change is not None else None


# ---------------------------------------------------------------------- building


def header(document: StatusDocument) -> Header:
    return Header(
        identity=document.identity,
        config_commit=document.config_commit,
        state_commit=document.state_commit,
        publish_error=document.publish_error,
        state_error=document.state_error,
        standby=document.shards is not None and not document.shards.held,
    )


def _destinations(
    document: StatusDocument, config: ConfigRepo | None
) -> list[tuple[str, DestinationStatus]]:
    """In promotion order when the config is known (dev before prod), else by name."""
    order: dict[str, int] = {}
    if config is not None:
        for env in config.environments_in_order():
            for cluster in env.clusters:
                order[f"{env.name}/{cluster.name}"] = len(order)
    return sorted(document.destinations.items(), key=lambda d: (order.get(d[0], len(order)), d[0]))


def column(name: str, dest: DestinationStatus) -> Column:
    return Column(
        name=name,
        env=dest.env,
        cluster=dest.cluster,
        state=destination_state(dest),
        reason=destination_reason(dest),
    )


def _status_at(dest: DestinationStatus, app_id: str, config: ConfigRepo | None) -> AppStatus | None:
    """The app's entry at `dest`; for a destination nothing is known about (unreachable,
    refused), an empty "unknown" entry where the config sends the app."""
    found = dest.apps.get(app_id)
    if found is not None or config is None or (dest.reachable and not dest.refused):
        return found
    app = config.apps.get(app_id)
    if app is None or dest.env not in app.environments:
        return None
    return AppStatus(blueprint=None, status="unknown")


def _cell(document: StatusDocument, dest: DestinationStatus, app: AppStatus) -> Cell:
    state, reason = cell_state(document, dest, app)
    return Cell(state=state, blueprint=app.blueprint, reason=reason)


def fleet_view(document: StatusDocument, config: ConfigRepo | None = None) -> FleetView:
    """Every app (of the config, and any the daemon reports) × every destination."""
    destinations = _destinations(document, config)
    apps = set(config.apps) if config is not None else set()
    for _, dest in destinations:
        apps.update(dest.apps)
    counts: dict[str, int] = dict.fromkeys(CELL_STATES, 0)
    rows = []
    for app_id in sorted(apps):
        cells = {}
        for name, dest in destinations:
            status = _status_at(dest, app_id, config)
            if status is not None:
                cells[name] = _cell(document, dest, status)
                counts[cells[name].state] += 1
        team, _, short = app_id.partition("/")
        rows.append(Row(app=app_id, team=team, name=short or app_id, cells=cells))
    return FleetView(
        header=header(document),
        destinations=tuple(column(name, dest) for name, dest in destinations),
        apps=tuple(rows),
        counts=counts,
    )


def app_view(document: StatusDocument, config: ConfigRepo | None, app_id: str) -> AppView | None:
    """One app on every destination, with its resolved params; None when nobody knows it."""
    on = tuple(
        AppOnDestination(name, *cell_state(document, dest, status), status)
        for name, dest in _destinations(document, config)
        if (status := _status_at(dest, app_id, config)) is not None
    )
    app = config.apps.get(app_id) if config is not None else None
    if app is None and not on:
        return None
    team, _, name = app_id.partition("/")
    params: list[EnvParams] = []
    if app is not None and config is not None:
        for env in config.environments_in_order():
            if env.name not in app.environments:
                continue
            try:
                blueprint = resolve_blueprint(config, app, env.name)  # rollouts included
                values = merge_params(blueprint, env, app).values
            except MidwayError as exc:
                params.append(EnvParams(env=env.name, blueprint=None, error=exc.message))
                continue
            params.append(EnvParams(env.name, blueprint.ref, masked_params(values)))
    return AppView(
        header=header(document),
        app=app_id,
        team=app.team if app is not None else team,
        name=app.name if app is not None else name,
        file=app.source.path if app is not None else None,
        blueprint=str(app.blueprint) if app is not None else None,
        destinations=on,
        params=tuple(params),
    )


def _blueprint_name(ref: str | None) -> str | None:
    return ref.split("@", 1)[0] if ref else None


def blueprint_names(document: StatusDocument, config: ConfigRepo | None) -> list[str]:
    names = set(config.blueprints) if config is not None else set()
    for dest in document.destinations.values():
        for app in dest.apps.values():
            name = _blueprint_name(app.blueprint)
            if name:
                names.add(name)
    return sorted(names)


def blueprint_view(
    document: StatusDocument,
    config: ConfigRepo | None,
    name: str,
    rollouts: Sequence[Mapping[str, Any]] = (),
) -> BlueprintView | None:
    """Which versions of blueprint `name` run where (as deployed), and which the config has."""
    in_use = []
    for dest_name, dest in _destinations(document, config):
        by_version: dict[str, list[str]] = {}
        for app_id, app in sorted(dest.apps.items()):
            if app.blueprint and _blueprint_name(app.blueprint) == name:
                by_version.setdefault(app.blueprint, []).append(app_id)
        for version, apps in sorted(by_version.items()):
            in_use.append(VersionInUse(dest_name, version, tuple(apps)))
    versions = config.blueprints.get(name, ()) if config is not None else ()
    if not versions and not in_use:
        return None
    return BlueprintView(
        header=header(document),
        name=name,
        description=versions[0].description if versions else None,
        versions=tuple(str(bp.version) for bp in versions),
        in_use=tuple(in_use),
        rollouts=tuple(rollouts),
    )


def destination_view(
    document: StatusDocument, config: ConfigRepo | None, name: str
) -> DestinationView | None:
    dest = document.destinations.get(name)
    if dest is None:
        return None
    return DestinationView(
        header=header(document),
        column=column(name, dest),
        status=dest,
        apps={app_id: _cell(document, dest, app) for app_id, app in sorted(dest.apps.items())},
    )


def destinations_list(document: StatusDocument, config: ConfigRepo | None) -> list[Column]:
    return [column(name, dest) for name, dest in _destinations(document, config)]
