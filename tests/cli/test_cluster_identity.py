"""A cluster is its server URL: with two real API servers and one kubeconfig holding a
context for each (the current one is the first), every verb works the cluster the
environment's `server:` names — never just the current context — and a context reaching
another server is refused (exit 2) before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support.cluster import TestCluster, configmap_data, kubectl, patch_configmap, private_cluster
from support.example import RunCli
from support.syncenv import (
    TEAM,
    SyncConfigRepo,
    cleanup_sync_namespaces,  # noqa: F401
    daemon_thread,
    http_get,
    metric,
    wait_for,
)

pytestmark = pytest.mark.cluster

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def second_cluster() -> Iterator[TestCluster]:
    """A second API server (its own etcd) for this module alone."""
    with private_cluster("identity", port_block=500) as cluster:
        yield cluster


@dataclass
class TwoClusters:
    repo: SyncConfigRepo
    first: TestCluster  # the shared test cluster: env dev, and the current context
    second: TestCluster  # env other
    kubeconfig: Path

    def ns(self, env: str) -> str:
        """The namespace of app alpha in `env`."""
        return self.repo.namespace("alpha") if env == "dev" else f"{self.repo.prefix}-other-alpha"

    def args(self, verb: str, *extra: str) -> list[str]:
        state = ["--state", str(self.repo.state_path)] if verb != "status" else []
        return [
            *("--config", str(self.repo.root), verb),
            *state,
            *("--kubeconfig", str(self.kubeconfig)),
            *extra,
        ]

    def alpha(self, cluster: TestCluster, env: str) -> dict[str, str] | None:
        return configmap_data(cluster, self.ns(env), "alpha-kv")

    def nothing_of(self, env: str) -> bool:
        """Neither cluster has the env's namespace: nothing of it was written anywhere."""
        return all(
            kubectl(c, "get", "namespace", self.ns(env), check=False).returncode != 0
            for c in (self.first, self.second)
        )


def _merged_kubeconfig(path: Path, first: TestCluster, second: TestCluster) -> None:
    docs = [yaml.safe_load(c.kubeconfig.read_text()) for c in (first, second)]
    merged = {
        "apiVersion": "v1",
        "kind": "Config",
        **{key: [item for d in docs for item in d[key]] for key in ("clusters", "users")},
        "contexts": [item for d in docs for item in d["contexts"]],
        "current-context": first.context,  # "current context wins" would pick it for both
    }
    names = [c["name"] for c in merged["clusters"]]
    assert len(set(names)) == 2, names
    path.write_text(yaml.safe_dump(merged))


@pytest.fixture
def two(tmp_path: Path, test_cluster: TestCluster, second_cluster: TestCluster) -> TwoClusters:
    repo = SyncConfigRepo.create(tmp_path, policy="correct")
    other = {
        "apiVersion": "midway.dev/v1",
        "kind": "Environment",
        "metadata": {"name": "other"},
        "spec": {
            "order": 2,
            "clusters": [
                {"name": "other-1", "server": second_cluster.server, "kubernetesVersion": "1.20"}
            ],
            "namespace": f"{repo.prefix}-other-{{app}}",
            "params": {},
            "policy": {"drift": "correct", "prune": True, "allowEmptyPrune": False},
        },
    }
    repo.write("environments/other.yaml", yaml.safe_dump(other, sort_keys=False))
    app = {
        "apiVersion": "midway.dev/v1",
        "kind": "App",
        "metadata": {"name": "alpha", "team": TEAM},
        "spec": {
            "blueprint": "kv@^1",
            "params": {"data": {"mode": "fast"}},
            "environments": {"dev": {}, "other": {}},
        },
    }
    repo.write(f"apps/{TEAM}/alpha.yaml", yaml.safe_dump(app, sort_keys=False))
    repo.commit("alpha in dev and other")
    assert repo.publish() is not None
    kubeconfig = tmp_path / "kubeconfig"
    _merged_kubeconfig(kubeconfig, test_cluster, second_cluster)
    return TwoClusters(repo, test_cluster, second_cluster, kubeconfig)


def _server_line(two: TwoClusters) -> str:
    """`environments/other.yaml:N` of the other env's `server:`."""
    lines = (two.repo.root / "environments/other.yaml").read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "server:" in line)
    return f"environments/other.yaml:{number}"


def test_every_verb_works_the_cluster_the_server_names(run_cli: RunCli, two: TwoClusters) -> None:
    code, out, err = run_cli(*two.args("apply", "--env", "other"))
    assert code == 0, err
    assert two.second.server in out and "midway-identity" in out
    assert two.alpha(two.second, "other") == {"mode": "fast"}
    code, _, err = run_cli(*two.args("apply", "--env", "dev"))
    assert code == 0, err
    assert two.alpha(two.first, "dev") == {"mode": "fast"}
    # each env's objects are in its own cluster only
    assert kubectl(two.first, "get", "namespace", two.ns("other"), check=False).returncode != 0
    assert kubectl(two.second, "get", "namespace", two.ns("dev"), check=False).returncode != 0

    patch_configmap(two.second, two.ns("other"), "alpha-kv", {"mode": "slow"})
    code, out, err = run_cli(*two.args("drift", "--env", "other", "-o", "json", "--no-stale"))
    assert code == 1, err
    report = json.loads(out)
    assert two.second.server in report["server"]
    code, out, err = run_cli(*two.args("drift", "--env", "dev", "-o", "json", "--no-stale"))
    assert code == 0, err  # dev's cluster was not patched

    code, _, err = run_cli(*two.args("sync", "--env", "other"))
    assert code == 0, err
    assert two.alpha(two.second, "other") == {"mode": "fast"}

    code, out, err = run_cli(*two.args("status", "--live", "-o", "json"))
    assert code == 0, err
    document = json.loads(out)
    assert document["errors"] == []
    assert {(r["destination"], r["status"]) for r in document["apps"]} == {
        ("dev/dev-1", "in-sync"),
        ("other/other-1", "in-sync"),
    }


