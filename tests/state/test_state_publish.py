"""`midway publish` end to end: real config repos and state repos in temp dirs, git CLI checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pygit2
import pytest
import yaml

from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli

CHECKOUT = "apps/payments/checkout.yaml"
INDEXER = "apps/search/indexer.yaml"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def publish(run_cli: RunCli, config: Path, *args: str) -> dict[str, object]:
    code, out, err = run_cli("--config", str(config), "publish", "-o", "json", *args)
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


@pytest.fixture
def config(tmp_path: Path) -> ConfigRepoFixture:
    return make_config_repo(tmp_path)


def test_publish_twice_makes_one_commit(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    first = publish(run_cli, config.path, "--state", str(state))
    second = publish(run_cli, config.path, "--state", str(state))
    assert first["commit"] and not first["noop"]
    assert second["noop"] is True and second["commit"] is None
    assert git(state, "rev-list", "--count", "main").strip() == "1"
    assert (state / "HEAD").is_file() and not (state / ".git").exists()  # created bare
    message = git(state, "log", "-1", "--format=%B", "main")
    assert message.startswith(f"render config {config.head[:12]}: 12 apps changed in 3 envs\n")
    assert f"Config-Commit: {config.head}\n" in message
    assert f"Config-Repo: {config.path}" in message
    assert git(state, "log", "-1", "--format=%an <%ae> %at", "main").strip() == (
        f"midway <midway@localhost> {config.clock}"
    )
    fsck = subprocess.run(["git", "--git-dir", str(state), "fsck", "--full", "--strict"])
    assert fsck.returncode == 0


def test_same_config_commit_gives_the_same_commit_id(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    a = publish(run_cli, config.path, "--state", str(tmp_path / "a.git"))
    b = publish(run_cli, config.path, "--state", str(tmp_path / "b.git"), "--no-cache")
    assert a["commit"] == b["commit"]


def test_one_app_change_touches_only_that_app(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    publish(run_cli, config.path, "--state", str(state))
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    result = publish(run_cli, config.path, "--state", str(state))
    stat = git(state, "diff", "--stat=1000,900", "main~1", "main")
    changed = [line.split("|")[0].strip() for line in stat.splitlines() if "|" in line]
    assert changed, stat
    assert all("/payments-checkout/checkout/" in path for path in changed), stat
    assert {p.split("/")[0] for p in changed} == {"dev", "staging", "prod"}
    assert str(result["summary"]).endswith(": 1 app changed in 3 envs")
    assert git(state, "rev-list", "--count", "main").strip() == "2"


def test_removing_an_app_removes_its_directory(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    publish(run_cli, config.path, "--state", str(state))
    before = git(state, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert any("/search-indexer/indexer/" in p for p in before)
    config.commit("retire the indexer", {INDEXER: None})
    publish(run_cli, config.path, "--state", str(state))
    after = git(state, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert not [p for p in after if "indexer" in p]
    removed = sorted(set(before) - set(after))
    assert removed == sorted(p for p in before if "indexer" in p)
    message = git(state, "log", "-1", "--format=%B", "main")
    assert "  removed  dev/dev-1/search-indexer/indexer/deployment-indexer.yaml" in message
    assert "  removed  argocd/dev/dev-1/search-indexer.yaml" in message
    assert "added" not in message.split("\n\n", 1)[1].split("Config-Commit")[0]


def test_removing_an_environment_removes_its_tree(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    publish(run_cli, config.path, "--state", str(state))
    # apps that name staging explicitly must drop it, or the config would not load
    changes: dict[str, bytes | str | None] = {"environments/staging.yaml": None}
    for app in sorted((config.path / "apps").glob("*/*.yaml")):
        doc = yaml.safe_load(app.read_text())
        if "staging" in ((doc.get("spec") or {}).get("environments") or {}):  # Score: none
            del doc["spec"]["environments"]["staging"]
            changes[str(app.relative_to(config.path))] = yaml.safe_dump(doc, sort_keys=False)
    config.commit("drop staging", changes)
    publish(run_cli, config.path, "--state", str(state))
    paths = git(state, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert not [p for p in paths if "staging" in p]
    message = git(state, "log", "-1", "--format=%B", "main")
    assert "staging: " in message and " removed" in message


def test_rev_and_worktree(config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli) -> None:
    first = config.head
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    state = tmp_path / "state.git"
    old = publish(run_cli, config.path, "--state", str(state), "--rev", first)
    assert f"Config-Commit: {first}" in git(state, "log", "-1", "--format=%B", "main")
    new = publish(run_cli, config.path, "--state", str(state))
    assert new["parent"] == old["commit"]
    # uncommitted edit: --worktree renders it, HEAD + Config-Dirty in the trailers
    config.write({CHECKOUT: config.read_text(CHECKOUT).replace("USD", "GBP")})
    dirty = publish(run_cli, config.path, "--state", str(state), "--worktree")
    message = git(state, "log", "-1", "--format=%B", "main")
    assert dirty["commit"] and f"Config-Commit: {config.head}" in message
    assert "Config-Dirty: true" in message
    assert message.startswith(f"render config {config.head[:12]} (dirty): 1 app changed")


def test_dry_run_writes_nothing(config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli) -> None:
    state = tmp_path / "state.git"
    result = publish(run_cli, config.path, "--state", str(state), "--dry-run")
    assert result["dry_run"] and result["commit"] is None and result["changes"]
    assert not state.exists()
    publish(run_cli, config.path, "--state", str(state))
    objects_before = sorted(p.name for p in (state / "objects").rglob("*"))
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    again = publish(run_cli, config.path, "--state", str(state), "--dry-run")
    assert again["changes"] and sorted(p.name for p in (state / "objects").rglob("*")) == (
        objects_before
    )


def test_author_from_flags_and_settings(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    settings = config.read_text("midway.yaml").replace(
        "    branch: main\n", "    branch: main\n    author: Platform Bot <bot@example.com>\n"
    )
    config.commit("author", {"midway.yaml": settings})
    state = tmp_path / "state.git"
    publish(run_cli, config.path, "--state", str(state))
    assert git(state, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main").strip() == (
        "Platform Bot <bot@example.com>|Platform Bot <bot@example.com>"
    )
    publish(run_cli, config.path, "--state", f"{state}@other", "--committer", "CI <ci@example.com>")
    assert git(state, "log", "-1", "--format=%an|%cn", "other").strip() == "Platform Bot|CI"
    code, _, err = run_cli("--config", str(config.path), "publish", "--author", "nobody")
    assert code == 2 and "Name <email>" in err


def test_default_state_location_and_text_output(config: ConfigRepoFixture, run_cli: RunCli) -> None:
    code, out, err = run_cli("--config", str(config.path), "publish")
    assert code == 0, err
    assert out.startswith("committed ")
    assert "render config" in out and "167 added" in out
    assert "midway render" in err  # the summary table
    assert (config.path / ".midway" / "state.git" / "HEAD").is_file()
    code, out, _ = run_cli("--config", str(config.path), "publish")
    assert code == 0 and out.startswith("no changes:")


def test_branch_suffix_and_existing_non_bare_repo(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    work = tmp_path / "checkout"
    pygit2.init_repository(str(work), bare=False, initial_head="refs/heads/main")
    result = publish(run_cli, config.path, "--state", f"{work}@deploy")
    assert result["branch"] == "deploy"
    assert git(work / ".git", "rev-parse", "deploy").strip() == result["commit"]
    # publishing the checked-out branch works too, with a note that the worktree is stale
    code, out, err = run_cli("--config", str(config.path), "publish", "--state", f"{work}@main")
    assert code == 0 and out.startswith("committed ")
    assert "checked out" in err and "git reset --hard" in err


def test_validation_gate_blocks_bad_files(tmp_path: Path) -> None:
    from midway.errors import MidwayErrors
    from midway.state.location import parse_state_spec
    from midway.state.publishing import ConfigOrigin, PublishRequest
    from midway.state.publishing import publish as publish_state

    state = tmp_path / "state.git"
    files = {
        "dev/c/ns/app/configmap-a.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "dev/c/ns/app/configmap-b.yaml": b"apiVersion: v1\nkind: ConfigMap\n---\nkind: X\n",
        "dev/c/ns/app/configmap-c.yaml": b"kind: ConfigMap\nmetadata: {name: c}\n",
        "dev/c/ns/app/notes.txt": b"hello",
    }
    request = PublishRequest(
        files=files,
        location=parse_state_spec(str(state)),
        origin=ConfigOrigin("a" * 40, "cfg", False, 1_700_000_000, 0),
    )
    with pytest.raises(MidwayErrors) as caught:
        publish_state(request)
    text = caught.value.render()
    assert "configmap-b.yaml" in text and "2 YAML documents" in text
    assert "configmap-c.yaml" in text and "notes.txt" in text
    assert "configmap-a.yaml" not in text
    assert (
        subprocess.run(
            ["git", "--git-dir", str(state), "rev-parse", "--verify", "-q", "main"]
        ).returncode
        != 0
    )


def test_push_to_a_remote_url(config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli) -> None:
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    url = remote.as_uri()  # file:///...: a URL, so publish mirrors it and pushes
    code, _, err = run_cli("--config", str(config.path), "publish", "--state", url)
    assert code == 2 and "--push" in err
    first = publish(run_cli, config.path, "--state", f"{url}@main", "--push")
    assert first["pushed"] is True
    assert git(remote, "rev-parse", "main").strip() == first["commit"]
    again = publish(run_cli, config.path, "--state", url, "--push")
    assert again["noop"] is True
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    second = publish(run_cli, config.path, "--state", url, "--push")
    assert git(remote, "rev-parse", "main").strip() == second["commit"]
    assert git(remote, "rev-parse", "main~1").strip() == first["commit"]


def test_push_from_a_clone_builds_on_the_remote_head(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    clones = []
    for name in ("ci-a", "ci-b"):
        clone = tmp_path / f"{name}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(clone)], check=True)
        subprocess.run(
            ["git", "--git-dir", str(clone), "remote", "add", "origin", str(remote)], check=True
        )
        clones.append(clone)
    a = publish(run_cli, config.path, "--state", str(clones[0]), "--push")
    assert a["pushed"]
    # clone b has never fetched: it starts from the remote's head, not from nothing
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    b = publish(run_cli, config.path, "--state", str(clones[1]), "--push")
    assert b["parent"] == a["commit"]
    assert git(remote, "rev-list", "--count", "main").strip() == "2"
    assert git(clones[1], "rev-parse", "main").strip() == b["commit"]


def test_config_outside_git_renders_the_working_tree(tmp_path: Path, run_cli: RunCli) -> None:
    from support.configrepo import copy_example_config

    plain = copy_example_config(tmp_path / "plain")
    state = tmp_path / "state.git"
    result = publish(run_cli, plain, "--state", str(state))
    assert str(result["summary"]).startswith("render config working tree: 12 apps changed")
    message = git(state, "log", "-1", "--format=%B", "main")
    assert "Config-Commit" not in message and "Config-Dirty: true" in message
    code, _, err = run_cli("--config", str(plain), "publish", "--rev", "HEAD")
    assert code == 2 and "revision `HEAD` does not exist" in err


def test_an_older_config_commit_does_not_roll_the_state_back(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    # CI: the pipeline of commit A finishes after the pipeline of its successor B
    state = tmp_path / "state.git"
    older = config.head
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    newer = publish(run_cli, config.path, "--state", str(state))
    late = publish(run_cli, config.path, "--state", str(state), "--rev", older)
    assert late["superseded_by"] == config.head and late["commit"] is None
    assert git(state, "rev-parse", "main").strip() == newer["commit"]
    code, out, _ = run_cli(
        "--config", str(config.path), "publish", "--state", str(state), "--rev", older
    )
    assert code == 0 and f"already holds config {config.head[:12]}" in out
    # a deliberate rollback says so
    forced = publish(run_cli, config.path, "--state", str(state), "--rev", older, "--allow-older")
    assert forced["commit"] and forced["superseded_by"] is None
    assert f"Config-Commit: {older}" in git(state, "log", "-1", "--format=%B", "main")


def work(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@midway.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@midway.invalid",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


def test_a_newer_or_sibling_config_commit_publishes(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    base = config.head
    publish(run_cli, config.path, "--state", str(state))
    config.commit("checkout: USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    assert publish(run_cli, config.path, "--state", str(state))["commit"]  # newer: fine
    # a sibling of the published commit (another branch off `base`) is not older: it publishes
    work(config.path, "checkout", "-q", "-b", "other", base)
    work(config.path, "commit", "-q", "--allow-empty", "-m", "sibling")
    sibling = publish(run_cli, config.path, "--state", str(state))
    assert sibling["commit"] and sibling["superseded_by"] is None


def test_a_config_commit_missing_from_a_shallow_clone_publishes_with_a_note(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    url = f"file://{config.path}"
    work(config.path, "remote", "add", "origin", url)  # both sides name the repo by URL
    state = tmp_path / "state.git"
    work(config.path, "checkout", "-q", "-b", "feature")
    config.write({CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    work(config.path, "commit", "-q", "-am", "feature work")
    feature = publish(run_cli, config.path, "--state", str(state))
    work(config.path, "checkout", "-q", "main")
    clone = tmp_path / "ci-checkout"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "main", url, str(clone)], check=True
    )
    code, _, err = run_cli("--config", str(clone), "publish", "--state", str(state))
    assert code == 0, err
    assert "this clone does not have" in err and "fetch-depth: 0" in err
    assert git(state, "rev-parse", "main").strip() != feature["commit"]  # published anyway
