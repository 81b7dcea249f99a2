"""Kubernetes access: the only package of midway that imports the `kubernetes` client.

Split by verb, as kopf's clients: connection (kubeconfig / in-cluster, probe),
discovery (kind -> resource, CRDs included), fetching (get, list), patching
(server-side apply, create, replace), deleting, watching (a watch-based cache).
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
from midway.cluster.patching import apply, create, replace
from midway.cluster.watching import WatchCache

__all__ = [
    "AlreadyExists",
    "ApplyConflict",
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
    "create",
    "delete",
    "forget",
    "get",
    "get_resource",
    "list_objects",
    "prime",
    "replace",
    "resolve",
    "resources_of",
    "served_resources",
    "wait_until_gone",
]
