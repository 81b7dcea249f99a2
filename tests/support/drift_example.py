"""Pytest plugin: the example's dev environment published and applied to the test cluster.

Each use gets its own copy of the example config whose dev namespace template carries a
unique prefix (`<prefix>-{team}-{app}`), its own state repo, and its own namespaces —
deleted afterwards. The CRDs the example needs (ExternalSecret, CNPG Cluster and
ScheduledBackup, RabbitmqCluster) are installed once per session from tests/drift/testdata/crds/.

    def test_x(drift_env: DriftEnv) -> None:
        code, out, err = drift_env.cli("drift", "-o", "json")
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cluster import TestCluster, kubectl
from support.example import copy_example

REPO_ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = REPO_ROOT / "tests" / "drift" / "testdata" / "crds"
ENV_FILE = "environments/dev.yaml"


@dataclass
class DriftEnv:
    """A published + applied copy of the example's dev environment."""

    cluster: TestCluster
    config: Path
    state: Path
    prefix: str
    namespaces: list[str] = field(default_factory=list)

    @property
    def kube_args(self) -> list[str]:
        return ["--kubeconfig", str(self.cluster.kubeconfig), "--context", self.cluster.context]

    def ns(self, team_app: str) -> str:
        """The namespace of `team-app` (e.g. "payments-checkout") in this copy."""
        return f"{self.prefix}-{team_app}"

    def argv(self, verb: str, *args: str, kube: bool = True) -> list[str]:
        """`--config <copy> VERB [--env dev] --state <state> [kube args] ARGS`."""
        return [
            "--config",
            str(self.config),
            verb,
            *(["--env", "dev"] if verb in ("drift", "apply", "sync") else []),
            "--state",
            str(self.state),
            *(self.kube_args if kube else []),
            *args,
        ]

    def cli(self, verb: str, *args: str, kube: bool = True) -> tuple[int, str, str]:
        """Run the real CLI in-process: (exit code, stdout, stderr)."""
        from midway.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(self.argv(verb, *args, kube=kube))
            except SystemExit as exc:
                code = int(exc.code or 0)
        return code, out.getvalue(), err.getvalue()

    def spawn(self, verb: str, *args: str) -> subprocess.Popen[str]:
        """The CLI as a separate process (for --watch), stdout piped line by line."""
        return subprocess.Popen(
            [sys.executable, "-m", "midway.cli.main", *self.argv(verb, *args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=_env(),
        )

    def drift_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.cli("drift", "-o", "json", *args)
        assert code in (0, 1), f"midway drift failed (exit {code}):\n{err}\n{out}"
        return code, json.loads(out)

    def desired_files(self) -> dict[str, bytes]:
        """state path -> bytes of every dev/dev-1 object in the state repo."""
        from midway.state.reader import StateReader

        reader = StateReader.open(f"{self.state}@main")
        return {
            obj.path: reader.read(obj.blob) for obj in reader.objects(env="dev", cluster="dev-1")
        }

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> str:
        return kubectl(self.cluster, *args, input=input, check=check).stdout


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def install_crds(cluster: TestCluster) -> None:
    """Apply the test CRDs and wait until the API server serves them."""
    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "-f", str(CRD_DIR))
    for path in sorted(CRD_DIR.glob("*.yaml")):
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        kubectl(cluster, "wait", "--for=condition=Established", "--timeout=30s", f"crd/{name}")


@pytest.fixture(scope="session")
def drift_crds(test_cluster: TestCluster) -> TestCluster:
    install_crds(test_cluster)
    return test_cluster


def prepare_example(
    tmp_path: Path,
    cluster: TestCluster,
    *,
    kubernetes_version: str | None = None,
    customize: Callable[[Path], None] | None = None,
) -> DriftEnv:
    """Copy the example, give dev a unique namespace prefix, publish it to a new state repo.
    `customize(config_dir)` may change the copy before it is published. (Not applied: see
    `apply_example`.)"""
    prefix = "d" + uuid.uuid4().hex[:7]
    config = copy_example(tmp_path / "config")
    env_path = config / ENV_FILE
    text = env_path.read_text()
    assert 'namespace: "{team}-{app}"' in text, "the example's dev namespace template changed"
    text = text.replace('namespace: "{team}-{app}"', f'namespace: "{prefix}-{{team}}-{{app}}"')
    if kubernetes_version is not None:
        text = text.replace(
            'kubernetesVersion: "1.20"', f'kubernetesVersion: "{kubernetes_version}"'
        )
    env_path.write_text(text)
    if customize is not None:
        customize(config)
    drift_env = DriftEnv(
        cluster=cluster, config=config, state=tmp_path / "state.git", prefix=prefix
    )
    code, out, err = drift_env.cli("publish", kube=False)
    assert code == 0, f"midway publish failed (exit {code}):\n{err}\n{out}"
    return drift_env


def apply_example(drift_env: DriftEnv) -> None:
    code, out, err = drift_env.cli("apply", "-o", "json")
    assert code == 0, f"midway apply failed (exit {code}):\n{err}\n{out}"
    drift_env.namespaces = list(json.loads(out)["namespacesCreated"])


def cleanup(drift_env: DriftEnv) -> None:
    for namespace in drift_env.namespaces:
        kubectl(drift_env.cluster, "delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture
def drift_env(tmp_path: Path, drift_crds: TestCluster) -> Iterator[DriftEnv]:
    """The example's dev environment, published and applied in its own namespaces."""
    env = prepare_example(tmp_path, drift_crds)
    try:
        apply_example(env)
        yield env
    finally:
        cleanup(env)
