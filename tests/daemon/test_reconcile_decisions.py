"""What the reconciler makes of one pass, decided without a cluster
(daemon/reconcile_decisions.py). The reconciler around them over fakes:
test_reconciler_fakes.py; against the real server: test_daemon_correction.py."""

from __future__ import annotations

from midway.daemon.reconcile_decisions import (
    after_correction,
    counts_as_drift,
    own_write_wait,
    quiet_failure,
    verdict_after_failure,
)
from midway.drift.model import DriftStatus, FieldDrift, ObjectDrift
from midway.model import Destination, ObjectKey
from midway.sync.changeset import Action, ChangeSetEntry, ContestedField

DEV = Destination("dev", "dev-1")
KEY = ObjectKey("", "ConfigMap", "shop", "web-kv")
FIELD = FieldDrift(pointer="/data/mode", path="data.mode", change="changed")


def _drift(status: DriftStatus = "modified", version: str | None = "7") -> ObjectDrift:
    fields = (FIELD,) if status == "modified" else ()
    return ObjectDrift(key=KEY, status=status, fields=fields, resource_version=version)


def _contest(since: float) -> ContestedField:
    return ContestedField(DEV, KEY, "data.mode", "/data/mode", "kubectl-edit", 3, since)


def _entry(
    action: Action,
    *,
    written: tuple[str, ...] = (),
    contested: tuple[ContestedField, ...] = (),
    dry_run: bool = False,
) -> ChangeSetEntry:
    return ChangeSetEntry(
        DEV, KEY, action, written_versions=written, contested=contested, dry_run=dry_run
    )


def test_drift_is_counted_only_when_the_desired_object_did_not_change() -> None:
    assert counts_as_drift(_drift(), rollout=False)
    assert not counts_as_drift(_drift(), rollout=True)
    assert not counts_as_drift(_drift("in-sync"), rollout=False)


def test_a_version_the_own_write_replaced_is_waited_for_until_the_deadline() -> None:
    older = frozenset({"7", "8"})
    assert own_write_wait(older, until=12.0, live_version="8", now=10.0) == 2.0
    assert own_write_wait(older, until=12.0, live_version="9", now=10.0) is None
    assert own_write_wait(older, until=12.0, live_version="8", now=12.0) is None


def test_a_failure_is_logged_once_per_change_and_not_while_unreachable() -> None:
    assert not quiet_failure(None, "refused", reachable=True)
    assert quiet_failure("refused", "refused", reachable=True)
    assert not quiet_failure("refused", "timed out", reachable=True)
    assert quiet_failure(None, "refused", reachable=False)


def test_a_failure_keeps_what_the_compare_found_else_nothing_is_known() -> None:
    assert verdict_after_failure(_drift("missing")) == "missing"
    assert verdict_after_failure(None) is None


def test_a_correction_makes_the_object_in_sync_and_is_counted() -> None:
    outcome = after_correction(
        _entry("configured", written=("8", "9")),
        _drift(),
        rollout=False,
        reason="live modified",
        started=100.0,
        watched=True,
    )
    assert outcome.verdict == "in-sync"
    assert outcome.own_versions == frozenset({"7", "8"})  # the live one and the PUT's
    assert (outcome.count_correction, outcome.count_rollout) == (True, False)
    assert outcome.measure_latency and outcome.record


def test_a_rollout_is_counted_as_one_and_a_resync_measures_no_latency() -> None:
    outcome = after_correction(
        _entry("created", written=("1",)),
        _drift("missing", version=None),
        rollout=True,
        reason="state",
        started=100.0,
        watched=False,
    )
    assert outcome.count_rollout and not outcome.measure_latency
    assert outcome.own_versions is None  # not in a watch cache: no stale copy to wait out


def test_a_dry_run_or_unchanged_pass_counts_nothing_and_records_nothing() -> None:
    for entry in (_entry("configured", dry_run=True), _entry("unchanged")):
        outcome = after_correction(
            entry, _drift("in-sync"), rollout=False, reason="resync", started=0.0, watched=True
        )
        assert not (outcome.count_correction or outcome.count_rollout or outcome.measure_latency)
    assert not after_correction(
        _entry("unchanged"), _drift("in-sync"), rollout=False, reason="", started=0, watched=True
    ).record


def test_only_contests_detected_in_this_pass_are_new_and_the_object_stays_drifted() -> None:
    old, new = _contest(since=50.0), _contest(since=100.0)
    outcome = after_correction(
        _entry("skipped", contested=(old, new)),
        _drift(),
        rollout=False,
        reason="live modified",
        started=100.0,
        watched=True,
    )
    assert outcome.new_contests == (new,)
    assert outcome.verdict == "modified"
    assert outcome.record and not outcome.count_correction
