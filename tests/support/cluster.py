"""Pytest plugin: the real test cluster (scripts/test-cluster.sh) as fixtures.

Load it from tests/conftest.py with `pytest_plugins = ["support.cluster"]`.

- `test_cluster` (session): starts the cluster once (a file lock makes xdist workers
  take turns; the second finds it up) and never stops it.
- `k8s_namespace` (function): a fresh namespace, deleted afterwards without waiting.
- `conn` (function): a midway.cluster Connection to it, closed afterwards.
- `kubectl(test_cluster, *args)`: run /usr/bin/kubectl against it; `configmap_data` and
  `patch_configmap` read and change a ConfigMap's data with it (as a user would).
- `private_cluster(name, port_block)`: a cluster of one test alone, for tests that stop
  its apiserver (the shared one is never stopped).

Mark tests that use these with `@pytest.mark.cluster`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the kubernetes client loads only for the tests that connect
    from midway.cluster import Connection

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "test-cluster.sh"
KUBE_VERSION = "1.20.2"
TEST_NAMESPACE_LABEL = "midway.dev/test"


@dataclass(frozen=True)
class TestCluster:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    kubeconfig: Path
    server: str
    token: str
    context: str
    script: Path
    # MIDWAY_* settings test-cluster.sh needs to find this cluster (a private one's dir and
    # ports); empty for the shared cluster.
    script_env: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def env(self) -> dict[str, str]:
        """os.environ with KUBECONFIG pointing at this cluster (for subprocesses)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def run_script(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return _run_script(*args, timeout=timeout, env=self.script_env)

    def stop_apiserver(self) -> None:
        """Only kube-apiserver stops (etcd keeps the data): for resilience tests."""
        _check(self.run_script("stop-apiserver"), "stop-apiserver")

    def start_apiserver(self) -> None:
        _check(self.run_script("start-apiserver"), "start-apiserver")


def cluster_dir() -> Path:
    return Path(os.environ.get("MIDWAY_CLUSTER_DIR", "/tmp/midway-test-cluster"))


def binary_dir() -> Path:
    if os.environ.get("MIDWAY_KUBE_BIN_DIR"):
        return Path(os.environ["MIDWAY_KUBE_BIN_DIR"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "midway" / f"kube-{KUBE_VERSION}"


def _have_binaries() -> bool:
    return all(
        os.access(binary_dir() / name, os.X_OK)
        for name in ("kube-apiserver", "kube-controller-manager")
    )


def _run_script(
    *args: str, timeout: float = 300, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env} if env else None,
    )


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        pytest.fail(
            f"scripts/test-cluster.sh {what} failed (exit {result.returncode}):\n"
            f"{_tail(result.stdout + result.stderr)}",
            pytrace=False,
        )


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _start() -> None:
    if not _have_binaries():
        build = _run_script("build", timeout=1800)
        if build.returncode != 0:
            message = (
                f"the test cluster binaries are missing from {binary_dir()} and "
                f"`scripts/test-cluster.sh build` failed (exit {build.returncode}):\n"
                f"{_tail(build.stdout + build.stderr)}"
            )
            if _in_ci():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    _check(_run_script("up"), "up")


@pytest.fixture(scope="session")
def test_cluster() -> TestCluster:
    """The running test cluster; started on first use, left running afterwards."""
    state = cluster_dir()
    lock_path = Path(f"{state}.lock")  # beside the state dir: `down` removes the dir
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _start()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    port = os.environ.get("MIDWAY_APISERVER_PORT", "16443")
    return TestCluster(
        kubeconfig=state / "kubeconfig",
        server=f"https://127.0.0.1:{port}",
        token=(state / "token").read_text().strip(),
        context=os.environ.get("MIDWAY_CLUSTER_CONTEXT", "midway-test"),
        script=SCRIPT,
    )


def kubectl_path() -> str | None:
    if os.access("/usr/bin/kubectl", os.X_OK):
        return "/usr/bin/kubectl"
    return shutil.which("kubectl")


def kubectl(
    cluster: TestCluster, *args: str, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against the test cluster; with `check`, a failure fails the test."""
    binary = kubectl_path()
    if binary is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [binary, "--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context, *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"kubectl {' '.join(args)} failed (exit {result.returncode}):\n"
            f"{result.stderr.strip() or result.stdout.strip()}",
            pytrace=False,
        )
    return result


@pytest.fixture
def conn(test_cluster: TestCluster) -> Iterator[Connection]:
    """A connection to the test cluster (its kubeconfig and context) for one test."""
    from midway.cluster import connect

    with connect(str(test_cluster.kubeconfig), test_cluster.context) as connection:
        yield connection


def configmap_data(cluster: TestCluster, namespace: str, name: str) -> dict[str, str] | None:
    """A ConfigMap's data ({} when it has none), None when it does not exist."""
    result = kubectl(cluster, "-n", namespace, "get", "configmap", name, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    return dict(json.loads(result.stdout).get("data") or {})


def patch_configmap(cluster: TestCluster, namespace: str, name: str, data: dict[str, str]) -> None:
    """Merge `data` into a ConfigMap's data with `kubectl patch` (field manager kubectl-patch)."""
    kubectl(
        cluster,
        *("-n", namespace, "patch", "configmap", name, "--type", "merge"),
        *("-p", json.dumps({"data": data})),
    )


@pytest.fixture
def k8s_namespace(test_cluster: TestCluster) -> Iterator[str]:
    """A new, empty namespace for one test; deleted (not awaited) afterwards."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"t-{worker}-{uuid.uuid4().hex[:8]}".lower()
    manifest = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n"
        f"  name: {name}\n  labels:\n    {TEST_NAMESPACE_LABEL}: 'true'\n"
    )
    kubectl(test_cluster, "create", "-f", "-", input=manifest)
    try:
        yield name
    finally:
        kubectl(test_cluster, "delete", "namespace", name, "--wait=false", check=False)


@contextmanager
def private_cluster(name: str, port_block: int) -> Iterator[TestCluster]:
    """A cluster of the calling test alone (its own etcd, apiserver, dir and ports) that it
    may stop and start; torn down afterwards. The shared cluster is never stopped.

    `name` makes its dir (/tmp/midway-test-cluster-<name>-<worker>) and context
    (midway-<name>). Its ports are the shared cluster's plus 10 * (`port_block` + the xdist
    worker's number): give each caller a block of its own, far from the others'.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    offset = port_block + (int(worker[2:]) if worker[2:].isdigit() else 0)
    state = Path(f"/tmp/midway-test-cluster-{name}-{worker}")
    context = f"midway-{name}"
    settings = {
        "MIDWAY_CLUSTER_DIR": str(state),
        "MIDWAY_ETCD_PORT": str(12379 + offset * 10),
        "MIDWAY_ETCD_PEER_PORT": str(12380 + offset * 10),
        "MIDWAY_APISERVER_PORT": str(16443 + offset * 10),
        "MIDWAY_KCM_PORT": str(16457 + offset * 10),
        "MIDWAY_CLUSTER_CONTEXT": context,
    }
    _check(_run_script("up", timeout=180, env=settings), "up (private cluster)")
    try:
        yield TestCluster(
            kubeconfig=state / "kubeconfig",
            server=f"https://127.0.0.1:{settings['MIDWAY_APISERVER_PORT']}",
            token=(state / "token").read_text().strip(),
            context=context,
            script=SCRIPT,
            script_env=settings,
        )
    finally:
        _check(_run_script("down", timeout=180, env=settings), "down (private cluster)")
