"""One connection to one cluster: kubeconfig or in-cluster credentials, raw JSON requests.

The verb modules (fetching, patching, deleting, watching) speak HTTP through
`Connection.request` / `Connection.stream`; every failure leaves here as a ClusterError
that names the server and context and says what to try.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import KubeConfigMerger

from midway.cluster.errors import status_error
from midway.cluster.identity import KubeContext
from midway.errors import ClusterError

DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 30.0

Query = Sequence[tuple[str, str]]
Timeout = tuple[float, float]  # (connect, read) seconds


@dataclass(frozen=True)
class ServerVersion:
    """What /version says, e.g. major 1, minor 20, git_version "v1.20.2"."""

    major: int
    minor: int
    git_version: str

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)


class Connection:
    """An authenticated client of one cluster. Thread-safe; close() when done."""

    def __init__(
        self,
        api: Any,  # kubernetes.client.ApiClient
        *,
        server: str,
        context: str | None,
        namespace: str = "default",
        timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S),
    ) -> None:
        self.api = api
        self.server = server
        self.context = context  # None when in-cluster
        self.namespace = namespace  # the context's default namespace
        self.timeout = timeout
        self.version: ServerVersion | None = None
        self.lock = threading.Lock()  # for per-connection caches kept by other modules

    def __repr__(self) -> str:
        return f"Connection({self.describe()})"

    def describe(self) -> str:
        where = f"context {self.context}" if self.context else "in-cluster"
        return f"{self.server} ({where})"

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        query: Query = (),
        body: Any = None,
        content_type: str = "application/json",
        timeout: Timeout | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer.

        `action` says in operator terms what this is for ("get Deployment shop/web") and
        ends up in the error message. Failures raise StatusError subclasses or ClusterError.
        """
        response = self._send(method, path, action, query, body, content_type, timeout)
        try:
            data = response.data
        finally:
            response.release_conn()
        if not data:
            return None
        return json.loads(data)

    def stream(
        self, path: str, *, action: str, query: Query = (), timeout: Timeout | None = None
    ) -> urllib3.BaseHTTPResponse:
        """Open a streaming GET (watch); the caller reads it and calls release_conn()."""
        return self._send("GET", path, action, query, None, "application/json", timeout)

    def _send(
        self,
        method: str,
        path: str,
        action: str,
        query: Query,
        body: Any,
        content_type: str,
        timeout: Timeout | None,
    ) -> urllib3.BaseHTTPResponse:
        # The client serialises `body` to JSON itself (for JSON and apply-patch types).
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            response = self.api.call_api(
                path,
                method,
                query_params=list(query),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=timeout or self.timeout,
            )
        except ApiException as exc:
            if exc.status == 0:  # TLS failure, reported by the client without a response
                raise self._transport_error(exc.reason or str(exc)) from None
            raise status_error(
                exc.status, exc.body, action=action, target=self.describe()
            ) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._transport_error(exc) from None
        return response  # type: ignore[no-any-return]

    def _transport_error(self, exc: object) -> ClusterError:
        text = str(exc)
        reason = getattr(exc, "reason", None)
        if reason is not None:
            text = str(reason)
        low = text.lower()
        # Order matters: urllib3's NewConnectionError subclasses ConnectTimeoutError.
        if "refused" in low:
            what = "connection refused"
            hint = "is the API server running? check the server address in the kubeconfig"
        elif "name or service not known" in low or "nodename nor servname" in low:
            what = "the server name does not resolve"
            hint = "check the server address in the kubeconfig"
        elif isinstance(reason, urllib3.exceptions.ReadTimeoutError) or isinstance(
            exc, urllib3.exceptions.ReadTimeoutError
        ):
            what = "the server did not answer in time"
            hint = "the API server may be overloaded; retry, or raise the timeout"
        elif isinstance(reason, urllib3.exceptions.ConnectTimeoutError) or "timed out" in low:
            what = "the connection timed out"
            hint = "check the server address and that a VPN or firewall lets you through"
        elif "ssl" in low or "certificate" in low or isinstance(reason, ssl.SSLError):
            what = "the TLS handshake failed"
            hint = "the cluster's CA certificate in the kubeconfig does not match the server"
        elif isinstance(exc, urllib3.exceptions.ProtocolError) or "aborted" in low:
            what = "the server closed the connection"
            hint = "the API server may be restarting; retry in a moment"
        else:
            what = text
            hint = "check the server address and your network"
        return ClusterError(
            f"cannot reach the cluster at {self.describe()}: {what}",
            hint=hint,
            detail=text if what != text else None,
        )

    # ------------------------------------------------------------------ probe

    def probe(self, timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT_S, 10.0)) -> ServerVersion:
        """GET /version: proves the server answers and accepts our credentials."""
        data = self.request("GET", "/version", action="read the server version", timeout=timeout)
        self.version = _parse_version(data or {})
        return self.version


