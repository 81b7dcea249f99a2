"""`midway sync`'s verdict over its destinations, decided from their typed outcomes alone."""

from __future__ import annotations

from typing import Any

from midway.drift.model import DriftReport
from midway.errors import EXIT_DIFFERENCES, EXIT_ERROR, EXIT_OK, ClusterError
from midway.model import Destination, ObjectKey
from midway.sync.changeset import Action, ChangeSetEntry, ContestedField
from midway.sync.destination import SyncResult
from midway.sync.run import DestinationSync, drift_remains, exit_code

DEV = Destination("dev", "local")
KEY = ObjectKey("", "ConfigMap", "pay-checkout", "settings")


def _entry(action: Action, **fields: Any) -> ChangeSetEntry:
    return ChangeSetEntry(DEV, KEY, action, **fields)


def _synced(*entries: ChangeSetEntry) -> DestinationSync:
    result = SyncResult(DEV, DriftReport(DEV, "server", ()))
    result.changes.extend(entries)
    return DestinationSync(DEV, result=result)


CONTEST = ContestedField(DEV, KEY, "data.mode", "/data/mode", "kubectl-edit", 3, 0.0)


def test_what_counts_as_drift_remaining() -> None:
    assert not drift_remains([_entry("configured"), _entry("unchanged")], dry_run=False)
    assert drift_remains([_entry("configured")], dry_run=True)  # a dry run changed nothing
    assert drift_remains([_entry("skipped", reason="warn policy")], dry_run=False)
    assert not drift_remains([_entry("skipped", error=True)], dry_run=False)  # an error, not drift
    assert drift_remains([_entry("unchanged", contested=(CONTEST,))], dry_run=False)


def test_one_destination_exit_code() -> None:
    assert _synced(_entry("created")).exit_code(dry_run=False) == EXIT_OK
    assert _synced(_entry("created")).exit_code(dry_run=True) == EXIT_DIFFERENCES
    assert _synced(_entry("skipped", error=True)).exit_code(dry_run=False) == EXIT_ERROR
    unreachable = DestinationSync(DEV, error=ClusterError("connection refused"))
    assert unreachable.exit_code(dry_run=False) == EXIT_ERROR


def test_an_error_anywhere_wins_over_remaining_drift_in_any_order() -> None:
    drifted = _synced(_entry("skipped", reason="warn policy"))
    failed = DestinationSync(DEV, error=ClusterError("connection refused"))
    clean = _synced(_entry("unchanged"))
    assert exit_code([], dry_run=False) == EXIT_OK
    assert exit_code([clean, clean], dry_run=False) == EXIT_OK
    assert exit_code([clean, drifted], dry_run=False) == EXIT_DIFFERENCES
    assert exit_code([drifted, failed], dry_run=False) == EXIT_ERROR
    assert exit_code([failed, drifted], dry_run=False) == EXIT_ERROR
