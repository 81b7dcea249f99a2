"""Rollouts end to end: a real git config repo, the real CLI in-process.

A cron-job release (1.1.0, beside 1.0.3) goes dev → staging → prod in three commits; each
`midway diff BASE HEAD` names exactly the app × env that switch. Apps whose params the new
version refuses are listed by `midway rollout status` before they switch, and the render
blames the rollout, not the app, once they do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from midway.render import rollout_plan, versions
from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli
from support.fleet import app, cron_job, fleet_files, rollout

APPS = ("data/etl", "data/reports", "shop/cleanup")


def fleet_repo(tmp_path: Path, **blueprint: Any) -> ConfigRepoFixture:
    files = fleet_files(cron_job("1.1.0", "cron-job@1.1", timezone=True, **blueprint))
    return make_config_repo(tmp_path, example=False, files=files)


def advance(repo: ConfigRepoFixture, *envs: str) -> str:
    return repo.commit(
        f"roll cron-job 1.1 out to {envs[-1]}", rollout("cron-1.1", "~1.1", list(envs))
    )


def switches(
    run_cli: RunCli, repo: ConfigRepoFixture, base: str, head: str
) -> list[tuple[str, ...]]:
    code, out, err = run_cli("--config", str(repo.path), "diff", base, head, "-o", "json")
    assert code == 1, err  # differences
    report = json.loads(out)
    return [
        (s["env"], s["app"], s["from"], s["to"], s["rollout"]) for s in report["versionSwitches"]
    ]


def test_a_rollout_through_three_environments_names_each_switch(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = fleet_repo(tmp_path)
    published = repo.head
    to_dev = advance(repo, "dev")
    to_staging = advance(repo, "dev", "staging")
    to_prod = advance(repo, "dev", "staging", "prod")

    for base, head, env in (
        (published, to_dev, "dev"),
        (to_dev, to_staging, "staging"),
        (to_staging, to_prod, "prod"),
    ):
        assert switches(run_cli, repo, base, head) == [
            (env, app_id, "cron-job@1.0.3", "cron-job@1.1.0", "cron-1.1") for app_id in APPS
        ]

    code, out, err = run_cli("--config", str(repo.path), "diff", to_dev, to_staging)
    assert code == 1, err
    section = out.split("blueprint versions (3 app × env switch):\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        f"  staging: {a} cron-job@1.0.3 → cron-job@1.1.0 (rollout cron-1.1)" for a in APPS
    ]


def test_the_order_guard_refuses_a_skipped_stage(run_cli: RunCli, tmp_path: Path) -> None:
    repo = fleet_repo(tmp_path)
    base = repo.head
    head = advance(repo, "dev", "prod")
    code, out, err = run_cli("--config", str(repo.path), "diff", base, head)
    assert code == 2 and out == ""
    assert (
        "rollouts/cron-1.1.yaml:8:23: error: rollout cron-1.1 advances to prod before staging"
        in err
    )


def test_an_app_invalid_under_the_new_version_is_listed_before_it_switches(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = fleet_repo(tmp_path, schedule_pattern="^[0-9*/ ,-]+$")  # 1.1.0 refuses "@daily"
    repo.commit("cleanup runs daily", app("shop", "cleanup", schedule="@daily"))
    advance(repo, "dev")
    config = str(repo.path)
    # staging not rolled out yet: the plan already lists the app for every environment
    code, out, err = run_cli("--config", config, "rollout", "status", "cron-1.1", "-o", "json")
    assert code == 0, err
    [plan] = json.loads(out)["rollouts"]
    assert plan["invalid"] == ["shop/cleanup"]
    refused = {u["env"]: u["errors"] for u in plan["units"] if u["errors"]}
    assert list(refused) == ["dev", "staging", "prod"]
    assert refused["staging"] == [
        'apps/shop/cleanup.yaml:9:5: `params.schedule`: "@daily" does not match the pattern '
        "^[0-9*/ ,-]+$ (blueprint cron-job@1.1.0, environment staging)"
    ]
    code, out, err = run_cli("--config", config, "rollout", "status")
    assert "  invalid under cron-job@1.1.0: 1 app(s)\n" in out
    assert f"    shop/cleanup in staging: {refused['staging'][0]}\n" in out

    # in dev it switched: the render refuses it at the rollout's line, the app's in the detail
    code, out, err = run_cli(
        "--config", config, "render", "--env", "dev", "--out", str(tmp_path / "out")
    )
    assert code == 2
    assert err.startswith(
        "rollouts/cron-1.1.yaml:8:18: error: rollout cron-1.1 moves app shop/cleanup to "
        "cron-job@1.1.0 in dev, but the app's params are not valid for that version (they are "
        "for cron-job@1.0.3)"
    ), err
    assert 'apps/shop/cleanup.yaml:9:5: `params.schedule`: "@daily" does not match' in err
    assert (
        "hint: fix the app's params for cron-job@1.1.0 first, or leave it out of the rollout "
        "(exclude: [shop/cleanup])" in err
    )


def test_rollout_status_and_status_blueprints_json_follow_their_schemas(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = fleet_repo(tmp_path)
    advance(repo, "dev", "staging")
    config = str(repo.path)

    code, out, err = run_cli("--config", config, "rollout", "status", "-o", "json")
    assert code == 0, err
    document = json.loads(out)
    Draft202012Validator(rollout_plan.schema()).validate(document)
    [plan] = document["rollouts"]
    assert (plan["target"], plan["next"], plan["complete"]) == ("cron-job@1.1.0", "prod", False)
    assert [(e["name"], e["state"]) for e in plan["environments"]] == [
        ("dev", "rolled-out"),
        ("staging", "rolled-out"),
        ("prod", "next"),
    ]

    code, out, err = run_cli("--config", config, "status", "--blueprints", "-o", "json")
    assert code == 0, err
    document = json.loads(out)
    Draft202012Validator(versions.schema()).validate(document)
    [cron] = document["blueprints"]
    assert [(e["name"], [v["version"] for v in e["versions"]]) for e in cron["environments"]] == [
        ("dev", ["1.1.0"]),
        ("staging", ["1.1.0"]),
        ("prod", ["1.0.3"]),
    ]
    assert cron["environments"][0]["versions"][0] == {
        "version": "1.1.0",
        "apps": list(APPS),
        "rollouts": ["cron-1.1"],
    }


def test_the_schemas_are_valid_json_schema() -> None:
    Draft202012Validator.check_schema(rollout_plan.schema())
    Draft202012Validator.check_schema(versions.schema())


def test_a_change_to_the_new_version_reaches_only_the_rolled_out_environments(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = fleet_repo(tmp_path)
    base = advance(repo, "dev")
    main = "blueprints/cron-job@1.1/main.jsonnet"
    extra = "schedule: params.schedule, owner: 'platform'"
    changed = repo.read_text(main).replace("schedule: params.schedule", extra)
    head = repo.commit("1.1: one more key", {main: changed})
    code, out, err = run_cli("--config", str(repo.path), "diff", base, head, "-o", "json")
    assert code == 1, err
    [cause] = json.loads(out)["blastRadius"]
    assert cause["name"] == "cron-job@1.1"
    assert cause["changed"] == [{"app": a, "env": "dev"} for a in APPS]
    assert cause["unchanged"] == []


def test_the_example_carries_a_rollout_in_progress(run_cli: RunCli, example_repo: Path) -> None:
    config = str(example_repo)
    code, out, err = run_cli("--config", config, "render", "--out", str(example_repo / "out"))
    assert code == 0, err
    assert (
        "rollouts in progress (midway rollout status): worker-1.3 (worker@1.3.0 in dev; next "
        "staging)\n" in err
    )
    code, out, err = run_cli("--config", config, "rollout", "status")
    assert (code, out) == (
        0,
        "rollout worker-1.3 (rollouts/worker-1.3.yaml): worker@~1.3 = worker@1.3.0\n"
        "  dev      rolled out  2 app(s): 2 on worker@1.3.0\n"
        "  staging  next        2 app(s): 2 on worker@1.2.0\n"
        "  prod     pending     2 app(s): 2 on worker@1.2.0\n"
        "  next: add staging to spec.environments in rollouts/worker-1.3.yaml\n",
    ), err
    code, out, err = run_cli("--config", config, "status", "--blueprints")
    assert code == 0, err
    worker = out.split("blueprint worker ", 1)[1]
    assert worker == (
        "(versions 1.3.0, 1.2.0)\n"
        "  dev      1.3.0     payments/ledger-worker, search/indexer (rollout worker-1.3)\n"
        "  staging  1.2.0     payments/ledger-worker, search/indexer\n"
        "  prod     1.2.0     payments/ledger-worker, search/indexer\n"
    )
