"""DriftReport -> text, JSON (drift-report.schema.json) and markdown; DriftEvent -> a line.

Every value printed here comes from FieldDrift (already masked) or from masked copies of
the objects: no writer ever sees a raw secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from midway.drift.model import (
    STATUSES,
    DriftEvent,
    DriftReport,
    FieldDrift,
    ObjectDrift,
    ObjectError,
)
from midway.model import ObjectKey
from midway.objects.stale import StaleReport

SCHEMA_VERSION = 1
_SIGN = {"changed": "~", "added": "+", "removed": "-"}
_SHORT = 12


def _key_json(key: ObjectKey) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def field_json(field: FieldDrift) -> dict[str, Any]:
    return {
        "pointer": field.pointer,
        "path": field.path,
        "change": field.change,
        "desired": field.desired,
        "live": field.live,
        "masked": field.masked,
        "manager": field.manager,
        "operation": field.operation,
        "time": field.time,
        "ignoredBy": field.ignored_by,
        "revertedByApply": field.reverted_by_apply,
    }


def object_json(obj: ObjectDrift) -> dict[str, Any]:
    return {
        **_key_json(obj.key),
        "apiVersion": obj.api_version,
        "status": obj.status,
        "path": obj.path,
        "app": obj.app,
        "ignoredBy": obj.ignored_by,
        "resourceVersion": obj.resource_version,
        "note": obj.note,
        "fields": [field_json(f) for f in obj.fields],
    }


def error_json(error: ObjectError) -> dict[str, Any]:
    return {
        **_key_json(error.key),
        "path": error.path,
        "message": error.message,
        "hint": error.hint,
    }


def stale_json(stale: StaleReport | None) -> dict[str, Any] | None:
    if stale is None:
        return None
    return {
        "stale": stale.stale,
        "configRevision": stale.config_revision,
        "stateCommit": stale.state_commit,
        "changed": list(stale.changed),
        "added": list(stale.added),
        "removed": list(stale.removed),
        "error": stale.error,
    }


def report_json(report: DriftReport) -> dict[str, Any]:
    """The report as JSON data (schema: src/midway/drift/drift-report.schema.json)."""
    return {
        "apiVersion": "midway.dev/v1",
        "kind": "DriftReport",
        "schemaVersion": SCHEMA_VERSION,
        "destination": {"env": report.destination.env, "cluster": report.destination.cluster},
        "mode": report.mode,
        "server": report.server,
        "stateCommit": report.state_commit,
        "inSync": report.in_sync,
        "exitCode": report.exit_code,
        "counts": report.counts(),
        "stale": stale_json(report.stale),
        "objects": [object_json(o) for o in report.objects],
        "errors": [error_json(e) for e in report.errors],
        "warnings": list(report.warnings),
        "requests": report.requests,
        "durationSeconds": round(report.duration_s, 3),
    }


def event_json(event: DriftEvent) -> dict[str, Any]:
    return {
        "apiVersion": "midway.dev/v1",
        "kind": "DriftEvent",
        "time": datetime.fromtimestamp(event.time, UTC).isoformat(timespec="milliseconds"),
        "trigger": event.trigger,
        "previous": event.previous,
        "latencySeconds": None if event.latency_s is None else round(event.latency_s, 3),
        "object": object_json(event.drift),
    }


# ---------------------------------------------------------------------------- text


def _value(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(field: FieldDrift) -> str:
    who = f"by {field.manager}" if field.manager else ""
    if field.operation:
        who += f" ({field.operation})"
    if field.time:
        who += f" at {field.time}"
    return who


def field_line(field: FieldDrift) -> str:
    sign = _SIGN[field.change]
    if field.change == "changed":
        what = f"{_value(field.desired)} → {_value(field.live)}"
    elif field.change == "added":
        what = f"{_value(field.live)} (not in git)"
    else:
        what = f"{_value(field.desired)} (gone from live)"
    line = f"{sign} {field.path}: {what}  {_who(field)}".rstrip()
    if field.ignored_by:
        line += f"  [ignored: {field.ignored_by}]"
    return line


def object_line(obj: ObjectDrift) -> str:
    where = f"  ({obj.path})" if obj.path else (f"  (app {obj.app})" if obj.app else "")
    return f"{obj.status:<9} {obj.key}{where}"


def _counts_line(report: DriftReport) -> str:
    counts = report.counts()
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    return f"{len(report.objects)} objects: {parts}"


def _stale_text(stale: StaleReport | None) -> list[str]:
    if stale is None:
        return ["config → state: not checked"]
    config = (stale.config_revision or "working tree")[:_SHORT]
    if stale.error:
        return [f"config → state: unknown, config {config} does not render: {stale.error}"]
    if not stale.stale:
        return [f"config → state: up to date (config {config})"]
    lines = [
        f"config → state: STALE — config {config} renders differently: "
        f"{len(stale.changed)} changed, {len(stale.added)} added, {len(stale.removed)} removed "
        "(run `midway publish`)"
    ]
    for label, paths in (
        ("changed", stale.changed),
        ("added", stale.added),
        ("removed", stale.removed),
    ):
        lines += [f"  {label:<8} {p}" for p in paths]
    return lines


def render_text(report: DriftReport, *, verbose: bool = False) -> str:
    """Human report: both layers, each drifted object with its fields (and with `verbose`
    the ignored and in-sync objects too)."""
    state = (report.state_commit or "?")[:_SHORT]
    lines = [
        f"drift of {report.destination} ({report.mode} mode), state {state}, "
        f"cluster {report.server}",
        "",
        *_stale_text(report.stale),
        "",
        "state → live:",
    ]
    shown = 0
    for obj in report.objects:
        if obj.status == "in-sync" and not verbose:
            continue
        if obj.status == "ignored" and not verbose and not obj.fields:
            continue
        shown += 1
        lines.append("  " + object_line(obj))
        if obj.ignored_by:
            lines.append(f"      ignored: {obj.ignored_by}")
        if obj.note:
            lines.append(f"      note: {obj.note}")
        for field in obj.fields:
            if field.ignored and not verbose and obj.status != "ignored":
                continue
            lines.append("      " + field_line(field))
    if not shown:
        lines.append("  everything in sync")
    for error in report.errors:
        where = f" ({error.path})" if error.path else ""
        lines.append(f"  error     {error.key}{where}: {error.message}")
        if error.hint:
            lines.append(f"      hint: {error.hint}")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    lines += [
        "",
        _counts_line(report) + (f"; {len(report.errors)} errors" if report.errors else ""),
    ]
    return "\n".join(lines)


def event_line(event: DriftEvent) -> str:
    """One line per re-evaluation under --watch."""
    stamp = datetime.fromtimestamp(event.time, UTC).strftime("%H:%M:%S.%f")[:-3]
    was = (
        f" (was {event.previous})"
        if event.previous and event.previous != event.drift.status
        else ""
    )
    latency = f" +{event.latency_s:.3f}s" if event.latency_s is not None else ""
    fields = "; ".join(
        f"{_SIGN[f.change]}{f.path} {_who(f)}".strip() for f in event.drift.counted_fields
    )
    tail = f": {fields}" if fields else ""
    return f"{stamp} {event.trigger:<8} {object_line(event.drift)}{was}{latency}{tail}"


# ---------------------------------------------------------------------------- markdown


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    """A markdown report (for a PR comment or an issue): summary, stale files, a table of
    drifted objects and one of their fields."""
    counts = report.counts()
    state = (report.state_commit or "?")[:_SHORT]
    out = [
        f"## Drift of `{report.destination}` ({report.mode} mode)",
        "",
        f"State commit `{state}`, cluster `{_md(report.server)}`.",
        "",
        "| " + " | ".join(STATUSES) + " | errors |",
        "|" + "---|" * (len(STATUSES) + 1),
        "| " + " | ".join(str(counts[s]) for s in STATUSES) + f" | {len(report.errors)} |",
        "",
        "### Config → state",
        "",
    ]
    out += [line.replace("config → state: ", "") for line in _stale_text(report.stale)]
    out += ["", "### State → live", ""]
    listed = [o for o in report.objects if o.status != "in-sync"]
    if not listed:
        out.append("Everything in sync.")
    else:
        out += ["| status | object | field | change | desired | live | who | ignored by |"]
        out += ["|---|---|---|---|---|---|---|---|"]
        for obj in listed:
            if not obj.fields:
                out.append(
                    f"| {obj.status} | `{_md(obj.key)}` | | | | | | {_md(obj.ignored_by or '')} |"
                )
            for field in obj.fields:
                out.append(
                    f"| {obj.status} | `{_md(obj.key)}` | `{_md(field.path)}` | {field.change} "
                    f"| `{_md(_value(field.desired, 40))}` | `{_md(_value(field.live, 40))}` "
                    f"| {_md(field.manager or '')} | {_md(field.ignored_by or '')} |"
                )
    if report.errors:
        out += ["", "### Errors", ""]
        out += [f"- `{_md(e.key)}`: {_md(e.message)}" for e in report.errors]
    return "\n".join(out) + "\n"


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)
