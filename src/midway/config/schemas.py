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
        "ignore": {"type": "array", "items": _ignore_rule, "description": "drift ignore rules"},
    },
    "description": "how drift of the rendered objects is handled",
}


RESOURCE_NAME = r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$"
RESOURCE_TYPE = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# a shared resource's id: `name` (shared within the app's team) or `team/name`
RESOURCE_ID = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

_resource_fields: dict[str, Any] = {
    "type": {
        "type": "string",
        "pattern": RESOURCE_TYPE,
        "description": "resource type, e.g. postgres, amqp, service-port",
    },
    "class": {
        "type": "string",
        "pattern": RESOURCE_TYPE,
        "description": "class of the type the environment provides, e.g. default or ha",
    },
    "id": {
        "type": "string",
        "pattern": RESOURCE_ID,
        "maxLength": 80,
        "description": "shared resource id: the same type, class and id is one resource "
        "(`name` within the team, `team/name` across teams)",
    },
    "params": {"type": "object", "description": "parameters for the provisioner"},
    "metadata": {
        "type": "object",
        "description": "Score's resource metadata (annotations); passed to the provisioner",
    },
}

_resources = {
    "type": "object",
    "description": "resources the app needs (Score's shape): name -> {type, class, id, params}",
    "propertyNames": {"pattern": RESOURCE_NAME, "maxLength": 40},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": _resource_fields,
    },
}

_resource_overrides = {
    "type": "object",
    "description": "per-environment overrides of the app's resources (class, id, params)",
    "propertyNames": {"pattern": RESOURCE_NAME, "maxLength": 40},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": _resource_fields,
    },
}

_provisioners = {
    "type": "array",
    "description": "which provisioner blueprint provides each resource type in this "
    "environment; the most specific matching entry wins",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "blueprint"],
        "properties": {
            "type": _resource_fields["type"],
            "class": _resource_fields["class"],
            "team": {"type": "string", "pattern": DNS_LABEL, "description": "only this team"},
            "app": {
                "type": "string",
                "pattern": r"^[a-z0-9-]+/[a-z0-9-]+$",
                "description": "only this app (team/app)",
            },
            "blueprint": {
                "type": "string",
                "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(@[^@\s]+( [^@\s]+)*)?$",
                "description": "provisioner blueprint and version range, e.g. postgres-cnpg@^1",
            },
        },
    },
}

_provides = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "outputs"],
    "description": "this blueprint is a provisioner: the resource type it provides",
    "properties": {
        "type": _resource_fields["type"],
        "classes": {
            "type": "array",
            "items": {"type": "string", "pattern": RESOURCE_TYPE},
            "minItems": 1,
            "uniqueItems": True,
            "description": "classes it serves (default: [default])",
        },
        "stateful": {
            "type": "boolean",
            "description": "holds data: its objects are never pruned automatically",
        },
        "outputs": {
            "type": "object",
            "description": "output name -> JSON Schema of the value, `secret: true` for a "
            "Secret reference {secretKeyRef: {name, key}}",
            "propertyNames": {"pattern": r"^[a-zA-Z][a-zA-Z0-9_]*$"},
            "additionalProperties": {"type": "object"},
        },
    },
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
            "provides": _provides,
            "exports": {
                "type": "object",
                "description": "outputs this workload exports to apps that consume it "
                "(type service-port): name -> value with ${metadata.*}, ${env.*}, ${params.*}",
                "propertyNames": {"pattern": r"^[a-zA-Z][a-zA-Z0-9_]*$"},
            },
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
                        "labels": LABELS_SCHEMA,
                    },
                },
            },
            "namespace": {
                "type": "string",
                "description": "namespace template with {team}, {app}, {env}",
            },
            "params": {"type": "object", "description": "environment-wide parameter defaults"},
            "provisioners": _provisioners,
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
                        },
                        "resources": _resource_overrides,
                        "placement": PLACEMENT_SCHEMA,
                    },
                },
            },
            "resources": _resources,
            "placement": PLACEMENT_SCHEMA,
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
            "score": {
                "type": "object",
                "additionalProperties": False,
                "required": ["blueprint"],
                "description": "how Score files (apps/<team>/<name>.score.yaml) render",
                "properties": {
                    "blueprint": {
                        "type": "string",
                        "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(@[^@\s]+( [^@\s]+)*)?$",
                        "description": "workload blueprint and version range, e.g. "
                        "score-workload@^1",
                    }
                },
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

_selector = {
    "type": "array",
    "uniqueItems": True,
    "items": {
        "type": "string",
        "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
        "description": "a team (payments) or one app (payments/ledger-worker)",
    },
}

ROLLOUT = _kind(
    "Rollout",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["blueprint", "to", "environments"],
        "properties": {
            "blueprint": {**_name, "description": "the blueprint whose apps move, e.g. worker"},
            "to": {"type": "string", "minLength": 1, "description": "version range, e.g. ~1.3"},
            "environments": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": _name,
                "description": "where the new range applies now, first environments first",
            },
            "include": {**_selector, "description": "only these teams or apps"},
            "exclude": {**_selector, "description": "not these teams or apps"},
            "force": {
                "type": "boolean",
                "description": "allow environments that skip an earlier one of the order",
            },
        },
    },
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string",
                "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
                "maxLength": 63,
                "description": "lower-case letters, digits, '-' and '.', e.g. worker-1.3",
            },
            "description": {"type": "string", "description": "for people"},
        },
    },
)

BY_KIND: dict[str, dict[str, Any]] = {
    "Blueprint": BLUEPRINT,
    "Environment": ENVIRONMENT,
    "App": APP,
    "Settings": SETTINGS,
    "Rollout": ROLLOUT,
}
