"""The daemon's Prometheus metrics, in a registry of their own (never the global one, so
tests can run several daemons in one process). Reference: docs/daemon.md."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

DEST = ("env", "cluster")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(self) -> None:
        _no_created_series()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.renders = Counter(
            "midway_renders", "Config renders by result (ok | error).", ["result"], registry=r
        )
        self.render_duration = Histogram(
            "midway_render_duration_seconds",
            "Time to load and render the config repo.",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.publish_duration = Histogram(
            "midway_publish_duration_seconds",
            "Time to render and commit one config commit to the state repo.",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.objects = Gauge(
            "midway_objects",
            "Desired objects by drift status (modified, missing, ignored, in-sync, unknown) "
            "plus live orphans, per destination.",
            [*DEST, "status"],
            registry=r,
        )
        self.drift_detected = Counter(
            "midway_drift_detected",
            "Objects found drifted: live changed by someone else while the desired object "
            "did not change (after a live change or a resync), by policy.",
            [*DEST, "policy"],
            registry=r,
        )
        self.corrections = Counter(
            "midway_corrections",
            "Objects created, configured or pruned by midway.",
            [*DEST, "action"],
            registry=r,
        )
        self.rollout_applied = Counter(
            "midway_rollout_applied",
            "Objects created or configured because their desired state changed in a new "
            "state commit (a rollout, not drift).",
            [*DEST, "action"],
            registry=r,
        )
        self.correction_latency = Histogram(
            "midway_correction_latency_seconds",
            "From seeing a live change (watch event) to the corrected object applied.",
            [*DEST],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reconcile_errors = Counter(
            "midway_reconcile_errors",
            "Objects whose reconcile failed (they back off and retry).",
            [*DEST],
            registry=r,
        )
        self.fights = Counter(
            "midway_fights",
            "Fields found contested (another manager kept reverting them).",
            [*DEST, "manager"],
            registry=r,
        )
        self.contested_fields = Gauge(
            "midway_contested_fields",
            "Fields midway currently leaves alone because another manager fights over them.",
            [*DEST],
            registry=r,
        )
        self.queue_depth = Gauge(
            "midway_queue_depth",
            "Items waiting in a destination's work queue.",
            [*DEST],
            registry=r,
        )
        self.last_sync = Gauge(
            "midway_last_successful_sync_timestamp_seconds",
            "When a destination last finished a full pass without errors (unix time).",
            [*DEST],
            registry=r,
        )
        self.reachable = Gauge(
            "midway_cluster_reachable",
            "1 when the destination's API server answers, else 0.",
            [*DEST],
            registry=r,
        )
        self.server_mismatch = Gauge(
            "midway_destination_refused",
            "1 when no kubeconfig context safely reaches the destination's `server:` "
            "(wrong, missing or ambiguous context): midway writes nothing there.",
            [*DEST],
            registry=r,
        )
        self.shard_held = Gauge(
            "midway_shard_leader",
            "1 for each shard lease this replica holds.",
            ["shard"],
            registry=r,
        )
        self.state_commit_info = Gauge(
            "midway_state_commit_info",
            "The state commit each destination is at (value 1; one series per destination).",
            [*DEST, "commit"],
            registry=r,
        )
        self._commits: dict[tuple[str, str], str] = {}  # destination -> commit label
        self.ready = Gauge("midway_ready", "1 when /readyz answers ok.", registry=r)
        self._watch_sources: list[Callable[[], Iterable[tuple[str, str, str, int, int]]]] = []
        r.register(_WatchCollector(self._watch_sources))

    def watch_source(self, source: Callable[[], Iterable[tuple[str, str, str, int, int]]]) -> None:
        """Register a callable yielding (env, cluster, resource, restarts, objects)."""
        self._watch_sources.append(source)

    def set_state_commit(self, env: str, cluster: str, commit: str) -> None:
        """Make `commit` the destination's only midway_state_commit_info series."""
        old = self._commits.get((env, cluster))
        if old is not None and old != commit:
            with contextlib.suppress(KeyError):
                self.state_commit_info.remove(env, cluster, old)
        self._commits[(env, cluster)] = commit
        self.state_commit_info.labels(env, cluster, commit).set(1)

    def forget_destination(self, env: str, cluster: str) -> None:
        for gauge in (self.queue_depth, self.contested_fields, self.reachable):
            with contextlib.suppress(KeyError):
                gauge.remove(env, cluster)
        old = self._commits.pop((env, cluster), None)
        if old is not None:
            with contextlib.suppress(KeyError):
                self.state_commit_info.remove(env, cluster, old)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


class _WatchCollector(Collector):
    """Watch restarts and cached objects, read from the WatchCaches when scraped."""

    def __init__(
        self, sources: list[Callable[[], Iterable[tuple[str, str, str, int, int]]]]
    ) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        restarts = CounterMetricFamily(
            "midway_watch_restarts",
            "Watches re-opened after an error or 410 Gone.",
            labels=[*DEST, "resource"],
        )
        cached = GaugeMetricFamily(
            "midway_watch_cached_objects",
            "Objects held by each watch cache.",
            labels=[*DEST, "resource"],
        )
        for source in list(self.sources):
            for env, cluster, resource, restart_count, objects in source():
                restarts.add_metric([env, cluster, resource], restart_count)
                cached.add_metric([env, cluster, resource], objects)
        yield restarts
        yield cached


def _no_created_series() -> None:
    """Drop the `*_created` timestamp series prometheus_client adds to counters (noise)."""
    import prometheus_client

    disable = getattr(prometheus_client, "disable_created_metrics", None)
    if callable(disable):
        disable()
