"""Reading the daemon status document in tests: every read checks the schema and that the
typed document gives back exactly what was written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from midway.daemon.status_document import StatusDocument, json_schema


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """`data` validates against daemon-status.schema.json and round-trips through the type."""
    jsonschema.validate(data, json_schema())
    assert StatusDocument.from_json(data).to_json() == data
    return data


def read_status_json(path: Path) -> dict[str, Any]:
    """The status file as JSON ({} when there is none yet), checked."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return checked(data)
