"""Acceptance 2: a corpus of real live edits, each detected with the right class, path and
field manager, in both modes; and `kubectl diff --server-side` agrees wherever it sees a
difference (midway has no false negatives against kubectl).

Some edits kubectl diff cannot see: a field another manager *added* (a sidecar, a ConfigMap
key, a label) survives a server-side apply, so the dry-run equals live. midway reports them
anyway (`revertedByApply: false`), from managedFields; those cases are marked
`kubectl_rc=0` and the test checks that kubectl indeed stays silent.

With MIDWAY_RECORD_DRIFT_CORPUS=1 each case also writes its real desired/live/dry-run triple
to tests/drift/testdata/corpus/ (the regression corpus test_drift_corpus.py replays).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from support.cluster import kubectl_path
from support.live_edits import EXAMPLE_EDITS, Mutation, check_detected, make_edit

if TYPE_CHECKING:
    from support.drift_example import DriftEnv

pytest_plugins = ["support.drift_example"]  # drift_env, drift_crds

pytestmark = pytest.mark.cluster

CORPUS_DIR = Path(__file__).parent / "testdata" / "corpus"
MUTATIONS = EXAMPLE_EDITS


def _desired_file(env: DriftEnv, m: Mutation) -> bytes:
    wanted = [
        content
        for path, content in env.desired_files().items()
        if f"/{env.ns(m.team_app)}/" in path
        and path.endswith(f"-{m.obj}.yaml")
        and yaml.safe_load(content)["kind"] == m.kind
    ]
    assert len(wanted) == 1
    return wanted[0]


def _desired_body(env: DriftEnv, m: Mutation) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(_desired_file(env, m))
    return body


def _kubectl_diff(env: DriftEnv, m: Mutation, tmp_path: Path) -> int:
    binary = kubectl_path()
    if binary is None:
        pytest.skip("kubectl is not installed")
    manifest = tmp_path / "desired.yaml"
    manifest.write_bytes(_desired_file(env, m))
    done = subprocess.run(
        [
            binary,
            *env.kube_args,
            "diff",
            "--server-side",
            "--force-conflicts",
            "--field-manager=midway",
            "-f",
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1) or m.kubectl_rc == 2, done.stderr
    return done.returncode


@pytest.mark.parametrize("m", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_live_edit_is_detected(
    m: Mutation, drift_env: DriftEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_edit(m, drift_env, tmp_path, monkeypatch)

    for mode in ("server", "offline"):
        code, report = drift_env.drift_json("--mode", mode)
        obj = check_detected(report, m, drift_env, mode)
        assert code == (0 if m.status == "ignored" else 1), mode
        if m.kubectl_rc == 2 and mode == "server":
            assert obj["note"] and "Duplicate value" in obj["note"], obj
        if m.name == "secret-like-key-masked":
            assert "hunter2" not in json.dumps(report)
            code, text, _ = drift_env.cli("drift", "--mode", mode)
            assert "hunter2" not in text and "***" in text

    if m.kubectl_rc is not None:
        kubectl_rc = _kubectl_diff(drift_env, m, tmp_path)
        # no false negatives: whatever kubectl sees, midway reported above
        assert kubectl_rc == m.kubectl_rc, f"kubectl diff exit {kubectl_rc}"

    if os.environ.get("MIDWAY_RECORD_DRIFT_CORPUS"):
        _record(drift_env, m)


def _record(env: DriftEnv, m: Mutation) -> None:
    """Write the real desired/live/dry-run triple of this case to the regression corpus."""
    from midway.cluster import StatusError, apply, connect, get

    desired = _desired_body(env, m) if m.status != "orphan" else None
    with connect(str(env.cluster.kubeconfig), env.cluster.context) as conn:
        api_version = desired["apiVersion"] if desired else "v1"
        live = get(conn, api_version, m.kind, env.ns(m.team_app), m.obj)
        dry_run = None
        if desired and live:
            try:
                dry_run = apply(conn, desired, dry_run=True, force=True)
            except StatusError:
                dry_run = None  # applying would fail: the corpus replays it offline
    prefix = env.prefix + "-"

    def scrub(obj: Any) -> Any:  # the test namespace prefix would change every recording
        return json.loads(json.dumps(obj).replace(prefix, "")) if obj is not None else None

    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    case = {
        "name": m.name,
        "desired": scrub(desired),
        "live": scrub(live),
        "dryRun": scrub(dry_run),
        "hpaTargets": [
            ["search-search-api", "Deployment", "search-api"],
            ["identity-user-profile", "Deployment", "user-profile"],
        ],
        "expect": {"status": m.status, "path": m.path, "change": m.change, "manager": m.manager},
    }
    (CORPUS_DIR / f"{m.name}.json").write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
