"""Immutable-field refusals (pure, on the API server's recorded answers) and the opt-in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from midway.cluster.errors import status_error
from midway.sync.recreate import immutable_fields, recreate_allowed, sync_options


def _invalid(kind: str, name: str, causes: list[tuple[str, str, str]], code: int = 422) -> Any:
    message = f'{kind} "{name}" is invalid: ' + ", ".join(f"{f}: {m}" for _, f, m in causes)
    status = {
        "kind": "Status",
        "status": "Failure",
        "reason": "Invalid",
        "message": message,
        "details": {
            "name": name,
            "kind": kind,
            "causes": [{"reason": r, "field": f, "message": m} for r, f, m in causes],
        },
        "code": code,
    }
    return status_error(code, json.dumps(status), action="apply", target="the cluster")


RECORDED = [
    (  # 1.20.2
        "Deployment",
        [
            (
                "FieldValueInvalid",
                "spec.selector",
                'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
            )
        ],
        ("spec.selector",),
    ),
    (
        "Service",
        [
            (
                "FieldValueInvalid",
                "spec.clusterIPs[0]",
                'Invalid value: []string{"None"}: may not change once set',
            )
        ],
        ("spec.clusterIPs[0]",),
    ),
    (
        "Job",
        [
            (
                "FieldValueInvalid",
                "spec.template",
                "Invalid value: core.PodTemplateSpec{...}: field is immutable",
            )
        ],
        ("spec.template",),
    ),
    (
        "StatefulSet",
        [
            (
                "FieldValueForbidden",
                "spec",
                "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                "'template', and 'updateStrategy' are forbidden",
            )
        ],
        ("spec",),
    ),
    (
        "PersistentVolumeClaim",
        [
            (
                "FieldValueForbidden",
                "spec",
                "Forbidden: spec is immutable after creation except resources.requests for "
                "bound claims",
            )
        ],
        ("spec",),
    ),
    (  # 1.30: more fields may change, same shape
        "StatefulSet",
        [
            (
                "FieldValueForbidden",
                "spec",
                "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                "'ordinals', 'template', 'updateStrategy', "
                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            )
        ],
        ("spec",),
    ),
]


@pytest.mark.parametrize(("kind", "causes", "fields"), RECORDED)
def test_immutable_fields_are_recognised(
    kind: str, causes: list[tuple[str, str, str]], fields: tuple[str, ...]
) -> None:
    assert immutable_fields(_invalid(kind, "x", causes)) == fields


def test_other_refusals_are_not_immutable() -> None:
    duplicate = _invalid(
        "Service", "web", [("FieldValueDuplicate", "spec.ports[1].name", 'Duplicate value: "http"')]
    )
    assert immutable_fields(duplicate) is None


def test_the_opt_in_is_an_annotation_of_sync_options() -> None:
    def body(value: str | None) -> dict[str, Any]:
        annotations = {"midway.dev/sync-options": value} if value is not None else {}
        return {"metadata": {"annotations": annotations}}

    assert recreate_allowed(body("Recreate=true"))
    assert recreate_allowed(body(" Prune=false , Recreate=TRUE"))
    assert sync_options(body("Prune=false,Recreate=true")) == {
        "Prune": "false",
        "Recreate": "true",
    }
    assert not recreate_allowed(body("Recreate=false"))
    assert not recreate_allowed(body(None))
    assert not recreate_allowed(None)


def test_the_hints_point_at_live_edits_not_at_the_blueprint() -> None:
    duplicate = _invalid(
        "Service", "web", [("FieldValueDuplicate", "spec.ports[1].name", 'Duplicate value: "http"')]
    )
    assert duplicate.hint is not None and duplicate.hint.startswith("a live edit may collide")
    immutable = _invalid("Job", "x", RECORDED[2][1])
    assert immutable.hint is not None and "Recreate=true" in immutable.hint
    assert "blueprint" not in immutable.hint
