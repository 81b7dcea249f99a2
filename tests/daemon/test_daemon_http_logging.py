"""HTTP endpoints, JSON logs without secrets, and the status file."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from midway.daemon.http import HttpEndpoints
from midway.daemon.log_setup import JsonFormatter, fields, redact, setup_logging
from midway.daemon.metrics import Metrics
from midway.daemon.status_document import DestinationStatus, StatusDocument
from midway.daemon.status_file import read_status, write_status
from support.status import checked
from support.syncenv import http_get


def test_endpoints_answer_health_readiness_and_metrics() -> None:
    metrics = Metrics()
    metrics.renders.labels("ok").inc()
    ready = {"ok": False}
    endpoints = HttpEndpoints(
        0,
        host="127.0.0.1",
        healthy=lambda: (True, []),
        ready=lambda: (ready["ok"], [] if ready["ok"] else ["dev/dev-1: watch caches are syncing"]),
        metrics=metrics.exposition,
        status=lambda: {"destinations": {}},
    ).start()
    try:
        port = endpoints.port
        assert http_get(port, "/healthz") == (200, "ok\n")
        assert http_get(port, "/readyz") == (503, "dev/dev-1: watch caches are syncing\n")
        ready["ok"] = True
        assert http_get(port, "/readyz") == (200, "ok\n")
        code, body = http_get(port, "/metrics")
        assert code == 200 and 'midway_renders_total{result="ok"} 1.0' in body
        assert "midway_renders_created" not in body
        code, body = http_get(port, "/status")
        assert code == 200 and json.loads(body) == {"destinations": {}}
        assert http_get(port, "/nope")[0] == 404
    finally:
        endpoints.stop()


def test_json_logs_carry_fields_and_never_secret_values() -> None:
    stream = io.StringIO()
    setup_logging("json", stream=stream)
    log = logging.getLogger("midway.test")
    log.info(
        "fetched https://user:hunter2@git.example.com/config.git",
        extra=fields(destination="dev/dev-1", token="abc", nested={"password": "p", "ok": 1}),
    )
    record = json.loads(stream.getvalue().strip())
    assert record["msg"] == "fetched https://git.example.com/config.git"
    assert record["destination"] == "dev/dev-1"
    assert record["token"] == "***"
    assert record["nested"] == {"password": "***", "ok": 1}
    assert "hunter2" not in stream.getvalue()
    assert redact({"apiKey": "x", "list": ["https://a:b@h/x"]}) == {
        "apiKey": "***",
        "list": ["https://h/x"],
    }
    assert isinstance(JsonFormatter().format(logging.makeLogRecord({"msg": "x"})), str)
    setup_logging("text")


def test_status_file_is_replaced_atomically_and_merges_replicas(tmp_path: Path) -> None:
    path = tmp_path / ".midway" / "daemon-status.json"
    dev = DestinationStatus(env="dev", cluster="dev-1")
    prod = DestinationStatus(env="prod", cluster="eu")
    write_status(path, StatusDocument(identity="a", destinations={"dev/dev-1": dev}))
    write_status(path, StatusDocument(identity="b", destinations={"prod/eu": prod}))
    status = read_status(path)
    assert status is not None
    assert status.identity == "b" and status.version == 1
    assert status.destinations == {"dev/dev-1": dev, "prod/eu": prod}
    checked(json.loads(path.read_text()))
    assert [p.name for p in path.parent.iterdir()] == ["daemon-status.json"]
    assert read_status(tmp_path / "missing.json") is None
