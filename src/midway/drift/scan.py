"""One destination -> DriftReport: fetch live objects, dry-run, evaluate, find orphans.

Requests are few and concurrent: discovery of the desired group versions, one labelled
LIST per resource type (cluster-wide; it finds our live objects and the orphans at once),
a GET only for desired objects the list did not return (missing, or their label was
removed), one LIST of HorizontalPodAutoscalers, and in server mode one dry-run apply per
existing object (cached by object hash and live resourceVersion).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from midway.cluster import (
    Connection,
    Resource,
    StatusError,
    apply,
    get_resource,
    list_objects,
    prime,
    resolve,
)
from midway.cluster.scanning import list_labelled, select_resources
from midway.drift.evaluate import evaluate_object
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import (
    ClusterFacts,
    CompareMode,
    DesiredObject,
    DriftReport,
    ObjectDrift,
    ObjectError,
)
from midway.errors import ClusterError, MidwayError
from midway.model import (
    FIELD_MANAGER,
    LABEL_APP,
    LABEL_CLUSTER,
    LABEL_ENV,
    LABEL_MANAGED_BY,
    LABEL_TEAM,
    MANAGED_BY_VALUE,
    Destination,
    ObjectKey,
)
from midway.objects.stale import StaleReport

SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
DEFAULT_WORKERS = 8


class RequestCounter:
    """Counts the API requests a scan sends (thread-safe)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


class DryRunCache:
    """Dry-run apply results by (desired object hash, live resourceVersion).

    The same desired object applied on the same live version gives the same answer, so a
    re-scan (or a watch event that changed nothing relevant) costs no request.
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(desired: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[str, str]:
        digest = hashlib.sha1(
            json.dumps(desired, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        rv = str((live.get("metadata") or {}).get("resourceVersion") or "")
        uid = str((live.get("metadata") or {}).get("uid") or "")
        return digest, f"{uid}/{rv}"

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[str, str], result: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


@dataclass
class _Resolved:
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)  # (apiVersion, kind)
    errors: list[ObjectError] = field(default_factory=list)


def ownership_selector(env: str, app: str | None = None) -> str:
    """The label selector of the objects midway manages for an environment (and app)."""
    parts = [f"{LABEL_MANAGED_BY}={MANAGED_BY_VALUE}", f"{LABEL_ENV}={env}"]
    if app:
        team, _, name = app.rpartition("/")
        parts.append(f"{LABEL_APP}={name}")
        if team:
            parts.append(f"{LABEL_TEAM}={team}")
    return ",".join(parts)


def hpa_facts(hpas: Iterable[Mapping[str, Any]]) -> ClusterFacts:
    """Which objects live HorizontalPodAutoscalers scale (any autoscaling version)."""
    targets = set()
    for hpa in hpas:
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        namespace = str((hpa.get("metadata") or {}).get("namespace") or "")
        if ref.get("kind") and ref.get("name"):
            targets.add((namespace, str(ref["kind"]), str(ref["name"])))
    return ClusterFacts(hpa_targets=frozenset(targets))


def resolve_desired(
    conn: Connection, desired: Sequence[DesiredObject], counter: RequestCounter | None = None
) -> _Resolved:
    """The resource type of every desired object; objects of kinds the cluster does not
    serve become errors (with a hint about CRDs)."""
    resolved = _Resolved()
    api_versions = sorted({d.api_version for d in desired})
    prime(conn, api_versions)
    if counter is not None:
        counter.add(len(api_versions))
    by_type: dict[tuple[str, str], list[DesiredObject]] = defaultdict(list)
    for item in desired:
        by_type[(item.api_version, item.key.kind)].append(item)
    for (api_version, kind), items in sorted(by_type.items()):
        try:
            resolved.resources[(api_version, kind)] = resolve(conn, api_version, kind)
        except StatusError:
            raise
        except ClusterError as exc:
            if counter is not None:
                counter.add(1)  # the refresh resolve() tries
            resolved.errors.extend(
                ObjectError(item.key, exc.message, path=item.path, hint=exc.hint) for item in items
            )
    return resolved


def fetch_hpa_facts(
    conn: Connection,
    namespaces: Sequence[str],
    counter: RequestCounter | None = None,
    *,
    cluster_wide: bool = True,
) -> ClusterFacts:
    """ClusterFacts from the live HPAs: every HPA, whoever created it (no label selector).
    Cluster-wide, else (forbidden, or not `cluster_wide`) per namespace. The daemon uses
    the same rule for one object's namespace."""
    try:
        resource = resolve(conn, "autoscaling/v1", "HorizontalPodAutoscaler")
    except ClusterError:
        return ClusterFacts()  # a cluster without autoscaling: no HPA owns anything
    items: list[dict[str, Any]] | None = None
    if cluster_wide:
        if counter is not None:
            counter.add(1)
        try:
            items, _ = list_objects(conn, resource)
        except StatusError:
            items = None
    if items is None:
        items = []
        for namespace in namespaces:
            if counter is not None:
                counter.add(1)
            try:
                items.extend(list_objects(conn, resource, namespace)[0])
            except StatusError:
                continue
    return hpa_facts(items)


