"""Where each rendered object lives in the state repo (DESIGN.md §3).

<env>/<cluster>/<namespace>/<app>/<kind>-<name>.yaml; cluster-scoped objects use `_cluster`
in place of the namespace. Every segment is checked so that no name can escape its directory.
"""

from __future__ import annotations

import re

CLUSTER_SCOPED_DIR = "_cluster"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def safe_segment(value: str) -> bool:
    return bool(_SEGMENT.match(value)) and value not in (".", "..") and len(value) <= 253


def object_path(env: str, cluster: str, namespace: str, app: str, kind: str, name: str) -> str:
    ns_dir = namespace or CLUSTER_SCOPED_DIR
    file_name = f"{kind.lower()}-{name}.yaml"
    for segment in (env, cluster, ns_dir, app, file_name):
        if not safe_segment(segment):
            raise ValueError(f"unsafe path segment {segment!r}")
    return f"{env}/{cluster}/{ns_dir}/{app}/{file_name}"


def app_directory(env: str, cluster: str, namespace: str, app: str) -> str:
    return f"{env}/{cluster}/{namespace or CLUSTER_SCOPED_DIR}/{app}"
