"""Where each rendered object lives in the state repo (docs/state-repo.md, "Layout").

<env>/<cluster>/<namespace>/<app>/<kind>-<name>.yaml; cluster-scoped objects use `_cluster`
in place of the namespace. Every segment is checked so that no name can escape its directory.

`_cluster` is midway's own segment, never a user's: a leading `_` can never be a namespace
(namespaces are DNS labels), so it cannot collide with a namespace directory, and it is not a
hidden file (`.`) to git, ArgoCD or a shell. User-supplied segments (env, cluster, namespace,
app, file name) must start with a letter or digit; only this fixed segment may start with `_`.
"""

from __future__ import annotations

import re

CLUSTER_SCOPED_DIR = "_cluster"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def safe_segment(value: str) -> bool:
    """A user-supplied path segment that cannot escape its directory or hide itself."""
    return bool(_SEGMENT.match(value)) and value not in (".", "..") and len(value) <= 253


def object_path(env: str, cluster: str, namespace: str, app: str, kind: str, name: str) -> str:
    file_name = f"{kind.lower()}-{name}.yaml"
    # the namespace is checked only when there is one: `_cluster` is ours, not a user's
    for segment in (env, cluster, *([namespace] if namespace else []), app, file_name):
        if not safe_segment(segment):
            raise ValueError(f"unsafe path segment {segment!r}")
    return f"{app_directory(env, cluster, namespace, app)}/{file_name}"


def app_directory(env: str, cluster: str, namespace: str, app: str) -> str:
    """<env>/<cluster>/<namespace>/<app>, or <env>/<cluster>/_cluster/<app> (namespace "")."""
    return f"{env}/{cluster}/{namespace or CLUSTER_SCOPED_DIR}/{app}"
