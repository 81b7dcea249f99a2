"""Mistakes found in field tests: silent typos, errors blamed on the wrong party or repeated.

Every case runs the real CLI on a copy of the example config repo and states what the user
must see: exit 2, the file:line that is wrong, and each distinct error once.
"""

from __future__ import annotations

import re
from pathlib import Path

from support.configrepo import ConfigRepoFixture
from support.example import RunCli, write


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, count))


def line_of(root: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((root / rel).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": error: " in line or line.startswith("error:")]


# --- 1. silent config mistakes -------------------------------------------------------------


def test_environment_param_typo_is_an_error_with_did_you_mean(
    example_repo: Path, run_cli: RunCli
) -> None:
    # `loglevel` and `region` reached no app: every blueprint silently skipped them
    edit(
        example_repo, "environments/dev.yaml", "logLevel: debug", "loglevel: debug\n    region: eu"
    )
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 2, err
    typo = line_of(example_repo, "environments/dev.yaml", "loglevel")
    assert f"environments/dev.yaml:{typo}:5: error: environment param `loglevel`" in err
    assert "did you mean `logLevel`?" in err
    assert f"environments/dev.yaml:{typo + 1}:5: error: environment param `region`" in err
    assert "no app receives it" in err


def test_environment_param_declared_by_one_blueprint_in_use_is_fine(
    probe_repo: Path, run_cli: RunCli
) -> None:
    # `greeting` is a probe parameter only; the others skip it, as before
    edit(
        probe_repo, "environments/dev.yaml", "logLevel: debug", "logLevel: debug\n    greeting: hey"
    )
    code, _, err = run_cli("--config", str(probe_repo), "check")
    assert code == 0, err


def test_check_of_a_file_that_does_not_exist_exits_2_naming_it(
    example_repo: Path, run_cli: RunCli, monkeypatch: object
) -> None:
    code, out, err = run_cli(
        "--config", str(example_repo), "check", str(example_repo / "apps/x/nope.yaml")
    )
    assert code == 2, out + err
    assert "apps/x/nope.yaml: error: no such file in the config repo" in err
    assert "checked" not in out


def test_check_of_a_directory_checks_the_files_below_it(
    example_repo: Path, run_cli: RunCli
) -> None:
    code, out, err = run_cli(
        "--config", str(example_repo), "check", str(example_repo / "apps/payments")
    )
    assert (code, out) == (0, "checked 3 files, rendered 3 apps\n"), err


def test_namespace_longer_than_63_characters_is_an_error_at_the_template(
    example_repo: Path, run_cli: RunCli
) -> None:
    # field test: `{team}-{app}` of 67 characters passed render and check, then failed apply
    team, app = "platform-observability-eu1", "metrics-aggregation-gateway-tenant-alpha"
    write(
        example_repo,
        f"apps/{team}/{app}.yaml",
        f"apiVersion: midway.dev/v1\nkind: App\nmetadata: {{name: {app}, team: {team}}}\n"
        "spec:\n  blueprint: worker@^1\n  params:\n    image: ghcr.io/acme/m:1.0.0\n"
        "    queue: {name: q, url: 'amqp://mq:5672'}\n  environments:\n    dev: {}\n",
    )
    code, _, err = run_cli("--config", str(example_repo), "render")
    assert code == 2, err
    line = line_of(example_repo, "environments/dev.yaml", "namespace:")
    namespace = f"{team}-{app}"
    assert len(namespace) == 67
    assert f"environments/dev.yaml:{line}:" in err
    assert f"namespace `{namespace}` of app {team}/{app} in dev" in err
    assert f"is {len(namespace)} characters; Kubernetes allows at most 63" in err
    assert f"apps/{team}/{app}.yaml" in err  # the other side that can fix it


# --- 2. errors blamed on the right party, once ----------------------------------------------


def test_jsonnet_syntax_error_is_reported_once_with_its_reach(
    example_repo: Path, run_cli: RunCli
) -> None:
    main = example_repo / "blueprints/worker/main.jsonnet"
    main.write_text("local broken = {a: };\n" + main.read_text())
    code, _, err = run_cli("--config", str(example_repo), "render")
    assert code == 2, err
    [line] = error_lines(err)
    assert line.startswith("blueprints/worker/main.jsonnet:1:")
    assert "blueprint worker@1.2.0 failed:" in line
    # dev renders worker 1.3 (blueprints/worker@1.3/, rollouts/worker-1.3.yaml): not affected
    assert line.endswith(
        "affects 2 apps (payments/ledger-worker, search/indexer) in 3 destinations "
        "(prod/prod-eu, prod/prod-us, staging/staging-1)"
    )


def test_invalid_environment_param_is_reported_once_naming_the_apps(
    example_repo: Path, run_cli: RunCli
) -> None:
    edit(example_repo, "environments/dev.yaml", "logLevel: debug", "logLevel: verbose")
    code, _, err = run_cli("--config", str(example_repo), "render")
    assert code == 2, err
    [line] = error_lines(err)
    assert line.startswith("environments/dev.yaml:17:")
    assert '`params.logLevel` is "verbose"' in line
    assert "affects 8 apps (identity/auth-gateway," in line
    assert "in 1 destination (dev/dev-1)" in line
    assert "1 error(s)" not in err  # a single error prints without the tally


def test_one_app_error_in_several_destinations_names_them(
    example_repo: Path, run_cli: RunCli
) -> None:
    edit(example_repo, "apps/payments/ledger-worker.yaml", ":2.0.1", ":latest")
    code, _, err = run_cli("--config", str(example_repo), "render")
    assert code == 2, err
    [line] = error_lines(err)
    # said in words, not "should not be valid under {'pattern': ':latest$'}"
    assert "should not be valid" not in err and "{'pattern'" not in err
    assert "the tag `latest` is refused: pin a version" in line  # the blueprint's errorMessage
    assert (
        "affects 1 app (payments/ledger-worker) in 4 destinations (dev/dev-1, prod/prod-eu," in line
    )


def test_a_blueprint_can_word_a_pattern_violation_itself(probe_repo: Path, run_cli: RunCli) -> None:
    edit(
        probe_repo,
        "blueprints/probe/blueprint.yaml",
        "greeting: {type: string,",
        "greeting: {type: string, not: {pattern: '^hi$'}, "
        "errorMessage: 'say more than hi: a greeting is a sentence',",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "apps/qa/probe.yaml:6:" in err
    assert "`params.greeting`: say more than hi: a greeting is a sentence" in err


def test_blueprint_default_violating_its_schema_is_reported_at_the_blueprint(
    example_repo: Path, run_cli: RunCli
) -> None:
    # field test: reported on every app file as `apps/...:1:1: params.backoffLimit must be ...`
    rel = "blueprints/worker/blueprint.yaml"
    text = (example_repo / rel).read_text()
    at = text.index("      replicas:")
    bad = text[at:].replace("default: 1\n", "default: 1.5\n", 1)
    (example_repo / rel).write_text(text[:at] + bad)
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 2, err
    [line] = error_lines(err)
    assert re.match(
        r"^blueprints/worker/blueprint\.yaml:\d+:\d+: error: parameter `replicas`", line
    )
    number = int(line.split(":")[1])
    assert (example_repo / rel).read_text().splitlines()[number - 1].strip() == "default: 1.5"
    assert "must be a whole number" in line
    assert "apps/" not in err


def test_plaintext_secret_refusal_points_at_the_line(probe_repo: Path, run_cli: RunCli) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "function(app, env, params) [\n"
        "  {\n"
        "    apiVersion: 'v1',\n"
        "    kind: 'Secret',\n"
        "    metadata: {name: 'db'},\n"
        "    stringData: {password: 'hunter2'},\n"
        "  },\n"
        "]\n",
    )
    code, out, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "blueprints/probe/main.jsonnet:4: error: Secret db" in err
    assert "a text search" in err  # honest about how the line was found
    assert "hunter2" not in out + err


def test_blueprint_set_namespace_points_at_the_line(probe_repo: Path, run_cli: RunCli) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "// namespace: comments are not matched\n"
        "function(app, env, params) [\n"
        "  {apiVersion: 'v1', kind: 'ConfigMap',\n"
        "   metadata: {name: 'x',\n"
        "              namespace: 'kube-system'}},\n"
        "]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2, err
    assert "blueprints/probe/main.jsonnet:5: error: ConfigMap x" in err
    assert "sets metadata.namespace `kube-system`" in err


# --- 4. teams ----------------------------------------------------------------------------


def test_unknown_team_with_a_registry_is_an_error_with_did_you_mean(
    example_repo: Path, run_cli: RunCli
) -> None:
    edit(
        example_repo,
        "midway.yaml",
        "spec:\n",
        "spec:\n  teams:\n    payments: {owners: [alice@acme.example]}\n    identity:\n"
        "    search: {}\n    data: {}\n",
    )
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 0, err
    write(
        example_repo,
        "apps/dtaa/etl.yaml",
        "apiVersion: midway.dev/v1\nkind: App\nmetadata:\n  name: etl\n  team: dtaa\n"
        "spec:\n  blueprint: worker@^1\n  params:\n    image: ghcr.io/acme/etl:1.0.0\n"
        "    queue: {name: q, url: 'amqp://mq:5672'}\n  environments:\n    dev: {}\n",
    )
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 2, err
    assert "apps/dtaa/etl.yaml:5:" in err
    assert "team `dtaa` is not in the team registry" in err
    assert "did you mean `data`?" in err


def test_team_registry_as_a_list(example_repo: Path, run_cli: RunCli) -> None:
    edit(example_repo, "midway.yaml", "spec:\n", "spec:\n  teams: [payments, identity]\n")
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 2, err
    assert "team `search` is not in the team registry" in err
    assert "registered teams: identity, payments" in err or "did you mean" in err


def test_without_a_registry_any_team_folder_is_a_team(example_repo: Path, run_cli: RunCli) -> None:
    write(
        example_repo,
        "apps/dtaa/etl.yaml",
        "apiVersion: midway.dev/v1\nkind: App\nmetadata: {name: etl, team: dtaa}\n"
        "spec:\n  blueprint: worker@^1\n  params:\n    image: ghcr.io/acme/etl:1.0.0\n"
        "    queue: {name: q, url: 'amqp://mq:5672'}\n  environments:\n    dev: {}\n",
    )
    code, _, err = run_cli("--config", str(example_repo), "check")
    assert code == 0, err


# --- 5. an app without `environments:` -------------------------------------------------------


def test_check_notes_an_app_that_deploys_everywhere(example_repo: Path, run_cli: RunCli) -> None:
    # apps/search/indexer.yaml has no `environments:`: legal, but it reaches prod too
    code, out, err = run_cli(
        "--config", str(example_repo), "check", str(example_repo / "apps/search/indexer.yaml")
    )
    assert code == 0, err
    assert out == "checked 1 files, rendered 1 apps\n"
    assert err == (
        "note: apps/search/indexer.yaml: no `environments:`, so search/indexer deploys to every "
        "environment (dev, staging, prod) and to any added later; list them to choose\n"
    )
    code, _, err = run_cli(
        "--config", str(example_repo), "check", str(example_repo / "apps/payments/checkout.yaml")
    )
    assert (code, err) == (0, "")


def test_check_staged_of_an_unstaged_file_exits_2(
    config_repo: ConfigRepoFixture, run_cli: RunCli
) -> None:
    # on disk, never `git add`ed: the index (what the commit records) does not have it
    config_repo.write(
        {"apps/payments/new.yaml": (config_repo.path / "apps/payments/checkout.yaml").read_text()}
    )
    code, out, err = run_cli(
        "--config",
        str(config_repo.path),
        "check",
        "--staged",
        str(config_repo.path / "apps/payments/new.yaml"),
    )
    assert code == 2, out + err
    assert (
        "apps/payments/new.yaml: error: no such file in the git index (stage it with git add)"
        in err
    )
