"""JSON report: everything the text and markdown reports show, as data. Its shape is the
contract in diff-report.schema.json (shipped with the package and printed in the docs)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from midway.preview.blast import AppEnv
from midway.preview.changeset import ACTIONS, Change
from midway.preview.fields import FieldChange
from midway.preview.report import DiffReport, Side

SCHEMA_VERSION = 1
SCHEMA_FILE = "diff-report.schema.json"


def schema() -> dict[str, Any]:
    text = resources.files("midway.preview").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _side(side: Side) -> dict[str, Any]:
    return {"label": side.label, "revision": side.revision}


def _unit(unit: AppEnv) -> dict[str, str]:
    return {"app": unit.app, "env": unit.env}


def _field(change: FieldChange) -> dict[str, Any]:
    out: dict[str, Any] = {"op": change.op, "path": change.path}
    if change.op != "add":
        out["before"] = change.before
    if change.op != "remove":
        out["after"] = change.after
    return out


def _object(change: Change) -> dict[str, Any]:
    obj = change.current
    return {
        "action": change.action,
        "env": change.destination.env,
        "cluster": change.destination.cluster,
        "app": change.app,
        "path": change.path,
        "apiGroup": change.key.group,
        "kind": change.key.kind,
        "namespace": change.key.namespace,
        "name": change.key.name,
        "blueprint": obj.blueprint,
        "fields": [_field(f) for f in change.fields],
        "diff": "\n".join(change.diff),
    }


def to_data(report: DiffReport) -> dict[str, Any]:
    cs = report.changeset
    return {
        "schemaVersion": SCHEMA_VERSION,
        "changed": report.changed,
        "headline": report.headline,
        "base": _side(report.base),
        "head": _side(report.head),
        "files": list(report.files),
        "summary": {
            "objects": {action: cs.count(action) for action in ACTIONS},
            "apps": {
                "added": list(cs.apps_added),
                "changed": list(cs.apps_changed),
                "removed": list(cs.apps_removed),
                "skipped": report.skipped_apps,
            },
            "environments": {"added": list(cs.envs_added), "removed": list(cs.envs_removed)},
            "byEnvironment": [
                {
                    "name": env.name,
                    "order": env.order,
                    "highest": env.highest,
                    "added": env.added,
                    "changed": env.changed,
                    "removed": env.removed,
                    "unchanged": env.unchanged,
                }
                for env in report.environments
            ],
        },
        "blastRadius": [
            {
                "kind": cause.kind,
                "name": cause.name,
                "files": list(cause.files),
                "changed": [_unit(u) for u in cause.changed],
                "unchanged": [_unit(u) for u in cause.unchanged],
                "changedCount": len(cause.changed),
                "unchangedCount": len(cause.unchanged),
                "appFileChanged": list(cause.direct),
                "title": cause.title,
                "resources": [
                    {"resource": r.resource, "envs": list(r.envs), "reasons": list(r.reasons)}
                    for r in cause.resource_summary(cs.env_order)
                ],
            }
            for cause in report.blast.causes
        ],
        "newDestinations": [
            {
                "env": new.destination.env,
                "cluster": new.destination.cluster,
                "apps": list(new.apps),
                "appCount": len(new.apps),
            }
            for new in report.blast.new_destinations
        ],
        "risks": [
            {
                "kind": risk.kind,
                "severity": risk.severity,
                "message": risk.message,
                "app": risk.app,
                "env": risk.env,
                "cluster": risk.cluster,
                "object": risk.object,
            }
            for risk in report.risks
        ],
        "versionSwitches": [
            {"app": s.app, "env": s.env, "from": s.old, "to": s.new, "rollout": s.rollout}
            for s in report.version_switches
        ],
        "objects": [_object(c) for c in cs.changes],
        "stale": None
        if report.stale is None
        else {
            "repo": report.stale.repo,
            "branch": report.stale.branch,
            "revision": report.stale.state_commit,
            "objects": [{"path": s.path, "state": s.state} for s in report.stale.objects],
        },
    }


def render(report: DiffReport) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"
