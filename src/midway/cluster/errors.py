"""Failures of the Kubernetes API, as ClusterError subclasses callers can tell apart.

Transport failures (refused, TLS, timeouts) become a plain ClusterError in connection.py.
When the API server answers with a failure Status, `status_error` picks the subclass by
HTTP code and reason, so callers catch `NotFound`, `ResourceConflict`, `ApplyConflict`...
instead of parsing messages. Every message is in operator terms: the action, the server's
own words, and a hint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from midway.errors import ClusterError


@dataclass(frozen=True)
class FieldConflict:
    """One field another field manager owns, from a server-side apply 409."""

    manager: str  # e.g. "kubectl-edit"; "" if the server did not say
    field: str  # e.g. ".spec.replicas"
    message: str

    def __str__(self) -> str:
        who = f'"{self.manager}"' if self.manager else "another manager"
        return f"{self.field} is owned by {who}"


class StatusError(ClusterError):
    """The API server answered with a failure Status (HTTP code >= 400)."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        reason: str = "",
        status: dict[str, Any] | None = None,
        hint: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.code = code
        self.reason = reason
        self.status: dict[str, Any] = status or {}

    @property
    def server_message(self) -> str:
        return str(self.status.get("message") or self.reason or f"HTTP {self.code}")


class Unauthorized(StatusError):
    """401: the credentials were not accepted."""


class Forbidden(StatusError):
    """403: authenticated, but RBAC (or an admission policy) refused the action."""


class NotFound(StatusError):
    """404: the object, its namespace or its resource type does not exist."""


class AlreadyExists(StatusError):
    """409 AlreadyExists: create of an object that exists."""


class ResourceConflict(StatusError):
    """409 Conflict: a stale resourceVersion (compare-and-swap lost)."""


class ApplyConflict(StatusError):
    """409 on server-side apply: fields owned by other managers; retry with force to take them."""

    def __init__(
        self,
        message: str,
        *,
        conflicts: tuple[FieldConflict, ...],
        code: int = 409,
        reason: str = "Conflict",
        status: dict[str, Any] | None = None,
        hint: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, code=code, reason=reason, status=status, hint=hint, detail=detail)
        self.conflicts = conflicts

    @property
    def managers(self) -> tuple[str, ...]:
        return tuple(sorted({c.manager for c in self.conflicts if c.manager}))


class Gone(StatusError):
    """410: a resourceVersion too old to watch from; relist."""


class Invalid(StatusError):
    """422: the object failed validation."""


def parse_status(body: bytes | str | None) -> dict[str, Any]:
    """The Status object in an error response, or {} when the body is not one."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return {"message": text.strip()[:500]}
    return data if isinstance(data, dict) else {}


_CONFLICT_MANAGER = re.compile(r'conflicts? with "([^"]*)"')


def field_conflicts(status: dict[str, Any]) -> tuple[FieldConflict, ...]:
    causes = (status.get("details") or {}).get("causes") or []
    conflicts = []
    for cause in causes:
        # StatusCause serialises its type under "reason"
        if (cause.get("reason") or cause.get("type")) != "FieldManagerConflict":
            continue
        message = str(cause.get("message", ""))
        match = _CONFLICT_MANAGER.search(message)
        conflicts.append(
            FieldConflict(
                manager=match.group(1) if match else "",
                field=str(cause.get("field", "")),
                message=message,
            )
        )
    return tuple(conflicts)


def _causes_detail(status: dict[str, Any]) -> str | None:
    causes = (status.get("details") or {}).get("causes") or []
    if len(causes) < 2:  # a single cause is already in the Status message
        return None
    lines = []
    for cause in causes:
        field = cause.get("field")
        message = cause.get("message", "")
        lines.append(f"{field}: {message}" if field else str(message))
    return "\n".join(lines) or None


def status_error(code: int, body: bytes | str | None, *, action: str, target: str) -> StatusError:
    """Turn an HTTP failure into the matching StatusError.

    `action` says what midway tried ("apply Deployment shop/web"), `target` names the
    cluster ("https://10.0.0.1:6443 (context prod)").
    """
    status = parse_status(body)
    reason = str(status.get("reason", ""))
    server_message = str(status.get("message") or reason or f"HTTP {code}")
    kwargs: dict[str, Any] = {"code": code, "reason": reason, "status": status}
    if code == 401:
        return Unauthorized(
            f"{target} rejected midway's credentials (401 Unauthorized) while trying to {action}",
            hint="check the user of this context in the kubeconfig: the token or client "
            "certificate is wrong or expired (cloud clusters: log in again)",
            **kwargs,
        )
    if code == 403:
        return Forbidden(
            f"cannot {action} on {target}: forbidden: {server_message}",
            hint="the user of this context lacks the RBAC permission; ask a cluster admin "
            "or use another --context",
            **kwargs,
        )
    if code == 404:
        return NotFound(f"cannot {action} on {target}: {server_message}", **kwargs)
    if code == 409:
        conflicts = field_conflicts(status)
        if conflicts:
            managers = sorted({c.manager for c in conflicts if c.manager})
            return ApplyConflict(
                f"cannot {action}: {len(conflicts)} field(s) are owned by other field "
                f"manager(s) {', '.join(managers) or '(unknown)'}",
                conflicts=conflicts,
                detail="\n".join(str(c) for c in conflicts),
                hint="another tool changed these fields; force the apply to take them over, "
                "or add an ignore rule if that tool should own them",
                **kwargs,
            )
        if reason == "AlreadyExists":
            return AlreadyExists(f"cannot {action}: {server_message}", **kwargs)
        return ResourceConflict(
            f"cannot {action}: {server_message}",
            hint="the object changed meanwhile; read it again and retry",
            **kwargs,
        )
    if code == 410:
        return Gone(f"cannot {action}: {server_message}", **kwargs)
    if "failed to create typed patch object" in server_message:
        # Server-side apply could not map the object onto the served schema: an unknown
        # field or a wrong type. 1.20 answers 500 for this, newer servers 400.
        return Invalid(
            f"{target} rejected the object ({action}): it does not match the schema the "
            f"cluster serves: {server_message.split(': ', 1)[-1]}",
            hint="remove the field or fix its type; an older cluster may not know a field "
            "that newer API versions have",
            **kwargs,
        )
    if code == 422:
        invalid_hint = "fix the manifest (its blueprint or parameters) so the server accepts it"
        if "Duplicate value" in server_message:
            invalid_hint = (
                "a live edit may collide with the desired object (another manager added or "
                "re-keyed a list item); `midway drift` shows who, `midway sync` takes such "
                "items out — else " + invalid_hint
            )
        elif "immutable" in server_message or "may not change once set" in server_message:
            invalid_hint = (
                "the live object differs in a field that cannot change in place: it has to be "
                "recreated (`midway sync` does that for objects annotated "
                "`midway.dev/sync-options: Recreate=true`)"
            )
        return Invalid(
            f"{target} rejected the object ({action}): {server_message}",
            detail=_causes_detail(status),
            hint=invalid_hint,
            **kwargs,
        )
    hint = None
    if code >= 500:
        hint = "the API server failed; it may be overloaded or restarting, retry later"
    return StatusError(
        f"cannot {action} on {target}: {server_message} (HTTP {code})",
        detail=_causes_detail(status),
        hint=hint,
        **kwargs,
    )
