"""`midway promote`: promotable params copied from one environment's effective values into
the next one's overrides, the app file edited with its comments and layout kept (golden
file), environment order respected, the promoted app rendering, and --branch committing the
edit on a new branch of the real git config repo. Regenerate: MIDWAY_UPDATE_GOLDEN=1."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pygit2
import pytest

from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.render.pipeline import RenderOptions, render_config
from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli

TESTDATA = Path(__file__).parent / "testdata"
GOLDEN = TESTDATA / "promoted-shop.yaml"

BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: shopfront}
spec:
  version: 1.0.0
  parameters:
    type: object
    additionalProperties: false
    required: [image]
    properties:
      image: {type: string}
      flags:
        type: object
        additionalProperties: {type: boolean}
        default: {}
        x-midway-promotable: true   # released together with the image
      replicas: {type: integer, default: 1}
      logLevel: {type: string, default: info}
"""

MAIN = """\
function(app, env, params) [{
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {name: app.name},
  data: {image: params.image, flags: std.manifestJsonMinified(params.flags),
         replicas: std.toString(params.replicas)},
}]
"""

# Comments everywhere, flow and block styles, quoting, and a `prod:` with no entry yet.
APP = """\
apiVersion: midway.dev/v1
kind: App
metadata:
  name: shop
  team: web
spec:
  blueprint: shopfront@^1
  # the image every environment starts from
  params:
    image: "registry.example/web/shop:1.0.0"   # quoted on purpose
    flags: {checkout-v2: false}
  environments:
    dev: {params: {image: registry.example/web/shop:1.3.0-rc.1, replicas: 1}}
    staging:
      # release candidate under test
      params:
        image: registry.example/web/shop:1.2.0
        flags: {checkout-v2: true}   # enabled for the test run
        replicas: 2
    prod:   # nothing overridden yet
"""

APP_PATH = "apps/web/shop.yaml"


@pytest.fixture
def shop(tmp_path: Path) -> ConfigRepoFixture:
    return make_config_repo(
        tmp_path,
        files={
            "blueprints/shopfront/blueprint.yaml": BLUEPRINT,
            "blueprints/shopfront/main.jsonnet": MAIN,
            APP_PATH: APP,
        },
    )


def promote(run_cli: RunCli, repo: ConfigRepoFixture, *args: str) -> tuple[int, str, str]:
    return run_cli("--config", str(repo.path), "promote", "web/shop", *args)


def test_promote_keeps_comments_and_layout(run_cli: RunCli, shop: ConfigRepoFixture) -> None:
    code, out, err = promote(run_cli, shop, "--from", "staging", "--to", "prod")
    assert code == 0, err
    edited = shop.read_text(APP_PATH)
    if os.environ.get("MIDWAY_UPDATE_GOLDEN", "") not in ("", "0"):
        GOLDEN.write_text(edited)
    assert edited == GOLDEN.read_text(), "promoted file changed; review, regenerate the golden"
    # the edit only inserts lines: every original line is kept as it was
    matcher = difflib.SequenceMatcher(a=APP.splitlines(), b=edited.splitlines(), autojunk=False)
    assert {op for op, *_ in matcher.get_opcodes()} == {"equal", "insert"}
    assert "image: registry.example/web/shop:1.0.0 → registry.example/web/shop:1.2.0" in err
    assert "flags: {'checkout-v2': False} → {'checkout-v2': True}" in err
    assert f"wrote {APP_PATH}" in err
    # the preview is `midway diff` of the working tree against HEAD
    assert out.startswith("midway diff: 2 changed object(s) in 1 app(s)\n")
    assert "base " in out and "→ head working tree" in out


def test_the_promoted_app_renders_with_the_promoted_values(
    run_cli: RunCli, shop: ConfigRepoFixture
) -> None:
    code, _, err = promote(run_cli, shop, "--from", "staging", "--to", "prod")
    assert code == 0, err
    source = DiskSource(shop.path)
    result = render_config(
        load_config(source), source, RenderOptions(apps=frozenset({"web/shop"}), workers=1)
    )
    prod = {o.unit.cluster: o.body["data"] for o in result.objects if o.unit.env == "prod"}
    assert set(prod) == {"prod-eu", "prod-us"}
    for data in prod.values():
        assert data["image"] == "registry.example/web/shop:1.2.0"
        assert data["flags"] == '{"checkout-v2":true}'
        assert data["replicas"] == "1"  # not promotable: staging's 2 stays in staging


