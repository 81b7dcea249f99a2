"""JSON Schemas of the config kinds (apiVersion midway.dev/v1). The contract app teams write to."""

from __future__ import annotations

from typing import Any

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
        "ignore": {"type": "array", "items": _ignore_rule, "description": "drift ignore rules"},
    },
    "description": "how drift of the rendered objects is handled",
}


def _kind(kind: str, spec: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "midway.dev/v1", "description": "always midway.dev/v1"},
            "kind": {"const": kind, "description": f"always {kind}"},
            "metadata": {"description": "the name of this object", **metadata},
            "spec": {"description": f"the {kind}'s content", **spec},
        },
    }


_plain_metadata = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": _name, "description": {"type": "string", "description": "for people"}},
}

BLUEPRINT = _kind(
    "Blueprint",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "parameters"],
        "properties": {
            "version": {"type": "string", "description": "semantic version such as 1.3.0"},
            "description": {
                "type": "string",
                "description": "what it provides (midway blueprint ls/show)",
            },
            "parameters": {
                "type": "object",
                "description": "JSON Schema (draft 2020-12) of the app parameters",
            },
            "drift": _drift,
            "catalog": {
                "type": "object",
                "additionalProperties": False,
                "description": "how `midway catalog` shows apps of this blueprint in Backstage",
                "properties": {
                    "type": {
                        "type": "string",
                        "pattern": r"^[a-z0-9]+([-_.][a-z0-9]+)*$",
                        "maxLength": 63,
                        "description": "the Backstage Component type, e.g. service, worker, "
                        "website, database (default: service)",
                    }
                },
            },
            "examples": {
                "type": "array",
                "description": "example requests `midway check` renders when the blueprint changes",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "params"],
                    "properties": {
                        "name": {**_name, "maxLength": 20},
                        "description": {"type": "string", "description": "what it shows"},
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
                "description": "the environment's clusters; each app renders for every one",
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
                "description": "what sync and the daemon may do here",
                "additionalProperties": False,
                "properties": {
                    "drift": {
                        "enum": ["correct", "warn"],
                        "description": "correct drift (re-apply) or only report it",
                    },
                    "prune": {
                        "type": "boolean",
                        "description": "delete objects that left the desired state",
                    },
                    "allowEmptyPrune": {
                        "type": "boolean",
                        "description": "allow a prune that leaves an app with no objects",
                    },
                },
            },
            "argocd": {
                "type": "object",
                "description": "the ArgoCD objects midway writes for this environment",
                "additionalProperties": False,
                "properties": {
                    "mode": {
                        "enum": ["applications", "applicationset"],
                        "description": "an Application per app, or an ApplicationSet per cluster",
                    },
                    "namespace": {"type": "string", "description": "namespace of ArgoCD"},
                    "project": {"type": "string", "description": "ArgoCD project"},
                    "repoURL": {"type": "string", "description": "state repo URL ArgoCD pulls"},
                    "targetRevision": {
                        "type": "string",
                        "description": "state repo branch or revision ArgoCD follows",
                    },
                    "syncPolicy": {
                        "type": "object",
                        "description": "ArgoCD's automated sync (off unless set)",
                        "additionalProperties": False,
                        "properties": {
                            "automated": {"type": "boolean", "description": "sync new commits"},
                            "prune": {"type": "boolean", "description": "ArgoCD prunes"},
                            "selfHeal": {"type": "boolean", "description": "ArgoCD self-heals"},
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
                    "description": "one environment ({} when it needs no params of its own)",
                    "additionalProperties": False,
                    "properties": {
                        "params": {
                            "type": "object",
                            "description": "params for this environment (over spec.params)",
                        }
                    },
                },
            },
            "drift": _drift,
        },
    },
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "team"],
        "properties": {
            "name": _name,
            "team": _name,
            "description": {"type": "string", "description": "for people"},
        },
    },
)

SETTINGS = _kind(
    "Settings",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kubernetesVersion": {
                "type": "string",
                "pattern": r"^\d+\.\d+$",
                "description": 'Kubernetes version of clusters that name none, e.g. "1.31"',
            },
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
                            "description": "one team",
                            "additionalProperties": False,
                            "properties": {
                                "owners": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "who owns the team (for people)",
                                },
                                "description": {"type": "string", "description": "for people"},
                            },
                        },
                    },
                ],
            },
            "state": {
                "type": "object",
                "description": "the state repo midway publishes to",
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string", "description": "local path or URL"},
                    "branch": {"type": "string", "description": "its branch (default main)"},
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
            "catalog": {
                "type": "object",
                "additionalProperties": False,
                "description": "the Backstage catalog `midway catalog` writes (docs/catalog.md)",
                "properties": {
                    "publish": {
                        "type": "boolean",
                        "description": "`midway publish` also writes catalog/ into the state repo",
                    },
                    "system": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "owner"],
                        "description": "one Backstage System for every app (default: one per team)",
                        "properties": {
                            "name": {**_name, "maxLength": 63},
                            "owner": {
                                **_name,
                                "maxLength": 63,
                                "description": "the Group (team) that owns the System",
                            },
                        },
                    },
                    "configRepoURL": {
                        "type": "string",
                        "pattern": "^https?://",
                        "description": "browse URL of this config repo, for links to app files",
                    },
                    "configBranch": {
                        "type": "string",
                        "description": "branch those links point at (default: main)",
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
