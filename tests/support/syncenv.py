"""A small config repo (git, on disk) for sync and daemon tests against the test cluster.

One environment, `dev`, with one cluster `dev-1` (the test cluster), a namespace template
unique to the test (`<prefix>-{app}`), and apps of a tiny in-test blueprint `kv`: one
ConfigMap `<app>-kv` whose data is the app's `data` parameter. The example's blueprints
(web-service, worker…) are there too for tests that want a Deployment.

    repo = SyncConfigRepo.create(tmp_path, prefix="t-ab12", policy="correct", prune=True)
    repo.set_app("alpha", {"mode": "fast"})
    commit = repo.commit("add alpha")
    state_commit = repo.publish()          # render + commit to .midway/state.git
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEAM = "qa"

KV_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: kv}
spec:
  version: 1.0.0
  description: One ConfigMap holding the app's data (sync and daemon tests)
  parameters:
    type: object
    additionalProperties: false
    properties:
      data:
        type: object
        additionalProperties: {type: string}
        default: {}
        description: the ConfigMap's data
      extra:
        type: integer
        default: 0
        minimum: 0
        description: this many extra ConfigMaps <app>-extra-<n>
"""

KV_MAIN = """\
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: app.name + '-kv'},
    data: params.data,
  },
] + [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: app.name + '-extra-' + i},
    data: {index: '' + i},
  }
  for i in std.range(0, params.extra - 1)
]
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


# Namespace prefixes of the repos made by the running test (cleanup_sync_namespaces).
_CREATED_PREFIXES: list[str] = []


def unique_prefix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "m")
    return f"s{worker[-2:]}-{uuid.uuid4().hex[:6]}".lower()


@pytest.fixture(autouse=True)
def cleanup_sync_namespaces(request: pytest.FixtureRequest) -> Iterator[None]:
    """Delete (without waiting) the namespaces a test's daemon or sync created.

    Autouse in every module that imports it: `from support.syncenv import
    cleanup_sync_namespaces  # noqa: F401`.
    """
    from support.cluster import kubectl

    cluster = (
        request.getfixturevalue("test_cluster")
        if request.node.get_closest_marker("cluster")
        else None
    )
    start = len(_CREATED_PREFIXES)
    yield
    prefixes = _CREATED_PREFIXES[start:]
    del _CREATED_PREFIXES[start:]
    if cluster is None or not prefixes:
        return
    listed = kubectl(cluster, "get", "namespaces", "-o", "name", check=False)
    names = [line.split("/", 1)[-1] for line in listed.stdout.split()]
    doomed = [n for n in names if any(n.startswith(p + "-") for p in prefixes)]
    if doomed:
        kubectl(cluster, "delete", "namespace", *doomed, "--wait=false", check=False)


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@dataclass
class SyncConfigRepo:
    root: Path
    prefix: str

    @staticmethod
    def create(
        tmp_path: Path,
        *,
        prefix: str | None = None,
        policy: str = "correct",
        prune: bool = True,
        allow_empty_prune: bool = False,
        env_ignore: list[dict[str, Any]] | None = None,
    ) -> SyncConfigRepo:
        root = tmp_path / "config"
        root.mkdir(parents=True)
        for part in ("blueprints", "lib", "vendor"):
            if (PROJECT_ROOT / part).is_dir():
                shutil.copytree(PROJECT_ROOT / part, root / part)
        shutil.copy2(PROJECT_ROOT / "midway.yaml", root / "midway.yaml")
        if (PROJECT_ROOT / "jsonnetfile.json").exists():
            shutil.copy2(PROJECT_ROOT / "jsonnetfile.json", root / "jsonnetfile.json")
        (root / "blueprints" / "kv").mkdir()
        (root / "blueprints" / "kv" / "blueprint.yaml").write_text(KV_BLUEPRINT)
        (root / "blueprints" / "kv" / "main.jsonnet").write_text(KV_MAIN)
        (root / ".gitignore").write_text(".midway/\n")
        repo = SyncConfigRepo(root, prefix or unique_prefix())
        _CREATED_PREFIXES.append(repo.prefix)
        repo.set_environment(
            policy=policy, prune=prune, allow_empty_prune=allow_empty_prune, ignore=env_ignore
        )
        (root / "apps" / TEAM).mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        return repo

    # ------------------------------------------------------------------ files

    def namespace(self, app: str) -> str:
        return f"{self.prefix}-{app}"

    def write(self, rel: str, content: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content) if content.startswith("\n") else content)
        return path

    def set_environment(
        self,
        *,
        policy: str = "correct",
        prune: bool = True,
        allow_empty_prune: bool = False,
        ignore: list[dict[str, Any]] | None = None,
        server: str = "https://127.0.0.1:16443",
    ) -> None:
        env = {
            "apiVersion": "midway.dev/v1",
            "kind": "Environment",
            "metadata": {"name": "dev"},
            "spec": {
                "order": 1,
                "clusters": [{"name": "dev-1", "server": server, "kubernetesVersion": "1.20"}],
                "namespace": f"{self.prefix}-{{app}}",
                "params": {},
                "policy": {"drift": policy, "prune": prune, "allowEmptyPrune": allow_empty_prune},
                "drift": {"ignore": ignore or []},
            },
        }
        self.write("environments/dev.yaml", yaml.safe_dump(env, sort_keys=False))

    def set_app(
        self,
        name: str,
        data: dict[str, str] | None = None,
        *,
        extra: int = 0,
        policy: str | None = None,
        ignore: list[dict[str, Any]] | None = None,
        blueprint: str = "kv@^1",
        params: dict[str, Any] | None = None,
    ) -> Path:
        spec: dict[str, Any] = {
            "blueprint": blueprint,
            "params": params if params is not None else {"data": data or {}, "extra": extra},
            "environments": {"dev": {}},
        }
        drift: dict[str, Any] = {}
        if policy:
            drift["policy"] = policy
        if ignore:
            drift["ignore"] = ignore
        if drift:
            spec["drift"] = drift
        app = {
            "apiVersion": "midway.dev/v1",
            "kind": "App",
            "metadata": {"name": name, "team": TEAM},
            "spec": spec,
        }
        return self.write(f"apps/{TEAM}/{name}.yaml", yaml.safe_dump(app, sort_keys=False))

    def remove_app(self, name: str) -> None:
        (self.root / "apps" / TEAM / f"{name}.yaml").unlink()

    # ------------------------------------------------------------------ git

    def commit(self, message: str = "change") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    @property
    def state_path(self) -> Path:
        return self.root / ".midway" / "state.git"

    def publish(self) -> str | None:
        """Render HEAD and commit it to the state repo; the new state commit (None: no-op)."""
        from midway.cache import Cache
        from midway.config.gitsource import GitSource
        from midway.config.loader import load_config
        from midway.render.pipeline import RenderOptions, render_config
        from midway.state.argocd import ArgoSource
        from midway.state.location import parse_state_spec
        from midway.state.publishing import PublishRequest, config_origin, publish
        from midway.state.tree import state_files

        source = GitSource(self.root, "HEAD")
        config = load_config(source)
        result = render_config(config, source, RenderOptions(cache=Cache.disabled()))
        location = parse_state_spec(None, config.settings, config_dir=self.root)
        argo = ArgoSource(config.settings.state_repo_url or location.display, location.branch)
        files = state_files(result, argo)
        outcome = publish(
            PublishRequest(
                files=files,
                location=location,
                origin=config_origin(self.root, "HEAD", worktree=False),
            )
        )
        return outcome.commit

    def state_head(self) -> str | None:
        from midway.state.location import parse_state_spec
        from midway.state.reader import StateReader

        if not self.state_path.exists():
            return None
        return StateReader.open(parse_state_spec(str(self.state_path))).head


# ---------------------------------------------------------------------- daemon helpers


def wait_for(
    predicate: Callable[[], Any], timeout_s: float = 10.0, interval_s: float = 0.1, what: str = ""
) -> Any:
    """Poll until `predicate()` is truthy; return its value, or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or predicate}")
        time.sleep(interval_s)


