"""`midway check FILES…`: validate, then render only the apps the files can affect."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.example import RunCli, write


def check(run_cli: RunCli, root: Path, *files: str) -> tuple[int, str, str]:
    return run_cli("--config", str(root), "check", *[str(root / f) for f in files])


def test_one_good_app_file(run_cli: RunCli, example_repo: Path) -> None:
    code, out, err = check(run_cli, example_repo, "apps/payments/checkout.yaml")
    assert (code, out, err) == (0, "checked 1 files, rendered 1 apps\n", "")


def test_quiet_prints_nothing_on_success(run_cli: RunCli, example_repo: Path) -> None:
    code, out, err = run_cli(
        "--config", str(example_repo), "-q", "check", str(example_repo / "apps/search/indexer.yaml")
    )
    assert (code, out, err) == (0, "", "")


def test_paths_relative_to_the_working_directory(
    run_cli: RunCli, example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example_repo / "apps")
    code, out, _ = run_cli("--config", "..", "check", "payments/checkout.yaml", "../README.md")
    assert (code, out) == (0, "checked 1 files, rendered 1 apps\n")


@pytest.mark.parametrize(
    ("files", "apps", "examples"),
    [
        # a blueprint file: every app asking for that blueprint name (any version), and the
        # examples of that blueprint version
        (["blueprints/worker/main.jsonnet"], 2, 2),
        (["blueprints/web-service@1/blueprint.yaml"], 6, 2),
        # an environment file: every app deployed there (and every example)
        (["environments/staging.yaml"], 8, 12),
        # shared libraries and repo settings: everything
        (["lib/k8s.libsonnet"], 9, 12),
        (["midway.yaml"], 9, 12),
        # a rollout: the apps of its blueprint (it may move any of them)
        (["rollouts/worker-1.3.yaml"], 2, 0),
        (["apps/payments/checkout.yaml", "apps/search/indexer.yaml"], 2, 0),
    ],
)
def test_renders_only_affected_apps(
    run_cli: RunCli, example_repo: Path, files: list[str], apps: int, examples: int
) -> None:
    code, out, _ = check(run_cli, example_repo, *files)
    assert code == 0
    tail = f" and {examples} blueprint examples" if examples else ""
    assert out == f"checked {len(files)} files, rendered {apps} apps{tail}\n"


def test_no_files_checks_everything(run_cli: RunCli, example_repo: Path) -> None:
    code, out, _ = run_cli("--config", str(example_repo), "check")
    assert code == 0
    assert out.endswith(", rendered 9 apps and 12 blueprint examples\n")


def test_files_outside_the_config_roots_are_ignored(
    run_cli: RunCli, example_repo: Path, tmp_path: Path
) -> None:
    write(example_repo, "docs/notes.md", "# not config\n")
    write(tmp_path, "elsewhere/apps/x/y.yaml", "not: ours\n")
    code, out, _ = run_cli(
        "--config",
        str(example_repo),
        "check",
        str(example_repo / "docs/notes.md"),
        str(example_repo / "README.md"),
        str(tmp_path / "elsewhere/apps/x/y.yaml"),
    )
    assert (code, out) == (0, "checked 0 files, rendered 0 apps (no config files given)\n")


def test_bad_param_fails_with_file_line_col(run_cli: RunCli, example_repo: Path) -> None:
    path = example_repo / "apps/payments/checkout.yaml"
    path.write_text(path.read_text().replace("port: 8080", "port: eighty"))

    code, out, err = check(run_cli, example_repo, "apps/payments/checkout.yaml")

    assert code == 2
    assert out == ""
    assert err.startswith("apps/payments/checkout.yaml:10:5: error: `params.port`")


def test_yaml_syntax_error(run_cli: RunCli, example_repo: Path) -> None:
    write(example_repo, "apps/payments/checkout.yaml", "spec: [unclosed\n")
    code, _, err = check(run_cli, example_repo, "apps/payments/checkout.yaml")
    assert code == 2
    assert "apps/payments/checkout.yaml:2:" in err


def test_unresolvable_blueprint_range(run_cli: RunCli, example_repo: Path) -> None:
    path = example_repo / "apps/search/indexer.yaml"
    path.write_text(path.read_text().replace("worker@~1.2", "worker@^7"))
    code, _, err = check(run_cli, example_repo, "apps/search/indexer.yaml")
    assert code == 2
    assert "apps/search/indexer.yaml:" in err and "no version of blueprint `worker`" in err


def test_plaintext_secret_is_refused(run_cli: RunCli, probe_repo: Path) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "function(app, env, params) [{apiVersion: 'v1', kind: 'Secret', "
        "metadata: {name: 'x'}, stringData: {password: 'hunter2'}}]\n",
    )
    code, _, err = check(run_cli, probe_repo, "apps/qa/probe.yaml")
    assert code == 2
    assert "blueprints/probe/main.jsonnet:1: error: Secret x" in err  # the line, by text search
    assert "plaintext" in err
    assert "hunter2" not in err


def test_kubernetes_schema_validation(run_cli: RunCli, probe_repo: Path) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "function(app, env, params) [{apiVersion: 'v1', kind: 'ConfigMap', "
        "metadata: {name: 'x'}, data: {count: 42}}]\n",
    )
    code, _, err = check(run_cli, probe_repo, "blueprints/probe/main.jsonnet")
    assert code == 2
    assert "ConfigMap" in err and "data.count" in err


def test_unaffected_apps_are_not_rendered(run_cli: RunCli, probe_repo: Path) -> None:
    write(probe_repo, "blueprints/probe/main.jsonnet", "function(app, env, params) error 'boom'\n")

    code, out, _ = check(run_cli, probe_repo, "apps/payments/checkout.yaml")
    assert (code, out) == (0, "checked 1 files, rendered 1 apps\n")

    code, _, err = check(run_cli, probe_repo, "apps/qa/probe.yaml")
    assert code == 2
    assert "boom" in err


def test_a_blueprint_version_no_app_uses_is_checked_through_its_examples(
    run_cli: RunCli, example_repo: Path
) -> None:
    # web-service 3.0.0 in the making: no app asks for ^3 yet
    source = example_repo / "blueprints/web-service"
    new = example_repo / "blueprints/web-service@3"
    new.mkdir()
    bp_yaml = (source / "blueprint.yaml").read_text()
    (new / "blueprint.yaml").write_text(bp_yaml.replace("version: 2.1.0", "version: 3.0.0"))
    main = (source / "main.jsonnet").read_text()
    (new / "main.jsonnet").write_text(
        main.replace("revisionHistoryLimit: 5", "revisionHistoryLimit: '5'")
    )
    code, _, err = check(run_cli, example_repo, "blueprints/web-service@3/main.jsonnet")
    assert code == 2
    assert "blueprint web-service@3.0.0" in err and "revisionHistoryLimit" in err
    assert "example/web-service-3-minimal" in err


def test_an_example_with_bad_params_points_at_its_line(run_cli: RunCli, example_repo: Path) -> None:
    path = example_repo / "blueprints/worker/blueprint.yaml"
    path.write_text(path.read_text().replace("concurrency: 8", "concurrency: many"))
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1) if "many" in ln)
    code, _, err = check(run_cli, example_repo, "blueprints/worker/blueprint.yaml")
    assert code == 2
    assert f"blueprints/worker/blueprint.yaml:{line}:" in err and "concurrency" in err


def test_an_example_naming_an_unknown_environment(run_cli: RunCli, example_repo: Path) -> None:
    path = example_repo / "blueprints/postgres-database/blueprint.yaml"
    text = path.read_text()
    path.write_text(text.replace("environments: [staging, prod]", "environments: [stagin]"))
    code, _, err = check(run_cli, example_repo, "blueprints/postgres-database/blueprint.yaml")
    assert code == 2
    assert "environment `stagin`, which does not exist" in err and "staging" in err
