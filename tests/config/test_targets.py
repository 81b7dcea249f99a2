"""The one target selector: which destinations --env/--cluster (and the daemon's options) mean."""

from __future__ import annotations

import pytest

from midway.config.targets import (
    Target,
    choose_target,
    namespace_glob,
    require_targets,
    same_app,
    select_targets,
    target_of,
)
from midway.daemon.options import DaemonOptions
from midway.errors import MidwayError
from midway.model import Cluster, ConfigRepo, Destination, Environment, Policy, Settings


def _env(name: str, order: int, *clusters: str) -> Environment:
    return Environment(
        name=name,
        order=order,
        clusters=tuple(Cluster(c, f"https://{c}.example:6443", "1.31") for c in clusters),
        namespace_template="{team}-{app}",
        params={},
        policy=Policy(),
    )


# declared out of promotion order: selection follows `order`, then the clusters' order
CONFIG = ConfigRepo(
    settings=Settings(),
    blueprints={},
    environments={
        "prod": _env("prod", 3, "eu", "us"),
        "dev": _env("dev", 1, "local"),
        "staging": _env("staging", 2, "eu"),
    },
    apps={},
)


def _names(targets: list[Target]) -> list[str]:
    return [str(t.destination) for t in targets]


def test_every_target_in_promotion_order_then_cluster_order() -> None:
    assert _names(select_targets(CONFIG)) == ["dev/local", "staging/eu", "prod/eu", "prod/us"]


def test_environments_and_clusters_restrict_the_selection() -> None:
    assert _names(select_targets(CONFIG, envs=("prod",))) == ["prod/eu", "prod/us"]
    assert _names(select_targets(CONFIG, clusters=("eu",))) == ["staging/eu", "prod/eu"]
    assert _names(select_targets(CONFIG, ("prod", "dev"), ("us", "local"))) == [
        "dev/local",
        "prod/us",
    ]
    assert select_targets(CONFIG, envs=("nope",)) == []  # the daemon works what exists


def test_the_daemon_selects_through_the_same_filter() -> None:
    options = DaemonOptions(config=".", envs=("prod", "staging"), clusters=("eu",))
    assert options.destinations(CONFIG) == [Destination("staging", "eu"), Destination("prod", "eu")]
    assert options.destinations(CONFIG) == [
        t.destination for t in select_targets(CONFIG, options.envs, options.clusters)
    ]


def test_sync_refuses_names_that_select_nothing() -> None:
    assert _names(require_targets(CONFIG, None, None)) == _names(select_targets(CONFIG))
    assert _names(require_targets(CONFIG, "prod", "us")) == ["prod/us"]
    with pytest.raises(MidwayError) as caught:
        require_targets(CONFIG, "qa", None)
    assert caught.value.message == "environment `qa` does not exist"
    # the same wording as drift and apply (choose_target): promotion order, or a did-you-mean
    assert caught.value.hint == "environments: dev, staging, prod"
    with pytest.raises(MidwayError) as caught:
        require_targets(CONFIG, "prdo", None)
    assert caught.value.hint == "did you mean `prod`?"
    with pytest.raises(MidwayError, match=r"no cluster `us` in the selected environments"):
        require_targets(CONFIG, "staging", "us")


def test_a_single_destination_verb_needs_the_names_only_when_there_is_a_choice() -> None:
    only = ConfigRepo(Settings(), {}, {"dev": _env("dev", 1, "local")}, {})
    assert choose_target(only, None, None).destination == Destination("dev", "local")
    assert choose_target(CONFIG, "prod", "us").cluster.name == "us"
    with pytest.raises(MidwayError, match="which environment"):
        choose_target(CONFIG, None, None)
    with pytest.raises(MidwayError, match="has 2 clusters: pass --cluster"):
        choose_target(CONFIG, "prod", None)
    with pytest.raises(MidwayError) as caught:
        choose_target(CONFIG, "prd", "eu")
    assert caught.value.hint == "did you mean `prod`?"


def test_a_destination_names_its_target() -> None:
    target = target_of(CONFIG, Destination("prod", "us"))
    assert target.cluster.server == "https://us.example:6443"
    assert target.namespace_glob == "*-*"
    with pytest.raises(KeyError):
        target_of(CONFIG, Destination("prod", "asia"))


def test_namespace_glob_of_a_template() -> None:
    assert namespace_glob("{env}-{team}-{app}", "qa") == "qa-*-*"
    assert namespace_glob("{unknown}", "qa") == "*"


def test_an_app_is_named_with_or_without_its_team() -> None:
    assert same_app("pay/checkout", "pay/checkout")
    assert same_app("pay/checkout", "checkout")
    assert not same_app("pay/checkout", "ops/checkout")
    assert not same_app(None, "checkout")
