"""The daemon status document as a type: schema, round trips, and the one set of rules
every writer (the daemon, `daemon --once`, `status --live`) builds its entries with.
Pure unit tests: no cluster, no git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from midway.daemon.reconcile_decisions import settled_verdict
from midway.daemon.reporting import (
    ReconcilerView,
    app_status,
    app_statuses,
    reconciler_status,
    refused_status,
    sync_result_status,
)
from midway.daemon.status_document import (
    AppStatus,
    ChangeSummary,
    ContestedEntry,
    DestinationMemory,
    DestinationStatus,
    DriftedField,
    Shards,
    StatusDocument,
    json_schema,
)
from midway.daemon.status_file import read_status, write_status
from midway.drift.model import DesiredObject, DriftReport, FieldDrift, ObjectDrift
from midway.model import Destination, ObjectKey
from midway.sync.changeset import ChangeSetEntry, ContestedField
from midway.sync.destination import SyncResult
from support.status import checked

DEV = Destination("dev", "dev-1")


def _configmap(app: str, name: str, blueprint: str = "kv@1.0.0") -> DesiredObject:
    namespace = app.replace("/", "-")
    return DesiredObject(
        body={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {"midway.dev/blueprint": blueprint},
            },
        },
        path=f"dev/dev-1/{namespace}/{name}.yaml",
        app=app,
    )


ALPHA = _configmap("qa/alpha", "alpha-kv")
BETA = _configmap("qa/beta", "beta-kv")
CONTEST = ContestedField(
    destination=DEV,
    key=ALPHA.key,
    path="data.mode",
    pointer="/data/mode",
    manager="kubectl-patch",
    reverts=3,
    since=100.0,
    app="qa/alpha",
)


def _full_document() -> StatusDocument:
    """Every field set, so a round trip proves every key is read back."""
    change = ChangeSummary(
        object=str(ALPHA.key),
        action="configured",
        time=10.0,
        reason="drift",
        fields=("data.mode",),
        error=False,
    )
    contested = _contest(manager="kubectl-patch", since=100.0, suggestion="spec: ...")
    app = AppStatus(
        blueprint="kv@1.0.0",
        status="drifted",
        drift={"modified": 1},
        objects=1,
        last_correction=change,
        contested=(contested,),
        errors=(str(ALPHA.key),),
        drift_fields=(
            DriftedField(
                object=str(ALPHA.key),
                field="data.mode",
                change="changed",
                manager="kubectl-patch",
                time="2026-01-01T00:00:00Z",
                desired="fast",
                live="slow",
            ),
        ),
    )
    dest = DestinationStatus(
        env="dev",
        cluster="dev-1",
        state_commit="abc",
        reachable=True,
        synced=True,
        last_sync=11.0,
        objects={"in-sync": 0, "modified": 1, "orphan": 0},
        apps={"qa/alpha": app},
        contested=(contested,),
        failing={str(ALPHA.key): "forbidden"},
        recent=(change,),
        changes={"configured": 1},
        queue_depth=0,
        unwatched={"example.com/v1 Widget": "not served"},
        memory=DestinationMemory(applied_commit="abc"),
    )
    refused = refused_status(Destination("prod", "eu"), "server is not prod's")
    return StatusDocument(
        written_at=12.0,
        identity="host-1",
        config_commit="c0ffee",
        state_commit="abc",
        state="/repo/.midway/state.git",
        publish_error=None,
        state_error="fetch failed",
        shards=Shards(count=2, held=(0, 1)),
        destinations={"dev/dev-1": dest, "prod/eu": refused},
    )


def _contest(*, manager: str, since: float, suggestion: str) -> ContestedEntry:
    """ALPHA's data.mode, contested by `manager`."""
    return ContestedEntry(
        object=str(ALPHA.key),
        kind="ConfigMap",
        name="alpha-kv",
        namespace="qa-alpha",
        field="data.mode",
        pointer="/data/mode",
        manager=manager,
        reverts=3,
        since=since,
        app="qa/alpha",
        suggestion=suggestion,
    )


