"""HTTP routing of the status page: a path in, a `Response` out (no sockets here).

    /                                   the fleet page        (one HTML shell for every
    /apps/TEAM/APP                      an app                 page: static/portal.js
    /blueprints/NAME                    a blueprint            renders it from the API
    /destinations/ENV/CLUSTER           a destination          and polls it)
    /static/FILE                        CSS, JS, icon (package data: nothing from a CDN)
    /api/v1/fleet | apps | apps/TEAM/APP | blueprints | blueprints/NAME
           | destinations | destinations/ENV/CLUSTER | openapi.json

Every answer carries a strict Content-Security-Policy (`default-src 'self'`) and an ETag;
a request with a matching If-None-Match gets 304, so the page's polling costs little.
daemon/http.py hands every GET to `Portal.handle` first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import unquote

from midway.daemon.status_document import StatusDocument
from midway.daemon.web import views
from midway.model import ConfigRepo

API = "/api/v1/"
OPENAPI_FILE = "openapi.json"
CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
JSON_TYPE = "application/json"
PAGE_PREFIXES = {"apps": 2, "blueprints": 1, "destinations": 2}  # page -> path segments


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def _static_files() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) of every file in static/ (read once)."""
    folder = resources.files("midway.daemon.web").joinpath("static")
    files = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in CONTENT_TYPES:
            files[entry.name] = (entry.read_bytes(), CONTENT_TYPES[suffix])
    return files


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description of /api/v1 (package data beside this module)."""
    text = resources.files("midway.daemon.web").joinpath(OPENAPI_FILE).read_text()
    data: dict[str, Any] = json.loads(text)
    return data


class Portal:
    """The status page and its API over a status document and the config it applies.

    `document()` is the daemon's current status document; `config()` the config repo of
    the state commit being applied (None before the first one): it adds the apps that are
    deployed nowhere yet, resolved params and blueprint versions. `rollouts(blueprint)`
    lists the rollouts of a blueprint (the daemon: render/rollout_plan.rollouts_of).
    """

    def __init__(
        self,
        document: Callable[[], StatusDocument],
        config: Callable[[], ConfigRepo | None] = lambda: None,
        *,
        rollouts: Callable[[str], Sequence[Mapping[str, Any]]] = lambda blueprint: (),
    ) -> None:
        self._document = document
        self._config = config
        self._rollouts = rollouts  # the seam for rollout tracking: blueprint name -> rollouts
        self._static = _static_files()
        self._openapi = (
            json.dumps(openapi_document(), indent=2).encode() + b"\n",
            JSON_TYPE,
        )

    def handle(self, path: str, headers: Mapping[str, str]) -> Response | None:
        """The answer to GET `path`; None when the path is not the portal's."""
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path.startswith(API):
            response = self._api([unquote(p) for p in path[len(API) :].split("/") if p])
        elif path.startswith("/static/"):
            found = self._static.get(path[len("/static/") :])
            response = Response(200, found[1], found[0]) if found else _not_found("no such file")
        elif self._is_page(path):
            body, content_type = self._static["index.html"]
            response = Response(200, content_type, body)
        else:
            return None
        return _finish(response, headers)

    @staticmethod
    def _is_page(path: str) -> bool:
        if path in ("/", "/index.html"):
            return True
        parts = [p for p in path.split("/") if p]
        return len(parts) > 1 and PAGE_PREFIXES.get(parts[0]) == len(parts) - 1

    def _api(self, parts: list[str]) -> Response:
        if parts == [OPENAPI_FILE]:
            body, content_type = self._openapi
            return Response(200, content_type, body)
        document = self._document()
        config = self._config()
        head, rest = (parts[0], parts[1:]) if parts else ("", [])
        found: Any = None
        if head == "fleet" and not rest:
            found = views.fleet_view(document, config).to_json()
        elif head == "apps" and not rest:
            fleet = views.fleet_view(document, config)
            found = {**fleet.header.to_json(), "apps": [row.app for row in fleet.apps]}
        elif head == "apps" and len(rest) == 2:
            app = views.app_view(document, config, "/".join(rest))
            found = app.to_json() if app else None
        elif head == "blueprints" and not rest:
            names = views.blueprint_names(document, config)
            found = {**views.header(document).to_json(), "blueprints": names}
        elif head == "blueprints" and len(rest) == 1:
            blueprint = views.blueprint_view(document, config, rest[0], self._rollouts(rest[0]))
            found = blueprint.to_json() if blueprint else None
        elif head == "destinations" and not rest:
            columns = views.destinations_list(document, config)
            found = {
                **views.header(document).to_json(),
                "destinations": [c.to_json() for c in columns],
            }
        elif head == "destinations" and len(rest) == 2:
            dest = views.destination_view(document, config, "/".join(rest))
            found = dest.to_json() if dest else None
        else:
            return _not_found(f"no such API path: {API}{'/'.join(parts)}")
        if found is None:
            return _not_found(f"not found: {'/'.join(parts)}")
        return Response(200, JSON_TYPE, json.dumps(found, indent=2).encode() + b"\n")


def _not_found(message: str) -> Response:
    return Response(404, JSON_TYPE, json.dumps({"error": message}).encode() + b"\n")


def _finish(response: Response, headers: Mapping[str, str]) -> Response:
    """Add the security headers and the ETag; 304 when the client has this body already."""
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:20] + '"'
    extra = {**SECURITY_HEADERS, "ETag": etag}
    if response.status == 200 and etag in _etags(headers.get("If-None-Match")):
        return Response(304, response.content_type, b"", extra)
    return Response(response.status, response.content_type, response.body, extra)


def _etags(value: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (value or "").split(",") if tag.strip()}
