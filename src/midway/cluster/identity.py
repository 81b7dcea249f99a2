"""A cluster is its API server URL: which kubeconfig context reaches the server an
environment names (pure decisions; reading the kubeconfig is connection.py's job).

ArgoCD keys cluster credentials by server URL; so does midway. The environment file's
`server:` is the identity, a context is only a way to reach it:

- an explicit context (`--context`, else the cluster's `context:`) must reach that server,
  or it is refused (unless the caller allows a mismatch, loudly);
- without one, the context whose server matches is used; when several match, the current
  context if it is one of them, else an error asking for `context:`;
- no context reaches the server: an error listing the contexts and their servers.

`https://kubernetes.default.svc` names "the cluster midway runs in", as ArgoCD's in-cluster
destination does: only in-cluster mode (the daemon in a pod) reaches it, and in-cluster mode
reaches only that — or the one URL the operator declares to be this cluster
(`midway daemon --in-cluster --in-cluster-server URL`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from midway.errors import ClusterError, SourceLocation

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
_DEFAULT_PORTS = {"https": 443, "http": 80}


class ClusterIdentityError(ClusterError):
    """The server an environment names cannot be reached safely: wrong context, no
    context, or several. Never retried as a connection problem would be."""


def normalize_server(url: str) -> str:
    """A server URL in one spelling: lower-case scheme and host, no default port, no
    trailing slash (`HTTPS://Prod.example:443/` -> `https://prod.example`). A URL without a
    scheme is read as https, as kubectl does."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep it visible rather than guess
        port = None
        host = parts.netloc.rsplit("@", 1)[-1].lower()
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc}{path}"


def same_server(a: str, b: str) -> bool:
    return normalize_server(a) == normalize_server(b)


def is_in_cluster_server(url: str) -> bool:
    return same_server(url, IN_CLUSTER_SERVER)


@dataclass(frozen=True)
class KubeContext:
    """One kubeconfig context and the server of its cluster (None: the cluster is missing)."""

    name: str
    server: str | None


@dataclass(frozen=True)
class Wanted:
    """What an environment asks for: its server, where that is written, and its context."""

    destination: str  # "prod/prod-eu"
    server: str
    server_source: SourceLocation | None = None
    context: str | None = None  # explicit: --context, else the cluster's `context:`
    context_from: str = "--context"  # how the explicit context was given, for messages


@dataclass(frozen=True)
class ContextChoice:
    """The context to use (None with in-cluster), and whether a mismatch was let through."""

    context: str | None
    server: str
    how: Literal["explicit", "matched", "current", "in-cluster"]
    mismatch: str | None = None  # the warning to log when the server differs (override)


def choose_context(
    wanted: Wanted,
    contexts: Sequence[KubeContext],
    current: str | None,
    *,
    kubeconfig: str,
    allow_mismatch: bool = False,
) -> ContextChoice:
    """The context that reaches `wanted.server`, or ClusterIdentityError saying why none
    does and how to fix it."""
    target = normalize_server(wanted.server)
    by_name = {c.name: c for c in contexts}
    if wanted.context is not None:
        chosen = by_name.get(wanted.context)
        if chosen is None:
            raise ClusterIdentityError(
                f"context `{wanted.context}` ({wanted.context_from}) is not in the kubeconfig "
                f"{kubeconfig}",
                wanted.server_source,
                detail=_listing(contexts, current),
                hint="pass an existing context, or drop it to use the one whose server "
                f"is {wanted.server}",
            )
        if chosen.server is not None and normalize_server(chosen.server) == target:
            return ContextChoice(chosen.name, chosen.server, "explicit")
        message = (
            f"context `{chosen.name}` ({wanted.context_from}) reaches "
            f"{chosen.server or 'no server'}, but {wanted.destination} is {wanted.server}"
        )
        if allow_mismatch and chosen.server is not None:
            return ContextChoice(
                chosen.name,
                chosen.server,
                "explicit",
                mismatch=f"{message} (written at {_where(wanted)}); "
                "using it anyway because of --allow-server-mismatch",
            )
        raise ClusterIdentityError(
            message,
            wanted.server_source,
            hint=_fix_hint(wanted, contexts, target),
        )
    matching = sorted(
        c.name for c in contexts if c.server is not None and normalize_server(c.server) == target
    )
    if len(matching) == 1:
        return ContextChoice(matching[0], by_name[matching[0]].server or "", "matched")
    if len(matching) > 1:
        if current in matching:
            return ContextChoice(current, by_name[current].server or "", "current")
        raise ClusterIdentityError(
            f"several kubeconfig contexts reach {wanted.destination}'s server "
            f"{wanted.server}: {', '.join(matching)}",
            wanted.server_source,
            hint=f"set `context:` on the cluster in {_file(wanted)} (or pass --context) to say "
            "which credentials to use",
        )
    in_cluster = is_in_cluster_server(target)
    raise ClusterIdentityError(
        f"no kubeconfig context reaches {wanted.destination}'s server {wanted.server}",
        wanted.server_source,
        detail=_listing(contexts, current, kubeconfig),
        hint=(
            f"{IN_CLUSTER_SERVER} is the cluster midway runs in: only `midway daemon "
            "--in-cluster` (in a pod) reaches it"
            if in_cluster
            else f"add a context for {wanted.server} to the kubeconfig (kubectl config "
            "set-cluster NAME --server URL; set-context), or fix `server:` if it is wrong"
        ),
    )


