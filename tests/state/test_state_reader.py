"""Reading the state repo back: commits + trailers, listings, desired objects, `state ls`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from midway.errors import MidwayError
from midway.model import ObjectKey
from midway.state.location import parse_state_spec
from midway.state.reader import (
    StateReader,
    list_objects,
    load_destination,
    read_state_commit,
)
from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli

CHECKOUT = "apps/payments/checkout.yaml"


@pytest.fixture
def published(tmp_path: Path, run_cli: RunCli) -> tuple[ConfigRepoFixture, Path, list[str]]:
    """A state repo with two commits: the example, then checkout in USD."""
    config = make_config_repo(tmp_path)
    state = tmp_path / "state.git"
    commits = []
    for _ in range(2):
        code, out, err = run_cli(
            "--config", str(config.path), "publish", "--state", str(state), "-o", "json"
        )
        assert code == 0, err
        commits.append(json.loads(out)["commit"])
        config.commit("USD", {CHECKOUT: config.read_text(CHECKOUT).replace("EUR", "USD")})
    return config, state, commits


def test_read_state_commit_trailers(published: tuple[ConfigRepoFixture, Path, list[str]]) -> None:
    config, state, commits = published
    head = read_state_commit(str(state))
    assert head.id == commits[1] and head.parents == (commits[0],)
    assert head.config_commit == config.commits[1] and not head.config_dirty
    assert head.config_repo == str(config.path)
    assert head.summary.endswith("1 app changed in 3 envs")
    older = read_state_commit(str(state), "main~1")
    assert older.id == commits[0] and older.config_commit == config.commits[0]
    assert read_state_commit(parse_state_spec(str(state)), commits[0]).id == commits[0]


def test_list_objects_filters(published: tuple[ConfigRepoFixture, Path, list[str]]) -> None:
    _, state, _ = published
    everything = list_objects(str(state))
    assert len(everything) == 145  # the example's objects; argocd/ and README are not listed
    dev = list_objects(str(state), env="dev")
    assert {e.env for e in dev} == {"dev"} and len(dev) == 31
    eu = list_objects(str(state), env="prod", cluster="prod-eu")
    assert {(e.env, e.cluster) for e in eu} == {("prod", "prod-eu")}
    checkout = list_objects(str(state), app="payments/checkout", env="dev")
    assert {(e.kind, e.name) for e in checkout} == {
        ("configmap", "checkout-config"),
        ("deployment", "checkout"),
        ("ingress", "checkout"),
        ("service", "checkout"),
    }
    assert list_objects(str(state), app="search/checkout") == []  # team read from labels
    assert {e.namespace for e in checkout} == {"payments-checkout"}


def test_load_destination(published: tuple[ConfigRepoFixture, Path, list[str]]) -> None:
    _, state, commits = published
    now = load_destination(str(state), None, "dev", "dev-1")
    before = load_destination(str(state), commits[0], "dev", "dev-1")
    assert len(now) == len(before) == 31
    by_path = {o.path: o for o in now}
    cm = by_path["dev/dev-1/payments-checkout/checkout/configmap-checkout-config.yaml"]
    assert cm.key == ObjectKey("", "ConfigMap", "payments-checkout", "checkout-config")
    assert cm.body["metadata"]["labels"]["midway.dev/env"] == "dev"
    assert "USD" in json.dumps(cm.body)
    old_cm = {o.path: o for o in before}[cm.path]
    assert "EUR" in json.dumps(old_cm.body) and old_cm.blob != cm.blob
    reader = StateReader.open(str(state))
    assert reader.destinations() == [
        ("dev", "dev-1"),
        ("prod", "prod-eu"),
        ("prod", "prod-us"),
        ("staging", "staging-1"),
    ]
    assert reader.read(cm.blob).startswith(b"apiVersion: v1\nkind: ConfigMap\n")
    changed = reader.changes(commits[0])
    assert changed and all("/payments-checkout/checkout/" in c.path for c in changed)
    assert {c.action for c in changed} == {"changed"}
    assert len(reader.changes(None)) == len(reader.files())


def test_missing_repo_branch_and_revision(tmp_path: Path, run_cli: RunCli) -> None:
    with pytest.raises(MidwayError, match="does not exist"):
        read_state_commit(str(tmp_path / "nope.git"))
    config = make_config_repo(tmp_path)
    state = tmp_path / "state.git"
    assert run_cli("--config", str(config.path), "publish", "--state", str(state))[0] == 0
    with pytest.raises(MidwayError, match="no branch `other`"):
        read_state_commit(f"{state}@other")
    with pytest.raises(MidwayError, match="revision `main~5` does not exist"):
        read_state_commit(str(state), "main~5")


def test_reading_a_remote_state_repo(tmp_path: Path, run_cli: RunCli) -> None:
    import pygit2

    config = make_config_repo(tmp_path)
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    code, _, err = run_cli(
        "--config", str(config.path), "publish", "--state", remote.as_uri(), "--push"
    )
    assert code == 0, err
    mirrors = tmp_path / "mirrors"  # a fresh mirror: everything comes from the fetch
    reader = StateReader.open(remote.as_uri(), mirror_dir=mirrors)
    assert reader.commit().config_commit == config.head
    assert len(reader.destination("staging", "staging-1")) == 33


def test_state_ls_cli(
    published: tuple[ConfigRepoFixture, Path, list[str]], run_cli: RunCli
) -> None:
    config, state, commits = published
    code, out, err = run_cli(
        "state", "ls", "--state", str(state), "--env", "dev", "--app", "checkout"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["ENV", "CLUSTER", "NAMESPACE", "APP", "KIND", "NAME"]
    assert lines[1].split() == [
        "dev",
        "dev-1",
        "payments-checkout",
        "checkout",
        "configmap",
        "checkout-config",
    ]
    assert len(lines) == 5
    assert commits[1][:12] in err and config.commits[1][:12] in err
    code, out, _ = run_cli("state", "ls", "--state", str(state), "-o", "json", "--rev", "main~1")
    payload = json.loads(out)
    assert code == 0 and payload["commit"] == commits[0]
    assert payload["config_commit"] == config.commits[0] and len(payload["objects"]) == 145
    # default location comes from the config repo's midway.yaml (.midway/state.git)
    code, _, err = run_cli("--config", str(config.path), "state", "ls")
    assert code == 2 and "does not exist" in err
    assert run_cli("--config", str(config.path), "publish")[0] == 0
    code, out, _ = run_cli("--config", str(config.path), "state", "ls", "--env", "prod")
    assert code == 0 and len(out.splitlines()) == 82
