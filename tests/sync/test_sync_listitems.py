"""List items other managers added or re-keyed (pure): found from managedFields, taken out,
and the desired items they displaced put back — on objects recorded from 1.20."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from midway.drift.evaluate import evaluate_object
from midway.drift.model import DesiredObject
from midway.objects.fieldpath import get_value
from midway.sync.listitems import foreign_items, items_to_replace, without_foreign_items

DESIRED_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
    },
}

# after `kubectl patch svc web --type=json -p '[{"op":"replace","path":"/spec/ports/0/port",
# "value":8080}]'` (recorded from 1.20.2)
PATCHED_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "resourceVersion": "285",
        "managedFields": [
            {
                "manager": "midway",
                "operation": "Apply",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:selector": {"f:app": {}}}},
            },
            {
                "manager": "kubectl-patch",
                "operation": "Update",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:spec": {
                        "f:ports": {
                            'k:{"port":8080,"protocol":"TCP"}': {
                                ".": {},
                                "f:name": {},
                                "f:port": {},
                                "f:protocol": {},
                                "f:targetPort": {},
                            }
                        }
                    }
                },
            },
        ],
    },
    "spec": {
        "selector": {"app": "web"},
        "clusterIP": "10.96.0.12",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": "http"}],
    },
}


def test_a_rekeyed_service_port_is_found_and_replaced_by_the_desired_one() -> None:
    items = foreign_items(PATCHED_SERVICE, DESIRED_SERVICE)
    assert [(i.path, i.pointer, i.manager) for i in items] == [
        ("spec.ports[name=http]", "/spec/ports/0", "kubectl-patch")
    ]
    chosen = items_to_replace(items, corrected=["/spec/ports/0/port"], left_alone=[])
    body = without_foreign_items(PATCHED_SERVICE, DESIRED_SERVICE, chosen)
    assert body is not None
    assert body["spec"]["ports"] == DESIRED_SERVICE["spec"]["ports"]
    assert body["spec"]["clusterIP"] == "10.96.0.12"  # everything else as live has it
    assert body["metadata"]["resourceVersion"] == "285"  # the PUT is a compare-and-swap
    assert "managedFields" not in body["metadata"]


def test_items_outside_corrected_lists_or_left_alone_stay() -> None:
    items = foreign_items(PATCHED_SERVICE, DESIRED_SERVICE)
    assert items_to_replace(items, corrected=["/spec/selector/app"], left_alone=[]) == []
    ignored = items_to_replace(items, corrected=["/spec/ports/0/port"], left_alone=["/spec/ports"])
    assert ignored == []


def test_an_added_item_is_taken_out_and_other_items_keep_their_order() -> None:
    desired = copy.deepcopy(DESIRED_SERVICE)
    desired["spec"]["ports"].append({"name": "admin", "port": 9000, "protocol": "TCP"})
    live = copy.deepcopy(PATCHED_SERVICE)
    live["spec"]["ports"] = [
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
        {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090},
        {"name": "admin", "port": 9000, "protocol": "TCP", "targetPort": 9000},
    ]
    live["metadata"]["managedFields"][1]["fieldsV1"] = {
        "f:spec": {"f:ports": {'k:{"port":9090,"protocol":"TCP"}': {".": {}, "f:name": {}}}}
    }
    items = foreign_items(live, desired)
    assert [i.path for i in items] == ["spec.ports[name=metrics]"]
    body = without_foreign_items(live, desired, items)
    assert body is not None
    assert [p["name"] for p in body["spec"]["ports"]] == ["http", "admin"]


def test_a_renamed_container_is_swapped_back() -> None:
    desired = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}},
    }
    live = copy.deepcopy(desired)
    live["spec"]["template"]["spec"]["containers"] = [
        {"name": "old", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent"}
    ]
    live["metadata"]["managedFields"] = [
        {
            "manager": "kubectl-patch",
            "operation": "Update",
            "fieldsV1": {
                "f:spec": {
                    "f:template": {
                        "f:spec": {"f:containers": {'k:{"name":"old"}': {".": {}, "f:name": {}}}}
                    }
                }
            },
        }
    ]
    items = foreign_items(live, desired)
    assert [i.path for i in items] == ["spec.template.spec.containers[name=old]"]
    chosen = items_to_replace(items, ["/spec/template/spec/containers/0"], [])
    body = without_foreign_items(live, desired, chosen)
    assert body is not None
    assert body["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx:1.25"}
    ]


def test_set_items_and_metadata_lists_are_never_touched() -> None:
    live = copy.deepcopy(PATCHED_SERVICE)
    live["metadata"]["finalizers"] = ["example.com/keep"]
    live["metadata"]["managedFields"][1]["fieldsV1"] = {
        "f:metadata": {"f:finalizers": {'v:"example.com/keep"': {}}}
    }
    desired = copy.deepcopy(DESIRED_SERVICE)
    desired["metadata"]["finalizers"] = ["example.com/other"]
    assert foreign_items(live, desired) == []


# Replayed on the recorded live edits (tests/drift/testdata/corpus/): which of them leave
# list items of other managers that sync must take out before applying.
CORPUS = Path(__file__).parents[1] / "drift" / "testdata" / "corpus"
EXPECT_ITEMS = {
    "service-port": ["spec.ports[name=http]"],
    "service-port-edited": ["spec.ports[name=http]"],
    "service-port-added": ["spec.ports[name=metrics]"],
    "container-port-rekeyed": ["spec.template.spec.containers[name=checkout].ports[name=http]"],
    "container-renamed": ["spec.template.spec.containers[name=old]"],
    "env-renamed": ["spec.template.spec.containers[name=ledger-worker].env[name=RENAMED]"],
    "env-added-by-json-patch": ["spec.template.spec.containers[name=indexer].env[name=EXTRA]"],
    "volume-added": ["spec.template.spec.volumes[name=scratch]"],
    "edit-add-container": ["spec.template.spec.containers[name=sidecar]"],
    "set-env-add": ["spec.template.spec.containers[name=checkout].env[name=DEBUG]"],
}
CASES = sorted(p for p in CORPUS.glob("*.json") if not p.name.startswith("in-sync-"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_recorded_edits_leave_foreign_items_only_where_expected(path: Path) -> None:
    case = json.loads(path.read_text())
    if case["desired"] is None or case["live"] is None:
        return  # an orphan or a deleted object: no lists to merge
    desired, live = case["desired"], case["live"]
    drift = evaluate_object(DesiredObject(body=desired), live, mode="offline")
    corrected = [f.pointer for f in drift.counted_fields]
    chosen = items_to_replace(foreign_items(live, desired), corrected, left_alone=[])
    assert [i.path for i in chosen] == EXPECT_ITEMS.get(path.stem, [])
    if not chosen:
        return
    body = without_foreign_items(live, desired, chosen)
    assert body is not None
    for item in chosen:
        remaining = get_value(body, item.list_tokens)
        assert get_value(live, item.tokens) not in remaining  # taken out
    again = foreign_items({**body, "metadata": live["metadata"]}, desired)
    assert not [i for i in again if i.path in EXPECT_ITEMS[path.stem]]
