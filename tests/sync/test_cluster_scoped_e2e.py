"""Cluster-scoped objects end to end on the real test cluster (1.20.2): a CRD, ClusterRole,
ClusterRoleBinding, Namespace, PriorityClass, StorageClass and both webhook configurations
are published, synced, drift-checked, corrected, diffed and pruned — CRDs and Namespaces
only after the explicit opt-in — and the orphan search keeps to its own destination."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cluster import TestCluster, kubectl
from support.clusterscoped import KINDS, cluster_scoped_names, install_platform_blueprint
from support.example import RunCli
from support.syncenv import (
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
)

APP = "plat"

# Every test here renders cluster-scoped objects labelled app plat in dev/dev-1: run on
# another xdist worker at the same time, one test's objects are the other's orphans.
pytestmark = pytest.mark.xdist_group("cluster-scoped-e2e")


@pytest.fixture
def repo(tmp_path: Path) -> SyncConfigRepo:
    repo = SyncConfigRepo.create(tmp_path, policy="correct", prune=False)
    install_platform_blueprint(repo.root)
    repo.set_app(APP, blueprint="platform@^1", params={})
    repo.commit("a platform app")
    return repo


@pytest.fixture
def names(repo: SyncConfigRepo, test_cluster: TestCluster) -> Iterator[dict[str, str]]:
    """kind -> name of the app's cluster-scoped objects; they are deleted afterwards (the
    test cluster is shared, and nothing else would remove them)."""
    found = cluster_scoped_names(repo.namespace(APP))
    yield found
    doomed = [f"{kind.lower()}/{name}" for kind, name in found.items() if kind != "Namespace"]
    extra = [f"clusterrole/{repo.namespace(APP)}-{n}" for n in ("orphan", "theirs")]
    kubectl(test_cluster, "delete", *doomed, *extra, "--ignore-not-found", "--wait=false")


def _cli(run_cli: RunCli, repo: SyncConfigRepo, cluster: TestCluster, *args: str) -> Any:
    return run_cli(
        "--config",
        str(repo.root),
        *args,
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--context",
        cluster.context,
    )


def _live(cluster: TestCluster, kind: str, name: str) -> dict[str, Any] | None:
    result = kubectl(cluster, "get", kind.lower(), name, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def _drift(run_cli: RunCli, repo: SyncConfigRepo, cluster: TestCluster) -> tuple[int, Any]:
    """drift's exit code and report, seen from this test: cluster-scoped objects an earlier
    test deleted without waiting (a CRD finalising, a Namespace terminating) carry the same
    app/env/cluster labels and are rightly orphans to midway, but not this test's."""
    code, out, err = _cli(run_cli, repo, cluster, "drift", "-o", "json", "--no-stale")
    assert code in (0, 1), err
    report = json.loads(out)
    prefix = repo.namespace(APP)
    report["objects"] = [
        o for o in report["objects"] if o["status"] != "orphan" or prefix in o["name"]
    ]
    if code == 1 and all(o["status"] in ("in-sync", "ignored") for o in report["objects"]):
        code = 0
    return code, report


def _not_in_sync(report: Any) -> str:
    wrong = [o for o in report["objects"] if o["status"] != "in-sync"]
    return json.dumps(wrong + report.get("errors", []), indent=1)


def _by_kind(report: Any, status: str) -> dict[str, str]:
    return {o["kind"]: o["name"] for o in report["objects"] if o["status"] == status}


def _set_params(repo: SyncConfigRepo, message: str, **params: Any) -> None:
    repo.set_app(APP, blueprint="platform@^1", params=params)
    repo.commit(message)
    repo.publish()