def _parse_version(data: Mapping[str, Any]) -> ServerVersion:
    def number(text: object) -> int:
        digits = "".join(ch for ch in str(text) if ch.isdigit())
        return int(digits) if digits else 0

    return ServerVersion(
        major=number(data.get("major")),
        minor=number(data.get("minor")),
        git_version=str(data.get("gitVersion", "")),
    )


def connect(
    kubeconfig: str | None = None,
    context: str | None = None,
    in_cluster: bool = False,
    *,
    probe: bool = True,
    timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S),
) -> Connection:
    """Connect as kubectl would: --kubeconfig, else KUBECONFIG, else ~/.kube/config.

    `context` picks a kubeconfig context (default: its current-context); `in_cluster`
    uses the pod's service account instead. With `probe` (default) the server is asked
    for /version once, so a wrong address or credentials fail here, clearly.
    """
    configuration = k8s_client.Configuration()
    namespace = "default"
    context_name: str | None = None
    if in_cluster:
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ClusterError(
                f"cannot use the in-cluster service account: {exc}",
                hint="in-cluster mode works only inside a pod; pass --kubeconfig/--context",
            ) from None
        ns_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
        if os.path.exists(ns_file):
            with open(ns_file, encoding="utf-8") as fh:
                namespace = fh.read().strip() or namespace
    else:
        path = kubeconfig_path(kubeconfig)
        context_name, namespace = _load_kubeconfig(path, context, configuration)

    if not configuration.verify_ssl:  # insecure-skip-tls-verify: asked for, don't nag
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    configuration.retries = 1  # one retry of connection errors on idempotent requests
    configuration.connection_pool_maxsize = 32  # each WatchCache holds one connection
    api = k8s_client.ApiClient(configuration=configuration)
    api.user_agent = "midway"
    conn = Connection(
        api,
        server=str(configuration.host),
        context=context_name,
        namespace=namespace,
        timeout=timeout,
    )
    if probe:
        try:
            conn.probe()
        except BaseException:
            conn.close()
            raise
    return conn


def kubeconfig_path(kubeconfig: str | None) -> str:
    """Where kubectl would look: --kubeconfig, else KUBECONFIG, else ~/.kube/config."""
    return kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"


@dataclass(frozen=True)
class KubeconfigContexts:
    """A kubeconfig's contexts with their clusters' servers, and its current context."""

    path: str
    contexts: tuple[KubeContext, ...]
    current: str | None


def read_contexts(kubeconfig: str | None) -> KubeconfigContexts:
    """Every context of the kubeconfig and the server its cluster names (no network)."""
    path = kubeconfig_path(kubeconfig)
    merged = _merged(path)
    servers = {
        str(c.get("name")): (c.get("cluster") or {}).get("server")
        for c in (_plain(x) for x in merged.safe_get("clusters") or [])
    }
    contexts = []
    for entry in (_plain(x) for x in merged.safe_get("contexts") or []):
        cluster = (entry.get("context") or {}).get("cluster")
        server = servers.get(str(cluster)) if cluster is not None else None
        contexts.append(KubeContext(str(entry.get("name")), str(server) if server else None))
    current = merged.safe_get("current-context")
    return KubeconfigContexts(path, tuple(contexts), str(current) if current else None)


def _plain(node: Any) -> Any:
    return node.value if hasattr(node, "value") else node


def _merged(path: str) -> Any:
    paths = [os.path.expanduser(p) for p in path.split(os.pathsep) if p]
    if not any(os.path.exists(p) for p in paths):
        raise ClusterError(
            f"no kubeconfig found at {path}",
            hint="pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config",
        )
    try:
        merged = KubeConfigMerger(path).config  # KUBECONFIG may list several files
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
        raise ClusterError(f"cannot read the kubeconfig {path}: {exc}") from None
    if merged is None:
        raise ClusterError(f"the kubeconfig {path} is empty")
    return merged


def _load_kubeconfig(path: str, context: str | None, configuration: Any) -> tuple[str, str]:
    merged = _merged(path)
    contexts = [_plain(c) for c in merged.safe_get("contexts") or []]
    names = sorted(str(c.get("name")) for c in contexts)
    chosen = context or merged.safe_get("current-context")
    if not chosen:
        raise ClusterError(
            f"the kubeconfig {path} has no current-context",
            hint=f"pass --context (one of: {', '.join(names) or 'none defined'})",
        )
    entry = next((c for c in contexts if c.get("name") == chosen), None)
    if entry is None:
        raise ClusterError(
            f"context {chosen!r} is not in the kubeconfig {path}",
            hint=f"available contexts: {', '.join(names) or 'none'}",
        )
    try:
        k8s_config.load_kube_config(
            config_file=path,
            context=chosen,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError) as exc:
        raise ClusterError(
            f"cannot use context {chosen!r} of the kubeconfig {path}: {exc}"
        ) from None
    namespace = str((entry.get("context") or {}).get("namespace") or "default")
    return str(chosen), namespace
