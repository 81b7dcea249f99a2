"""The pure compare: subset (offline) and full (server) modes, merge keys, quantities."""

from __future__ import annotations

from typing import Any

from midway.drift.compare import compare_offline, compare_server
from midway.drift.normalize import parse_quantity, same_value
from midway.objects.paths import Item, pointer, readable


def deployment(**container: Any) -> dict[str, Any]:
    base = {"name": "web", "image": "web:1", "ports": [{"containerPort": 80, "name": "http"}]}
    base.update(container)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"a": "1"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [base]}}},
    }


def live_of(desired: dict[str, Any]) -> dict[str, Any]:
    """desired plus what a server adds: defaults, status, server metadata."""
    import copy

    live = copy.deepcopy(desired)
    live["metadata"].update(
        {"uid": "u", "resourceVersion": "7", "generation": 3, "managedFields": []}
    )
    live["spec"]["progressDeadlineSeconds"] = 600
    container = live["spec"]["template"]["spec"]["containers"][0]
    container["terminationMessagePath"] = "/dev/termination-log"
    container["ports"][0]["protocol"] = "TCP"
    live["status"] = {"replicas": 2}
    return live


def test_offline_ignores_defaults_status_and_server_metadata() -> None:
    desired = deployment()
    assert compare_offline(desired, live_of(desired)) == ()


def test_offline_reports_changed_and_removed_by_merge_key() -> None:
    desired = deployment()
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"
    del live["metadata"]["labels"]["a"]
    diffs = {readable(d.path): d for d in compare_offline(desired, live)}
    assert set(diffs) == {"spec.template.spec.containers[name=web].image", "metadata.labels.a"}
    assert diffs["metadata.labels.a"].change == "removed"
    image = diffs["spec.template.spec.containers[name=web].image"]
    assert (image.change, image.desired, image.live) == ("changed", "web:1", "web:2")
    assert pointer(image.path) == "/spec/template/spec/containers/0/image"


def test_offline_matches_named_items_regardless_of_order() -> None:
    desired = deployment(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"][0]["env"].reverse()
    assert compare_offline(desired, live) == ()
    live["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "9"  # B
    (diff,) = compare_offline(desired, live)
    assert readable(diff.path) == "spec.template.spec.containers[name=web].env[name=B].value"
    assert diff.path[-2] == Item(0, ("name", "B"))  # index in live


def test_quantities_compare_by_value() -> None:
    desired = deployment(resources={"limits": {"cpu": "1000m", "memory": "1024Mi"}})
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": "1", "memory": "1Gi"}
    }
    assert compare_offline(desired, live) == ()
    assert parse_quantity("250m") == parse_quantity("0.25")
    assert parse_quantity("1e3") == parse_quantity("1k")
    assert parse_quantity("abc") is None
    assert not same_value(True, 1)
    assert same_value(1, 1.0)


def test_offline_treats_empty_desired_values_as_absent() -> None:
    desired = deployment(securityContext={}, args=[])
    live = live_of(deployment())
    assert compare_offline(desired, live) == ()


def test_server_mode_compares_everything_but_server_fields() -> None:
    desired = deployment()
    live = live_of(desired)
    dry_run = live_of(desired)
    dry_run["metadata"]["resourceVersion"] = "8"
    dry_run["metadata"]["generation"] = 4
    dry_run["status"] = {"replicas": 0}
    assert compare_server(dry_run, live) == ()
    live["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "s"})
    (diff,) = compare_server(dry_run, live)
    assert (readable(diff.path), diff.change) == (
        "spec.template.spec.containers[name=side]",
        "added",
    )


def test_unnamed_lists_of_different_length_are_one_change() -> None:
    desired = deployment(args=["a", "b"])
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"][0]["args"] = ["a"]
    (diff,) = compare_offline(desired, live)
    assert readable(diff.path) == "spec.template.spec.containers[name=web].args"
    assert (diff.desired, diff.live) == (["a", "b"], ["a"])


def test_readable_paths_quote_odd_keys() -> None:
    path = ("metadata", "annotations", "kubectl.kubernetes.io/restartedAt")
    assert readable(path) == 'metadata.annotations["kubectl.kubernetes.io/restartedAt"]'
    assert pointer(path) == "/metadata/annotations/kubectl.kubernetes.io~1restartedAt"
