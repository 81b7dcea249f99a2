"""jsonnet-bundler's view of vendor/: which dependencies a config repo declares and locks, the
legacy import names jb gives them, and what to tell a user whose vendored import is missing.

Pure: jsonnetfile.json / jsonnetfile.lock.json bytes in, typed answers out. The rules follow
jb (spec v1): a git dependency lives in `vendor/<host>/<user>/<repo><subdir>`; its legacy name
is its `name` field, else the last element of `<repo><subdir>`; with `legacyImports` (jb's
default) `vendor/<legacy name>` links to that directory.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from midway.config.source import JSONNETFILES, ConfigSource
from midway.errors import MidwayError, SourceLocation

JSONNETFILE, LOCKFILE = JSONNETFILES

# Where well-known libraries live, for a hint when one is imported by its legacy name but not
# declared (grafana's libraries import `ksonnet-util/…`, k8s-libsonnet imports `doc-util/…`).
KNOWN_LIBRARIES = {
    "doc-util": "github.com/jsonnet-libs/docsonnet/doc-util",
    "grafana-builder": "github.com/grafana/jsonnet-libs/grafana-builder",
    "grafonnet": "github.com/grafana/grafonnet-lib/grafonnet",
    "k8s-libsonnet": "github.com/jsonnet-libs/k8s-libsonnet/<kubernetes version, e.g. 1.20>",
    "ksonnet-util": "github.com/grafana/jsonnet-libs/ksonnet-util",
    "kube-prometheus": "github.com/prometheus-operator/kube-prometheus/jsonnet/kube-prometheus",
    "mixin-utils": "github.com/grafana/jsonnet-libs/mixin-utils",
    "xtd": "github.com/jsonnet-libs/xtd",
}

_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)[:/](?P<user>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True, order=True)
class Dependency:
    name: str  # its directory below vendor/: github.com/grafana/jsonnet-libs/ksonnet-util
    legacy_name: str
    version: str
    sum: str


@dataclass(frozen=True)
class Vendoring:
    declared: tuple[Dependency, ...] = ()  # jsonnetfile.json
    locked: tuple[Dependency, ...] = ()  # jsonnetfile.lock.json
    legacy_imports: bool = True
    problem: str | None = None  # a file that could not be read, in the user's terms

    @property
    def present(self) -> bool:
        return bool(self.declared or self.locked or self.problem)

    def legacy_targets(self) -> dict[str, str]:
        """Legacy name -> vendor directory; the lock wins over the declaration."""
        if not self.legacy_imports:
            return {}
        found: dict[str, str] = {}
        for dep in (*self.declared, *self.locked):
            if dep.legacy_name and dep.legacy_name != dep.name:
                found[dep.legacy_name] = dep.name
        return found

    def lock_lines(self) -> list[str]:
        """`name version sum` per locked dependency, sorted: what a render records."""
        return [f"{d.name} {d.version or '-'} {d.sum or '-'}" for d in sorted(self.locked)]


def read_vendoring(files: Mapping[str, bytes | None]) -> Vendoring:
    declared, legacy, problem = _parse(files, JSONNETFILE)
    locked, _, lock_problem = _parse(files, LOCKFILE)
    return Vendoring(tuple(declared), tuple(locked), legacy, problem or lock_problem)


def _parse(
    files: Mapping[str, bytes | None], path: str
) -> tuple[list[Dependency], bool, str | None]:
    content = files.get(path)
    if content is None:
        return [], True, None
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        return [], True, f"{path} is not valid JSON ({exc})"
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies", []), list):
        return [], True, f"{path} must be an object with a `dependencies` list"
    deps = [d for d in (_dependency(raw) for raw in doc.get("dependencies") or []) if d]
    return deps, doc.get("legacyImports", True) is not False, None


def _dependency(raw: object) -> Dependency | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), dict):
        return None
    source = raw["source"]
    given = raw.get("name") if isinstance(raw.get("name"), str) else ""
    version, checksum = str(raw.get("version") or ""), str(raw.get("sum") or "")
    git = source.get("git")
    if isinstance(git, dict) and isinstance(git.get("remote"), str):
        match = _REMOTE.match(git["remote"].strip())
        if match is None:
            return None
        subdir = str(git.get("subdir") or "").strip("/")
        repo_path = f"{match['host']}/{match['user']}/{match['repo']}"
        name = f"{repo_path}/{subdir}" if subdir else repo_path
        legacy = given or posixpath.basename(f"{match['repo']}/{subdir}".rstrip("/"))
        return Dependency(name, legacy, version, checksum)
    local = source.get("local")
    if isinstance(local, dict) and isinstance(local.get("directory"), str):
        base = posixpath.basename(local["directory"].rstrip("/"))
        return Dependency(base, given or base, version, checksum)
    return None


def missing_import_hint(vendoring: Vendoring, rel: str) -> str | None:
    """What to do about `import '<rel>'` found nowhere, when it looks vendored; else None."""
    if "/" not in rel or rel.startswith((".", "/")):
        return None
    first = rel.split("/", 1)[0]
    declared = {d.name: d for d in (*vendoring.declared, *vendoring.locked)}
    for name in sorted(declared, key=len, reverse=True):
        if rel.startswith(name + "/"):
            return (
                f"`{name}` is in {JSONNETFILE} but not in vendor/ (or lacks this file): "
                f"run `jb install` and commit vendor/"
            )
    by_legacy = {d.legacy_name: d for d in (*vendoring.declared, *vendoring.locked)}
    if first in by_legacy:
        dep = by_legacy[first]
        if not vendoring.legacy_imports:
            return (
                f"`{first}` is the legacy name of `{dep.name}`, but {JSONNETFILE} sets "
                f"`legacyImports: false`: import '{dep.name}/…' instead, or set it to true"
            )
        return (
            f"`{first}` is the legacy name of `{dep.name}` from {JSONNETFILE}, which is not "
            f"vendored (or lacks this file): run `jb install` and commit vendor/"
        )
    if vendoring.present:
        absent, add = f"is not in {JSONNETFILE}", "add it with `jb install"
    else:
        absent, add = (
            f"is not vendored (the repo has no {JSONNETFILE})",
            "add it with `jb init && jb install",
        )
    if "." in first:  # a host: github.com/…
        package = posixpath.dirname(rel)
        return f"`{package}` {absent}: {add} {package}`"
    known = KNOWN_LIBRARIES.get(first)
    if known is not None:
        return f"`{first}` is the legacy import name of `{known}`, which {absent}: {add} {known}`"
    return None


def locked_dependencies(source: ConfigSource) -> list[str]:
    """`<name> <version> <sum>` per dependency of the repo's jsonnetfile.lock.json, sorted."""
    if LOCKFILE not in source.paths():
        return []
    vendoring = read_vendoring({LOCKFILE: source.read(LOCKFILE)})
    if vendoring.problem is not None:
        raise MidwayError(
            vendoring.problem,
            SourceLocation(LOCKFILE),
            hint="jsonnet-bundler writes this file: run `jb install` to rewrite it",
        )
    return vendoring.lock_lines()
