"""`midway daemon --once`: publish the config head if needed, sync every destination once
(like `midway sync`, with the environments' prune policy), write the status file, exit."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from midway.cluster import ClusterIdentityError
from midway.daemon.config_watch import ConfigWatcher
from midway.daemon.destination_runtime import connect_destination
from midway.daemon.log_setup import fields
from midway.daemon.options import DaemonOptions
from midway.daemon.publisher import Publisher
from midway.daemon.reporting import refused_status, sync_result_status
from midway.daemon.state_follower import StateFollower
from midway.daemon.status_document import DestinationStatus, StatusDocument
from midway.daemon.status_file import write_status
from midway.errors import ClusterError, MidwayError
from midway.sync.destination import SyncOptions, sync_destination
from midway.sync.fights import FightTracker
from midway.sync.policy import DestinationPolicy

log = logging.getLogger(__name__)


def run_once(
    options: DaemonOptions,
    *,
    watcher: ConfigWatcher,
    publisher: Publisher,
    state: StateFollower,
    fights: FightTracker,
    status_path: Path,
) -> int:
    """Exit code: 0, or 2 when the config does not render or a destination has errors."""
    exit_code = 0
    head = watcher.check() if options.publish else None
    if head is not None:
        published = publisher.publish(head)
        if published is None:
            exit_code = 2
        else:
            state.configs[head] = published.config
    state_head = state.head()
    if state_head is None:
        raise MidwayError(f"no state commit to sync: {state.error}")
    reader = state.open_reader()
    assert reader is not None
    commit = reader.commit(state_head)
    config = state.config_for(commit.config_commit)
    if config is None:
        raise MidwayError(f"cannot load the config of state commit {state_head[:12]}")
    state.commit, state.config = state_head, config
    summaries: dict[str, DestinationStatus] = {}
    for destination in options.destinations(config):
        objects, _ = state.objects(state_head, destination)
        previous, _ = state.previous_objects(destination, state_head)
        try:
            with connect_destination(destination, config, options) as conn:
                result = sync_destination(
                    conn,
                    destination,
                    objects,
                    DestinationPolicy(config, destination),
                    previous=previous,
                    options=SyncOptions(prune_timeout_s=options.prune_timeout_s),
                    fights=fights,
                    state_commit=state_head,
                )
        except ClusterError as exc:
            log.error("%s: %s", destination, exc.render().replace("\n", " "))
            exit_code = 2
            if isinstance(exc, ClusterIdentityError):  # never connected, nothing written
                why = exc.render().replace("\n", " ")
                summaries[str(destination)] = refused_status(destination, why)
            continue
        for entry in result.changes:
            if entry.action != "unchanged":
                log.info("%s", entry.describe(), extra=fields(destination=str(destination)))
        if result.changes.errors:
            exit_code = 2
        summaries[str(destination)] = sync_result_status(
            result,
            objects,
            contested=fights.contested(destination),
            last_sync=time.time() if not result.changes.errors else None,
        )
    write_status(
        status_path,
        StatusDocument(
            written_at=time.time(),
            identity=options.identity,
            config_commit=head,
            state_commit=state_head,
            state=str(state.location),
            destinations=summaries,
        ),
    )
    return exit_code
