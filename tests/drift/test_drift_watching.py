"""DriftWatcher in-process: deletions, orphans and HPA changes arrive as events."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

import pytest

from midway.cluster import connect
from midway.drift.desired import load_desired
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import DriftEvent
from midway.drift.watching import DriftWatcher
from midway.model import Destination
from midway.state.location import parse_state_spec

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_env

pytestmark = pytest.mark.cluster


class Events:
    def __init__(self) -> None:
        self.items: list[DriftEvent] = []
        self.changed = threading.Condition()

    def __call__(self, event: DriftEvent) -> None:
        with self.changed:
            self.items.append(event)
            self.changed.notify_all()

    def wait_for(self, name: str, status: str, timeout: float = 10.0) -> DriftEvent:
        def found() -> DriftEvent | None:
            for event in self.items:
                if event.drift.key.name == name and event.drift.status == status:
                    return event
            return None

        with self.changed:
            self.changed.wait_for(lambda: found() is not None, timeout)
            event = found()
        assert event is not None, [(e.drift.key.name, e.drift.status) for e in self.items]
        return event


def test_watcher_sees_deletions_orphans_and_hpa_changes(drift_env: DriftEnv) -> None:
    destination = Destination("dev", "dev-1")
    desired = load_desired(parse_state_spec(f"{drift_env.state}@main"), destination)
    events = Events()
    with connect(str(drift_env.cluster.kubeconfig), drift_env.cluster.context) as conn:
        watcher = DriftWatcher(
            conn,
            desired.objects,
            destination=destination,
            mode="server",
            rules=IgnoreRules(),  # presets only: the HPA case below is the preset's
            on_event=events,
            orphan_namespaces=f"{drift_env.prefix}-*",
        )
        with watcher:
            initial = watcher.start()
            assert initial.in_sync and len(initial.objects) == len(desired.objects)

            ns = drift_env.ns("search-indexer")
            drift_env.kubectl("-n", ns, "delete", "configmap", "indexer-queue")
            event = events.wait_for("indexer-queue", "missing")
            assert (event.trigger, event.previous) == ("DELETED", "in-sync")

            stray = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "stray",
                    "labels": {
                        "app.kubernetes.io/managed-by": "midway",
                        "midway.dev/env": "dev",
                        "midway.dev/team": "search",
                        "midway.dev/app": "indexer",
                    },
                },
            }
            drift_env.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(stray))
            event = events.wait_for("stray", "orphan")
            assert event.previous is None and event.drift.app == "search/indexer"

            # scaled while no HPA targets it: drift; the HPA appears: ignored by the preset
            api = drift_env.ns("search-search-api")
            drift_env.kubectl("-n", api, "delete", "hpa", "search-api")
            time.sleep(0.5)
            drift_env.kubectl("-n", api, "scale", "deployment", "search-api", "--replicas=4")
            events.wait_for("search-api", "modified")
            hpa = next(
                content
                for path, content in drift_env.desired_files().items()
                if path.endswith(f"/{api}/search-api/horizontalpodautoscaler-search-api.yaml")
            )
            drift_env.kubectl(
                "apply", "--server-side", "--field-manager=midway", "-f", "-", input=hpa.decode()
            )
            event = events.wait_for("search-api", "ignored")
            assert event.trigger == "RESYNC"
            assert event.drift.key.kind == "Deployment"
            assert event.drift.fields[0].ignored_by == "preset hpa-replicas"
