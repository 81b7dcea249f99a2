"""The return shapes a blueprint may use (docs/blueprints.md, the nested-map return shape)."""

from __future__ import annotations

import pytest

from midway.errors import MidwayError, SourceLocation
from midway.render.normalize import flatten

WHERE = SourceLocation("blueprints/x/main.jsonnet")


def cm(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def labels(value: object) -> list[tuple[str, str]]:
    return [(label, obj["metadata"]["name"]) for label, obj in flatten(value, "bp", WHERE)]  # type: ignore[index,call-overload]


def test_a_list_keeps_its_order_and_drops_nulls() -> None:
    assert labels([cm("b"), None, cm("a")]) == [("#1", "b"), ("#3", "a")]


def test_nested_maps_are_walked_by_sorted_key() -> None:
    value = {
        "prometheus": {"service": cm("p-svc"), "account": cm("p-sa")},
        "alertmanager": {"pdb": None, "deep": {"deeper": cm("am")}},
        "empty": {},
    }
    assert labels(value) == [
        ("alertmanager.deep.deeper", "am"),
        ("prometheus.account", "p-sa"),
        ("prometheus.service", "p-svc"),
    ]


def test_a_list_kind_gives_its_items() -> None:
    dashboards = {"apiVersion": "v1", "kind": "ConfigMapList", "items": [cm("d1"), cm("d2")]}
    generic = {"apiVersion": "v1", "kind": "List", "items": [[cm("g")]]}
    assert labels({"dashboards": dashboards, "z": generic}) == [
        ("dashboards.items[0]", "d1"),
        ("dashboards.items[1]", "d2"),
        ("z.items[0][0]", "g"),
    ]


def test_an_object_whose_kind_ends_in_list_but_has_a_name_is_an_object() -> None:
    allow = {"apiVersion": "x.io/v1", "kind": "AllowList", "metadata": {"name": "a"}, "items": []}
    assert labels([allow]) == [("#1", "a")]


def test_an_object_missing_fields_is_kept_to_be_reported_not_walked_into() -> None:
    assert flatten({"x": {"metadata": {"name": "n"}}}, "bp", WHERE) == [
        ("x", {"metadata": {"name": "n"}})
    ]


def test_a_scalar_is_named_where_it_is() -> None:
    with pytest.raises(MidwayError) as caught:
        flatten({"prometheus": {"config": "text"}}, "bp", WHERE)
    assert "`prometheus.config` returned by bp is str, not a Kubernetes object" in str(caught.value)
