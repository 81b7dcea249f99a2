"""Fields an apply cannot change in place, and the opt-in to delete and recreate instead.

Some fields are immutable once an object exists: a Deployment's selector, a Service's
clusterIP, a Job's template, a StatefulSet's volumeClaimTemplates, most of a PVC's spec.
When live differs there (someone recreated the object by hand, or the blueprint changed
it), the server refuses the apply with 422 Invalid. That is not a broken blueprint: the
object has to be deleted and created again, which loses its pods, its allocated IP or its
data — so midway does it only where the object opts in, as ArgoCD's `Replace=true,
Force=true` sync options do:

    metadata:
      annotations:
        midway.dev/sync-options: Recreate=true

Without it the object is reported as "needs recreate" with that snippet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from midway.cluster import StatusError

SYNC_OPTIONS_ANNOTATION = "midway.dev/sync-options"
RECREATE = "Recreate"

# What the API server says (1.20 through 1.31) when an update touches an immutable field.
_IMMUTABLE = re.compile(
    r"field is immutable"
    r"|is immutable after creation"
    r"|may not change once set"
    r"|updates to \w+ spec for fields other than"
    r"|pod updates may not change fields other than"
)


def sync_options(body: Mapping[str, Any] | None) -> dict[str, str]:
    """The object's `midway.dev/sync-options` ("Recreate=true,Other=x") as a dict."""
    annotations = ((body or {}).get("metadata") or {}).get("annotations") or {}
    raw = str(annotations.get(SYNC_OPTIONS_ANNOTATION) or "")
    options = {}
    for part in raw.split(","):
        name, _, value = part.strip().partition("=")
        if name:
            options[name.strip()] = value.strip() or "true"
    return options


def recreate_allowed(body: Mapping[str, Any] | None) -> bool:
    return sync_options(body).get(RECREATE, "").lower() == "true"


def immutable_message(message: str) -> bool:
    """Does the server's message say an update touched an immutable field?"""
    return bool(_IMMUTABLE.search(message))


def immutable_fields(error: StatusError) -> tuple[str, ...] | None:
    """The fields an Invalid answer names as immutable ("spec.selector"), or None when the
    refusal is about something else. A field-less answer gives ("(unnamed)",)."""
    if error.code not in (400, 422, 500):
        return None
    causes = (error.status.get("details") or {}).get("causes") or []
    fields = [
        str(c.get("field") or "(unnamed)")
        for c in causes
        if _IMMUTABLE.search(str(c.get("message") or ""))
    ]
    if fields:
        return tuple(dict.fromkeys(fields))
    if _IMMUTABLE.search(error.server_message):
        return ("(unnamed)",)
    return None


def opt_in_hint() -> str:
    return f"opt in with the annotation `{SYNC_OPTIONS_ANNOTATION}: {RECREATE}=true` on the object"
