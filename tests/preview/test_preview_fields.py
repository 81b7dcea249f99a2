"""Field-level differences and Secret masking."""

from __future__ import annotations

from midway.preview.fields import MASK, FieldChange, field_changes, masked, yaml_text
from midway.render.serialize import canonical, to_yaml


def test_nested_changes_as_json_pointers() -> None:
    before = {"spec": {"replicas": 2, "template": {"a/b": 1, "x~y": 1}, "gone": True}}
    after = {"spec": {"replicas": 3, "template": {"a/b": 2, "x~y": 1}, "new": [1]}}
    assert field_changes(before, after) == [
        FieldChange("remove", "/spec/gone", True, None),
        FieldChange("add", "/spec/new", None, [1]),
        FieldChange("replace", "/spec/replicas", 2, 3),
        FieldChange("replace", "/spec/template/a~1b", 1, 2),
    ]


def test_lists_compare_by_position() -> None:
    before = {"ports": [{"port": 80}, {"port": 81}]}
    after = {"ports": [{"port": 8080}]}
    assert field_changes(before, after) == [
        FieldChange("replace", "/ports/0/port", 80, 8080),
        FieldChange("remove", "/ports/1", {"port": 81}, None),
    ]


def test_type_changes_are_replacements() -> None:
    assert field_changes({"a": 1}, {"a": 1.0}) == [FieldChange("replace", "/a", 1, 1.0)]
    assert field_changes({"a": 1}, {"a": True}) == [FieldChange("replace", "/a", 1, True)]
    assert field_changes({"a": {"b": 1}}, {"a": {"b": 1}}) == []
    assert field_changes(1, 2) == [FieldChange("replace", "/", 1, 2)]


def test_secret_values_are_masked_keys_kept() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "hunter2"},
    }
    hidden = masked(secret)
    assert hidden["data"] == {"password": MASK}
    assert hidden["stringData"] == {"token": MASK}
    text = yaml_text(secret, b"data:\n  password: aHVudGVyMg==\n")
    assert "hunter2" not in text and "aHVudGVyMg==" not in text
    assert "password:" in text and "(hidden)" in text
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}
    assert masked(configmap) == configmap
    assert yaml_text(configmap, b"raw: bytes\n") == "raw: bytes\n"


def test_the_preview_masks_by_drifts_rule_keys_named_like_secrets_too() -> None:
    """One masking rule (midway.objects.masking) for drift and the preview: a value under a
    key named like a password or token is hidden in any kind; references stay visible."""
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app"},
        "data": {"API_TOKEN": "t0ken", "currency": "EUR"},
    }
    hidden = masked(configmap)
    assert hidden["data"] == {"API_TOKEN": MASK, "currency": "EUR"}
    text = yaml_text(configmap, to_yaml(canonical(configmap)).encode())
    assert "t0ken" not in text and 'API_TOKEN: "(hidden)"' in text and "currency: EUR" in text
    assert field_changes(masked(configmap), masked({**configmap, "data": {"API_TOKEN": "x"}})) == [
        FieldChange("remove", "/data/currency", "EUR", None)
    ]
    deployment = {
        "kind": "Deployment",
        "spec": {"volumes": [{"name": "creds", "secret": {"secretName": "db"}}]},
    }
    assert masked(deployment) == deployment
    assert yaml_text(deployment, b"raw: bytes\n") == "raw: bytes\n"
    # a Secret is a Secret by kind, whatever the apiVersion says
    other = {"apiVersion": "example.com/v1", "kind": "Secret", "data": {"k": "djE="}}
    assert masked(other)["data"] == {"k": MASK}
