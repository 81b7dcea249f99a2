"""Prune orphans: objects labelled as midway's for this environment that no state commit
of the destination has (`midway sync --prune-orphans`).

Prune (prune.py) only deletes what the previous state commit had; an object midway never
rendered for this destination — a copy made with our labels, the leftover of a state repo
that was reset — is reported by drift as an orphan and stays. --prune-orphans deletes
those too, under the same proof of ownership:

1. the scan found it by midway's labels for this environment, in a namespace this
   environment can produce (its namespace template) or a desired object uses, and no
   controller owns it (a ReplicaSet that copied our labels is not ours); cluster-scoped
   orphans are never pruned this way (no namespace ties them to the environment);
2. its `midway.dev/team` and `midway.dev/app` labels name an app of the config;
3. it is in neither the new nor the previous state commit (those follow prune's rules);
4. the new desired set of the destination is not empty, unless `allowEmptyPrune`.

A dry run shows the plan; deletion is prune's (foreground, uid-conditional, awaited).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Sequence

from midway.drift.model import DesiredObject, DriftReport
from midway.model import LABEL_APP, LABEL_TEAM, Destination
from midway.sync.policy import PrunePolicy
from midway.sync.prune import PruneStep, first_refusal, ownership_mismatch


def plan_orphan_prune(
    destination: Destination,
    report: DriftReport,
    current: Sequence[DesiredObject],
    previous: Sequence[DesiredObject] | None,
    apps: Collection[str],
    policy: PrunePolicy,
    namespaces: str | None = None,
) -> list[PruneStep]:
    """Decide, for each orphan of `report`, whether to delete it (see module doc).
    `apps` are the config's app ids ("team/app"); `namespaces` the glob of the namespaces
    the environment can produce (None: any)."""
    in_state = {o.key for o in current} | {o.key for o in previous or ()}
    used = {o.key.namespace for o in current if o.key.namespace}
    orphans = [o for o in report.objects if o.status == "orphan" and o.key not in in_state]
    blocked = None
    if orphans and not current and not policy.allow_empty:
        blocked = (
            f"the new desired set of {destination} is empty: refusing to prune "
            f"{len(orphans)} orphan(s) (set policy.allowEmptyPrune if this is intended)"
        )
    steps = []
    for orphan in sorted(orphans, key=lambda o: o.key):
        live = dict(orphan.live or {})
        meta = live.get("metadata") or {}
        labels = meta.get("labels") or {}
        app = f"{labels.get(LABEL_TEAM, '')}/{labels.get(LABEL_APP, '')}"
        obj = DesiredObject(body=live, app=app)
        uid = str(meta.get("uid") or "") or None
        namespace = orphan.key.namespace
        if not namespace:
            reason = "cluster-scoped: no namespace shows it belongs to this environment"
            steps.append(PruneStep(obj, False, reason, uid))
            continue
        if namespace not in used and not fnmatch.fnmatchcase(namespace, namespaces or "*"):
            reason = f"namespace {namespace} is not one environment {destination.env} produces"
            steps.append(PruneStep(obj, False, reason, uid))
            continue
        if app not in apps:
            reason = f"orphan of app {app}, which the config does not have: not midway's to prune"
            steps.append(PruneStep(obj, False, reason, uid))
            continue
        # expected: midway's labels for this env and that app (not the orphan's own labels)
        claimed = DesiredObject(body={"metadata": {}}, app=app)
        refusals = (ownership_mismatch(claimed, live, destination), blocked)
        deleting = "orphan: in no state commit (--prune-orphans)"
        steps.append(first_refusal(obj, uid, refusals, deleting))
    return steps
