"""Regression corpus: real desired/live/dry-run triples recorded from the test cluster
(tests/drift/testdata/corpus/, written by the cluster tests with
MIDWAY_RECORD_DRIFT_CORPUS=1), replayed through the pure evaluation — no cluster needed.

`in-sync-*` cases are freshly applied objects (server defaults and all): any field reported
there is a false positive. The others are the live edits of test_drift_mutations.py. A
drift bug fixed should leave a case here, as gitops-engine's pkg/diff/testdata does.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.drift.evaluate import evaluate_object
from midway.drift.ignoring import IgnoreRules
from midway.drift.model import ClusterFacts, DesiredObject
from midway.model import LABEL_APP, LABEL_TEAM

CORPUS = Path(__file__).parent / "testdata" / "corpus"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(CORPUS.glob("*.json"))


@cache
def example_rules() -> IgnoreRules:
    config = load_config(DiskSource(PROJECT_ROOT))
    return IgnoreRules.from_config(config, "dev")


def _desired(case: dict[str, Any]) -> DesiredObject | None:
    body = case["desired"]
    if body is None:
        return None
    labels = body["metadata"].get("labels") or {}
    return DesiredObject(body=body, app=f"{labels[LABEL_TEAM]}/{labels[LABEL_APP]}")


def test_corpus_is_big_enough() -> None:
    mutations = [c for c in CASES if not c.name.startswith("in-sync-")]
    assert len(mutations) >= 20
    assert len(CASES) - len(mutations) >= 20


@pytest.mark.parametrize("path", CASES, ids=[c.stem for c in CASES])
@pytest.mark.parametrize("mode", ["server", "offline"])
def test_corpus_case(path: Path, mode: str) -> None:
    case = json.loads(path.read_text())
    expect = case["expect"]
    facts = ClusterFacts(hpa_targets=frozenset(tuple(t) for t in case["hpaTargets"]))
    use_mode = mode if case["dryRun"] is not None or case["live"] is None else "offline"
    drift = evaluate_object(
        _desired(case),
        case["live"],
        mode=use_mode,  # type: ignore[arg-type]
        dry_run=case["dryRun"] if use_mode == "server" else None,
        rules=example_rules(),
        facts=facts,
    )
    assert drift.status == expect["status"], [
        (f.path, f.change, f.desired, f.live, f.manager) for f in drift.fields
    ]
    if expect.get("path"):
        fields = {f.path: f for f in drift.fields}
        assert expect["path"] in fields, sorted(fields)
        field = fields[expect["path"]]
        assert field.change == expect["change"]
        manager = expect["manager"]
        if manager.endswith("*"):
            assert (field.manager or "").startswith(manager[:-1])
        else:
            assert field.manager == manager
    if expect["status"] == "in-sync":
        assert drift.fields == ()
