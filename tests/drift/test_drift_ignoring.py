"""Ignore rules (blueprint, environment, app) and the built-in presets."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from midway.drift.evaluate import evaluate_object
from midway.drift.ignoring import IgnoreRules, ScopedRule, pointer_prefix_matches
from midway.drift.model import ClusterFacts, DesiredObject
from midway.errors import MidwayError, SourceLocation
from midway.model import IgnoreRule
from midway.objects.paths import Item

DESIRED: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "labels": {"midway.dev/team": "t", "midway.dev/app": "web"},
        "annotations": {"midway.dev/blueprint": "web-service@2.1.0"},
    },
    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "a"}]}}},
}


def managed(manager: str, fields: dict[str, Any], op: str = "Update") -> dict[str, Any]:
    return {"manager": manager, "operation": op, "time": "2024-01-01T00:00:00Z", "fieldsV1": fields}


def live_with(mutate: Any, *entries: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(DESIRED)
    mutate(live)
    live["metadata"]["managedFields"] = list(entries)
    return live


def scaled(live: dict[str, Any]) -> None:
    live["spec"]["replicas"] = 4


def evaluate(live: dict[str, Any], **kwargs: Any) -> Any:
    return evaluate_object(DesiredObject(DESIRED, app="t/web"), live, mode="offline", **kwargs)


def test_hpa_preset_only_when_an_hpa_targets_the_object() -> None:
    live = live_with(scaled)
    assert evaluate(live).status == "modified"
    drift = evaluate(live, facts=ClusterFacts(frozenset({("shop", "Deployment", "web")})))
    assert drift.status == "ignored"
    assert drift.fields[0].ignored_by == "preset hpa-replicas"


def test_rules_scope_to_their_app_and_blueprint() -> None:
    rule = IgnoreRule(kind="Deploy*", path="/spec/replicas", source=SourceLocation("x.yaml", 3))
    live = live_with(scaled)
    other_app = IgnoreRules((ScopedRule(rule, "app", app="t/other"),))
    assert evaluate(live, rules=other_app).status == "modified"
    this_app = IgnoreRules((ScopedRule(rule, "app", app="t/web"),))
    drift = evaluate(live, rules=this_app)
    assert drift.status == "ignored"
    assert drift.fields[0].ignored_by == "app rule at x.yaml:3 (kind=Deploy* path=/spec/replicas)"
    blueprint = IgnoreRules((ScopedRule(rule, "blueprint", blueprint="web-service@2.1.0"),))
    assert evaluate(live, rules=blueprint).status == "ignored"
    old_blueprint = IgnoreRules((ScopedRule(rule, "blueprint", blueprint="web-service@1.0.0"),))
    assert evaluate(live, rules=old_blueprint).status == "modified"


def test_manager_rules_and_whole_object_rules() -> None:
    def edit(live: dict[str, Any]) -> None:
        live["spec"]["template"]["spec"]["containers"][0]["image"] = "b"

    entry = managed(
        "kubectl-edit",
        {
            "f:spec": {
                "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {"f:image": {}}}}}
            }
        },
    )
    live = live_with(edit, entry)
    by_manager = IgnoreRules((ScopedRule(IgnoreRule(manager="kubectl-*"), "environment"),))
    assert evaluate(live, rules=by_manager).status == "ignored"
    whole = IgnoreRules((ScopedRule(IgnoreRule(kind="Deployment", name="w*"), "environment"),))
    drift = evaluate(live, rules=whole)
    assert drift.status == "ignored" and drift.ignored_by and drift.fields == ()
    # a whole-object rule covers orphans too
    orphan = evaluate_object(None, live, mode="offline", rules=whole)
    assert orphan.status == "ignored"


def test_pointer_prefixes_accept_index_merge_key_and_star() -> None:
    path = ("spec", "containers", Item(2, ("name", "web")), "image")
    assert pointer_prefix_matches("/spec/containers/2/image", path)
    assert pointer_prefix_matches("/spec/containers/name=web", path)
    assert pointer_prefix_matches("/spec/containers/*/image", path)
    assert pointer_prefix_matches("/spec", path)
    assert not pointer_prefix_matches("/spec/containers/1", path)
    assert not pointer_prefix_matches("/spec/containers/name=db", path)
    # rules are read leniently, as before pointers had one parser: "/" is the whole object
    assert pointer_prefix_matches("/", path)
    assert pointer_prefix_matches("spec/containers", path)
    assert pointer_prefix_matches("/spec/a~1b", ("spec", "a/b"))


@pytest.mark.parametrize(
    ("kind", "path", "name"),
    [
        ("MutatingWebhookConfiguration", "/webhooks/0/clientConfig/caBundle", "webhook-ca-bundle"),
        (
            "CustomResourceDefinition",
            "/spec/conversion/webhook/clientConfig/caBundle",
            "webhook-ca-bundle",
        ),
        ("APIService", "/spec/caBundle", "webhook-ca-bundle"),
    ],
)
def test_ca_bundle_preset(kind: str, path: str, name: str) -> None:
    from midway.drift.ignoring import FieldContext
    from midway.drift.model import FieldDrift
    from midway.drift.presets import all_presets
    from midway.model import ObjectKey

    tokens: list[Any] = []
    for token in path.strip("/").split("/"):
        tokens.append(Item(int(token)) if token.isdigit() else token)
    ctx = FieldContext(ObjectKey("", kind, "", "x"), "server", None, None, ClusterFacts())
    field = FieldDrift(pointer=path, path="", change="changed", desired="a", live="b")
    matched = [p.name for p in all_presets() if p.matches(ctx, tuple(tokens), field)]
    assert matched == [name]


def test_silent_presets_drop_their_fields() -> None:
    def stamp(live: dict[str, Any]) -> None:
        live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "4"
        live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePolicy"] = "File"

    entry = managed(
        "kube-controller-manager",
        {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}},
    )
    replace = managed(
        "kubectl-replace",
        {
            "f:spec": {
                "f:template": {
                    "f:spec": {
                        "f:containers": {'k:{"name":"web"}': {"f:terminationMessagePolicy": {}}}
                    }
                }
            }
        },
    )
    assert evaluate(live_with(stamp, entry, replace)).status == "in-sync"


def test_unknown_condition_is_a_config_error() -> None:
    from dataclasses import replace
    from pathlib import Path

    from midway.config.loader import load_config
    from midway.config.source import DiskSource

    config = load_config(DiskSource(Path(__file__).resolve().parents[2]))
    env = config.environments["dev"]
    bad = replace(
        env, ignore=(IgnoreRule(when="sunday", source=SourceLocation("environments/dev.yaml", 30)),)
    )
    broken = replace(config, environments={**config.environments, "dev": bad})
    with pytest.raises(MidwayError, match="unknown ignore condition"):
        IgnoreRules.from_config(broken, "dev")
    rules = IgnoreRules.from_config(config, "dev")
    scopes = {r.scope for r in rules.rules}
    assert scopes == {"app", "blueprint"}  # dev has no environment rules
