"""managedFields (fieldsV1) -> who owns a path; fields other managers added."""

from __future__ import annotations

from typing import Any

from midway.drift.attribution import foreign_fields, managed_entries, owner_of
from midway.objects.paths import Item, readable

LIVE: dict[str, Any] = {
    "metadata": {
        "name": "web",
        "labels": {"a": "1", "oncall": "bob"},
        "managedFields": [
            {
                "manager": "midway",
                "operation": "Apply",
                "time": "2024-01-01T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:a": {}}},
                    "f:spec": {
                        "f:replicas": {},
                        "f:selector": {},
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"web"}': {
                                        ".": {},
                                        "f:name": {},
                                        "f:ports": {
                                            'k:{"containerPort":80,"protocol":"TCP"}': {
                                                ".": {},
                                                "f:containerPort": {},
                                            }
                                        },
                                    }
                                }
                            }
                        },
                    },
                },
            },
            {
                "manager": "kubectl-set",
                "operation": "Update",
                "time": "2024-01-02T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:spec": {
                        "f:template": {
                            "f:spec": {"f:containers": {'k:{"name":"web"}': {"f:image": {}}}}
                        }
                    }
                },
            },
            {
                "manager": "kubectl-edit",
                "operation": "Update",
                "time": "2024-01-03T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:oncall": {}}},
                    "f:spec": {
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"side"}': {".": {}, "f:image": {}, "f:name": {}}
                                }
                            }
                        }
                    },
                },
            },
        ],
    },
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "web:2",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    },
                    {"name": "side", "image": "busybox"},
                ]
            }
        },
    },
}
DESIRED: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"a": "1"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}},
    },
}
WEB = Item(0, ("name", "web"))


def owner(path: tuple[Any, ...]) -> str | None:
    found = owner_of(managed_entries(LIVE), path, [LIVE, DESIRED])
    return found.manager if found else None


def test_deepest_owner_wins_and_midway_never_explains_drift() -> None:
    assert owner(("spec", "template", "spec", "containers", WEB, "image")) == "kubectl-set"
    assert owner(("spec", "replicas")) is None  # only midway: kubectl scale on 1.20
    assert owner(("metadata", "labels", "oncall")) == "kubectl-edit"


def test_atomic_fields_own_everything_beneath() -> None:
    # f:selector is a leaf: midway owns matchLabels.app through it, nobody else
    assert owner(("spec", "selector", "matchLabels", "app")) is None


def test_list_items_are_matched_by_their_keys() -> None:
    side = Item(1, ("name", "side"))
    assert owner(("spec", "template", "spec", "containers", side)) == "kubectl-edit"
    port = Item(0, ("containerPort", 80))
    path = ("spec", "template", "spec", "containers", WEB, "ports", port, "containerPort")
    assert owner(path) is None


def test_operation_and_time_come_with_the_owner() -> None:
    found = owner_of(
        managed_entries(LIVE), ("spec", "template", "spec", "containers", WEB, "image"), [LIVE]
    )
    assert found is not None
    assert (found.operation, found.time) == ("Update", "2024-01-02T00:00:00Z")


def test_foreign_fields_are_reported_once_at_their_top() -> None:
    found = {
        readable(p): (v, o.manager)
        for p, v, o in foreign_fields(managed_entries(LIVE), LIVE, DESIRED)
    }
    assert found == {
        "metadata.labels.oncall": ("bob", "kubectl-edit"),
        "spec.template.spec.containers[name=side]": (
            {"name": "side", "image": "busybox"},
            "kubectl-edit",
        ),
    }


def test_a_map_desired_lacks_is_reported_by_key() -> None:
    live = {
        "metadata": {
            "annotations": {"x/y": "1"},
            "managedFields": [
                {
                    "manager": "kubectl-annotate",
                    "operation": "Update",
                    "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:x/y": {}}}},
                }
            ],
        }
    }
    # "." marks the map itself: still a map, reported key by key
    found = foreign_fields(managed_entries(live), live, {"metadata": {}})
    assert [readable(p) for p, _, _ in found] == ['metadata.annotations["x/y"]']
