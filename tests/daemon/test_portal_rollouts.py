"""The status page's blueprint view shows the rollouts of that blueprint (the `rollouts`
seam of Portal, as the daemon wires it): the example's worker-1.3, in `rollout status`'s
JSON shape. Pure: no cluster, no browser."""

from __future__ import annotations

import json
from pathlib import Path

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.daemon.status_document import StatusDocument
from midway.daemon.web.routes import Portal
from midway.render.rollout_plan import rollouts_of


def test_the_blueprint_view_lists_its_rollouts(example_repo: Path) -> None:
    config = load_config(DiskSource(example_repo))
    portal = Portal(
        lambda: StatusDocument(identity="test"),
        lambda: config,
        rollouts=lambda blueprint: rollouts_of(config, blueprint),
    )
    response = portal.handle("/api/v1/blueprints/worker", {})
    assert response is not None and response.status == 200
    [rollout] = json.loads(response.body)["rollouts"]
    assert (rollout["name"], rollout["target"], rollout["next"]) == (
        "worker-1.3",
        "worker@1.3.0",
        "staging",
    )
    response = portal.handle("/api/v1/blueprints/web-service", {})
    assert response is not None and json.loads(response.body)["rollouts"] == []
    assert rollouts_of(None, "worker") == []  # before the daemon has a config
