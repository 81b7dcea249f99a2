"""JSON Schemas of the config kinds (apiVersion midway.dev/v1). The contract app teams write to."""

from __future__ import annotations

from typing import Any

from midway.config.placement import LABELS_SCHEMA, PLACEMENT_SCHEMA

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

_name = {
    "type": "string",
    "pattern": DNS_LABEL,
    "maxLength": 40,
    "description": "lower-case letters, digits and '-', at most 40 characters",
}

_ignore_rule = {
    "type": "object",
    "additionalProperties": False,
    "description": "a drift ignore rule: kind/name/path (JSON pointer)/manager/when",
    "properties": {
        "kind": {"type": "string", "description": "object kind, e.g. Deployment"},
        "name": {"type": "string", "description": "object name (glob allowed)"},
        "path": {
            "type": "string",
            "pattern": "^(/.*)?$",
            "description": "JSON pointer such as /spec/replicas",
        },
        "manager": {"type": "string", "description": "field manager, e.g. kubectl-edit"},
        "when": {"type": "string", "enum": ["hpa", "always"], "description": "condition"},
        "reason": {"type": "string", "description": "why this is safe to ignore"},
    },
}

_drift = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "policy": {"enum": ["correct", "warn"], "description": "correct or warn"},
        "ignore": {"type": "array", "items": _ignore_rule},
    },
}


def _kind(kind: str, spec: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "midway.dev/v1", "description": "always midway.dev/v1"},
            "kind": {"const": kind},
            "metadata": metadata,
            "spec": spec,
        },
    }


_plain_metadata = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": _name, "description": {"type": "string"}},
}

BLUEPRINT = _kind(
    "Blueprint",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "parameters"],
        "properties": {
            "version": {"type": "string", "description": "semantic version such as 1.3.0"},
            "description": {"type": "string"},
            "parameters": {
                "type": "object",
                "description": "JSON Schema (draft 2020-12) of the app parameters",
            },
            "drift": _drift,
            "placement": PLACEMENT_SCHEMA,
            "examples": {
                "type": "array",
                "description": "example requests `midway check` renders when the blueprint changes",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "params"],
                    "properties": {
                        "name": {**_name, "maxLength": 20},
                        "description": {"type": "string"},
                        "params": {"type": "object", "description": "the app's params"},
                        "environments": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "environments to render it in (default: all)",
                        },
                    },
                },
            },
        },
    },
    _plain_metadata,
)

ENVIRONMENT = _kind(
    "Environment",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["clusters"],
        "properties": {
            "order": {"type": "integer", "description": "promotion order, dev < staging < prod"},
            "clusters": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "server"],
                    "properties": {
                        "name": _name,
                        "server": {"type": "string", "description": "API server URL"},
                        "kubernetesVersion": {
                            "type": "string",
                            "pattern": r"^\d+\.\d+$",
                            "description": 'Kubernetes minor version such as "1.31"',
                        },
                        "context": {"type": "string", "description": "kubeconfig context"},
                        "labels": LABELS_SCHEMA,
                    },
                },
            },
            "namespace": {
                "type": "string",
                "description": "namespace template with {team}, {app}, {env}",
            },
            "params": {"type": "object", "description": "environment-wide parameter defaults"},
            "policy": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "drift": {"enum": ["correct", "warn"]},
                    "prune": {"type": "boolean"},
                    "allowEmptyPrune": {"type": "boolean"},
                },
            },
            "argocd": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "mode": {"enum": ["applications", "applicationset"]},
                    "namespace": {"type": "string"},
                    "project": {"type": "string"},
                    "repoURL": {"type": "string"},
                    "targetRevision": {"type": "string"},
                    "syncPolicy": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "automated": {"type": "boolean"},
                            "prune": {"type": "boolean"},
                            "selfHeal": {"type": "boolean"},
                        },
                    },
                },
            },
            "drift": _drift,
        },
    },
    _plain_metadata,
)

APP = _kind(
    "App",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["blueprint"],
        "properties": {
            "blueprint": {
                "type": "string",
                "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(@[^@\s]+( [^@\s]+)*)?$",
                "description": "blueprint name and version range, e.g. web-service@^2",
            },
            "params": {"type": "object", "description": "blueprint parameters"},
            "environments": {
                "type": "object",
                "description": "environments to deploy to, with per-environment params",
                "additionalProperties": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "properties": {"params": {"type": "object"}, "placement": PLACEMENT_SCHEMA},
                },
            },
            "placement": PLACEMENT_SCHEMA,
            "drift": _drift,
        },
    },
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "team"],
        "properties": {"name": _name, "team": _name, "description": {"type": "string"}},
    },
)

SETTINGS = _kind(
    "Settings",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kubernetesVersion": {"type": "string", "pattern": r"^\d+\.\d+$"},
            "teams": {
                "description": "the team registry: a list of team names, or a mapping "
                "name -> {owners, description}; apps/<team>/ must then be one of them",
                "anyOf": [
                    {"type": "array", "items": _name, "uniqueItems": True},
                    {
                        "type": "object",
                        "propertyNames": _name,
                        "additionalProperties": {
                            "type": ["object", "null"],
                            "additionalProperties": False,
                            "properties": {
                                "owners": {"type": "array", "items": {"type": "string"}},
                                "description": {"type": "string"},
                            },
                        },
                    },
                ],
            },
            "state": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string", "description": "local path or URL"},
                    "branch": {"type": "string"},
                    "repoURL": {"type": "string", "description": "URL ArgoCD pulls from"},
                    "author": {
                        "type": "string",
                        "pattern": r"^[^<>]+ <[^<>]+>$",
                        "description": "author of state commits, `Name <email>`",
                    },
                    "committer": {
                        "type": "string",
                        "pattern": r"^[^<>]+ <[^<>]+>$",
                        "description": "committer of state commits (default: the author)",
                    },
                },
            },
        },
    },
    {"type": "object"},
)
SETTINGS["required"] = ["apiVersion", "kind"]

BY_KIND: dict[str, dict[str, Any]] = {
    "Blueprint": BLUEPRINT,
    "Environment": ENVIRONMENT,
    "App": APP,
    "Settings": SETTINGS,
}
