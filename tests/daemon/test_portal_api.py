"""The status page's JSON API over a status document and the example config: every answer
fits openapi.json, each cell state follows its rule, and no secret value gets out.
Pure: no cluster, no browser (tests/daemon/test_portal_browser.py has those)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.daemon.status_document import (
    AppStatus,
    ContestedEntry,
    DestinationStatus,
    DriftedField,
    StatusDocument,
)
from midway.daemon.web.routes import CSP, Portal, openapi_document
from midway.daemon.web.views import cell_state, fleet_view
from midway.model import ConfigRepo
from support.example import write
from support.openapi import check_response

CHECKOUT_DRIFT = DriftedField(
    object="Deployment payments-checkout/checkout",
    field="spec.replicas",
    change="changed",
    manager="kubectl-scale",
    time="2026-12-04T21:00:00Z",
    desired=1,
    live=3,
)


def _document(**overrides: Any) -> StatusDocument:
    dev = DestinationStatus(
        env="dev",
        cluster="dev-1",
        state_commit="5fa2d6e67f5a0000",
        objects={"in-sync": 3, "modified": 1},
        apps={
            "payments/checkout": AppStatus(
                blueprint="web-service@2.1.0",
                status="drifted",
                drift={"in-sync": 2, "modified": 1},
                objects=3,
                drift_fields=(CHECKOUT_DRIFT,),
            ),
            "search/indexer": AppStatus(
                blueprint="worker@1.0.0", status="in-sync", drift={"in-sync": 1}, objects=1
            ),
        },
    )
    prod = DestinationStatus(
        env="prod",
        cluster="prod-eu",
        reachable=False,
        synced=False,
        refused="environments/prod.yaml:9:15: error: context … reaches another server",
    )
    fields: dict[str, Any] = {
        "identity": "test",
        "config_commit": "c0ffee",
        "state_commit": "5fa2d6e67f5a0000",
        "destinations": {"dev/dev-1": dev, "prod/prod-eu": prod},
    }
    fields.update(overrides)
    return StatusDocument(**fields)


@pytest.fixture
def config(example_repo: Path) -> ConfigRepo:
    # a secret-looking param, and a URL with credentials, in checkout's dev params
    app = example_repo / "apps/payments/checkout.yaml"
    text = app.read_text().replace(
        "      PAYMENT_PROVIDER: stripe\n",
        "      PAYMENT_PROVIDER: stripe\n      DB_PASSWORD: hunter2\n"
        "      BROKER_URL: amqp://ledger:s3cr3t@rabbitmq:5672/\n",
    )
    write(example_repo, "apps/payments/checkout.yaml", text)
    return load_config(DiskSource(example_repo))


def _get(portal: Portal, path: str, **headers: str) -> tuple[int, Any, dict[str, str]]:
    response = portal.handle(path, headers)
    assert response is not None, path
    body = json.loads(response.body) if response.body else None
    return response.status, body, dict(response.headers)


API_PATHS = [
    "/api/v1/fleet",
    "/api/v1/apps",
    "/api/v1/apps/payments/checkout",
    "/api/v1/apps/identity/sessions-db",  # in the config, deployed nowhere the daemon works
    "/api/v1/blueprints",
    "/api/v1/blueprints/web-service",
    "/api/v1/destinations",
    "/api/v1/destinations/dev/dev-1",
    "/api/v1/destinations/prod/prod-eu",
]


def test_the_openapi_document_is_valid_and_served() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    status, served, _ = _get(Portal(_document), "/api/v1/openapi.json")
    assert status == 200 and served == document


@pytest.mark.parametrize("path", API_PATHS)
def test_every_answer_fits_the_openapi_document(path: str, config: ConfigRepo) -> None:
    status, body, headers = _get(Portal(_document, lambda: config), path)
    assert status == 200
    check_response(path, status, body)
    assert headers["Content-Security-Policy"] == CSP


@pytest.mark.parametrize(
    "path", ["/api/v1/apps/nobody/nothing", "/api/v1/blueprints/nope", "/api/v1/destinations/x/y"]
)
def test_unknown_things_are_404_as_described(path: str, config: ConfigRepo) -> None:
    status, body, _ = _get(Portal(_document, lambda: config), path)
    assert status == 404
    check_response(path, 404, body)


def test_the_fleet_lists_every_app_of_the_config_with_a_cell_where_it_runs(
    config: ConfigRepo,
) -> None:
    fleet = fleet_view(_document(), config)
    assert [row.app for row in fleet.apps] == sorted(config.apps)
    assert [c.name for c in fleet.destinations] == ["dev/dev-1", "prod/prod-eu"]
    checkout = next(row for row in fleet.apps if row.app == "payments/checkout")
    assert checkout.cells["dev/dev-1"].state == "drifted"
    assert checkout.cells["dev/dev-1"].reason == "spec.replicas changed by kubectl-scale"
    sessions = next(row for row in fleet.apps if row.app == "identity/sessions-db")
    # not in dev; in prod, where nothing is known: the cell says why
    assert list(sessions.cells) == ["prod/prod-eu"]
    assert sessions.cells["prod/prod-eu"].state == "unreachable"
    assert "reaches another server" in (sessions.cells["prod/prod-eu"].reason or "")


def _state(app: AppStatus, dest: DestinationStatus | None = None, **doc: Any) -> str:
    dest = dest or DestinationStatus(env="dev", cluster="dev-1", state_commit="s1")
    document = StatusDocument(state_commit="s1", **doc)
    return cell_state(document, dest, app)[0]


CONTEST = ContestedEntry(
    object="ConfigMap a/b",
    kind="ConfigMap",
    name="b",
    namespace="a",
    field="data.mode",
    pointer="/data/mode",
    manager="kubectl-patch",
    reverts=3,
    since=1.0,
    app="qa/a",
    suggestion="",
)


def test_each_cell_state_follows_its_rule_most_urgent_first() -> None:
    in_sync = AppStatus(blueprint="kv@1.0.0", status="in-sync", drift={"in-sync": 1})
    modified = AppStatus(blueprint="kv@1.0.0", status="drifted", drift={"modified": 1})
    missing = AppStatus(blueprint="kv@1.0.0", status="drifted", drift={"missing": 1, "modified": 1})
    contested = AppStatus(
        blueprint="kv@1.0.0", status="drifted", drift={"modified": 1}, contested=(CONTEST,)
    )
    syncing = AppStatus(blueprint="kv@1.0.0", status="syncing", drift={"unknown": 1})
    down = DestinationStatus(env="dev", cluster="dev-1", reachable=False)
    refused = DestinationStatus(env="dev", cluster="dev-1", reachable=False, refused="wrong")
    behind = DestinationStatus(env="dev", cluster="dev-1", state_commit="s0")
    assert _state(in_sync) == "in-sync"
    assert _state(modified) == "drifted"
    assert _state(missing) == "missing"
    assert _state(contested) == "contested"
    assert _state(syncing) == "syncing"
    assert _state(contested, down) == "unreachable"
    assert _state(in_sync, refused) == "unreachable"
    assert _state(in_sync, publish_error="apps/x.yaml:3: bad") == "stale-render"
    assert _state(in_sync, behind) == "stale-render"
    assert _state(modified, behind) == "drifted"  # drift says more than staleness


def test_secret_values_never_appear_in_any_answer_or_page(config: ConfigRepo) -> None:
    portal = Portal(_document, lambda: config)
    _, app, _ = _get(portal, "/api/v1/apps/payments/checkout")
    dev = next(p for p in app["params"] if p["env"] == "dev")
    assert dev["blueprint"].startswith("web-service@2.")
    assert dev["values"]["env"]["DB_PASSWORD"] == "***"
    assert dev["values"]["env"]["BROKER_URL"] == "amqp://rabbitmq:5672/"
    assert dev["values"]["env"]["PAYMENT_PROVIDER"] == "stripe-test"  # dev overrides; shown
    for path in [*API_PATHS, "/", "/apps/payments/checkout", "/static/portal.js"]:
        response = portal.handle(path, {})
        assert response is not None and response.status == 200, path
        assert b"hunter2" not in response.body and b"s3cr3t" not in response.body, path


def test_pages_are_one_shell_with_a_strict_csp_and_assets_from_midway(config: ConfigRepo) -> None:
    portal = Portal(_document, lambda: config)
    pages = ["/", "/apps/payments/checkout", "/blueprints/worker", "/destinations/dev/dev-1"]
    shells = {portal.handle(p, {}).body for p in pages}  # type: ignore[union-attr]
    assert len(shells) == 1
    shell = shells.pop().decode()
    assert "http://" not in shell and "https://" not in shell  # nothing from elsewhere
    for asset in ("/static/portal.css", "/static/portal.js", "/static/favicon.svg"):
        assert asset in shell
        response = portal.handle(asset, {})
        assert response is not None and response.status == 200
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert portal.handle("/static/../routes.py", {}).status == 404  # type: ignore[union-attr]
    assert portal.handle("/healthz", {}) is None  # not the portal's: http.py answers it


def test_an_unchanged_answer_is_304_for_the_etag_the_client_has(config: ConfigRepo) -> None:
    portal = Portal(_document, lambda: config)
    first = portal.handle("/api/v1/fleet", {})
    assert first is not None
    again = portal.handle("/api/v1/fleet", {"If-None-Match": first.headers["ETag"]})
    assert again is not None and again.status == 304 and again.body == b""


def test_a_standby_replica_says_so() -> None:
    from midway.daemon.status_document import Shards

    fleet = fleet_view(StatusDocument(identity="pod-b", shards=Shards(count=1, held=())))
    assert fleet.header.standby and fleet.apps == () and fleet.destinations == ()
    assert not fleet_view(_document(shards=Shards(count=1, held=(0,)))).header.standby


def test_rollouts_have_a_seam_on_the_blueprint_page(config: ConfigRepo) -> None:
    rollout = {"version": "web-service@2.2.0", "from": "dev", "to": "staging", "step": 1}
    portal = Portal(_document, lambda: config, rollouts=lambda name: [rollout])
    path = "/api/v1/blueprints/web-service"
    status, body, _ = _get(portal, path)
    assert status == 200 and check_response(path, status, body)["rollouts"] == [rollout]
    _, plain, _ = _get(Portal(_document, lambda: config), path)
    assert plain["rollouts"] == []
