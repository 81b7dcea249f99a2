"""Acceptance 1: right after `midway apply`, `midway drift` finds nothing — in both modes,
with HPA-scaled Deployments and server-defaulted fields (zero false positives)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_env, drift_crds

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("mode", ["server", "offline"])
def test_freshly_applied_example_has_no_drift(drift_env: DriftEnv, mode: str) -> None:
    code, report = drift_env.drift_json("--mode", mode)
    drifted = [o for o in report["objects"] if o["status"] in ("modified", "missing", "orphan")]
    assert drifted == [], drifted
    assert report["errors"] == []
    assert code == 0
    assert report["counts"]["in-sync"] == len(report["objects"]) > 20
    assert report["stale"]["stale"] is False


@pytest.mark.parametrize("mode", ["server", "offline"])
def test_hpa_scaled_deployments_are_ignored_not_drift(drift_env: DriftEnv, mode: str) -> None:
    # no HPA controller runs in the test cluster: scale as it would, via the scale subresource
    for team_app, name in (
        ("search-search-api", "search-api"),
        ("identity-user-profile", "user-profile"),
    ):
        drift_env.kubectl("-n", drift_env.ns(team_app), "scale", "deployment", name, "--replicas=3")
    code, report = drift_env.drift_json("--mode", mode)
    assert code == 0
    scaled = {o["name"]: o for o in report["objects"] if o["kind"] == "Deployment"}
    for name in ("search-api", "user-profile"):
        obj = scaled[name]
        assert obj["status"] == "ignored"
        (field,) = obj["fields"]
        assert field["pointer"] == "/spec/replicas"
        assert (field["desired"], field["live"]) == (1, 3)
        assert field["ignoredBy"]  # the blueprint's `when: hpa` rule (or the preset)
    assert report["counts"]["modified"] == 0


def test_apply_twice_changes_nothing(drift_env: DriftEnv) -> None:
    import json

    code, out, err = drift_env.cli("apply", "-o", "json")
    assert code == 0, err
    actions = {o["action"] for o in json.loads(out)["objects"]}
    assert actions == {"unchanged"}


def test_record_in_sync_corpus(drift_env: DriftEnv) -> None:
    """With MIDWAY_RECORD_DRIFT_CORPUS=1: keep every freshly applied object's real
    desired/live/dry-run triple as an in-sync case of the regression corpus."""
    import json
    import os
    from pathlib import Path

    import yaml

    if not os.environ.get("MIDWAY_RECORD_DRIFT_CORPUS"):
        pytest.skip("recording only (MIDWAY_RECORD_DRIFT_CORPUS=1)")
    from midway.cluster import apply, connect, get

    corpus = Path(__file__).parent / "testdata" / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    prefix = drift_env.prefix + "-"
    with connect(str(drift_env.cluster.kubeconfig), drift_env.cluster.context) as conn:
        for path, content in sorted(drift_env.desired_files().items()):
            desired = yaml.safe_load(content)
            meta = desired["metadata"]
            live = get(
                conn, desired["apiVersion"], desired["kind"], meta["namespace"], meta["name"]
            )
            dry_run = apply(conn, desired, dry_run=True, force=True)
            case = json.loads(
                json.dumps(
                    {
                        "name": f"in-sync-{Path(path).stem}",
                        "desired": desired,
                        "live": live,
                        "dryRun": dry_run,
                        "hpaTargets": [],
                        "expect": {"status": "in-sync"},
                    }
                ).replace(prefix, "")
            )
            target = (
                corpus / f"in-sync-{meta['namespace'].replace(prefix, '')}-{Path(path).stem}.json"
            )
            target.write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
