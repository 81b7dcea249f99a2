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

from support.live_edits import (
    EXAMPLE_EDITS,
    RECREATE_EDITS,
    Mutation,
    add_recreatable_app,
    check_detected,
    find_object,
    make_edit,
)

if TYPE_CHECKING:
    from support.cluster import TestCluster
    from support.drift_example import DriftEnv

pytestmark = pytest.mark.cluster

EDITS = EXAMPLE_EDITS + RECREATE_EDITS
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
        code, report = env.drift_json("--mode", mode)
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
    if _clean(env):  # an earlier case failed: start from a corrected state
        env.cli("sync", *SYNC)
    make_edit(m, env, tmp_path, monkeypatch)
    for mode in ("server", "offline"):
        code, report = env.drift_json("--mode", mode)
        check_detected(report, m, env, mode)
        assert code == (0 if m.status == "ignored" else 1), mode
        if m.sync == "recreated" and mode == "server":
            note = find_object(report, m, env)["note"]
            assert note and ("immutable" in note or "Forbidden" in note), note

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
