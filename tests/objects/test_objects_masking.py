"""The one masking rule, walked fast: it masks exactly the leaves `is_sensitive` names, and
the text pre-check never lets a maskable object through (cases by name: test_drift_masking)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import pytest

from midway.objects.masking import MASK, is_sensitive, mask_value, may_hold_secrets
from midway.objects.paths import Item, Path
from midway.render.serialize import canonical, to_yaml

CORPUS = FilePath(__file__).resolve().parents[1] / "drift/testdata/corpus"


def _reference(kind: str, path: Path, value: Any) -> Any:
    """Mask leaf by leaf, asking `is_sensitive` of every full path (the rule as written)."""
    if value is None:
        return None
    if is_sensitive(kind, path):
        return _all_masked(value)
    if isinstance(value, Mapping):
        return {k: _reference(kind, (*path, k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reference(kind, (*path, Item(i, _name(v))), v) for i, v in enumerate(value)]
    return value


def _name(item: Any) -> tuple[str, Any] | None:
    named = isinstance(item, Mapping) and isinstance(item.get("name"), str)
    return ("name", item["name"]) if named else None


def _all_masked(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _all_masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_all_masked(v) for v in value]
    return MASK


SAMPLES: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{…}", "a": "b"},
        },
        "data": {"pw": "aHVudGVyMg==", "nested": {"x": ["y", None]}},
        "type": "Opaque",
    },
    {
        "kind": "Deployment",
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "env": [
                                {"name": "DB_PASSWORD", "value": "x"},
                                {"name": "LEVEL", "value": "info"},
                                {"name": "T", "valueFrom": {"secretKeyRef": {"name": "s"}}},
                            ],
                        }
                    ],
                    "volumes": [{"name": "v", "secret": {"secretName": "s"}}],
                }
            }
        },
    },
    {"kind": "ConfigMap", "data": {"api_key": "k", "Private-Key": None, "plain": "v"}},
]


def _corpus_objects() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for case in sorted(CORPUS.glob("*.json")):
        data = json.loads(case.read_text())
        found += [data[side] for side in ("desired", "live") if isinstance(data.get(side), dict)]
    return found


@pytest.mark.parametrize("obj", SAMPLES + _corpus_objects())
def test_fast_walk_masks_what_the_rule_names(obj: dict[str, Any]) -> None:
    kind = str(obj.get("kind", ""))
    masked, any_masked = mask_value(kind, (), obj)
    expected = _reference(kind, (), obj)
    assert masked == expected
    assert any_masked or expected == obj  # (an empty map under a sensitive key counts too)
    if any_masked:  # the pre-check may say "maybe" too often, never "no" wrongly
        assert may_hold_secrets(obj, to_yaml(canonical(obj)).encode())


def test_a_sensitive_path_given_up_front_masks_everything_below() -> None:
    masked, did = mask_value("ConfigMap", ("data", "token"), {"a": [1, {"b": 2}]})
    assert did and masked == {"a": [MASK, {"b": MASK}]}


def test_the_pre_check_clears_plain_objects() -> None:
    plain = {"kind": "ConfigMap", "data": {"currency": "EUR"}}
    assert not may_hold_secrets(plain, to_yaml(canonical(plain)).encode())
    assert may_hold_secrets({"kind": "Secret"}, b"kind: Secret\n")
    assert may_hold_secrets(plain, b'data: {"\\u0074oken": x}\n')  # escaped: not sure