def daemon_options(repo: SyncConfigRepo, cluster: Any, **overrides: Any) -> Any:
    from midway.daemon.options import DaemonOptions

    settings: dict[str, Any] = {
        "config": str(repo.root),
        "port": 0,
        "host": "127.0.0.1",
        "envs": ("dev",),
        "kubeconfig": str(cluster.kubeconfig),
        "context": cluster.context,
        "status_file": repo.root / ".midway" / "daemon-status.json",
        "config_poll_s": 0.5,
        "state_poll_s": 0.5,
        "prune_timeout_s": 20.0,
    }
    settings.update(overrides)
    return DaemonOptions(**settings)


@contextmanager
def daemon_thread(repo: SyncConfigRepo, cluster: Any, **overrides: Any) -> Iterator[Any]:
    """A Daemon running in a thread of this process (its own metrics registry and port)."""
    from midway.daemon.run import Daemon

    daemon = Daemon(daemon_options(repo, cluster, **overrides))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            daemon.run()
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="test-daemon", daemon=True)
    thread.start()
    wait_for(lambda: daemon.http is not None or errors, 10, what="the daemon's HTTP server")
    if errors:
        raise errors[0]
    try:
        yield daemon
    finally:
        daemon.stop()
        thread.join(20)
        assert not thread.is_alive(), "the daemon did not stop within 20s"
    if errors:
        raise errors[0]


def metric(daemon: Any, name: str, **labels: str) -> float:
    """A sample of the daemon's metrics registry (0.0 when absent)."""
    value = daemon.metrics.registry.get_sample_value(name, labels)
    return float(value) if value is not None else 0.0


def http_get(port: int, path: str, timeout_s: float = 2.0) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