def test_a_document_round_trips_and_validates_against_its_schema() -> None:
    document = _full_document()
    data = checked(document.to_json())
    assert StatusDocument.from_json(data) == document
    # JSON through text too: what the file holds
    assert StatusDocument.from_json(json.loads(json.dumps(data))) == document


def test_the_schema_is_packaged_beside_the_module() -> None:
    schema = json_schema()
    assert schema["$id"].endswith("daemon-status.schema.json")
    assert "applied_commit" in schema["$defs"]["destination"]["required"]


def test_an_older_or_hand_written_file_still_reads() -> None:
    """Files written before the type (missing keys, `apps: {}`) read with defaults."""
    old: dict[str, Any] = {
        "version": 1,
        "written_at": 5.0,
        "identity": "host-1",
        "destinations": {
            "dev/dev-1": {
                "env": "dev",
                "cluster": "dev-1",
                "applied_commit": "abc",
                "recent": [{"object": "ConfigMap a/b", "action": "created", "time": 1}],
                "apps": {},
                "contested": [],
            }
        },
    }
    document = StatusDocument.from_json(old)
    dest = document.destinations["dev/dev-1"]
    assert dest.reachable and dest.synced and not dest.live
    assert dest.recent == (ChangeSummary(object="ConfigMap a/b", action="created", time=1.0),)
    checked(document.to_json())


def test_the_remembered_part_is_what_a_restart_reads(tmp_path: Path) -> None:
    path = tmp_path / "daemon-status.json"
    write_status(path, _full_document())
    document = read_status(path)
    assert document is not None
    assert document.memory() == {
        "dev/dev-1": DestinationMemory(applied_commit="abc"),
        "prod/eu": DestinationMemory(applied_commit=None),
    }


def test_a_file_that_is_not_a_status_document_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "daemon-status.json"
    path.write_text('{"destinations": {"dev/dev-1": {"recent": [{"no": "object"}]}}}')
    assert read_status(path) is None
    path.write_text("[]")
    assert read_status(path) is None


def test_app_status_has_one_rule_for_every_writer() -> None:
    assert app_status({"in-sync": 2}) == "in-sync"
    assert app_status({"in-sync": 1, "modified": 1}) == "drifted"
    assert app_status({"missing": 1, "unknown": 1}) == "drifted"
    assert app_status({"in-sync": 1, "unknown": 1}) == "syncing"  # not evaluated yet
    assert app_status({"ignored": 1}) == "in-sync"
    assert app_status({"in-sync": 1}, reachable=False) == "unknown"


def test_apps_group_objects_with_their_blueprint_contests_and_errors() -> None:
    contested = _contest(manager="m", since=1.0, suggestion="")
    apps = app_statuses(
        [ALPHA, BETA],
        {ALPHA.key: "modified"},
        contested=[contested],
        failing=[BETA.key],
    )
    assert list(apps) == ["qa/alpha", "qa/beta"]
    assert apps["qa/alpha"] == AppStatus(
        blueprint="kv@1.0.0",
        status="drifted",
        drift={"modified": 1},
        objects=1,
        contested=(contested,),
    )
    assert apps["qa/beta"].drift == {"unknown": 1} and apps["qa/beta"].status == "syncing"
    assert apps["qa/beta"].errors == (str(BETA.key),)


def _entry(obj: DesiredObject, action: Any, **kw: Any) -> ChangeSetEntry:
    return ChangeSetEntry(destination=DEV, key=obj.key, action=action, app=obj.app, **kw)


def test_a_corrected_object_is_in_sync_unless_contested() -> None:
    assert settled_verdict("modified", _entry(ALPHA, "configured")) == "in-sync"
    assert settled_verdict("missing", _entry(ALPHA, "created")) == "in-sync"
    assert settled_verdict("modified", _entry(ALPHA, "skipped")) == "modified"
    assert settled_verdict("modified", _entry(ALPHA, "configured", contested=(CONTEST,))) == (
        "modified"
    )
    assert settled_verdict("ignored", None) == "ignored"


