"""API discovery: which kinds the cluster serves, under which plural, in which scope.

Nothing is hard-coded: (apiVersion, kind) is looked up in the server's APIResourceList
for that group version, cached per connection, and fetched again once on a miss (a CRD
installed a moment ago). `served_resources` lists everything, e.g. for orphan scans.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from midway.cluster.connection import Connection
from midway.cluster.errors import NotFound, StatusError
from midway.errors import ClusterError
from midway.objects.apiversion import split_api_version


@dataclass(frozen=True)
class Resource:
    """One served resource type, e.g. ("apps", "v1", "Deployment", "deployments", True)."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The URL path of the collection (name None) or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        return base

    def __str__(self) -> str:
        return f"{self.kind}.{self.group}/{self.version}" if self.group else self.kind


@dataclass(frozen=True)
class ServedResources:
    """All resource types the cluster serves, one entry per (group, kind)."""

    resources: tuple[Resource, ...]
    failed: Mapping[str, str]  # group version -> why its discovery failed (e.g. 503)

    def with_verbs(self, *verbs: str) -> tuple[Resource, ...]:
        wanted = set(verbs)
        return tuple(r for r in self.resources if wanted <= r.verbs)


class _Cache:
    def __init__(self) -> None:
        # group version -> kind -> Resource; None = the group version is not served
        self.by_group_version: dict[str, dict[str, Resource] | None] = {}


_caches: weakref.WeakKeyDictionary[Connection, _Cache] = weakref.WeakKeyDictionary()


def _cache(conn: Connection) -> _Cache:
    with conn.lock:
        cache = _caches.get(conn)
        if cache is None:
            cache = _caches[conn] = _Cache()
        return cache


def _group_version_path(api_version: str) -> str:
    group, version = split_api_version(api_version)
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def _parse_resource_list(api_version: str, data: Mapping[str, Any]) -> dict[str, Resource]:
    group, version = split_api_version(api_version)
    kinds: dict[str, Resource] = {}
    for entry in data.get("resources") or []:
        name = str(entry.get("name", ""))
        if not name or "/" in name:  # subresources such as deployments/scale
            continue
        kinds[str(entry["kind"])] = Resource(
            group=str(entry.get("group") or group),
            version=str(entry.get("version") or version),
            kind=str(entry["kind"]),
            plural=name,
            namespaced=bool(entry.get("namespaced")),
            verbs=frozenset(str(v) for v in entry.get("verbs") or []),
        )
    return kinds


def _fetch_group_version(conn: Connection, api_version: str) -> dict[str, Resource] | None:
    try:
        data = conn.request(
            "GET", _group_version_path(api_version), action=f"discover {api_version}"
        )
    except NotFound:
        return None
    return _parse_resource_list(api_version, data or {})


_MISSING: Any = object()


def resources_of(
    conn: Connection, api_version: str, *, refresh: bool = False
) -> dict[str, Resource]:
    """Kind -> Resource for one group version ({} when the cluster does not serve it)."""
    cache = _cache(conn)
    with conn.lock:
        known = cache.by_group_version.get(api_version, _MISSING)
    if known is _MISSING or refresh:
        known = _fetch_group_version(conn, api_version)
        with conn.lock:
            cache.by_group_version[api_version] = known
    return dict(known) if isinstance(known, dict) else {}


def resolve(conn: Connection, api_version: str, kind: str) -> Resource:
    """The Resource serving `kind` in `api_version`; ClusterError if the cluster has none."""
    if not api_version or not kind:
        raise ClusterError(
            f"an object without apiVersion/kind cannot be sent to a cluster "
            f"(apiVersion={api_version!r}, kind={kind!r})"
        )
    resource = resources_of(conn, api_version).get(kind)
    if resource is None:  # maybe a CRD installed since we last looked: ask once more
        resource = resources_of(conn, api_version, refresh=True).get(kind)
    if resource is None:
        raise ClusterError(
            f"the cluster at {conn.describe()} does not serve {kind} in {api_version} "
            f"(is the CRD installed?)",
            hint="`kubectl api-resources` lists what it serves; an older cluster may only "
            "have a beta version of this API",
        )
    return resource


def forget(conn: Connection) -> None:
    """Drop everything discovered for this connection (e.g. after installing CRDs)."""
    with conn.lock:
        _caches.pop(conn, None)


def _group_versions(conn: Connection) -> list[list[str]]:
    """Served group versions, per group, preferred version first."""
    groups: list[list[str]] = []
    core = conn.request("GET", "/api", action="discover the core API") or {}
    groups.append([str(v) for v in core.get("versions") or []])
    data = conn.request("GET", "/apis", action="discover API groups") or {}
    for group in data.get("groups") or []:
        preferred = str((group.get("preferredVersion") or {}).get("groupVersion", ""))
        versions = [str(v["groupVersion"]) for v in group.get("versions") or []]
        ordered = [preferred] if preferred else []
        ordered += [v for v in versions if v != preferred]
        groups.append(ordered)
    return groups


def served_resources(conn: Connection, *, preferred_only: bool = True) -> ServedResources:
    """Every resource type the cluster serves, with its verbs.

    With `preferred_only` a kind appears once, in its group's preferred version (or the
    first version serving it), as `kubectl api-resources` shows it. Group versions whose
    discovery fails (an aggregated API that is down) are reported in `failed`.
    """
    groups = _group_versions(conn)
    all_versions = [gv for versions in groups for gv in versions]
    failed: dict[str, str] = {}

    def fetch(gv: str) -> tuple[str, dict[str, Resource] | None]:
        try:
            return gv, _fetch_group_version(conn, gv)
        except StatusError as exc:
            failed[gv] = exc.server_message
            return gv, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        fetched = dict(pool.map(fetch, all_versions))
    cache = _cache(conn)
    with conn.lock:
        for gv, kinds in fetched.items():
            if gv not in failed:
                cache.by_group_version[gv] = kinds

    result: list[Resource] = []
    for versions in groups:
        seen: set[str] = set()
        for gv in versions:
            for kind, resource in sorted((fetched.get(gv) or {}).items()):
                if preferred_only and kind in seen:
                    continue
                seen.add(kind)
                result.append(resource)
    return ServedResources(resources=tuple(result), failed=dict(sorted(failed.items())))


def prime(conn: Connection, api_versions: Iterable[str]) -> None:
    """Discover several group versions up front, concurrently (saves round trips later)."""
    missing = [gv for gv in set(api_versions) if gv]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda gv: resources_of(conn, gv), missing))
