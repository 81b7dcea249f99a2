"""Where the state repo is: `--state PATH|URL[@BRANCH]`, midway.yaml, or the default.

Pure: parsing only, no I/O. A spec is a URL when it has a scheme (`https://`, `ssh://`,
`file://`) or is scp-like (`git@host:org/repo.git`); anything else is a local path, relative to
the current directory on the command line and to the config repo in midway.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from midway.errors import MidwayError
from midway.model import Settings

DEFAULT_STATE_PATH = ".midway/state.git"
DEFAULT_BRANCH = "main"

_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!//)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
# git check-ref-format, the parts that matter for telling a branch from the rest of a spec
_BAD_BRANCH = re.compile(r"(^[/.-])|(\.\.)|([\s~^:?*\[\\])|(@\{)|(/$)|(\.lock$)|(//)|(\.$)")


@dataclass(frozen=True)
class StateLocation:
    """A state repo: a local path (bare or not) or a remote URL, and the branch to use."""

    path: Path | None
    url: str | None
    branch: str

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        """For messages and ArgoCD: the URL without credentials, or the absolute path."""
        if self.url is not None:
            return scrub_url(self.url)
        assert self.path is not None
        return str(self.path)

    def __str__(self) -> str:
        return f"{self.display}@{self.branch}"


def scrub_url(url: str) -> str:
    """Drop `user:password@` from a URL: tokens in CI remotes must never reach logs or git."""
    return _USERINFO.sub("", url)


def is_url(spec: str) -> bool:
    return bool(_SCHEME.match(spec) or _SCP_LIKE.match(spec))


def valid_branch(name: str) -> bool:
    return bool(name) and not _BAD_BRANCH.search(name)


def split_branch(spec: str) -> tuple[str, str | None]:
    """`repo@branch` -> (repo, branch). An `@` inside a URL's user part or an scp-like
    `user@host:` is not a branch separator; neither is one followed by an invalid ref name."""
    start = 0
    scheme = _SCHEME.match(spec)
    if scheme:
        slash = spec.find("/", scheme.end())
        start = len(spec) if slash < 0 else slash
    elif _SCP_LIKE.match(spec):
        start = spec.index(":") + 1
    at = spec.rfind("@", start)
    if at <= 0 or at < start:
        return spec, None
    candidate = spec[at + 1 :]
    if not valid_branch(candidate):
        return spec, None
    return spec[:at], candidate


def parse_state_spec(
    spec: str | None,
    settings: Settings | None = None,
    *,
    config_dir: Path | None = None,
    cwd: Path | None = None,
) -> StateLocation:
    """The state location from `--state` (relative to `cwd`), else midway.yaml's `state.path`
    (relative to `config_dir`), else `.midway/state.git` in the config repo."""
    settings = settings or Settings()
    config_dir = (config_dir or Path(".")).resolve()
    if spec is not None:
        base = (cwd or Path(".")).resolve()
        text = spec.strip()
    else:
        base = config_dir
        text = settings.state or DEFAULT_STATE_PATH
    if not text:
        raise MidwayError("--state is empty", hint="pass --state PATH|URL[@BRANCH]")
    repo, branch = split_branch(text)
    if branch is None:
        branch = settings.state_branch or DEFAULT_BRANCH
    if not valid_branch(branch):
        raise MidwayError(
            f"`{branch}` is not a valid branch name",
            settings.source if spec is None else None,
            hint="branch names follow git's rules: no spaces, `..`, `:`, `~`, `^` or `?`",
        )
    if is_url(repo):
        return StateLocation(None, repo, branch)
    path = Path(repo).expanduser()
    if not path.is_absolute():
        path = base / path
    return StateLocation(path.resolve(), None, branch)
