"""Placement: apps choose the clusters of an environment by the clusters' labels, with
Kubernetes label-selector semantics; a selector that matches nothing is an error at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from midway.config.loader import load_config
from midway.config.placement import placed_clusters
from midway.config.source import DiskSource
from midway.errors import MidwayError, MidwayErrors
from midway.objects.labelselector import LabelSelector, Requirement
from midway.render.pipeline import RenderOptions, render_config
from support.example import PROBE_BLUEPRINT, PROBE_MAIN, write

EU_GOLD = {"region": "eu", "tier": "gold"}
US = {"region": "us"}
BARE: dict[str, str] = {}


@pytest.mark.parametrize(
    ("requirement", "matches"),
    [
        (Requirement("region", "In", ("eu", "ap")), [True, False, False]),
        (Requirement("region", "NotIn", ("eu",)), [False, True, True]),  # unset label: NotIn holds
        (Requirement("tier", "Exists"), [True, False, False]),
        (Requirement("tier", "DoesNotExist"), [False, True, True]),
    ],
)
def test_each_operator(requirement: Requirement, matches: list[bool]) -> None:
    selector = LabelSelector(expressions=(requirement,))
    assert [selector.matches(labels) for labels in (EU_GOLD, US, BARE)] == matches


def test_match_labels_and_expressions_must_all_hold() -> None:
    selector = LabelSelector(
        match_labels=(("region", "eu"),), expressions=(Requirement("tier", "In", ("gold",)),)
    )
    assert selector.matches(EU_GOLD)
    assert not selector.matches({"region": "eu", "tier": "silver"})
    assert not selector.matches(US)
    assert str(selector) == "region=eu,tier in (gold)"


def test_an_empty_selector_matches_every_cluster() -> None:
    assert all(LabelSelector().matches(labels) for labels in (EU_GOLD, US, BARE))


PROD = """\
apiVersion: midway.dev/v1
kind: Environment
metadata: {name: prod}
spec:
  order: 3
  clusters:
    - {name: prod-eu, server: https://eu.example, labels: {region: eu, tier: gold}}
    - {name: prod-us, server: https://us.example, labels: {region: us}}
    - {name: prod-ap, server: https://ap.example, labels: {region: ap, tier: gold}}
"""

DEV = """\
apiVersion: midway.dev/v1
kind: Environment
metadata: {name: dev}
spec:
  order: 1
  clusters:
    - {name: dev-1, server: https://dev.example}
"""


def app(name: str, extra: str = "", envs: str = "  environments: {dev: {}, prod: {}}\n") -> str:
    return (
        "apiVersion: midway.dev/v1\nkind: App\n"
        f"metadata: {{name: {name}, team: qa}}\n"
        f"spec:\n  blueprint: probe@^1\n{envs}{extra}"
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    write(root, "environments/prod.yaml", PROD)
    write(root, "environments/dev.yaml", DEV)
    write(root, "blueprints/probe/blueprint.yaml", PROBE_BLUEPRINT)
    write(root, "blueprints/probe/main.jsonnet", PROBE_MAIN)
    return root


def destinations(root: Path) -> dict[str, list[str]]:
    """app -> the destinations its objects are rendered to, sorted."""
    source = DiskSource(root)
    result = render_config(load_config(source), source, RenderOptions(workers=1))
    found: dict[str, set[str]] = {}
    for obj in result.objects:
        found.setdefault(obj.unit.app, set()).add(str(obj.unit.destination))
    return {app: sorted(where) for app, where in found.items()}


def load_error(root: Path) -> str:
    with pytest.raises((MidwayError, MidwayErrors)) as caught:
        load_config(DiskSource(root))
    return str(caught.value)


def test_without_placement_an_app_goes_to_every_cluster_in_order(fleet: Path) -> None:
    write(fleet, "apps/qa/everywhere.yaml", app("everywhere"))
    assert destinations(fleet)["qa/everywhere"] == [
        "dev/dev-1",
        "prod/prod-ap",
        "prod/prod-eu",
        "prod/prod-us",
    ]
    config = load_config(DiskSource(fleet))
    everywhere, prod = config.apps["qa/everywhere"], config.environments["prod"]
    blueprint = config.blueprints["probe"][0]
    # planned in the environment's cluster order, always
    assert [c.name for c in placed_clusters(everywhere, blueprint, prod)] == [
        "prod-eu",
        "prod-us",
        "prod-ap",
    ]


def test_app_selector_per_environment_replaces_the_app_wide_one(fleet: Path) -> None:
    placement = """\
  placement:
    clusterSelector:
      matchExpressions:
        - {key: region, operator: NotIn, values: [us]}
"""
    envs = """\
  environments:
    dev: {}
    prod:
      placement:
        clusterSelector:
          matchLabels: {tier: gold}
          matchExpressions: [{key: region, operator: In, values: [ap]}]
"""
    write(fleet, "apps/qa/wide.yaml", app("wide", placement))
    write(fleet, "apps/qa/narrow.yaml", app("narrow", placement, envs))
    found = destinations(fleet)
    assert found["qa/wide"] == ["dev/dev-1", "prod/prod-ap", "prod/prod-eu"]  # dev-1: no region
    assert found["qa/narrow"] == ["dev/dev-1", "prod/prod-ap"]


def test_a_blueprint_default_applies_to_apps_that_say_nothing(fleet: Path) -> None:
    default = """\
  placement:
    clusterSelector:
      matchExpressions: [{key: tier, operator: DoesNotExist}]
"""
    write(fleet, "blueprints/probe/blueprint.yaml", PROBE_BLUEPRINT + default)
    own = "  placement:\n    clusterSelector: {matchLabels: {region: eu}}\n"
    write(fleet, "apps/qa/default.yaml", app("default", envs="  environments: {prod: {}}\n"))
    write(fleet, "apps/qa/own.yaml", app("own", own, envs="  environments: {prod: {}}\n"))
    found = destinations(fleet)
    assert found["qa/default"] == ["prod/prod-us"]
    assert found["qa/own"] == ["prod/prod-eu"]


def test_a_selector_matching_no_cluster_is_an_error_at_its_line(fleet: Path) -> None:
    envs = """\
  environments:
    prod:
      placement:
        clusterSelector:
          matchLabels: {region: mars}
"""
    write(fleet, "apps/qa/lost.yaml", app("lost", envs=envs))
    message = load_error(fleet)
    assert message.startswith("apps/qa/lost.yaml:9:")  # the clusterSelector line
    assert "cluster selector `region=mars` matches no cluster of environment `prod`" in message
    assert "app qa/lost deploys there" in message
    # the environment's clusters and their labels, so the reader sees what could match
    assert "prod-eu {region: eu, tier: gold}" in message
    assert "prod-us {region: us}" in message
    assert "allowEmpty: true" in message


def test_allow_empty_makes_no_cluster_deliberate(fleet: Path) -> None:
    placement = """\
  placement:
    clusterSelector: {matchLabels: {region: mars}}
    allowEmpty: true
"""
    write(fleet, "apps/qa/parked.yaml", app("parked", placement))
    write(fleet, "apps/qa/everywhere.yaml", app("everywhere"))
    found = destinations(fleet)
    assert "qa/parked" not in found
    assert len(found["qa/everywhere"]) == 4


def test_a_blueprint_default_matching_nothing_is_reported_once(fleet: Path) -> None:
    default = "  placement:\n    clusterSelector: {matchLabels: {region: mars}}\n"
    write(fleet, "blueprints/probe/blueprint.yaml", PROBE_BLUEPRINT + default)
    for name in ("a", "b"):
        write(fleet, f"apps/qa/{name}.yaml", app(name, envs="  environments: {prod: {}}\n"))
    message = load_error(fleet)
    assert message.count("matches no cluster") == 1
    assert message.startswith("blueprints/probe/blueprint.yaml:")
    assert "(2 apps: qa/a, qa/b deploy there)" in message


@pytest.mark.parametrize(
    ("expression", "complaint"),
    [
        ("{key: region, operator: In}", "operator In needs a non-empty `values` list"),
        ("{key: region, operator: NotIn, values: []}", "operator NotIn needs a non-empty"),
        ("{key: region, operator: Exists, values: [eu]}", "operator Exists takes no `values`"),
        ("{key: region, operator: DoesNotExist, values: [eu]}", "DoesNotExist takes no"),
        ("{key: region, operator: Equals, values: [eu]}", "operator"),
    ],
)
def test_expressions_are_validated_like_kubernetes(
    fleet: Path, expression: str, complaint: str
) -> None:
    placement = f"  placement:\n    clusterSelector:\n      matchExpressions: [{expression}]\n"
    write(fleet, "apps/qa/bad.yaml", app("bad", placement))
    message = load_error(fleet)
    assert message.startswith("apps/qa/bad.yaml:")
    assert complaint in message


def test_cluster_label_values_must_be_strings(fleet: Path) -> None:
    write(
        fleet,
        "environments/dev.yaml",
        DEV.replace("dev.example}", "dev.example, labels: {tier: 1}}"),
    )
    message = load_error(fleet)
    assert message.startswith("environments/dev.yaml:7")
    assert "tier" in message
