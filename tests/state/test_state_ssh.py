"""Publishing to a state repo over ssh: a real sshd on 127.0.0.1, keys from an ssh agent or
~/.ssh, and host keys checked against known_hosts (an unknown or changed key is refused)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.syncenv import free_port

SSHD = Path("/usr/sbin/sshd")


@dataclass
class SshServer:
    port: int
    root: Path
    host_key_line: str  # "ssh-ed25519 AAAA…" of the server
    user_key: Path

    def url(self, repo: Path) -> str:
        return f"ssh://root@127.0.0.1:{self.port}{repo}"

    def known_hosts(self, home: Path, key_line: str | None = None) -> None:
        (home / ".ssh").mkdir(parents=True, exist_ok=True)
        line = key_line or self.host_key_line
        (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {line}\n")


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    if not SSHD.exists():
        pytest.skip("openssh-server is not installed (scripts/test-cluster.sh build installs it)")
    if os.geteuid() != 0:
        pytest.skip("sshd's privilege separation needs root")
    Path("/run/sshd").mkdir(exist_ok=True)
    root = tmp_path / "sshd"
    root.mkdir()
    host_key_line = _keygen(root / "host_key")
    user_pub = _keygen(root / "user_key")
    (root / "authorized_keys").write_text(user_pub + "\n")
    port = free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPidFile {root / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
    )
    server = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(root / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=(root / "sshd.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["bash", "-c", f"echo > /dev/tcp/127.0.0.1/{port}"], capture_output=True
            )
            if probe.returncode == 0:
                break
            time.sleep(0.05)
        yield SshServer(port, root, host_key_line, root / "user_key")
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def agent(tmp_path: Path, sshd: SshServer) -> Iterator[str]:
    socket = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket)}
        subprocess.run(["ssh-add", "-q", str(sshd.user_key)], env=env, check=True)
        yield str(socket)
    finally:
        process.terminate()
        process.wait(10)


def publish(
    config: Path, url: str, home: Path, agent_socket: str | None, cache: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env.update(HOME=str(home), MIDWAY_CACHE_DIR=str(cache))
    if agent_socket:
        env["SSH_AUTH_SOCK"] = agent_socket
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "midway.cli.main",
            "--config",
            str(config),
            "publish",
            "--push",
            "--state",
            f"{url}@main",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def remote_head(repo: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", "main"], capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "state.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    return repo


def test_push_over_ssh_with_the_agent(
    example_repo: Path, sshd: SshServer, agent: str, remote: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    sshd.known_hosts(home)
    done = publish(example_repo, sshd.url(remote), home, agent, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pushed ") or "\npushed " in done.stdout
    assert len(remote_head(remote)) == 40


def test_push_over_ssh_with_a_key_in_home(
    example_repo: Path, sshd: SshServer, remote: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    sshd.known_hosts(home)
    for suffix in ("", ".pub"):
        shutil.copy(f"{sshd.user_key}{suffix}", home / ".ssh" / f"id_ed25519{suffix}")
    done = publish(example_repo, sshd.url(remote), home, None, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert len(remote_head(remote)) == 40


@pytest.mark.parametrize("known", ["missing", "another key"])
def test_an_unknown_or_changed_host_key_is_refused(
    example_repo: Path, sshd: SshServer, agent: str, remote: Path, tmp_path: Path, known: str
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    if known == "another key":
        sshd.known_hosts(home, _keygen(tmp_path / "impostor"))
    done = publish(example_repo, sshd.url(remote), home, agent, tmp_path / "cache")
    assert done.returncode == 2
    assert "host key of 127.0.0.1 is not in known_hosts" in done.stderr
    assert "ssh-keyscan 127.0.0.1" in done.stderr
    assert remote_head(remote) in ("", "main")  # nothing pushed
