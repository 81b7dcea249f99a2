"""WatchCache: list + watch, events, and surviving an API server restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from midway.cluster import Connection, WatchCache, apply, connect, delete, resolve
from support.cluster import TestCluster, private_cluster

pytestmark = pytest.mark.cluster


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.changed = threading.Condition()

    def __call__(self, event_type: str, obj: dict[str, Any]) -> None:
        data = obj.get("data") or {}
        with self.changed:
            self.events.append((event_type, obj["metadata"]["name"], data.get("v", "")))
            self.changed.notify_all()

    def wait_for(self, event: tuple[str, str, str], timeout_s: float = 2.0) -> float:
        start = time.monotonic()
        with self.changed:
            ok = self.changed.wait_for(lambda: event in self.events, timeout_s)
        assert ok, f"{event} not seen within {timeout_s}s; saw {self.events}"
        return time.monotonic() - start


def _config_map(namespace: str, name: str, value: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"w": "yes"}},
        "data": {"v": value},
    }


def test_watch_cache_follows_changes(conn: Connection, k8s_namespace: str) -> None:
    apply(conn, _config_map(k8s_namespace, "before", "0"))
    recorder = Recorder()
    resource = resolve(conn, "v1", "ConfigMap")
    with WatchCache(conn, resource, namespace=k8s_namespace, on_event=recorder) as cache:
        cache.wait_synced(5)
        assert cache.object_keys() == [(k8s_namespace, "before")]
        recorder.wait_for(("ADDED", "before", "0"))

        apply(conn, _config_map(k8s_namespace, "cm", "1"))
        recorder.wait_for(("ADDED", "cm", "1"))
        apply(conn, _config_map(k8s_namespace, "cm", "2"))
        assert recorder.wait_for(("MODIFIED", "cm", "2")) < 2.0
        live = cache.get(k8s_namespace, "cm")
        assert live is not None and live["data"] == {"v": "2"}

        delete(conn, "v1", "ConfigMap", k8s_namespace, "cm")
        recorder.wait_for(("DELETED", "cm", "2"))
        assert cache.get(k8s_namespace, "cm") is None
        assert len(cache) == 1
        assert cache.restarts == 0
    assert cache._thread is not None and not cache._thread.is_alive()


def test_label_selector_and_a_failing_handler(conn: Connection, k8s_namespace: str) -> None:
    seen: list[str] = []

    def handler(event_type: str, obj: dict[str, Any]) -> None:
        seen.append(obj["metadata"]["name"])
        raise RuntimeError("handler bug")

    resource = resolve(conn, "v1", "ConfigMap")
    with WatchCache(
        conn, resource, namespace=k8s_namespace, label_selector="w=yes", on_event=handler
    ) as cache:
        cache.wait_synced(5)
        other = _config_map(k8s_namespace, "unlabelled", "x")
        other["metadata"]["labels"] = {}  # type: ignore[index]
        apply(conn, other)
        apply(conn, _config_map(k8s_namespace, "a", "1"))
        apply(conn, _config_map(k8s_namespace, "b", "1"))
        deadline = time.monotonic() + 2
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen == ["a", "b"]  # the watch survived the handler's exceptions
        assert sorted(name for _, name in cache.object_keys()) == ["a", "b"]


@pytest.fixture
def second_cluster() -> Iterator[TestCluster]:
    """A private cluster this test may stop and start (the shared one stays untouched)."""
    with private_cluster("resilience", port_block=100) as cluster:
        yield cluster


@pytest.mark.slow
def test_watch_survives_an_apiserver_restart(
    test_cluster: TestCluster, second_cluster: TestCluster
) -> None:
    with connect(str(second_cluster.kubeconfig)) as conn:
        recorder = Recorder()
        resource = resolve(conn, "v1", "ConfigMap")
        cache = WatchCache(
            conn, resource, namespace="default", on_event=recorder, backoff_s=(0.2, 1.0)
        )
        with cache:
            cache.wait_synced(5)
            apply(conn, _config_map("default", "one", "1"))
            recorder.wait_for(("ADDED", "one", "1"))

            second_cluster.stop_apiserver()
            time.sleep(1.0)
            second_cluster.start_apiserver()

            apply(conn, _config_map("default", "two", "2"))
            recorder.wait_for(("ADDED", "two", "2"), timeout_s=10)
            assert cache.restarts >= 1
            assert sorted(name for _, name in cache.object_keys()) == ["one", "two"]