@pytest.mark.cluster
def test_every_cluster_scoped_kind_syncs_drifts_and_prunes_with_protection(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster, names: dict[str, str]
) -> None:
    repo.publish()
    state = repo.state_path
    listing = kubectl_free_listing(state)
    assert {p for p in listing if "/_cluster/" in p} == {
        f"dev/dev-1/_cluster/{APP}/{kind.lower()}-{name}.yaml" for kind, name in names.items()
    }
    application = yaml.safe_load(read_state_file(state, "argocd/dev/dev-1/qa-plat.yaml"))
    assert [s["path"] for s in application["spec"]["sources"]] == [
        f"dev/dev-1/_cluster/{APP}",
        f"dev/dev-1/{repo.namespace(APP)}/{APP}",
    ]

    # sync creates every kind; the second sync finds nothing to do
    code, out, err = _cli(run_cli, repo, test_cluster, "sync")
    assert code == 0, out + err
    assert "9 created" in out
    for kind, name in names.items():
        live = _live(test_cluster, kind, name)
        assert live is not None, kind
        labels = live["metadata"]["labels"]
        assert (labels["midway.dev/app"], labels["midway.dev/cluster"]) == (APP, "dev-1")
        assert "namespace" not in live["metadata"]
    code, out, _ = _cli(run_cli, repo, test_cluster, "sync")
    assert (code, out.strip().splitlines()[-1].strip()) == (0, "9 unchanged")

    # drift: in sync, then a live edit of every kind is seen and corrected
    code, report = _drift(run_cli, repo, test_cluster)
    assert code == 0 and len(_by_kind(report, "in-sync")) == len(KINDS) + 1, _not_in_sync(report)
    for kind, name in names.items():
        kubectl(
            test_cluster,
            "annotate",
            kind.lower(),
            name,
            "midway.dev/blueprint=edited",
            "--overwrite",
        )
    kubectl(
        test_cluster,
        *("patch", "clusterrole", names["ClusterRole"], "--type=json"),
        "-p",
        '[{"op": "replace", "path": "/rules/0/verbs", "value": ["get", "list", "delete"]}]',
    )
    code, report = _drift(run_cli, repo, test_cluster)
    assert code == 1
    assert _by_kind(report, "modified") == names
    code, out, err = _cli(run_cli, repo, test_cluster, "sync")
    assert code == 0, out + err
    assert "8 configured" in out
    role = _live(test_cluster, "ClusterRole", names["ClusterRole"])
    assert role is not None and role["rules"][0]["verbs"] == ["get", "list"]
    assert _drift(run_cli, repo, test_cluster)[0] == 0

    # orphans: ours by label (this destination) is reported, another destination's is not
    base = repo.namespace(APP)
    labels = "app.kubernetes.io/managed-by=midway,midway.dev/env=dev,midway.dev/app=plat"
    for name, cluster in (("orphan", "dev-1"), ("theirs", "dev-2")):
        kubectl(
            test_cluster, "create", "clusterrole", f"{base}-{name}", "--verb=get", "--resource=pods"
        )
        kubectl(
            test_cluster,
            *("label", "clusterrole", f"{base}-{name}"),
            *labels.split(","),
            "midway.dev/team=qa",
            f"midway.dev/cluster={cluster}",
        )
    code, report = _drift(run_cli, repo, test_cluster)
    assert code == 1
    assert _by_kind(report, "orphan") == {"ClusterRole": f"{base}-orphan"}

    # prune: everything but the CRD and the Namespace goes; those two are protected
    _set_params(repo, "no more cluster-scoped objects", kinds=[])
    code, out, err = _cli(run_cli, repo, test_cluster, "sync", "--prune")
    assert code == 1, out + err  # the protected two are differences a human should look at
    for kind in KINDS:
        if kind in ("CustomResourceDefinition", "Namespace"):
            assert _live(test_cluster, kind, names[kind]) is not None, kind
        else:
            assert _live(test_cluster, kind, names[kind]) is None, kind
    assert "is protected from prune (deleting it deletes every custom resource of it)" in out
    assert "is protected from prune (deleting it deletes everything in it)" in out
    assert _live(test_cluster, "ClusterRole", f"{base}-orphan") is not None  # never in a commit

    # the opt-in, published first, lets the next prune delete them
    protected = ["CustomResourceDefinition", "Namespace"]
    _set_params(repo, "opt in", kinds=protected, allowPrune=protected)
    code, out, err = _cli(run_cli, repo, test_cluster, "sync")
    assert code == 0, out + err
    crd = _live(test_cluster, "CustomResourceDefinition", names["CustomResourceDefinition"])
    assert crd is not None
    annotations = crd["metadata"]["annotations"]
    assert annotations["midway.dev/prune"] == "allow"
    assert "argocd.argoproj.io/sync-options" not in annotations  # released by the apply
    _set_params(repo, "remove them", kinds=[])
    code, out, err = _cli(run_cli, repo, test_cluster, "sync", "--prune")
    assert code == 0, out + err
    assert (
        _live(test_cluster, "CustomResourceDefinition", names["CustomResourceDefinition"]) is None
    )
    namespace = _live(test_cluster, "Namespace", names["Namespace"])
    assert namespace is None or namespace["status"]["phase"] == "Terminating"


