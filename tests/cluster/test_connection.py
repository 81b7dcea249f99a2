"""connect(): kubeconfig handling, the /version probe, failures in operator terms."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from midway.cluster import Unauthorized, connect
from midway.errors import ClusterError
from support.cluster import TestCluster

pytestmark = pytest.mark.cluster


def _kubeconfig(path: Path, server: str, token: str, context: str = "probe") -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{server}", insecure-skip-tls-verify: true}}
users:
- name: u
  user: {{token: "{token}"}}
contexts:
- name: {context}
  context: {{cluster: c, user: u, namespace: team-a}}
current-context: {context}
"""
    )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connect_probes_the_server(test_cluster: TestCluster) -> None:
    with connect(str(test_cluster.kubeconfig)) as conn:
        assert conn.server == test_cluster.server
        assert conn.context == test_cluster.context
        assert conn.version is not None
        assert conn.version.major == 1 and conn.version.minor >= 20
        assert conn.version.git_version.startswith("v1.")


def test_connect_uses_kubeconfig_env_and_context_namespace(
    test_cluster: TestCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _kubeconfig(tmp_path / "config", test_cluster.server, test_cluster.token)
    monkeypatch.setenv("KUBECONFIG", str(path))
    with connect(context="probe") as conn:
        assert conn.context == "probe"
        assert conn.namespace == "team-a"
        assert "context probe" in conn.describe()


def test_unreachable_server_is_a_clear_cluster_error(tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{_free_port()}"
    path = _kubeconfig(tmp_path / "config", server, "whatever")
    with pytest.raises(ClusterError) as info:
        connect(str(path))
    message = info.value.render()
    assert f"cannot reach the cluster at {server} (context probe)" in message
    assert "connection refused" in message
    assert "hint:" in message
    assert "Traceback" not in message


def test_wrong_token_is_a_clear_cluster_error(test_cluster: TestCluster, tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "config", test_cluster.server, "not-the-token")
    with pytest.raises(Unauthorized) as info:
        connect(str(path))
    assert isinstance(info.value, ClusterError)
    message = info.value.render()
    assert test_cluster.server in message
    assert "401 Unauthorized" in message
    assert "credentials" in message


def test_unknown_context_lists_the_known_ones(test_cluster: TestCluster) -> None:
    with pytest.raises(ClusterError) as info:
        connect(str(test_cluster.kubeconfig), context="nope")
    assert "context 'nope' is not in the kubeconfig" in info.value.message
    assert test_cluster.context in (info.value.hint or "")


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="no kubeconfig found"):
        connect(str(tmp_path / "absent"))


def test_wrong_certificate_authority_is_a_tls_error(
    test_cluster: TestCluster, tmp_path: Path
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=some-other-ca",
            "-keyout",
            str(tmp_path / "ca.key"),
            "-out",
            str(tmp_path / "ca.crt"),
        ],
        check=True,
        capture_output=True,
    )
    config = tmp_path / "config"
    config.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{test_cluster.server}", certificate-authority: "{tmp_path / "ca.crt"}"}}
users:
- name: u
  user: {{token: "{test_cluster.token}"}}
contexts:
- name: strict
  context: {{cluster: c, user: u}}
current-context: strict
"""
    )
    with pytest.raises(ClusterError) as info:
        connect(str(config))
    assert "(context strict): the TLS handshake failed" in info.value.message
    assert "CA certificate" in (info.value.hint or "")


_EXEC_PLUGIN = """#!/bin/sh
# an EKS/GKE-style credential plugin: a short-lived token, and a log of every call
echo call >> "{calls}"
expiry=$(date -u -d "@$(( $(date +%s) + {lifetime_s} ))" +%Y-%m-%dT%H:%M:%SZ)
cat <<JSON
{{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
  "status": {{"token": "{token}", "expirationTimestamp": "$expiry"}}}}
JSON
"""


def _exec_kubeconfig(tmp_path: Path, cluster: TestCluster, lifetime_s: int) -> tuple[Path, Path]:
    calls = tmp_path / "calls"
    plugin = tmp_path / "credential-plugin"
    plugin.write_text(_EXEC_PLUGIN.format(calls=calls, lifetime_s=lifetime_s, token=cluster.token))
    plugin.chmod(0o755)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{cluster.server}", insecure-skip-tls-verify: true}}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: {plugin}
      interactiveMode: Never
contexts:
- name: exec
  context: {{cluster: c, user: u}}
current-context: exec
"""
    )
    return kubeconfig, calls


def test_exec_plugin_tokens_are_refreshed_when_they_expire(
    test_cluster: TestCluster, tmp_path: Path
) -> None:
    # The client refreshes a token once it is within 5 minutes of expiring: 5 min + 2 s is
    # fresh now and stale two seconds later, as an EKS token is after ~15 minutes.
    kubeconfig, calls = _exec_kubeconfig(tmp_path, test_cluster, lifetime_s=5 * 60 + 2)
    with connect(str(kubeconfig)) as conn:  # probes /version
        assert calls.read_text().count("call") == 1
        conn.request("GET", "/api/v1/namespaces/default", action="get namespace")
        assert calls.read_text().count("call") == 1  # still fresh: not asked again
        time.sleep(3)
        conn.request("GET", "/api/v1/namespaces/default", action="get namespace")
        assert calls.read_text().count("call") == 2  # expired: the plugin ran again


def test_a_long_lived_exec_token_is_not_refetched(
    test_cluster: TestCluster, tmp_path: Path
) -> None:
    kubeconfig, calls = _exec_kubeconfig(tmp_path, test_cluster, lifetime_s=3600)
    with connect(str(kubeconfig)) as conn:
        for _ in range(3):
            conn.request("GET", "/api/v1/namespaces/default", action="get namespace")
    assert calls.read_text().count("call") == 1
