"""Pytest plugin: the real test cluster (scripts/test-cluster.sh) as fixtures.

Load it from tests/conftest.py with `pytest_plugins = ["support.cluster"]`.

- `test_cluster` (session): starts the cluster once (a file lock makes xdist workers
  take turns; the second finds it up) and never stops it.
- `k8s_namespace` (function): a fresh namespace, deleted afterwards without waiting.
- `kubectl(test_cluster, *args)`: run /usr/bin/kubectl against it.

Mark tests that use these with `@pytest.mark.cluster`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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

    @property
    def env(self) -> dict[str, str]:
        """os.environ with KUBECONFIG pointing at this cluster (for subprocesses)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def run_script(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run_script(*args)

    def stop_apiserver(self) -> None:
        """Only kube-apiserver stops (etcd keeps the data): for resilience tests."""
        _check(_run_script("stop-apiserver"), "stop-apiserver")

    def start_apiserver(self) -> None:
        _check(_run_script("start-apiserver"), "start-apiserver")


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


def _run_script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
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
