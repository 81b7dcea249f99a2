"""Structured logs: one JSON object per line (or plain text), never a secret value.

Daemon code logs with `extra={"fields": {...}}`; the formatter puts those fields beside
the message. Any field whose name looks like a credential (token, password, secret, key
material, authorization) is replaced by "***", and URLs lose their `user:password@` part,
whatever the caller passed. Object bodies are never logged, only their keys.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

MASK = "***"
_SECRET_NAME = re.compile(
    r"(pass(word)?|secret|token|credential|private[-_]?key|authorization|api[-_]?key|bearer)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(value: Any, name: str = "") -> Any:
    """`value` with secret-looking fields masked, recursively."""
    if name and _SECRET_NAME.search(name):
        return MASK
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _URL_USERINFO.sub("", value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _URL_USERINFO.sub("", record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            data.update(redact(fields))
        if record.exc_info:
            data["error"] = _URL_USERINFO.sub("", self.formatException(record.exc_info))
        return json.dumps(data, default=str, sort_keys=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = _URL_USERINFO.sub("", super().format(record))
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping) and fields:
            pairs = " ".join(f"{k}={v}" for k, v in redact(fields).items())
            line = f"{line} {pairs}"
        return line


def setup_logging(
    fmt: str = "json", level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Route the root logger to `stream` (stderr) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The kubernetes client and urllib3 are chatty about retries we handle anyway. Every
    # kubernetes Configuration() resets the "urllib3" logger to WARNING (its `debug`
    # setter), so the level that sticks is the one of urllib3's connection pool logger,
    # which emits the `Retrying (Retry(total=0…` warnings.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    logging.getLogger("watchdog").setLevel(logging.WARNING)


def fields(**values: Any) -> dict[str, Any]:
    """`log.info("msg", extra=fields(destination=…))`."""
    return {"fields": values}
