"""Pushing to an authenticated smart-HTTP remote on 127.0.0.1 (git http-backend behind basic
auth): credentials from the URL, a git credential helper and GIT_ASKPASS; a wrong secret
fails fast and is never printed."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pygit2
import pytest

from midway.errors import MidwayError
from midway.gitrepo.writing import GitStore, Stamp

USER, SECRET = "bot", "s3cret-t0ken"
STAMP = Stamp("midway", "midway@localhost", 1_700_000_000, 0)
BACKEND = (
    Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip())
    / "git-http-backend"
)


class _GitHttp(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root: Path

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._body() if self.command == "POST" else b""
        expected = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="state"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": USER,  # enables receive-pack
            "REMOTE_ADDR": "127.0.0.1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        done = subprocess.run([str(BACKEND)], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def http_remote(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(http://127.0.0.1:PORT/state.git, its bare repository on disk)."""
    if not BACKEND.exists():
        pytest.skip("git-http-backend is not installed")
    root = tmp_path / "served"
    pygit2.init_repository(str(root / "state.git"), bare=True)
    handler = type("Handler", (_GitHttp,), {"root": root})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/state.git", root / "state.git"
    finally:
        server.shutdown()
        server.server_close()


def _commit(store: GitStore, text: str) -> str:
    plan = store.plan_tree({"a.yaml": text.encode()}, None)
    store.write_plan(plan)
    return store.create_commit(plan.tree, [], "m\n", STAMP, STAMP)


def _remote_head(repo: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", "main"], capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user/system git config, no askpass, no terminal prompts: each test sets its own."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for name in ("GIT_ASKPASS", "SSH_ASKPASS"):
        monkeypatch.delenv(name, raising=False)
    return config


def test_credentials_in_the_url(
    http_remote: tuple[str, Path], tmp_path: Path, isolated_git: Path
) -> None:
    url, served = http_remote
    with_token = url.replace("http://", f"http://{USER}:{SECRET}@")
    store = GitStore.open(tmp_path / "local.git", create=True)
    commit = _commit(store, "1")
    assert store.remote_branch(with_token, "main") is None
    assert store.push_branch(with_token, commit, "main") is None
    assert _remote_head(served) == commit
    other = GitStore.open(tmp_path / "other.git", create=True)
    assert other.fetch_branch(with_token, "main", "refs/remotes/origin/main") == commit


def test_credential_helper(
    http_remote: tuple[str, Path], tmp_path: Path, isolated_git: Path
) -> None:
    url, served = http_remote
    secrets = tmp_path / "credentials"
    secrets.write_text(url.replace("http://", f"http://{USER}:{SECRET}@").rsplit("/", 1)[0] + "\n")
    isolated_git.write_text(f"[credential]\n\thelper = store --file={secrets}\n")
    store = GitStore.open(tmp_path / "local.git", create=True)
    commit = _commit(store, "2")
    assert store.push_branch(url, commit, "main") is None
    assert _remote_head(served) == commit


def test_git_askpass(
    http_remote: tuple[str, Path],
    tmp_path: Path,
    isolated_git: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, served = http_remote
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(
        f'#!/bin/sh\ncase "$1" in Username*) echo {USER};; *) echo {SECRET};; esac\n'
    )
    askpass.chmod(0o755)
    monkeypatch.setenv("GIT_ASKPASS", str(askpass))
    store = GitStore.open(tmp_path / "local.git", create=True)
    commit = _commit(store, "3")
    assert store.push_branch(url, commit, "main") is None
    assert _remote_head(served) == commit


def test_wrong_secret_fails_fast_and_is_never_printed(
    http_remote: tuple[str, Path], tmp_path: Path, isolated_git: Path
) -> None:
    url, served = http_remote
    wrong = url.replace("http://", f"http://{USER}:not-{SECRET}@")
    store = GitStore.open(tmp_path / "local.git", create=True)
    commit = _commit(store, "4")
    with pytest.raises(MidwayError) as caught:
        store.push_branch(wrong, commit, "main")
    text = caught.value.render()
    assert "cannot push to http://127.0.0.1" in text
    assert SECRET not in text and USER + ":" not in text
    with pytest.raises(MidwayError, match="cannot list branches"):
        store.remote_branch(url, "main")  # no credentials anywhere
    assert _remote_head(served) in ("", "main")