def test_once_reports_apps_like_the_daemon() -> None:
    """`daemon --once` used to write `apps: {}`: now its apps come from the sync result."""
    report = DriftReport(
        destination=DEV,
        mode="server",
        objects=(
            ObjectDrift(key=ALPHA.key, status="missing", app="qa/alpha"),
            ObjectDrift(key=BETA.key, status="modified", app="qa/beta"),
        ),
    )
    result = SyncResult(DEV, report, state_commit="abc")
    result.changes.extend(
        [
            _entry(ALPHA, "created", time=5.0),
            _entry(BETA, "skipped", reason="forbidden", error=True, time=6.0),
        ]
    )
    dest = sync_result_status(result, [ALPHA, BETA], contested=[CONTEST], last_sync=None)
    checked(StatusDocument(destinations={"dev/dev-1": dest}).to_json())
    assert dest.memory.applied_commit == "abc"
    assert dest.apps["qa/alpha"].status == "in-sync"
    assert dest.apps["qa/alpha"].last_correction == ChangeSummary(
        object=str(ALPHA.key), action="created", time=5.0, reason=""
    )
    assert dest.apps["qa/alpha"].contested[0].manager == "kubectl-patch"
    assert dest.apps["qa/beta"].status == "drifted"
    assert dest.apps["qa/beta"].errors == (str(BETA.key),)
    assert dest.failing == {str(BETA.key): "forbidden"}
    assert [e.action for e in dest.recent] == ["created", "skipped"]
    assert dest.changes is not None and dest.changes["created"] == 1


def test_the_reconciler_view_becomes_its_destination_entry() -> None:
    view = ReconcilerView(
        destination=DEV,
        state_commit="abc",
        desired={ALPHA.key: ALPHA, BETA.key: BETA},
        verdicts={ALPHA.key: "in-sync"},
        reachable=True,
        synced=True,
        counts={"in-sync": 1, "unknown": 1},
        recent=[_entry(ALPHA, "configured", time=3.0)],
        last_correction={"qa/alpha": _entry(ALPHA, "configured", time=3.0)},
        failing={BETA.key: "boom", ObjectKey("", "ConfigMap", "gone", "x"): "old"},
        contested=[CONTEST],
    )
    dest = reconciler_status(view)
    checked(StatusDocument(destinations={"dev/dev-1": dest}).to_json())
    assert dest.apps["qa/alpha"].status == "in-sync"
    assert dest.apps["qa/alpha"].last_correction is not None
    assert dest.apps["qa/beta"].status == "syncing"
    assert dest.apps["qa/beta"].errors == (str(BETA.key),)  # only desired objects
    assert len(dest.failing) == 2 and len(dest.contested) == 1

    down = reconciler_status(
        ReconcilerView(
            destination=DEV,
            state_commit="abc",
            desired={ALPHA.key: ALPHA},
            verdicts={},
            reachable=False,
            synced=False,
            counts={"unknown": 1},
        )
    )
    assert down.apps["qa/alpha"].status == "unknown" and not down.reachable


def test_drift_fields_say_who_changed_what_of_objects_still_modified() -> None:
    mode = FieldDrift(
        pointer="/data/mode",
        path="data.mode",
        change="changed",
        desired="fast",
        live="slow",
        manager="kubectl-patch",
        time="2026-01-01T00:00:00Z",
    )
    ignored = FieldDrift(pointer="/data/x", path="data.x", change="added", ignored_by="rule")
    apps = app_statuses(
        [ALPHA, BETA],
        {ALPHA.key: "modified", BETA.key: "in-sync"},
        drift_fields={ALPHA.key: (mode, ignored), BETA.key: (mode,)},  # BETA: corrected since
    )
    assert apps["qa/alpha"].drift_fields == (
        DriftedField(
            object=str(ALPHA.key),
            field="data.mode",
            change="changed",
            manager="kubectl-patch",
            time="2026-01-01T00:00:00Z",
            desired="fast",
            live="slow",
        ),
    )
    assert apps["qa/beta"].drift_fields == ()
