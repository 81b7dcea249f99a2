"""Field paths of three spellings resolve against a document; remove and set edit it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from midway.objects.fieldpath import remove, resolve_path, set_value
from midway.objects.pointer import resolve_pointer, to_pointer

DEPLOYMENT: dict[str, Any] = {
    "metadata": {
        "name": "web",
        "annotations": {"kubectl.kubernetes.io/restartedAt": "now", "kubectl": "x"},
    },
    "spec": {
        "replicas": 2,
        "template": {
            "spec": {
                "containers": [
                    {"name": "side", "image": "side:1", "ports": [{"containerPort": 9000}]},
                    {"name": "web", "image": "web:1", "args": ["a", "b"]},
                ]
            }
        },
    },
}


IMAGE = ["spec", "template", "spec", "containers", 1, "image"]
RESTARTED = ["metadata", "annotations", "kubectl.kubernetes.io/restartedAt"]


@pytest.mark.parametrize(
    ("path", "tokens"),
    [
        ("/spec/replicas", ["spec", "replicas"]),
        ("/spec/template/spec/containers/1/image", IMAGE),
        ("spec.template.spec.containers[name=web].image", IMAGE),
        ('.spec.template.spec.containers[name="web"].image', IMAGE),
        (
            "spec.template.spec.containers[name=side].ports[containerPort=9000]",
            ["spec", "template", "spec", "containers", 0, "ports", 0],
        ),
        (
            '.spec.template.spec.containers[name="web"].args[="b"]',
            ["spec", "template", "spec", "containers", 1, "args", 1],
        ),
        ("metadata.annotations.kubectl.kubernetes.io/restartedAt", RESTARTED),
        ('metadata.annotations["kubectl.kubernetes.io/restartedAt"]', RESTARTED),
        ("/metadata/annotations/kubectl.kubernetes.io~1restartedAt", RESTARTED),
    ],
)
def test_spellings_resolve_to_the_same_tokens(path: str, tokens: list[str | int]) -> None:
    assert resolve_path(DEPLOYMENT, path) == tokens


def test_absent_paths_resolve_to_none() -> None:
    assert resolve_path(DEPLOYMENT, "spec.template.spec.containers[name=db].image") is None
    assert resolve_path(DEPLOYMENT, "/spec/paused") is None
    assert resolve_pointer(DEPLOYMENT, "/spec/template/spec/containers/7") is None


def test_remove_cleans_up_empty_parents_and_set_replaces() -> None:
    doc = copy.deepcopy(DEPLOYMENT)
    tokens = resolve_path(doc, "/metadata/annotations/kubectl")
    assert tokens is not None and remove(doc, tokens)
    tokens = resolve_path(doc, 'metadata.annotations["kubectl.kubernetes.io/restartedAt"]')
    assert tokens is not None and remove(doc, tokens)
    assert "annotations" not in doc["metadata"]
    tokens = resolve_path(doc, "spec.replicas")
    assert tokens is not None
    set_value(doc, tokens, 5)
    assert doc["spec"]["replicas"] == 5
    assert to_pointer(["metadata", "annotations", "a/b~c"]) == "/metadata/annotations/a~1b~0c"
