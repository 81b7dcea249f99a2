"""The orphan prune plan (pure): which orphans --prune-orphans may delete."""

from __future__ import annotations

from typing import Any

from midway.drift.model import DesiredObject, DriftReport, ObjectDrift
from midway.model import Destination, ObjectKey
from midway.sync.orphans import plan_orphan_prune
from midway.sync.policy import PrunePolicy

DEV = Destination("dev", "dev-1")
APPS = frozenset({"qa/alpha"})


def _live(name: str, app: str = "alpha", team: str = "qa", env: str = "dev") -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/managed-by": "midway",
        "midway.dev/app": app,
        "midway.dev/team": team,
        "midway.dev/env": env,
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "t-alpha", "labels": labels, "uid": f"u-{name}"},
    }


def _report(*lives: dict[str, Any]) -> DriftReport:
    objects = tuple(
        ObjectDrift(key=ObjectKey.of(live), status="orphan", api_version="v1", live=live)
        for live in lives
    )
    return DriftReport(destination=DEV, mode="server", objects=objects)


def _desired(name: str) -> DesiredObject:
    return DesiredObject(body=_live(name), app="qa/alpha")


def test_an_orphan_of_a_known_app_is_deleted_by_uid() -> None:
    [step] = plan_orphan_prune(
        DEV, _report(_live("stray")), [_desired("alpha-kv")], None, APPS, PrunePolicy()
    )
    assert (step.key.name, step.delete, step.uid) == ("stray", True, "u-stray")
    assert "in no state commit" in step.reason


def test_an_orphan_naming_an_app_the_config_lacks_stays() -> None:
    [step] = plan_orphan_prune(
        DEV, _report(_live("x", app="ghost")), [_desired("alpha-kv")], None, APPS, PrunePolicy()
    )
    assert not step.delete and "qa/ghost, which the config does not have" in step.reason


def test_objects_of_the_previous_state_commit_are_left_to_prune() -> None:
    steps = plan_orphan_prune(
        DEV,
        _report(_live("old")),
        [_desired("alpha-kv")],
        [_desired("old")],
        APPS,
        PrunePolicy(),
    )
    assert steps == []


def test_an_empty_desired_set_prunes_no_orphan_unless_allowed() -> None:
    [step] = plan_orphan_prune(DEV, _report(_live("stray")), [], None, APPS, PrunePolicy())
    assert not step.delete and "refusing to prune 1 orphan(s)" in step.reason
    [step] = plan_orphan_prune(
        DEV, _report(_live("stray")), [], None, APPS, PrunePolicy(allow_empty=True)
    )
    assert step.delete


def test_wrong_environment_labels_are_not_ours() -> None:
    [step] = plan_orphan_prune(
        DEV, _report(_live("x", env="prod")), [_desired("alpha-kv")], None, APPS, PrunePolicy()
    )
    assert not step.delete and "not midway's" in step.reason


def test_cluster_scoped_and_foreign_namespace_orphans_stay() -> None:
    far = _live("far")
    far["metadata"]["namespace"] = "elsewhere"
    role = _live("reader")
    role.update(apiVersion="rbac.authorization.k8s.io/v1", kind="ClusterRole")
    del role["metadata"]["namespace"]
    steps = plan_orphan_prune(
        DEV, _report(far, role), [_desired("alpha-kv")], None, APPS, PrunePolicy(), "t-*"
    )
    reasons = {s.key.name: (s.delete, s.reason) for s in steps}
    assert reasons["far"] == (False, "namespace elsewhere is not one environment dev produces")
    assert reasons["reader"][0] is False and "cluster-scoped" in reasons["reader"][1]
