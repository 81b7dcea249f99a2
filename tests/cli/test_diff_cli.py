"""`midway diff` end to end: real config repos with git histories, the real CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.render.pipeline import render_config
from support.example import RunCli
from support.previewrepo import ConfigHistory

USER_PROFILE_V2 = """\
apiVersion: midway.dev/v1
kind: App
metadata:
  name: user-profile
  team: identity
spec:
  blueprint: web-service@^2
  params:
    image: ghcr.io/acme/user-profile:3.9.4
    port: 3000
  environments:
    dev:
      params: {replicas: 1}
    prod:
      params: {replicas: 4}
"""


@pytest.fixture
def history(tmp_path: Path) -> ConfigHistory:
    """The example config committed on main, HEAD on a fresh branch `feature`."""
    repo = ConfigHistory(tmp_path / "config")
    repo.commit("initial config")
    repo.branch("feature")
    return repo


def diff_json(run_cli: RunCli, history: ConfigHistory, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, err = run_cli("--config", str(history.root), "diff", "-o", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_param_change_in_one_app_shows_exactly_that_app(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    path = "apps/payments/checkout.yaml"
    history.commit("bump checkout", {path: history.edit(path, "checkout:1.4.2", "checkout:1.4.3")})

    code, report = diff_json(run_cli, history)

    assert code == 1
    assert report["files"] == [path]
    assert {o["app"] for o in report["objects"]} == {"payments/checkout"}
    assert report["summary"]["apps"] == {
        "added": [],
        "changed": ["payments/checkout"],
        "removed": [],
        "skipped": 8,
    }
    # 1.4.2 is the base image; dev and staging pin a release candidate, so only prod moves
    assert {(o["env"], o["kind"], o["action"]) for o in report["objects"]} == {
        ("prod", "Deployment", "changed")
    }
    for obj in report["objects"]:
        assert [f["path"] for f in obj["fields"]] == ["/spec/template/spec/containers/0/image"]
        assert obj["fields"][0]["before"] == "ghcr.io/acme/checkout:1.4.2"
        assert obj["fields"][0]["after"] == "ghcr.io/acme/checkout:1.4.3"
        assert "+        image: ghcr.io/acme/checkout:1.4.3" in obj["diff"]
    assert report["blastRadius"] == []
    kinds = {r["kind"] for r in report["risks"]}
    assert kinds == {"image-changed-in-prod"}
    prod = [e for e in report["summary"]["byEnvironment"] if e["highest"]]
    assert [e["name"] for e in prod] == ["prod"]
    assert report["summary"]["byEnvironment"][-1]["name"] == "prod"  # prod last


def test_blueprint_change_shows_full_blast_radius(run_cli: RunCli, history: ConfigHistory) -> None:
    # Only apps with a PodDisruptionBudget (more than one replica as a floor) are affected.
    base = GitSource(history.root, "HEAD")
    base_render = render_config(load_config(base), base)
    web2 = {a for a, ref in base_render.resolved.items() if ref.startswith("web-service@2.")}
    with_pdb = {
        (o.unit.app, o.unit.env)
        for o in base_render.objects
        if o.key.kind == "PodDisruptionBudget" and o.unit.app in web2
    }
    candidates = {(a, e) for a in web2 for e in base_render.config.apps[a].environments}
    assert with_pdb and candidates - with_pdb, "the example should have both kinds of apps"

    path = "blueprints/web-service/main.jsonnet"
    history.commit("pdb", {path: history.edit(path, "maxUnavailable=1)", "maxUnavailable=2)")})
    code, report = diff_json(run_cli, history)

    assert code == 1
    [cause] = report["blastRadius"]
    assert (cause["kind"], cause["name"], cause["files"]) == ("blueprint", "web-service", [path])
    assert {(u["app"], u["env"]) for u in cause["changed"]} == with_pdb
    assert {(u["app"], u["env"]) for u in cause["unchanged"]} == candidates - with_pdb
    assert cause["unchangedCount"] == len(candidates - with_pdb)
    assert {o["kind"] for o in report["objects"]} == {"PodDisruptionBudget"}
    # apps on web-service@1 are compared too (same blueprint name) but did not change
    assert "identity/user-profile" not in {o["app"] for o in report["objects"]}

    code, text, _ = run_cli("--config", str(history.root), "diff")
    assert code == 1
    assert (
        f"blueprint web-service ({path}): {len(with_pdb)} of {len(candidates)} app × env "
        f"changed, {len(candidates - with_pdb)} unchanged"
    ) in text
    # identical edits are shown once
    assert text.count("+  maxUnavailable: 2") == 1
    assert f"same change in {len(with_pdb_objects(report)) - 1} more object(s)" in text


def with_pdb_objects(report: dict) -> list[dict]:  # type: ignore[type-arg]
    return [o for o in report["objects"] if o["kind"] == "PodDisruptionBudget"]


def test_app_removal_shows_the_prune_plan(run_cli: RunCli, history: ConfigHistory) -> None:
    history.commit("retire the indexer", {"apps/search/indexer.yaml": None})

    code, report = diff_json(run_cli, history)

    assert code == 1
    assert report["summary"]["apps"]["removed"] == ["search/indexer"]
    assert {o["action"] for o in report["objects"]} == {"removed"}
    assert {o["app"] for o in report["objects"]} == {"search/indexer"}
    # the same note for several destinations is one risk listing them all
    on, off = sorted(
        (r for r in report["risks"] if r["kind"] == "objects-deleted"),
        key=lambda r: r["severity"] == "high",
    )
    assert "removed from dev/dev-1, staging/staging-1:" in on["message"]
    assert "prune is on" in on["message"]
    assert (on["severity"], on["env"]) == ("warning", None)
    assert "removed from prod/prod-eu, prod/prod-us:" in off["message"]
    assert "prune is off" in off["message"]
    assert (off["severity"], off["env"], off["cluster"]) == ("high", "prod", None)
    assert "`Deployment indexer`" in off["message"]

    code, markdown, _ = run_cli("--config", str(history.root), "diff", "-o", "markdown")
    assert code == 1
    assert "object(s) removed" in markdown and "prune is off" in markdown


def test_blueprint_major_bump_is_flagged(run_cli: RunCli, history: ConfigHistory) -> None:
    history.commit(
        "user-profile on web-service 2", {"apps/identity/user-profile.yaml": USER_PROFILE_V2}
    )

    code, report = diff_json(run_cli, history)

    assert code == 1
    [bump] = [r for r in report["risks"] if r["kind"] == "blueprint-major-bump"]
    assert bump["app"] == "identity/user-profile"
    assert bump["severity"] == "high"
    assert "`web-service@1." in bump["message"] and "`web-service@2." in bump["message"]
    blueprints = {o["blueprint"] for o in report["objects"] if o["action"] != "removed"}
    assert all(b.startswith("web-service@2.") for b in blueprints)


def test_minor_resolution_change_is_noted(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "blueprints/web-service/blueprint.yaml"
    history.commit("2.1.1", {path: history.edit(path, "version: 2.1.0", "version: 2.1.1")})

    code, report = diff_json(run_cli, history)

    # the version annotation changes in every object of every web-service@2 app: one
    # note for the four of them, not four identical ones
    assert code == 1
    [note] = [r for r in report["risks"] if r["kind"] == "blueprint-version-changed"]
    assert note["app"] is None and note["severity"] == "info"
    assert note["message"] == (
        "4 apps now resolve their blueprint range to `web-service@2.1.1` (was "
        "`web-service@2.1.0`): `identity/auth-gateway`, `payments/checkout`, "
        "`payments/ledger-api` and 1 more"
    )
    assert not [r for r in report["risks"] if r["kind"] == "blueprint-major-bump"]


def test_identical_renders_exit_0_with_no_changes(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "apps/payments/checkout.yaml"
    history.commit("comment only", {path: "# reviewed\n" + (history.root / path).read_text()})

    code, out, _ = run_cli("--config", str(history.root), "diff")
    assert code == 0
    assert "no changes" in out
    assert path in out  # the config file did change; its output did not

    code, markdown, err = run_cli("--config", str(history.root), "diff", "-o", "markdown")
    assert code == 0
    assert markdown.startswith("<!-- midway-diff -->\n")
    assert "no changes" in markdown
    assert "no changes" in err

    code, report = diff_json(run_cli, history)
    assert code == 0
    assert report["changed"] is False and report["objects"] == []


def test_worktree_is_compared_with_the_merge_base(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "apps/search/search-api.yaml"
    (history.root / path).write_text(history.edit(path, "search-api:7.11.3", "search-api:7.12.0"))

    code, report = diff_json(run_cli, history, "--worktree")
    assert code == 1
    assert report["head"] == {"label": "working tree", "revision": None}
    assert {o["app"] for o in report["objects"]} == {"search/search-api"}

    code, report = diff_json(run_cli, history)  # HEAD itself has no change
    assert code == 0


def test_on_the_default_branch_the_last_commit_is_previewed(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = ConfigHistory(tmp_path / "config")
    first = repo.commit("initial config")
    path = "apps/payments/checkout.yaml"
    repo.commit("bump", {path: repo.edit(path, "checkout:1.4.2", "checkout:1.4.3")})

    code, report = diff_json(run_cli, repo)
    assert code == 1
    assert report["base"]["revision"] == first
    assert "parent of HEAD" in report["base"]["label"]


def test_explicit_revisions_and_full_render(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "apps/payments/ledger-worker.yaml"
    text = (history.root / path).read_text()
    one = history.commit("one", {path: text.replace("\n  params:", "\n  params:\n    # c1", 1)})
    two = history.commit("two", {path: text})

    code, report = diff_json(run_cli, history, one, two, "--full")
    assert code == 0  # comments only
    assert report["summary"]["apps"]["skipped"] == 0
    assert report["base"]["revision"] == one and report["head"]["revision"] == two


def write_state_repo(path: Path, files: dict[str, bytes]) -> None:
    repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
    index = pygit2.Index()
    for rel, content in files.items():
        index.add(pygit2.IndexEntry(rel, repo.create_blob(content), pygit2.enums.FileMode.BLOB))
    sig = pygit2.Signature("publisher", "p@midway.invalid", 1_700_000_000, 0)
    repo.create_commit("refs/heads/main", sig, sig, "state", index.write_tree(repo), [])


def test_against_state_lists_stale_objects(
    run_cli: RunCli, history: ConfigHistory, tmp_path: Path
) -> None:
    source = GitSource(history.root, "HEAD")
    files = dict(render_config(load_config(source), source).files)
    paths = sorted(files)
    modified, missing = paths[0], paths[1]
    files[modified] = files[modified] + b"# edited by hand\n"
    del files[missing]
    files["dev/dev-1/old-ns/gone/configmap-gone.yaml"] = b"kind: ConfigMap\n"
    files["argocd/root.yaml"] = b"kind: Application\n"  # outside environment roots: ignored
    write_state_repo(tmp_path / "state.git", files)

    code, report = diff_json(run_cli, history, "--against-state", f"{tmp_path / 'state.git'}@main")

    assert code == 0  # stale state is reported, but HEAD changes nothing
    stale = report["stale"]
    assert stale["branch"] == "main"
    assert {(s["path"], s["state"]) for s in stale["objects"]} == {
        (modified, "modified"),
        (missing, "missing"),
        ("dev/dev-1/old-ns/gone/configmap-gone.yaml", "extra"),
    }
    code, text, _ = run_cli(
        "--config", str(history.root), "diff", "--against-state", f"{tmp_path / 'state.git'}@main"
    )
    assert "stale state: 3 file(s)" in text


# --- bad inputs: exit 2 and a message that says what and where ------------------------------


def test_head_that_fails_to_render_names_side_and_line(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    path = "apps/payments/checkout.yaml"
    history.commit("oops", {path: history.edit(path, "port: 8080", "port: eighty")})

    code, out, err = run_cli("--config", str(history.root), "diff")

    assert code == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("head (")
    assert f"): {path}:10:" in first
    assert "must be" in first or "integer" in first


def test_head_render_error_from_jsonnet(run_cli: RunCli, history: ConfigHistory) -> None:
    path = "blueprints/worker/main.jsonnet"
    history.commit(
        "broken", {path: history.edit(path, "local name = app.name;", "local name = app.nme;")}
    )

    code, _, err = run_cli("--config", str(history.root), "diff")

    assert code == 2
    assert err.startswith("head (")
    assert path in err


def test_missing_base_revision(run_cli: RunCli, history: ConfigHistory) -> None:
    code, _, err = run_cli("--config", str(history.root), "diff", "no-such-branch")
    assert code == 2
    assert "base (no-such-branch): error: revision `no-such-branch` does not exist" in err


def test_missing_head_revision(run_cli: RunCli, history: ConfigHistory) -> None:
    code, _, err = run_cli("--config", str(history.root), "diff", "main", "nope")
    assert code == 2
    assert err.startswith("head (nope): error: revision `nope` does not exist")


def test_unrelated_histories(run_cli: RunCli, history: ConfigHistory) -> None:
    history.orphan("elsewhere", {"midway.yaml": b"kind: Settings\n"})
    code, _, err = run_cli("--config", str(history.root), "diff", "elsewhere")
    assert code == 2
    assert "no common history" in err
    assert "Traceback" not in err


def test_binary_file_in_apps(run_cli: RunCli, history: ConfigHistory) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"
    history.commit("logo", {"apps/payments/logo.yaml": png, "apps/payments/logo.png": png})

    code, _, err = run_cli("--config", str(history.root), "diff")

    assert code == 2
    assert "head (" in err
    assert "apps/payments/logo.yaml: error: this is a binary file" in err
    assert "apps/payments/logo.png: error: unexpected file" in err


def test_worktree_and_head_exclude_each_other(run_cli: RunCli, history: ConfigHistory) -> None:
    code, _, err = run_cli("--config", str(history.root), "diff", "main", "HEAD", "--worktree")
    assert code == 2
    assert "either HEAD or --worktree" in err


def test_root_commit_without_default_branch(run_cli: RunCli, tmp_path: Path) -> None:
    repo = ConfigHistory(tmp_path / "config", branch="trunk")
    repo.commit("only commit")
    code, _, err = run_cli("--config", str(repo.root), "diff")
    assert code == 2
    assert "nothing to compare with" in err
    assert "pass BASE" in err


def test_not_a_git_repository(run_cli: RunCli, example_repo: Path) -> None:
    code, _, err = run_cli("--config", str(example_repo), "diff")
    assert code == 2
    assert "not inside a git repository" in err


def test_missing_state_repo(run_cli: RunCli, history: ConfigHistory, tmp_path: Path) -> None:
    code, _, err = run_cli(
        "--config", str(history.root), "diff", "--against-state", f"{tmp_path}/nope.git@main"
    )
    assert code == 2
    assert "state repo" in err and "does not exist" in err


def test_state_repo_without_the_branch(
    run_cli: RunCli, history: ConfigHistory, tmp_path: Path
) -> None:
    write_state_repo(tmp_path / "state.git", {"dev/x.yaml": b"x\n"})
    code, _, err = run_cli(
        "--config", str(history.root), "diff", "--against-state", f"{tmp_path}/state.git@nope"
    )
    assert code == 2
    assert "no branch `nope`" in err