def test_promotion_refuses_to_go_against_environment_order(
    run_cli: RunCli, shop: ConfigRepoFixture
) -> None:
    code, _, err = promote(run_cli, shop, "--from", "staging", "--to", "dev")
    assert code == 2
    assert "`dev` (order 1) does not come after `staging` (order 2)" in err
    assert "dev → staging → prod" in err and "--force" in err
    assert shop.read_text(APP_PATH) == APP  # nothing written

    code, _, err = promote(run_cli, shop, "--from", "staging", "--to", "dev", "--force")
    assert code == 0, err
    assert "image: registry.example/web/shop:1.2.0" in shop.read_text(APP_PATH).split("staging")[0]


def test_param_names_what_to_promote(run_cli: RunCli, shop: ConfigRepoFixture) -> None:
    code, _, err = promote(
        run_cli, shop, "--from", "staging", "--to", "prod", "--param", "replicas"
    )
    assert code == 0, err
    assert shop.read_text(APP_PATH).endswith(
        "    prod:   # nothing overridden yet\n      params:\n        replicas: 2\n"
    )

    code, _, err = promote(run_cli, shop, "--from", "staging", "--to", "prod", "--param", "replica")
    assert code == 2
    assert "has no parameter `replica`" in err and "did you mean `replicas`?" in err


def test_nothing_to_promote_writes_nothing(run_cli: RunCli, shop: ConfigRepoFixture) -> None:
    assert promote(run_cli, shop, "--from", "staging", "--to", "prod")[0] == 0
    promoted = shop.read_text(APP_PATH)
    code, out, err = promote(run_cli, shop, "--from", "staging", "--to", "prod")
    assert code == 0
    assert "nothing to promote" in err and out == ""
    assert shop.read_text(APP_PATH) == promoted


def test_branch_commits_the_edit_on_a_new_branch(run_cli: RunCli, shop: ConfigRepoFixture) -> None:
    head = shop.head
    code, out, err = promote(
        run_cli, shop, "--from", "staging", "--to", "prod", "--branch", "promote/shop-1.2.0"
    )
    assert code == 0, err
    repo = pygit2.Repository(str(shop.path))
    branch = repo.branches.local["promote/shop-1.2.0"]
    commit = branch.peel(pygit2.Commit)
    assert [str(p) for p in commit.parent_ids] == [head]
    assert commit.message == "promote web/shop staging → prod: image, flags"
    blob = commit.tree["apps/web/shop.yaml"]
    assert repo[blob.id].data.decode() == GOLDEN.read_text()
    # HEAD, the working tree and the index are left alone
    assert shop.head == head and repo.head.shorthand == "main"
    assert shop.read_text(APP_PATH) == APP
    assert repo.status() == {}
    assert f"committed {str(commit.id)[:12]} on new branch promote/shop-1.2.0" in err
    assert out.startswith("midway diff: 2 changed object(s) in 1 app(s)\n")

    code, _, err = promote(
        run_cli, shop, "--from", "staging", "--to", "prod", "--branch", "promote/shop-1.2.0"
    )
    assert code == 2 and "branch `promote/shop-1.2.0` already exists" in err


def test_an_app_without_environments_map_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    repo = make_config_repo(tmp_path)  # the example: search/indexer lists no environments
    code, _, err = run_cli(
        "--config", str(repo.path), "promote", "search/indexer", "--from", "dev", "--to", "prod"
    )
    assert code == 2
    assert "has no `environments:` map" in err


def test_an_example_file_with_nested_lists_only_gains_the_promoted_line(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """apps/identity/auth-gateway.yaml indents its lists by 4 with the dash at 2: kept."""
    repo = make_config_repo(tmp_path)
    path = "apps/identity/auth-gateway.yaml"
    before = repo.read_text(path)
    code, _, err = run_cli(
        "--config", str(repo.path), "promote", "identity/auth-gateway",
        "--from", "staging", "--to", "prod", "--param", "replicas",
    )  # fmt: skip
    assert code == 0, err
    after = repo.read_text(path)
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    inserted = [
        line
        for op, _, _, j1, j2 in matcher.get_opcodes()
        if op != "equal"
        for line in after.splitlines()[j1:j2]
    ]
    assert {op for op, *_ in matcher.get_opcodes()} == {"equal", "insert"}
    assert inserted == ["        replicas: 2"]