def choose_in_cluster(
    wanted: Wanted, *, own_server: str | None = None, allow_mismatch: bool = False
) -> ContextChoice:
    """In-cluster mode reaches only the cluster the pod runs in: `server:` must say so —
    `https://kubernetes.default.svc`, or `own_server`, the URL the operator declared
    (`--in-cluster-server`) the environments use for this cluster."""
    if is_in_cluster_server(wanted.server):
        return ContextChoice(None, IN_CLUSTER_SERVER, "in-cluster")
    if own_server is not None and same_server(wanted.server, own_server):
        return ContextChoice(None, own_server, "in-cluster")
    runs_in = IN_CLUSTER_SERVER + (f" = {own_server}" if own_server else "")
    message = f"midway runs in-cluster ({runs_in}), but {wanted.destination} is {wanted.server}"
    if allow_mismatch:
        return ContextChoice(
            None,
            IN_CLUSTER_SERVER,
            "in-cluster",
            mismatch=f"{message} (written at {_where(wanted)}); "
            "using the in-cluster service account anyway because of --allow-server-mismatch",
        )
    raise ClusterIdentityError(
        message,
        wanted.server_source,
        hint="if this is the cluster the daemon runs in, pass --in-cluster-server "
        f"{wanted.server} (or set `server: {IN_CLUSTER_SERVER}`); else run the daemon "
        f"with a kubeconfig that has a context for {wanted.server} (--kubeconfig instead "
        "of --in-cluster)",
    )


def _where(wanted: Wanted) -> str:
    return str(wanted.server_source) if wanted.server_source else "the environment file"


def _file(wanted: Wanted) -> str:
    return wanted.server_source.path if wanted.server_source else "the environment file"


def _fix_hint(wanted: Wanted, contexts: Sequence[KubeContext], target: str) -> str:
    matching = sorted(
        c.name for c in contexts if c.server is not None and normalize_server(c.server) == target
    )
    use = (
        f"use context {', '.join(f'`{m}`' for m in matching)} (or drop {wanted.context_from} "
        "to let midway pick it)"
        if matching
        else f"use a context whose server is {wanted.server}"
    )
    return (
        f"{use}; fix `server:` in {_file(wanted)} if it is wrong; or pass "
        "--allow-server-mismatch to write there anyway"
    )


def _listing(contexts: Sequence[KubeContext], current: str | None, path: str = "") -> str:
    if not contexts:
        return f"the kubeconfig {path} has no contexts".replace("  ", " ")
    width = max(len(c.name) for c in contexts)
    head = f"contexts in {path}:" if path else "contexts:"
    lines = [head]
    for c in sorted(contexts, key=lambda c: c.name):
        mark = "  (current)" if c.name == current else ""
        lines.append(f"  {c.name:<{width}}  {c.server or '(cluster missing)'}{mark}")
    return "\n".join(lines)
