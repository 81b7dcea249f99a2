"""The status page in a real browser (Debian's chromium, driven by playwright) against a
daemon running the example config on the test cluster.

The daemon works every environment of the example: dev is the test cluster; staging and
prod name servers the test context does not reach, so they are refused (grey columns).
dev's policy is `warn`, so a live edit stays drifted for the page to show.

Screenshots go to test-artifacts/portal/ (git-ignored). With MIDWAY_UPDATE_SCREENSHOTS=1
(scripts/portal-screenshot.sh) the fleet screenshot also replaces docs/images/status-page.png.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.cluster import TestCluster, kubectl
from support.drift_example import ENV_FILE, DriftEnv
from support.example import copy_example
from support.live_edits import EXAMPLE_EDITS, make_edit
from support.openapi import check_response
from support.syncenv import daemon_thread, git, http_get, wait_for

# one daemon for the module: keep its tests on one xdist worker
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("portal-browser")]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "portal"
DOCS_SCREENSHOT = REPO_ROOT / "docs" / "images" / "status-page.png"
# docs/design.md §10: without the networking flags chromium reaches out to Google's hosts
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EDIT = next(m for m in EXAMPLE_EDITS if m.name == "configmap-change-value")  # kubectl-patch
EDITED_APP = "payments/ledger-worker"
DEV = "dev/dev-1"


@dataclass
class PortalEnv:
    example: DriftEnv
    daemon: Any
    apps: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.daemon.http.port}"

    def api(self, path: str) -> Any:
        code, body = http_get(self.daemon.http.port, path)
        assert code == 200, (path, code, body)
        return check_response(path, code, json.loads(body))


def _example_repo(tmp_path: Path, prefix: str) -> Path:
    """The example, dev namespaces prefixed for this test, committed to a git repo (the
    daemon follows commits, not the working tree)."""
    config = copy_example(tmp_path / "config")
    env_file = config / ENV_FILE
    text = env_file.read_text()
    env_file.write_text(
        text.replace('namespace: "{team}-{app}"', f'namespace: "{prefix}-{{team}}-{{app}}"')
    )
    (config / ".gitignore").write_text(".midway/\n")
    git(config, "init", "-q", "-b", "main")
    git(config, "add", "-A")
    git(config, "commit", "-q", "-m", "the example")
    return config


@pytest.fixture(scope="module")
def portal_env(
    tmp_path_factory: pytest.TempPathFactory, drift_crds: TestCluster
) -> Iterator[PortalEnv]:
    """The example published by a running daemon and synced once (`midway sync`)."""
    tmp_path = tmp_path_factory.mktemp("portal")
    prefix = "w" + uuid.uuid4().hex[:7]
    config = _example_repo(tmp_path, prefix)
    example = DriftEnv(
        cluster=drift_crds, config=config, state=tmp_path / "state.git", prefix=prefix
    )
    repo = SimpleNamespace(root=config)
    try:
        with daemon_thread(
            repo, drift_crds, state=str(example.state), envs=(), status_file=tmp_path / "s.json"
        ) as daemon:
            wait_for(lambda: daemon.state.commit, 60, what="the daemon to publish the example")
            code, out, err = example.cli("sync", "--policy", "correct")
            assert code == 0, f"midway sync failed (exit {code}):\n{err}\n{out}"
            # every app file of the example, as team/app
            apps = sorted(
                f"{p.parent.name}/{p.stem.removesuffix('.score')}"
                for p in (config / "apps").glob("*/*.yaml")
            )
            env = PortalEnv(example, daemon, apps)
            wait_for(lambda: _all_dev_cells(env, "in-sync"), 60, 0.5, "dev in sync")
            yield env
    finally:
        listed = kubectl(drift_crds, "get", "namespaces", "-o", "name", check=False).stdout
        doomed = [n.split("/", 1)[1] for n in listed.split() if f"/{prefix}-" in n]
        if doomed:
            kubectl(drift_crds, "delete", "namespace", *doomed, "--wait=false", check=False)


def _all_dev_cells(env: PortalEnv, state: str) -> bool:
    fleet = env.api("/api/v1/fleet")
    cells = [row["cells"].get(DEV) for row in fleet["apps"]]
    return all(c["state"] == state for c in cells if c is not None)


def _cell(page: Any, app: str, destination: str = DEV) -> Any:
    return page.locator(f'td.cell[data-app="{app}"][data-destination="{destination}"]')


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_fleet_page_shows_a_live_edit_as_drifted_without_a_reload(
    portal_env: PortalEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser-deps` (make test does)")
    requests: list[str] = []
    with sync_playwright() as playwright:
        # a fresh temporary profile per launch; never a downloaded browser
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 760})
            page.on("request", lambda request: requests.append(request.url))
            # a CSP violation or a script error shows up here
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            navigations: list[str] = []
            page.on(
                "framenavigated",
                lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
            )
            page.goto(portal_env.url + "/")

            # every app of the example is listed, each dev cell in sync after the sync
            for app in portal_env.apps:
                expect(page.locator(f'#fleet tr[data-app="{app}"]')).to_have_count(1)
            expect(_cell(page, EDITED_APP)).to_have_attribute("data-state", "in-sync")
            expect(_cell(page, EDITED_APP, "prod/prod-eu")).to_have_attribute(
                "data-state", "unreachable"
            )
            _shot(page, "fleet-in-sync")
            page.evaluate("window.__sameDocument = true")

            make_edit(EDIT, portal_env.example, tmp_path, monkeypatch)
            expect(_cell(page, EDITED_APP)).to_have_attribute("data-state", "drifted", timeout=5000)
            assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
            assert navigations == [portal_env.url + "/"]
            fleet = _shot(page, "fleet-drifted")
            if os.environ.get("MIDWAY_UPDATE_SCREENSHOTS") == "1":
                DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fleet, DOCS_SCREENSHOT)

            # the app page says who changed the field
            page.locator(f'#fleet tr[data-app="{EDITED_APP}"] th a').click()
            page.wait_for_url(portal_env.url + "/apps/" + EDITED_APP)
            changed = page.locator(f'#drift-fields tr[data-field="{EDIT.path}"]')
            expect(changed.locator("td.manager")).to_have_text(EDIT.manager or "")
            expect(changed).to_contain_text("ConfigMap")
            expect(page.locator('.params[data-env="dev"] pre')).to_contain_text("concurrency")
            _shot(page, "app-drifted")

            page.goto(portal_env.url + "/destinations/dev/dev-1")
            expect(page.locator("h1")).to_contain_text("dev/dev-1")
            _shot(page, "destination")
            page.goto(portal_env.url + "/blueprints/worker")
            expect(page.locator("main")).to_contain_text("worker@1.")
            _shot(page, "blueprint")
        finally:
            browser.close()

    assert problems == []
    assert requests, "playwright saw no request"
    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, sorted(requests)


def test_the_running_daemons_answers_fit_the_openapi_document(portal_env: PortalEnv) -> None:
    fleet = portal_env.api("/api/v1/fleet")
    # every app, and the shared database (its own objects, its own row)
    assert sorted(row["app"] for row in fleet["apps"]) == sorted(
        [*portal_env.apps, "payments/ledger-db"]
    )
    assert portal_env.api("/api/v1/apps")["apps"] == sorted(
        [*portal_env.apps, "payments/ledger-db"]  # and the shared database
    )
    for app in portal_env.apps:
        portal_env.api(f"/api/v1/apps/{app}")
    for name in portal_env.api("/api/v1/blueprints")["blueprints"]:
        portal_env.api(f"/api/v1/blueprints/{name}")
    for dest in portal_env.api("/api/v1/destinations")["destinations"]:
        portal_env.api(f"/api/v1/destinations/{dest['name']}")
    # the daemon's own endpoints still answer beside the portal
    assert http_get(portal_env.daemon.http.port, "/healthz") == (200, "ok\n")
    code, metrics = http_get(portal_env.daemon.http.port, "/metrics")
    assert code == 200 and "midway_objects" in metrics
    assert http_get(portal_env.daemon.http.port, "/nothing-here")[0] == 404
