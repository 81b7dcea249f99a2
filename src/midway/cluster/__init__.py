"""Kubernetes access: the only package of midway that imports the `kubernetes` client.

Split by verb, as kopf's clients: connection (kubeconfig / in-cluster, probe),
discovery (kind -> resource, CRDs included), fetching (get, list), patching
(server-side apply, create, replace), deleting, watching (a watch-based cache).
identity + target: the server URL is a cluster's identity; every verb connects to a
destination through `connect_destination`, which refuses a context reaching another server.
Objects are plain dicts decoded from JSON; failures are ClusterError subclasses.
"""

from midway.cluster.connection import Connection, ServerVersion, connect
from midway.cluster.deleting import delete, wait_until_gone
from midway.cluster.discovery import (
    Resource,
    ServedResources,
    forget,
    prime,
    resolve,
    resources_of,
    served_resources,
)
from midway.cluster.errors import (
    AlreadyExists,
    ApplyConflict,
    FieldConflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ResourceConflict,
    StatusError,
    Unauthorized,
)
from midway.cluster.fetching import get, get_resource, list_objects
from midway.cluster.identity import IN_CLUSTER_SERVER, ClusterIdentityError, normalize_server
from midway.cluster.patching import apply, create, replace
from midway.cluster.target import ClusterAccess, connect_destination, resolve_context
from midway.cluster.watching import WatchCache

__all__ = [
    "IN_CLUSTER_SERVER",
    "AlreadyExists",
    "ApplyConflict",
    "ClusterAccess",
    "ClusterIdentityError",
    "Connection",
    "FieldConflict",
    "Forbidden",
    "Gone",
    "Invalid",
    "NotFound",
    "Resource",
    "ResourceConflict",
    "ServedResources",
    "ServerVersion",
    "StatusError",
    "Unauthorized",
    "WatchCache",
    "apply",
    "connect",
    "connect_destination",
    "create",
    "delete",
    "forget",
    "get",
    "get_resource",
    "list_objects",
    "normalize_server",
    "prime",
    "replace",
    "resolve",
    "resolve_context",
    "resources_of",
    "served_resources",
    "wait_until_gone",
]