def dry_run_apply(
    conn: Connection,
    desired: DesiredObject,
    live: Mapping[str, Any],
    cache: DryRunCache | None,
    counter: RequestCounter | None = None,
) -> dict[str, Any]:
    """The server-side apply dry-run of `desired` as midway, forced (so a conflict does not
    hide a difference), from the cache when the same object met the same live version."""
    key = DryRunCache.key(desired.body, live) if cache is not None else None
    if cache is not None and key is not None:
        found = cache.get(key)
        if found is not None:
            return found
    if counter is not None:
        counter.add(1)
    result = apply(conn, desired.body, FIELD_MANAGER, dry_run=True, force=True)
    if cache is not None and key is not None:
        cache.put(key, result)
    return result


def evaluate_live(
    conn: Connection,
    desired: DesiredObject,
    live: Mapping[str, Any] | None,
    *,
    mode: CompareMode,
    rules: IgnoreRules,
    facts: ClusterFacts,
    cache: DryRunCache | None,
    counter: RequestCounter | None = None,
) -> ObjectDrift | ObjectError:
    """The verdict for one desired object given its live state (dry-run in server mode).

    When the server refuses the dry-run (applying would fail: an immutable field, a
    duplicate port, no permission to write), the object is compared offline instead and
    the verdict carries the server's answer as its note. An unreachable cluster raises.
    """
    dry_run = None
    note = None
    if mode == "server" and live is not None:
        try:
            dry_run = dry_run_apply(conn, desired, live, cache, counter)
        except StatusError as exc:
            # a validation message may quote a value: none of a Secret's may be printed
            said = "(the server's message is withheld for Secrets)"
            if desired.key.kind != "Secret":
                said = exc.server_message
            note = f"server-side dry-run refused, compared offline: {said}"
    verdict = evaluate_object(
        desired,
        live,
        mode="offline" if note else mode,
        dry_run=dry_run,
        rules=rules,
        facts=facts,
    )
    if note is None:
        return verdict
    return replace(verdict, note=note)


def is_orphan_candidate(
    obj: Mapping[str, Any],
    env: str,
    namespaces: str | None = None,
    known_namespaces: frozenset[str] = frozenset(),
    cluster: str | None = None,
) -> bool:
    """Ours by label, not made by a controller (a copy of our labels on a ReplicaSet), and
    in the destination's namespaces: those of the desired objects or matching the glob
    `namespaces` (the environment's namespace template; None = any). A cluster-scoped object
    is in scope when its `midway.dev/cluster` label names the destination's `cluster`: two
    destinations of one environment may share a physical cluster, and neither may call the
    other's cluster-scoped objects orphans (midway labels every cluster-scoped object it
    renders with its cluster; one without the label is not provably this destination's)."""
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY_VALUE or labels.get(LABEL_ENV) != env:
        return False
    if any(ref.get("controller") for ref in meta.get("ownerReferences") or []):
        return False
    namespace = str(meta.get("namespace") or "")
    if not namespace:
        return cluster is None or labels.get(LABEL_CLUSTER) == cluster
    if namespaces is None or namespace in known_namespaces:
        return True
    return fnmatch.fnmatchcase(namespace, namespaces)


