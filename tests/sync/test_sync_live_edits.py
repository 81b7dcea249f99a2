"""The live-edit corpus, corrected: each edit another field manager makes is detected by
`midway drift` in both modes, `midway sync` corrects it (an apply; taking out list items
other managers added or re-keyed; recreating objects that opted in when a field cannot
change in place; pruning orphans with --prune-orphans), and `midway drift` is clean after.

One applied copy of the example (plus the `recreatable` app) serves every case, in
order: each case starts from the clean state the previous sync left (or restores it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from midway.sync.recreate import immutable_message
from support.live_edits import (
    EXAMPLE_EDITS,
    LABELS,
    RECREATE_EDITS,
    Mutation,
    add_recreatable_app,
    check_detected,
    find_object,
    k,
    make_edit,
    recreate_by_hand,
)

if TYPE_CHECKING:
    from support.cluster import TestCluster
    from support.drift_example import DriftEnv

pytestmark = pytest.mark.cluster

EDITS = EXAMPLE_EDITS + RECREATE_EDITS
_STATE = {"dirty": False}  # did the last case end without a clean drift?
# dev's policy is warn (people experiment there); these runs correct
SYNC = ("--policy", "correct", "--prune-orphans", "-o", "json")


@pytest.fixture(scope="module")
def shared_env(
    tmp_path_factory: pytest.TempPathFactory, drift_crds: TestCluster
) -> Iterator[DriftEnv]:
    from support.drift_example import apply_example, cleanup, prepare_example

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MIDWAY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        env = prepare_example(
            tmp_path_factory.mktemp("live-edits"), drift_crds, customize=add_recreatable_app
        )
        try:
            apply_example(env)
            yield env
        finally:
            cleanup(env)


def _clean(env: DriftEnv) -> list[str]:
    """What still drifts, in either mode ([] when clean)."""
    left = []
    for mode in ("server", "offline"):
        code, report = env.drift_json("--mode", mode, "--no-stale")
        left += [
            f"{mode}: {o['kind']} {o['namespace']}/{o['name']} {o['status']}"
            for o in report["objects"]
            if o["status"] not in ("in-sync", "ignored")
        ]
        if code != 0 and not left:
            left.append(f"{mode}: exit {code}")
    return left


def _entry(result: dict[str, object], m: Mutation, env: DriftEnv) -> dict[str, object]:
    entries = result["entries"]
    assert isinstance(entries, list)
    found = [
        e
        for e in entries
        if (e["key"]["kind"], e["key"]["namespace"], e["key"]["name"])
        == (m.kind, env.ns(m.team_app), m.obj)
    ]
    assert len(found) == 1, entries
    return dict(found[0])


@pytest.mark.parametrize("m", EDITS, ids=[m.name for m in EDITS])
def test_live_edit_is_corrected_by_sync(
    m: Mutation, shared_env: DriftEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = shared_env
    if _STATE["dirty"] and _clean(env):  # an earlier case failed: start from a clean state
        env.cli("sync", *SYNC)
    _STATE["dirty"] = True
    make_edit(m, env, tmp_path, monkeypatch)
    for mode in ("server", "offline"):
        code, report = env.drift_json("--mode", mode, "--no-stale")
        check_detected(report, m, env, mode)
        assert code == (0 if m.status == "ignored" else 1), mode
        if m.sync == "recreated" and mode == "server":
            note = find_object(report, m, env)["note"]
            assert note and immutable_message(note), note

    code, out, err = env.cli("sync", *SYNC)
    assert code == 0, f"sync exit {code}\n{err}\n{out}"
    [result] = json.loads(out)
    entry = _entry(result, m, env)
    expected = {
        "corrected": "created" if m.status == "missing" else "configured",
        "left": "unchanged",
        "recreated": "configured",
        "pruned": "pruned",
    }[m.sync]
    assert entry["action"] == expected, entry
    assert entry["recreated"] == (m.sync == "recreated"), entry
    assert _clean(env) == []
    _STATE["dirty"] = False


def test_an_immutable_field_without_the_opt_in_needs_recreate(shared_env: DriftEnv) -> None:
    env = shared_env
    recreate_by_hand(
        env,
        "payments-ledger-worker",
        "deployment/ledger-worker",
        "d['spec']['selector']['matchLabels']['tier'] = 'x';"
        "d['spec']['template']['metadata']['labels']['tier'] = 'x'",
    )
    try:
        code, out, _ = env.cli("sync", *SYNC)
        assert code == 1, out  # drift remains; not an error of midway or the blueprint
        [result] = json.loads(out)
        [entry] = [e for e in result["entries"] if e["action"] != "unchanged"]
        assert (entry["key"]["name"], entry["action"], entry["error"]) == (
            "ledger-worker",
            "skipped",
            False,
        )
        assert entry["reason"].startswith("needs recreate: spec.selector cannot change in place")
        assert "midway.dev/sync-options: Recreate=true" in entry["reason"]
        code, text, _ = env.cli("sync", "--policy", "correct", "--dry-run")
        assert "needs recreate" in text and "blueprint" not in text
    finally:  # back to the shared clean state: delete it, sync creates it again
        k(env, "payments-ledger-worker", "delete", "deployment", "ledger-worker")
        env.cli("sync", *SYNC)
    assert _clean(env) == []


def _orphan(env: DriftEnv, namespace: str, name: str, app: str) -> None:
    labels = {**LABELS, "midway.dev/app": app}
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"a": "1"},
    }
    env.kubectl("create", "-f", "-", input=json.dumps(body))


def _exists(env: DriftEnv, namespace: str, name: str) -> bool:
    found = env.kubectl(
        "-n", namespace, "get", "configmap", name, "--ignore-not-found", "-o", "name"
    )
    return bool(found.strip())


def test_prune_orphans_deletes_only_provably_ours_and_a_dry_run_deletes_nothing(
    shared_env: DriftEnv,
) -> None:
    env = shared_env
    checkout = env.ns("payments-checkout")
    outside = f"x{env.prefix}"  # not a namespace the dev template can produce
    env.kubectl("create", "namespace", outside)
    try:
        _orphan(env, checkout, "stray", "checkout")
        _orphan(env, checkout, "ghost", "no-such-app")
        _orphan(env, outside, "far", "checkout")

        code, out, _ = env.cli("sync", "--policy", "correct")
        assert code == 0 and "stray" not in out  # without the flag, orphans are left alone

        code, out, _ = env.cli("sync", "--policy", "correct", "--prune-orphans", "--dry-run")
        assert code == 1
        assert f"ConfigMap {checkout}/stray pruned (dry run)" in out
        assert f"ConfigMap {checkout}/ghost skipped" in out
        assert "which the config does not have" in out
        assert "far" not in out
        assert _exists(env, checkout, "stray")

        code, out, _ = env.cli("sync", "--policy", "correct", "--prune-orphans")
        assert f"ConfigMap {checkout}/stray pruned" in out
        assert code == 1  # ghost: a difference a human should look at
        assert not _exists(env, checkout, "stray")
        assert _exists(env, checkout, "ghost") and _exists(env, outside, "far")
    finally:
        env.kubectl("-n", checkout, "delete", "configmap", "ghost", "--ignore-not-found")
        env.kubectl("delete", "namespace", outside, "--wait=false")
    assert _clean(env) == []
