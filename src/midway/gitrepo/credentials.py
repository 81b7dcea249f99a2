"""Credentials for remotes from git's usual sources, and scrubbing them out of any text."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.parse
from pathlib import Path

import pygit2

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def scrub(text: str) -> str:
    """Remove user:password@ from every URL in `text` (credentials are never logged)."""
    return _USERINFO.sub("", text)


class GitCredentials(pygit2.RemoteCallbacks):
    """Credentials from the usual git places: the URL, `git credential fill` (credential
    helpers, GIT_ASKPASS / core.askPass) and the ssh agent. Each kind is tried once per
    operation, so a wrong secret fails fast instead of looping. Nothing here is logged."""

    def __init__(self, url: str, repo_path: Path) -> None:
        super().__init__()
        self.url = url
        self.repo_path = repo_path
        self.tried: set[str] = set()
        self.rejected: list[str] = []
        self._from_helper: dict[str, str] | None = None

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: int
    ) -> pygit2.credentials.Username | pygit2.credentials.UserPass | pygit2.credentials.Keypair:
        kinds = pygit2.enums.CredentialType
        if allowed_types & kinds.SSH_KEY:
            user = username_from_url or "git"
            if "agent" not in self.tried:
                self.tried.add("agent")
                return pygit2.KeypairFromAgent(user)
            for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
                key = Path.home() / ".ssh" / name
                if name not in self.tried and key.is_file():
                    self.tried.add(name)
                    pub = key.with_suffix(".pub")
                    return pygit2.Keypair(user, str(pub) if pub.is_file() else None, str(key), "")
        if allowed_types & kinds.USERPASS_PLAINTEXT:
            parsed = urllib.parse.urlsplit(url)
            if parsed.password and "url" not in self.tried:
                self.tried.add("url")
                return pygit2.UserPass(
                    urllib.parse.unquote(parsed.username or ""),
                    urllib.parse.unquote(parsed.password),
                )
            if "helper" not in self.tried:
                self.tried.add("helper")
                found = self._credential("fill", url, username_from_url)
                if found and "password" in found:
                    self._from_helper = found
                    return pygit2.UserPass(found.get("username", ""), found["password"])
            elif self._from_helper is not None:
                self._credential("reject", url, None, self._from_helper)
                self._from_helper = None
        if allowed_types & kinds.USERNAME and "username" not in self.tried:
            self.tried.add("username")
            return pygit2.Username(username_from_url or "git")
        raise pygit2.GitError(f"authentication failed for {scrub(url)}")

    def certificate_check(self, certificate: None, valid: bool, host: bytes) -> bool:
        """Trust what libgit2 verified: the ssh host key against ~/.ssh/known_hosts, the TLS
        certificate against the CA store. pygit2's default accepts an unknown ssh host key."""
        return bool(valid)

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message:
            self.rejected.append(f"{refname}: {message}")

    def approve(self) -> None:
        """Tell the credential helper the secret worked (as git does after success)."""
        if self._from_helper is not None:
            self._credential("approve", self.url, None, self._from_helper)
            self._from_helper = None

    def _credential(
        self, action: str, url: str, username: str | None, given: dict[str, str] | None = None
    ) -> dict[str, str] | None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https"):
            return None
        fields = given or {
            "protocol": parsed.scheme,
            "host": parsed.hostname + (f":{parsed.port}" if parsed.port else "")
            if parsed.hostname
            else "",
            "path": parsed.path.lstrip("/"),
        }
        if username and "username" not in fields:
            fields = {**fields, "username": username}
        text = "".join(f"{k}={v}\n" for k, v in fields.items()) + "\n"
        env = dict(os.environ)
        if not os.isatty(0):
            env.setdefault("GIT_TERMINAL_PROMPT", "0")  # CI: fail instead of waiting on a tty
        try:
            done = subprocess.run(
                ["git", "credential", action],
                input=text,
                capture_output=True,
                text=True,
                env=env,
                cwd=str(self.repo_path),
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if action != "fill" or done.returncode != 0:
            return None
        out: dict[str, str] = {}
        for line in done.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key] = value
        return {**fields, **out}
