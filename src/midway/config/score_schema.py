"""The JSON Schema midway checks Score files against (`apps/<team>/<name>.score.yaml`).

Written from the Score specification's published schema (score-spec/spec `score-v1b1.json`)
and kept to its shape and field names, so a valid Score file for midway is a valid Score file.
Where midway is stricter, it says so (docs/score.md, "Differences from the specification"):

- `metadata.name` is also a midway app name: at most 40 characters (Score allows 63);
- resource `type` and `class` are lower case, and a resource `id` is `name` or `team/name`
  (Score allows upper case, and dots in ids): midway's resource graph names them so;
- resource names are at most 40 characters, as in midway App files;
- a file's one-of `source`/`content`/`binaryContent` is checked by the converter, so that an
  unsupported `source` is reported as unsupported rather than as a schema mismatch;
- a file's `target` must be an absolute path (Kubernetes mounts need one).

Fields the schema accepts but midway cannot render (`files[].source`, `volumes`, resource
`metadata`) are refused by config/score.py, each at its line.
"""

from __future__ import annotations

from typing import Any

from midway.config.schemas import DNS_LABEL, RESOURCE_ID, RESOURCE_TYPE

API_VERSION = "score.dev/v1b1"

# RFC 1123 label of 2..63 characters: Score's container, port and resource names
_SCORE_LABEL = r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
_ANNOTATION_KEY = (
    r"^(([a-z0-9][a-z0-9-]{0,61}[a-z0-9])(\.[a-z0-9][a-z0-9-]{0,61}[a-z0-9])*/)?"
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]$"
)
_QUANTITY_MEMORY = r"^[1-9]\d*(K|M|G|T|Ki|Mi|Gi|Ti)?$"
_QUANTITY_CPU = r"^\d*(?:m|\.\d+)?$"

_annotations: dict[str, Any] = {
    "type": "object",
    "description": "annotations (string values)",
    "propertyNames": {"minLength": 2, "maxLength": 316, "pattern": _ANNOTATION_KEY},
    "additionalProperties": {"type": "string"},
}

_port_number = {"type": "integer", "minimum": 1, "maximum": 65535}

_service_port = {
    "type": "object",
    "additionalProperties": False,
    "required": ["port"],
    "properties": {
        "port": {**_port_number, "description": "the port the Service publishes"},
        "protocol": {"enum": ["TCP", "UDP"], "description": "TCP (default) or UDP"},
        "targetPort": {**_port_number, "description": "the container port (default: port)"},
    },
}

_limits = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "memory": {
            "type": "string",
            "pattern": _QUANTITY_MEMORY,
            "description": "bytes with an optional unit, e.g. 128M or 1Gi",
        },
        "cpu": {
            "type": "string",
            "pattern": _QUANTITY_CPU,
            "description": "whole or fractional CPUs, or milli-CPUs: 2, 0.5 or 125m",
        },
    },
}

_probe = {
    "type": "object",
    "additionalProperties": False,
    "description": "an httpGet and/or an exec probe (exec is used when both are given)",
    "properties": {
        "httpGet": {
            "type": "object",
            "additionalProperties": False,
            "required": ["port", "path"],
            "properties": {
                "host": {"type": "string", "minLength": 1},
                "scheme": {"enum": ["HTTP", "HTTPS"]},
                "path": {"type": "string"},
                "port": _port_number,
                "httpHeaders": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "value"],
                        "properties": {
                            "name": {"type": "string", "pattern": r"^[A-Za-z0-9_-]+$"},
                            "value": {"type": "string", "minLength": 1},
                        },
                    },
                },
            },
        },
        "exec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["command"],
            "properties": {"command": {"type": "array", "items": {"type": "string"}}},
        },
    },
}

_file = {
    "type": "object",
    "additionalProperties": False,
    "required": ["target"],
    "description": "a file mounted into the container: target path and inline content",
    "properties": {
        "target": {"type": "string", "minLength": 1, "pattern": "^/"},
        "mode": {"type": "string", "pattern": r"^0?[0-7]{3}$", "description": "e.g. 0600"},
        "source": {"type": "string", "minLength": 1},
        "content": {"type": "string"},
        "binaryContent": {"type": "string"},
        "noExpand": {"type": "boolean", "description": "leave ${...} in content as it is"},
    },
}

_volume = {
    "type": "object",
    "additionalProperties": False,
    "required": ["source", "target"],
    "properties": {
        "source": {"type": "string"},
        "path": {"type": "string"},
        "target": {"type": "string"},
        "readOnly": {"type": "boolean"},
    },
}

_container = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image"],
    "properties": {
        "image": {"type": "string", "minLength": 1, "description": "image name and tag"},
        "command": {"type": "array", "items": {"type": "string"}},
        "args": {"type": "array", "items": {"type": "string"}},
        "variables": {
            "type": "object",
            "description": "environment variables (name -> string value; placeholders allowed)",
            "propertyNames": {"minLength": 1, "pattern": "^[^=]+$"},
            "additionalProperties": {"type": "string"},
        },
        "files": {"type": "array", "items": _file},
        "volumes": {"type": "array", "items": _volume},
        "resources": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"limits": _limits, "requests": _limits},
        },
        "livenessProbe": _probe,
        "readinessProbe": _probe,
    },
}

_resource = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "pattern": RESOURCE_TYPE,
            "maxLength": 63,
            "description": "resource type, e.g. postgres, amqp, service-port",
        },
        "class": {"type": "string", "pattern": RESOURCE_TYPE, "maxLength": 63},
        "id": {
            "type": "string",
            "pattern": RESOURCE_ID,
            "maxLength": 80,
            "description": "shared resource id: `name` (within the team) or `team/name`",
        },
        "metadata": {"type": "object"},
        "params": {"type": "object", "description": "parameters for the provisioner"},
    },
}

SCORE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "metadata", "containers"],
    "properties": {
        "apiVersion": {"const": API_VERSION, "description": f"always {API_VERSION}"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": True,
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": DNS_LABEL,
                    "minLength": 2,
                    "maxLength": 40,
                    "description": "the app's name: lower-case letters, digits and '-', "
                    "at most 40 characters",
                },
                "annotations": _annotations,
            },
        },
        "service": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "ports": {
                    "type": "object",
                    "propertyNames": {"pattern": _SCORE_LABEL},
                    "additionalProperties": _service_port,
                }
            },
        },
        "containers": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _SCORE_LABEL},
            "additionalProperties": _container,
        },
        "resources": {
            "type": "object",
            "propertyNames": {"pattern": _SCORE_LABEL, "maxLength": 40},
            "additionalProperties": _resource,
        },
    },
}
