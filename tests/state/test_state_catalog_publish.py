"""`catalog.publish: true` in midway.yaml: every publish writes the Backstage catalog into
the state repo under catalog/, a path no ArgoCD Application or ApplicationSet syncs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli

SETTINGS = "midway.yaml"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def publish(run_cli: RunCli, config: Path, state: Path) -> dict[str, object]:
    code, out, err = run_cli(
        "--config", str(config), "publish", "-o", "json", "--state", str(state)
    )
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


@pytest.fixture
def config(tmp_path: Path) -> ConfigRepoFixture:
    repo = make_config_repo(tmp_path)
    repo.commit(
        "publish the Backstage catalog",
        {SETTINGS: repo.read_text(SETTINGS) + "  catalog:\n    publish: true\n"},
    )
    return repo


def test_publish_writes_the_catalog_with_a_deterministic_tree(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    a = publish(run_cli, config.path, tmp_path / "a.git")
    b = publish(run_cli, config.path, tmp_path / "b.git")
    assert a["tree"] == b["tree"] and a["commit"] == b["commit"]
    files = git(tmp_path / "a.git", "ls-tree", "-r", "--name-only", "main").split()
    catalog = sorted(f for f in files if f.startswith("catalog/"))
    assert "catalog/all.yaml" in catalog
    assert "catalog/component-payments-checkout.yaml" in catalog
    assert len(catalog) == 1 + 9 + 3 + 3 + 5  # Location, a Component per app, Group + System
    # per team, a Resource per provisioned resource of the graph
    location = yaml.safe_load(git(tmp_path / "a.git", "show", "main:catalog/all.yaml"))
    assert sorted(f"catalog/{t.removeprefix('./')}" for t in location["spec"]["targets"]) == [
        f for f in catalog if f != "catalog/all.yaml"
    ]
    assert "catalog/all.yaml" in git(tmp_path / "a.git", "show", "main:README.md")
    again = publish(run_cli, config.path, tmp_path / "a.git")
    assert again["noop"] is True


def test_no_argocd_object_syncs_the_catalog(
    config: ConfigRepoFixture, tmp_path: Path, run_cli: RunCli
) -> None:
    state = tmp_path / "state.git"
    publish(run_cli, config.path, state)
    files = git(state, "ls-tree", "-r", "--name-only", "main").split()
    paths: list[str] = []
    for path in (f for f in files if f.startswith("argocd/")):
        body = yaml.safe_load(git(state, "show", f"main:{path}"))
        spec = body["spec"]
        if body["kind"] == "ApplicationSet":
            for generator in spec["generators"]:
                paths += [d["path"] for d in generator["git"]["directories"]]
            # the Applications it makes sync the directories the generator found
            assert spec["template"]["spec"]["source"]["path"] == "{{ .path.path }}"
            continue
        paths += [s["path"] for s in [spec.get("source"), *spec.get("sources", [])] if s]
    assert paths
    # the root app syncs argocd/ only; every other path starts with an environment
    envs = {"dev", "staging", "prod"}
    assert all(p == "argocd" or p.split("/")[0] in envs for p in paths), paths
    assert not any(p.startswith(("catalog", "*")) for p in paths)


def test_without_the_setting_there_is_no_catalog(tmp_path: Path, run_cli: RunCli) -> None:
    config = make_config_repo(tmp_path)
    state = tmp_path / "state.git"
    publish(run_cli, config.path, state)
    files = git(state, "ls-tree", "-r", "--name-only", "main").split()
    assert not [f for f in files if f.startswith("catalog/")]
