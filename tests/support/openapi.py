"""Checking status-page API responses against the OpenAPI document midway serves.

check_response("/api/v1/apps/payments/checkout", 200, body)   # raises when it does not fit
"""

from __future__ import annotations

import re
from typing import Any

from openapi_schema_validator import OAS31Validator

from midway.daemon.web.routes import openapi_document


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def operation_schema(path: str, status: int) -> dict[str, Any]:
    """The response schema the document gives for GET `path` answering `status`."""
    document = openapi_document()
    matches = [p for p in document["paths"] if _template(p).match(path)]
    assert len(matches) == 1, f"{path} matches {matches} in openapi.json"
    responses = document["paths"][matches[0]]["get"]["responses"]
    assert str(status) in responses, f"openapi.json does not describe {status} for {matches[0]}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def check_response(path: str, status: int, body: Any) -> Any:
    OAS31Validator(operation_schema(path, status)).validate(body)
    return body