def test_diff_shows_a_cluster_scoped_change(run_cli: RunCli, repo: SyncConfigRepo) -> None:
    base = repo.commit("base")
    repo.set_app(APP, blueprint="platform@^1", params={"verbs": ["get", "list", "watch"]})
    repo.commit("watch too")
    code, out, err = run_cli(
        "--config", str(repo.root), "diff", "-o", "json", "--exact-base", base, "HEAD"
    )
    assert code == 1, err
    report = json.loads(out)
    [changed] = report["objects"]
    assert (changed["kind"], changed["namespace"], changed["action"]) == (
        "ClusterRole",
        "",
        "changed",
    )
    assert changed["path"] == (
        f"dev/dev-1/_cluster/{APP}/clusterrole-{repo.namespace(APP)}-reader.yaml"
    )
    assert "+  - watch" in changed["diff"]
    [risk] = report["risks"]
    assert (risk["kind"], risk["severity"]) == ("cluster-scoped-changed", "high")  # dev is last
    assert "is cluster-scoped: changed in dev/dev-1 for the whole cluster" in risk["message"]


def test_diff_warns_when_a_crd_becomes_prunable(run_cli: RunCli, repo: SyncConfigRepo) -> None:
    base = repo.commit("base")
    repo.set_app(APP, blueprint="platform@^1", params={"allowPrune": ["CustomResourceDefinition"]})
    repo.commit("allow pruning the CRD")
    code, out, err = run_cli(
        "--config", str(repo.root), "diff", "-o", "json", "--exact-base", base, "HEAD"
    )
    assert code == 1, err
    [risk] = json.loads(out)["risks"]
    assert (risk["kind"], risk["severity"]) == ("prune-allowed", "high")
    assert "removing it later deletes every custom resource of it" in risk["message"]


def kubectl_free_listing(state: Path) -> list[str]:
    from midway.state.reader import StateReader

    return [e.path for e in StateReader.open(str(state)).entries()]


def read_state_file(state: Path, path: str) -> bytes:
    from midway.state.reader import StateReader

    reader = StateReader.open(str(state))
    return reader.read(reader.files()[path])


def test_diff_refuses_a_second_owner(run_cli: RunCli, repo: SyncConfigRepo) -> None:
    base = repo.commit("base")
    main = repo.root / "blueprints/platform/main.jsonnet"
    main.write_text(main.read_text().replace("local base = env.namespace;", "local base = 'one';"))
    repo.set_app("other", blueprint="platform@^1", params={"kinds": ["PriorityClass"]})
    repo.commit("a second app with the same PriorityClass")
    code, _, err = run_cli("--config", str(repo.root), "diff", "--exact-base", base, "HEAD")
    assert code == 2
    assert "PriorityClass.scheduling.k8s.io one-low is produced twice in dev/dev-1" in err
    assert "qa/other" in err and "qa/plat" in err


@pytest.mark.cluster
def test_a_crd_and_its_custom_resource_in_one_app(
    run_cli: RunCli, repo: SyncConfigRepo, test_cluster: TestCluster, names: dict[str, str]
) -> None:
    # an operator blueprint: the CRD and a custom resource of it in one render
    main = repo.root / "blueprints/platform/main.jsonnet"
    main.write_text(
        main.read_text().replace(
            "  [all[k] + allow(k) for k in params.kinds]",
            "  [all[k] + allow(k) for k in params.kinds]\n"
            "  + [{apiVersion: group + '/v1', kind: 'Widget', metadata: {name: 'w'},"
            " spec: {size: 1}}]",
        )
    )
    repo.set_app(APP, blueprint="platform@^1", params={"kinds": ["CustomResourceDefinition"]})
    repo.commit("a CRD and a Widget")
    repo.publish()
    code, out, err = _cli(run_cli, repo, test_cluster, "sync")
    assert code == 0, out + err  # one sync: the CRD first, then its custom resource
    assert "CustomResourceDefinition.apiextensions.k8s.io" in out and "3 created" in out
    widget = f"widgets.{repo.namespace(APP)}.example.com"
    got = kubectl(test_cluster, "-n", repo.namespace(APP), "get", widget, "w", check=False)
    assert got.returncode == 0, got.stderr
    code, out, _ = _cli(run_cli, repo, test_cluster, "sync")
    assert (code, out.strip().splitlines()[-1].strip()) == (0, "3 unchanged")