def scan(
    conn: Connection,
    desired: Sequence[DesiredObject],
    *,
    destination: Destination,
    mode: CompareMode = "server",
    rules: IgnoreRules | None = None,
    orphans: bool = True,
    orphan_kinds: Sequence[str] = (),
    app: str | None = None,
    orphan_namespaces: str | None = None,
    stale: StaleReport | None = None,
    state_commit: str | None = None,
    workers: int = DEFAULT_WORKERS,
    dry_run_cache: DryRunCache | None = None,
    counter: RequestCounter | None = None,
) -> DriftReport:
    """Compare every desired object with the cluster and report per object.

    Live objects come from one labelled LIST per resource type (plus a GET for desired
    objects the list lacks); in server mode each existing object is dry-run applied as
    field manager midway with force (cached by (object hash, live resourceVersion)). With
    `orphans`, objects labelled `app.kubernetes.io/managed-by=midway` and
    `midway.dev/env=<env>` (and the app's labels, with `app`) that are not desired are
    orphans; the kinds searched are those of the desired objects plus `orphan_kinds`
    ("Kind", "Kind.group", or "*" = every listable kind), in the namespaces of the desired
    objects and those matching the glob `orphan_namespaces` (see namespace_glob).
    Per-object failures (unknown kind, server rejects the object) land in
    `DriftReport.errors`; an unreachable cluster raises ClusterError.
    """
    started = time.monotonic()
    counter = counter or RequestCounter()
    rules = rules or IgnoreRules()
    cache = dry_run_cache if dry_run_cache is not None else DryRunCache()
    env = destination.env
    resolved = resolve_desired(conn, desired, counter)
    errors = list(resolved.errors)
    checkable = [d for d in desired if (d.api_version, d.key.kind) in resolved.resources]
    namespaces = sorted({d.key.namespace for d in checkable if d.key.namespace})

    # one labelled list per type: our live objects and the orphan candidates together
    types = list({r: None for r in resolved.resources.values()})
    known_types = {(r.group, r.kind) for r in types}
    if orphans and orphan_kinds:
        counter.add(1)  # discovery of every served type (group versions in parallel)
        extra, unknown = select_resources(conn, orphan_kinds)
        types += [r for r in extra if (r.group, r.kind) not in known_types]
        if unknown:
            raise MidwayError(
                f"the cluster at {conn.describe()} serves no {', '.join(unknown)} "
                "(asked for in the orphan kinds)",
                hint="`kubectl api-resources` lists the kinds it serves; write Kind or Kind.group",
            )
    listed = list_labelled(
        conn,
        types,
        ownership_selector(env, app),
        namespaces=namespaces,
        workers=workers,
    )
    counter.add(listed.requests)
    live_by_key: dict[ObjectKey, dict[str, Any]] = {}
    uids: set[str] = set()
    for obj in listed.objects:  # desired types first, then the extra orphan kinds
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        if uid and uid in uids:
            continue  # one object served under two groups (Ingress in extensions too)
        uids.add(uid)
        live_by_key[ObjectKey.of(obj)] = obj

    # desired objects the list did not return: missing, or someone removed our labels
    unlisted = [d for d in checkable if d.key not in live_by_key]

    def fetch(item: DesiredObject) -> tuple[ObjectKey, dict[str, Any] | None]:
        resource = resolved.resources[(item.api_version, item.key.kind)]
        counter.add(1)
        return item.key, get_resource(conn, resource, item.key.namespace or None, item.key.name)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for key, fetched in pool.map(fetch, unlisted):
            if fetched is not None:
                live_by_key[key] = fetched
        facts = ClusterFacts()
        if any(d.key.kind in SCALABLE_KINDS for d in checkable):
            facts = fetch_hpa_facts(conn, namespaces, counter)

        def judge(item: DesiredObject) -> ObjectDrift | ObjectError:
            return evaluate_live(
                conn,
                item,
                live_by_key.get(item.key),
                mode=mode,
                rules=rules,
                facts=facts,
                cache=cache,
                counter=counter,
            )

        verdicts = list(pool.map(judge, checkable))

    objects: list[ObjectDrift] = []
    for verdict in verdicts:
        if isinstance(verdict, ObjectError):
            errors.append(verdict)
        else:
            objects.append(verdict)
    if orphans:
        wanted = {d.key for d in desired}
        for key, obj in sorted(live_by_key.items()):
            in_scope = is_orphan_candidate(
                obj, env, orphan_namespaces, frozenset(namespaces), destination.cluster
            )
            if key not in wanted and in_scope:
                objects.append(evaluate_object(None, obj, mode=mode, rules=rules, facts=facts))
    warnings = [
        f"cannot list {type_name} to look for orphans: {why}"
        for type_name, why in sorted(listed.failed.items())
    ]
    objects.sort(key=lambda o: o.key)
    errors.sort(key=lambda e: e.key)
    return DriftReport(
        destination=destination,
        mode=mode,
        objects=tuple(objects),
        stale=stale,
        errors=tuple(errors),
        warnings=tuple(warnings),
        state_commit=state_commit,
        server=conn.describe(),
        requests=counter.value,
        duration_s=time.monotonic() - started,
    )
