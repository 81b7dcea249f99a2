"""Who owns a cluster-scoped object. Pure.

A namespaced object lives in a namespace the environment's template gives its app; a
cluster-scoped one (ClusterRole, CRD, Namespace, StorageClass…) has one name per *physical*
cluster, whichever environment or destination renders it. midway's rule: **one owner per
physical cluster** — at most one app × environment × destination may render a given
cluster-scoped object for a server URL. Anything else is an error naming both app files and
both destinations; nothing is picked silently (two owners would fight over the object's
`midway.dev/env` label, and one owner's prune would delete what the other still wants).

A second rule keeps ArgoCD's view sound: the cluster-scoped directory of a destination is
`_cluster/<app name>`, so two apps of different teams with the same name may not both have
cluster-scoped objects there (each one's Application would sync the other's objects).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from midway.errors import MidwayError, SourceLocation
from midway.model import ObjectKey, RenderUnit

_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Claim:
    """One rendered cluster-scoped object and who rendered it where."""

    key: ObjectKey
    unit: RenderUnit
    blueprint: str
    server: str
    directory: str  # <env>/<cluster>/_cluster/<app>
    source: SourceLocation  # the app file


def server_identity(server: str) -> str:
    """The physical cluster a server URL names: scheme and host lower-cased, the default port
    made explicit, a trailing `/` dropped (`https://K8S.example/` = `https://k8s.example:443`)."""
    try:
        parts = urlsplit(server.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return server.strip().rstrip("/")
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{host}{f':{port}' if port else ''}{path}"


def _who(claim: Claim) -> str:
    return f"app {claim.unit.app} ({claim.blueprint}) in {claim.unit.env}/{claim.unit.cluster}"


def ownership_errors(claims: Iterable[Claim]) -> list[MidwayError]:
    """Every violation of the two rules above, once each, in a stable order."""
    errors: list[MidwayError] = []
    first_by_object: dict[tuple[str, str, str, str], Claim] = {}
    reported: set[tuple[str, str, str, str, str, str]] = set()
    first_by_directory: dict[str, Claim] = {}
    for claim in claims:
        server = server_identity(claim.server)
        ident = (server, claim.key.group, claim.key.kind, claim.key.name)
        first = first_by_object.setdefault(ident, claim)
        # the same destination twice is the pipeline's ordinary duplicate error
        if first is not claim and first.unit.destination != claim.unit.destination:
            pair = (*ident, str(first.unit.destination), str(claim.unit.destination))
            if pair not in reported:
                reported.add(pair)
                errors.append(_two_owners(first, claim, server))
        owner = first_by_directory.setdefault(claim.directory, claim)
        if owner.unit.app != claim.unit.app:
            pair = ("dir", claim.directory, owner.unit.app, claim.unit.app, "", "")
            if pair not in reported:
                reported.add(pair)
                errors.append(_shared_directory(owner, claim))
    return errors


def _two_owners(first: Claim, second: Claim, server: str) -> MidwayError:
    same_env = first.unit.env == second.unit.env
    where = (
        "two destinations of one environment point at the same cluster"
        if same_env
        else "environments that share a cluster share its cluster-scoped objects"
    )
    return MidwayError(
        f"{second.key} is cluster-scoped and has two owners on the cluster {server}: "
        f"{_who(first)} and {_who(second)} ({where})",
        second.source,
        hint=f"also rendered via {first.source}; a cluster-scoped object has one owner per "
        "cluster: render it in one environment only (e.g. `if env.name == 'dev'`), or make "
        "its name unique per environment (e.g. app.name + '-' + env.name + '-reader')",
    )


def _shared_directory(first: Claim, second: Claim) -> MidwayError:
    return MidwayError(
        f"apps {first.unit.app} and {second.unit.app} both store cluster-scoped objects in "
        f"{second.directory} ({second.key} and {first.key})",
        second.source,
        hint=f"also via {first.source}; cluster-scoped objects are stored per app name in a "
        "destination: rename one of the apps, or let only one of them render "
        "cluster-scoped objects",
    )
