"""The prune plan (pure): previous commit minus new, ownership labels, empty-render guard."""

from __future__ import annotations

from typing import Any

from midway.drift.model import DesiredObject
from midway.model import Destination
from midway.sync.policy import PrunePolicy
from midway.sync.prune import plan_prune

DEV = Destination("dev", "dev-1")


def _obj(name: str, app: str = "beta", team: str = "qa", env: str = "dev") -> DesiredObject:
    labels = {
        "app.kubernetes.io/managed-by": "midway",
        "midway.dev/app": app,
        "midway.dev/team": team,
        "midway.dev/env": env,
    }
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": f"ns-{app}", "labels": labels},
    }
    return DesiredObject(
        body=body, path=f"dev/dev-1/ns-{app}/{app}/configmap-{name}.yaml", app=f"{team}/{app}"
    )


def _live_of(objects: dict[str, dict[str, Any] | None]) -> Any:
    def lookup(obj: DesiredObject) -> dict[str, Any] | None:
        return objects.get(obj.key.name)

    return lookup


def _as_live(obj: DesiredObject, changes: dict[str, str | None] | None = None) -> dict[str, Any]:
    labels = dict(obj.body["metadata"]["labels"])
    for name, value in (changes or {}).items():
        if value is None:
            labels.pop(name, None)
        else:
            labels[name] = value
    return {**obj.body, "metadata": {**obj.body["metadata"], "labels": labels, "uid": "u-1"}}


ON = PrunePolicy(enabled=True)


def test_only_objects_of_the_previous_commit_that_are_gone_now() -> None:
    alpha, beta1, beta2 = _obj("alpha-kv", "alpha"), _obj("beta-kv"), _obj("beta-extra")
    steps = plan_prune(
        DEV,
        previous=[alpha, beta1, beta2],
        current=[alpha],
        lookup=_live_of({"beta-kv": _as_live(beta1), "beta-extra": None}),
        policy=ON,
    )
    assert [(s.key.name, s.delete, s.uid) for s in steps] == [("beta-kv", True, "u-1")]


def test_someone_elses_object_with_the_same_name_is_left_alone() -> None:
    beta, alpha = _obj("beta-kv"), _obj("alpha-kv", "alpha")
    unlabelled = _as_live(beta, {"app.kubernetes.io/managed-by": None})
    steps = plan_prune(DEV, [alpha, beta], [alpha], _live_of({"beta-kv": unlabelled}), ON)
    assert [s.delete for s in steps] == [False]
    assert "not midway's" in steps[0].reason and "managed-by=<unset>" in steps[0].reason
    other_app = _as_live(beta, {"midway.dev/app": "gamma"})
    steps = plan_prune(DEV, [alpha, beta], [alpha], _live_of({"beta-kv": other_app}), ON)
    assert not steps[0].delete and "midway.dev/app=gamma" in steps[0].reason
    other_env = _as_live(beta, {"midway.dev/env": "prod"})
    steps = plan_prune(DEV, [alpha, beta], [alpha], _live_of({"beta-kv": other_env}), ON)
    assert not steps[0].delete


def test_an_empty_new_set_prunes_nothing_unless_allowed() -> None:
    beta = _obj("beta-kv")
    live = _live_of({"beta-kv": _as_live(beta)})
    steps = plan_prune(DEV, [beta], [], live, ON)
    assert [s.delete for s in steps] == [False]
    assert "empty" in steps[0].reason and "allowEmptyPrune" in steps[0].reason
    allowed = PrunePolicy(enabled=True, allow_empty=True)
    assert [s.delete for s in plan_prune(DEV, [beta], [], live, allowed)] == [True]


def test_prune_off_and_the_command_line_override() -> None:
    alpha, beta = _obj("alpha-kv", "alpha"), _obj("beta-kv")
    live = _live_of({"beta-kv": _as_live(beta)})
    off = PrunePolicy(enabled=False)
    steps = plan_prune(DEV, [alpha, beta], [alpha], live, off)
    assert not steps[0].delete and "policy.prune" in steps[0].reason
    steps = plan_prune(DEV, [alpha, beta], [alpha], live, off, requested=True)
    assert steps[0].delete
    steps = plan_prune(DEV, [alpha, beta], [alpha], live, ON, requested=False)
    assert not steps[0].delete and "--prune" in steps[0].reason


