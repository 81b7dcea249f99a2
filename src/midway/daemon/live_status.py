"""`midway status --live`: the status document computed now, by a drift scan of each
destination, instead of read from the daemon's file.

What a scan cannot know (the last correction, contested fields) is kept from the file's
document when there is one. A destination that cannot be scanned gets `reachable: false`
and the reason in `error`; the CLI turns those into exit 2.
"""

from __future__ import annotations

import time
from dataclasses import replace

from midway.cluster import ClusterAccess, connect_destination
from midway.cluster.target import DEFAULT_ACCESS
from midway.config.targets import select_targets
from midway.daemon.reporting import app_statuses
from midway.daemon.status_document import DestinationStatus, StatusDocument
from midway.drift.desired import open_state_reader
from midway.drift.scan import scan
from midway.errors import ClusterError, MidwayError
from midway.model import ConfigRepo
from midway.state.location import StateLocation
from midway.sync.destination import desired_objects
from midway.sync.policy import DestinationPolicy


def live_document(
    config: ConfigRepo,
    location: StateLocation,
    previous: StatusDocument | None,
    *,
    env: str | None = None,
    access: ClusterAccess = DEFAULT_ACCESS,
) -> StatusDocument:
    """Scan every destination (of `env`) that has desired objects in the state HEAD."""
    reader = open_state_reader(location)
    commit = reader.commit()
    known = previous.destinations if previous else {}
    destinations: dict[str, DestinationStatus] = {}
    for target in select_targets(config, envs=(env,) if env is not None else ()):
        cluster = target.cluster
        destination = target.destination
        objects = desired_objects(
            reader.objects(commit.id, env=destination.env, cluster=destination.cluster)
        )
        if not objects:
            continue
        entry = DestinationStatus(
            env=destination.env,
            cluster=destination.cluster,
            state_commit=commit.id,
            live=True,
        )
        try:
            with connect_destination(destination, cluster, access) as conn:
                report = scan(
                    conn,
                    objects,
                    destination=destination,
                    rules=DestinationPolicy(config, destination).ignore,
                    orphans=False,
                    state_commit=commit.id,
                )
        except ClusterError as exc:
            destinations[str(destination)] = replace(
                entry, reachable=False, live=False, error=one_line(exc)
            )
            continue
        apps = app_statuses(
            objects,
            {d.key: d.status for d in report.objects},
            drift_fields={d.key: d.fields for d in report.objects},
        )
        before = known.get(str(destination))
        if before is not None:  # what a scan cannot see: from the daemon's file
            apps = {
                name: replace(
                    app,
                    last_correction=before.apps[name].last_correction,
                    contested=before.apps[name].contested,
                )
                if name in before.apps
                else app
                for name, app in apps.items()
            }
        destinations[str(destination)] = replace(entry, objects=report.counts(), apps=apps)
    return StatusDocument(written_at=time.time(), identity="live", destinations=destinations)


def one_line(exc: MidwayError) -> str:
    where = f"{exc.source}: " if exc.source else ""
    hint = f" (hint: {exc.hint})" if exc.hint else ""
    return f"{where}{exc.message}{hint}"