@pytest.mark.parametrize(
    "verb",
    [
        ("apply", "--env", "other"),
        ("apply", "--env", "other", "--dry-run"),
        ("sync", "--env", "other"),
        ("drift", "--env", "other", "--no-stale"),
        ("status", "--live", "--env", "other"),
    ],
    ids=lambda v: " ".join(v),
)
def test_a_context_reaching_another_server_is_refused(
    run_cli: RunCli, two: TwoClusters, verb: tuple[str, ...]
) -> None:
    code, out, err = run_cli(*two.args(verb[0], *verb[1:], "--context", two.first.context))
    assert code == 2, out + err
    assert two.first.server in err and two.second.server in err
    assert "other/other-1" in err and _server_line(two) in err
    assert two.nothing_of("other")


def test_a_context_in_the_environment_file_is_checked_too(
    run_cli: RunCli, two: TwoClusters
) -> None:
    path = two.repo.root / "environments/other.yaml"
    env = yaml.safe_load(path.read_text())
    env["spec"]["clusters"][0]["context"] = two.first.context
    path.write_text(yaml.safe_dump(env, sort_keys=False))
    two.repo.commit("other: wrong context")
    code, _, err = run_cli(*two.args("apply", "--env", "other"))
    assert code == 2
    assert "`context:` in environments/other.yaml" in err and two.first.server in err
    assert two.nothing_of("other")


def test_the_override_writes_through_the_explicit_context_and_says_so(two: TwoClusters) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "midway.cli.main",
            *two.args("apply", "--env", "other", "--context", two.first.context),
            "--allow-server-mismatch",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    assert "SERVER MISMATCH" in done.stderr and two.second.server in done.stderr
    assert two.alpha(two.first, "other") == {"mode": "fast"}  # where it was told to go
    assert kubectl(two.second, "get", "namespace", two.ns("other"), check=False).returncode != 0


def test_the_daemon_works_each_destination_in_its_own_cluster(two: TwoClusters) -> None:
    with daemon_thread(
        two.repo, two.first, kubeconfig=str(two.kubeconfig), context=None, envs=("dev", "other")
    ) as d:
        wait_for(lambda: two.alpha(two.second, "other"), 20, what="alpha-kv in the second")
        wait_for(lambda: two.alpha(two.first, "dev"), 20, what="alpha-kv in the first")
        wait_for(lambda: http_get(d.http.port, "/readyz")[0] == 200, 20, what="ready")
        assert metric(d, "midway_destination_refused", env="other", cluster="other-1") == 0
    assert kubectl(two.first, "get", "namespace", two.ns("other"), check=False).returncode != 0


def test_the_daemon_refuses_a_destination_its_context_does_not_reach(two: TwoClusters) -> None:
    with daemon_thread(
        two.repo, two.first, kubeconfig=str(two.kubeconfig), envs=("dev", "other")
    ) as daemon:  # --context midway-test for every destination
        port = daemon.http.port
        wait_for(lambda: two.alpha(two.first, "dev"), 20, what="dev converged in its cluster")
        code, body = wait_for(
            lambda: (lambda r: r if "other/other-1: refused" in r[1] else None)(
                http_get(port, "/readyz")
            ),
            10,
            what="/readyz naming the refused destination",
        )
        assert code == 503
        assert two.first.server in body and two.second.server in body
        assert "dev/dev-1" not in body  # the good destination is ready
        labels = {"env": "other", "cluster": "other-1"}
        assert metric(daemon, "midway_destination_refused", **labels) == 1
        status = daemon.status()["destinations"]["other/other-1"]
        assert status["reachable"] is False and _server_line(two) in status["refused"]
        assert "other/other-1" not in daemon.runtimes
    assert two.nothing_of("other")


def test_a_commit_moving_the_server_stops_the_running_destination(two: TwoClusters) -> None:
    """The daemon connected `other` to the second cluster; a config commit that gives it a
    server no context reaches must not leave it writing the new state there."""
    with daemon_thread(
        two.repo, two.first, kubeconfig=str(two.kubeconfig), context=None, envs=("dev", "other")
    ) as daemon:
        wait_for(lambda: two.alpha(two.second, "other"), 20, what="alpha-kv in the second")
        path = two.repo.root / "environments/other.yaml"
        env = yaml.safe_load(path.read_text())
        env["spec"]["clusters"][0]["server"] = "https://moved.example:6443"
        path.write_text(yaml.safe_dump(env, sort_keys=False))
        app = two.repo.root / f"apps/{TEAM}/alpha.yaml"
        app.write_text(app.read_text().replace("mode: fast", "mode: moved"))
        two.repo.commit("other moves to another server")
        wait_for(
            lambda: metric(daemon, "midway_destination_refused", env="other", cluster="other-1"),
            30,
            what="the moved destination refused",
        )
        assert "other/other-1" not in daemon.runtimes
        wait_for(lambda: two.alpha(two.first, "dev") == {"mode": "moved"}, 20, what="dev moved")
        _, body = http_get(daemon.http.port, "/readyz")
        assert "https://moved.example:6443" in body
        assert two.alpha(two.second, "other") == {"mode": "fast"}  # the new state not written