def _cluster_obj(
    kind: str, name: str, annotations: dict[str, str] | None = None, cluster: str = "dev-1"
) -> DesiredObject:
    api = {"CustomResourceDefinition": "apiextensions.k8s.io/v1", "Namespace": "v1"}
    labels = {
        "app.kubernetes.io/managed-by": "midway",
        "midway.dev/app": "beta",
        "midway.dev/team": "qa",
        "midway.dev/env": "dev",
        "midway.dev/cluster": cluster,
    }
    meta: dict[str, Any] = {"name": name, "labels": labels, "annotations": annotations or {}}
    body = {"apiVersion": api.get(kind, "rbac.authorization.k8s.io/v1"), "kind": kind}
    return DesiredObject(
        body={**body, "metadata": meta},
        path=f"dev/dev-1/_cluster/beta/{kind.lower()}-{name}.yaml",
        app="qa/beta",
    )


def _plan_removed(*removed: DesiredObject, live: dict[str, dict[str, Any]] | None = None) -> Any:
    keep = _obj("alpha-kv", "alpha")
    found = live if live is not None else {o.key.name: _as_live(o) for o in removed}
    return plan_prune(DEV, [keep, *removed], [keep], _live_of(found), ON)


def test_cluster_scoped_objects_are_pruned_like_namespaced_ones() -> None:
    role = _cluster_obj("ClusterRole", "beta-reader")
    [step] = _plan_removed(role)
    assert (step.key.namespace, step.delete, step.reason) == (
        "",
        True,
        "no longer in the state repo",
    )


def test_crds_and_namespaces_need_the_prune_opt_in() -> None:
    crd = _cluster_obj("CustomResourceDefinition", "widgets.example.com")
    namespace = _cluster_obj("Namespace", "beta-extra")
    steps = _plan_removed(crd, namespace)
    assert [s.delete for s in steps] == [False, False]
    reasons = {s.key.kind: s.reason for s in steps}
    assert "deletes every custom resource of it" in reasons["CustomResourceDefinition"]
    assert "midway.dev/prune: allow" in reasons["CustomResourceDefinition"]
    assert (
        "kubectl delete customresourcedefinition widgets.example.com"
        in (reasons["CustomResourceDefinition"])
    )
    assert "deletes everything in it" in reasons["Namespace"]

    allowed = _cluster_obj(
        "CustomResourceDefinition", "widgets.example.com", {"midway.dev/prune": "allow"}
    )
    [step] = _plan_removed(allowed)
    assert step.delete


def test_prune_opt_outs_are_honoured_for_any_kind() -> None:
    disabled = _cluster_obj("ClusterRole", "a", {"midway.dev/prune": "disabled"})
    argocd = _cluster_obj("ClusterRole", "b", {"argocd.argoproj.io/sync-options": "Prune=false"})
    steps = _plan_removed(disabled, argocd)
    assert [s.delete for s in steps] == [False, False]
    assert "midway.dev/prune: disabled" in steps[0].reason
    assert "argocd.argoproj.io/sync-options: Prune=false" in steps[1].reason


def test_a_cluster_scoped_object_of_another_destination_is_not_pruned() -> None:
    # same env, same physical cluster, another destination took the object over
    role = _cluster_obj("ClusterRole", "beta-reader")
    theirs = _as_live(role, {"midway.dev/cluster": "dev-2"})
    [step] = _plan_removed(role, live={"beta-reader": theirs})
    assert not step.delete
    assert "midway.dev/cluster=dev-2 (expected dev-1)" in step.reason


def test_cluster_scoped_orphan_candidates_belong_to_one_destination() -> None:
    from midway.drift.scan import is_orphan_candidate

    ours = _as_live(_cluster_obj("ClusterRole", "r"))
    theirs = _as_live(_cluster_obj("ClusterRole", "r", cluster="dev-2"))
    unmarked = _as_live(_cluster_obj("ClusterRole", "r"), {"midway.dev/cluster": None})
    assert is_orphan_candidate(ours, "dev", "*", cluster="dev-1")
    assert not is_orphan_candidate(theirs, "dev", "*", cluster="dev-1")  # same env, other dest
    assert not is_orphan_candidate(unmarked, "dev", "*", cluster="dev-1")  # not provably ours
    assert not is_orphan_candidate(ours, "staging", "*", cluster="dev-1")  # another env's
