"""The daemon's HTTP endpoints: /healthz, /readyz, /metrics (and /status for people).

- /healthz: 200 while the process runs its loops (liveness: restart me if this fails).
- /readyz: 200 only when every watch cache of every destination this replica works has
  synced and every such cluster answers; 503 with the reasons otherwise. A replica that
  holds no shard is ready (it is a healthy standby).
- /metrics: Prometheus text format (see docs/daemon.md for the reference).
- /status: the daemon status document as JSON (what `midway status` reads from the file).
- everything else the portal answers (daemon/web/routes.py: the status page and /api/v1).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from midway.daemon.web.routes import Response

log = logging.getLogger(__name__)

CONTENT_TYPE_METRICS = "text/plain; version=0.0.4; charset=utf-8"


class HttpEndpoints:
    def __init__(
        self,
        port: int,
        *,
        host: str = "0.0.0.0",
        healthy: Callable[[], tuple[bool, list[str]]],
        ready: Callable[[], tuple[bool, list[str]]],
        metrics: Callable[[], bytes],
        status: Callable[[], dict[str, Any]] | None = None,
        portal: Callable[[str, Mapping[str, str]], Response | None] | None = None,
    ) -> None:
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoints._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("http: " + format, *args)

        self.healthy = healthy
        self.ready = ready
        self.metrics = metrics
        self.status = status
        self.portal = portal
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread: threading.Thread | None = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        try:
            if path == "/healthz":
                ok, reasons = self.healthy()
                self._text(request, 200 if ok else 503, _lines(ok, reasons))
            elif path == "/readyz":
                ok, reasons = self.ready()
                self._text(request, 200 if ok else 503, _lines(ok, reasons))
            elif path == "/metrics":
                self._send(request, 200, CONTENT_TYPE_METRICS, self.metrics())
            elif path == "/status" and self.status is not None:
                body = json.dumps(self.status(), indent=2, default=str).encode()
                self._send(request, 200, "application/json", body)
            elif self.portal is not None and (
                answer := self.portal(request.path, dict(request.headers.items()))
            ):
                self._send(request, answer.status, answer.content_type, answer.body, answer.headers)
            else:
                self._text(request, 404, "not found\n")
        except Exception:
            log.exception("http handler failed for %s", path)
            self._text(request, 500, "internal error\n")

    def _portal(self, request: BaseHTTPRequestHandler) -> Response | None:
        assert self.portal is not None
        return self.portal(request.path, dict(request.headers.items()))

    @staticmethod
    def _text(request: BaseHTTPRequestHandler, code: int, text: str) -> None:
        HttpEndpoints._send(request, code, "text/plain; charset=utf-8", text.encode())

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        code: int,
        content_type: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        request.send_response(code)
        request.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def start(self) -> HttpEndpoints:
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="http", kwargs={"poll_interval": 0.2}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(2)


def _lines(ok: bool, reasons: list[str]) -> str:
    if ok:
        return "ok\n"
    return "".join(f"{reason}\n" for reason in reasons) or "not ready\n"
