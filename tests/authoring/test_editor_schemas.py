"""`midway schema`: the editor schemas accept every file of the example config and reject the
app mistakes of the bad-input corpus, as an editor (draft-07, python jsonschema) sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from midway.authoring.editor_schemas import translate
from midway.config import schemas
from render.test_bad_inputs import CASES
from support.example import RunCli, write

KIND_FILES = {
    "App": ["apps/*/*.yaml"],
    "Environment": ["environments/*.yaml"],
    "Blueprint": ["blueprints/*/blueprint.yaml"],
    "Settings": ["midway.yaml"],
}

# The corpus's app mistakes a schema can see, and those only the loader can (other files,
# the file's own path, YAML itself).
REJECTED_BY_SCHEMA = {
    "unknown field with hint",
    "wrong type",
    "unknown param",
    "param schema violation in example blueprint",
    "missing required field",
    "missing blueprint",
    "malformed version range",
    "unknown environment",
    "wrong kind",
    "wrong apiVersion",
    "app name with slash",
    "app name with dot-dot",
}
BEYOND_A_SCHEMA = {
    "yaml syntax error": "not YAML, no schema applies",
    "duplicate key": "YAML parsers keep one of the keys",
    "unsatisfiable version": "which versions exist is known at load time only",
    "file path disagrees with name": "a schema does not see the file's path",
    "yaml anchor bomb": "a parser limit",
    "huge file": "a parser limit",
    "non-UTF-8 file": "not text",
    "binary file in apps": "not a YAML file: no schema is associated with it",
    "duplicate object": "the blueprint's output, blamed on the app",
    "invalid Kubernetes object": "the blueprint's output, blamed on the app",
}


def write_schemas(run_cli: RunCli, repo: Path, out: Path) -> dict[str, dict[str, Any]]:
    code, _, err = run_cli("--config", str(repo), "schema", "--out", str(out))
    assert code == 0, err
    return {
        kind: json.loads((out / f"{kind.lower()}.schema.json").read_text()) for kind in KIND_FILES
    }


def validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def problems(schema: dict[str, Any], path: Path) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(yaml.safe_load(path.read_text()))]


@pytest.fixture
def generated(example_repo: Path, run_cli: RunCli, tmp_path: Path) -> dict[str, dict[str, Any]]:
    return write_schemas(run_cli, example_repo, tmp_path / "schemas")


def test_every_file_of_the_example_config_validates(
    example_repo: Path, generated: dict[str, dict[str, Any]]
) -> None:
    checked = 0
    for kind, globs in KIND_FILES.items():
        for glob in globs:
            for path in sorted(example_repo.glob(glob)):
                if path.name.endswith(".score.yaml"):
                    continue  # a Score file follows Score's own schema (docs/score.md)
                assert problems(generated[kind], path) == [], path
                checked += 1
    assert checked >= 16


def test_the_output_is_draft_07_and_byte_identical_on_every_run(
    example_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    write_schemas(run_cli, example_repo, tmp_path / "a")
    write_schemas(run_cli, example_repo, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [f"{k.lower()}.schema.json" for k in sorted(schemas.BY_KIND)]
    for name in names:
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes()
        assert json.loads(first)["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_without_out_the_schemas_go_to_dot_midway(example_repo: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli("--config", str(example_repo), "schema")
    assert code == 0, err
    assert (example_repo / ".midway/schemas/app.schema.json").is_file()
    assert '"yaml.schemas"' in err  # the VS Code snippet, ready to paste


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in REJECTED_BY_SCHEMA], ids=lambda c: c.name
)
def test_the_corpus_app_mistakes_are_rejected(
    case: Any, probe_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    # the schemas of the repo as it was, the file as the mistake left it: an editor's view
    generated = write_schemas(run_cli, probe_repo, tmp_path / "schemas")
    case.apply(probe_repo)
    app_file = probe_repo / case.where.split(":")[0]
    assert app_file.parts[-3] == "apps"
    assert problems(generated["App"], app_file), f"{case.name}: the schema accepted it"


def test_every_app_case_of_the_corpus_is_accounted_for() -> None:
    # a new app mistake in the corpus must be sorted into one of the two sets
    app_cases = {c.name for c in CASES if c.where.startswith("apps/")}
    assert app_cases - REJECTED_BY_SCHEMA - set(BEYOND_A_SCHEMA) == set()


def test_params_follow_the_blueprint_version_the_range_picks(
    probe_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    app = generated_app(run_cli, probe_repo, tmp_path)
    v1_only = {"blueprint": "web-service@^1", "params": {"image": "a/b:1", "maxReplicas": 3}}
    v2_only = {"blueprint": "web-service@^2", "params": {"image": "a/b:1", "servicePort": 81}}
    assert valid(app, v1_only) and valid(app, v2_only)
    assert not valid(app, {**v1_only, "blueprint": "web-service@^2"})  # maxReplicas is 1.x
    assert not valid(app, {**v2_only, "blueprint": "web-service@1.4.0"})  # servicePort is 2.x
    assert not valid(app, {**v2_only, "blueprint": "web-service@~1.4"})


def test_a_required_param_may_come_from_another_layer(
    probe_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    app = generated_app(run_cli, probe_repo, tmp_path)
    spec = {
        "blueprint": "worker@^1",
        "params": {"queue": {"name": "q"}},
        "environments": {"prod": {"params": {"image": "a/b:1", "queue": {"url": "amqp://q"}}}},
    }
    assert valid(app, spec)
    spec["environments"] = {"prod": {"params": {"queue": {"url": 7}}}}
    assert not valid(app, spec)  # the per-environment params are checked too
    assert not valid(app, {"blueprint": "worker@^1", "environments": {"qa": {}}})


def test_environment_params_complete_from_every_blueprint(
    probe_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    env_schema = write_schemas(run_cli, probe_repo, tmp_path / "s")["Environment"]
    params = env_schema["properties"]["spec"]["properties"]["params"]
    assert {"logLevel", "greeting", "image", "queue"} <= set(params["properties"])
    doc = yaml.safe_load((probe_repo / "environments/dev.yaml").read_text())
    doc["spec"]["params"]["loglevel"] = "debug"
    assert list(validator(env_schema).iter_errors(doc))


def generated_app(run_cli: RunCli, repo: Path, tmp_path: Path) -> dict[str, Any]:
    return write_schemas(run_cli, repo, tmp_path / "app-schemas")["App"]


def valid(app_schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    doc = {
        "apiVersion": "midway.dev/v1",
        "kind": "App",
        "metadata": {"name": "x", "team": "qa"},
        "spec": spec,
    }
    return not list(validator(app_schema).iter_errors(doc))


def test_2020_12_parameter_schemas_are_translated_to_draft_07() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["a"],
        "$defs": {"port": {"type": "integer", "minimum": 1}},
        "properties": {
            "a": {"$ref": "#/$defs/port", "description": "a port"},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
            "tls": {"type": "object", "required": ["key"], "dependentRequired": {"x": ["y"]}},
        },
        "unevaluatedProperties": False,
    }
    out = translate(schema, "#/definitions/probe@1.0.0")
    assert out == {
        "type": "object",
        "definitions": {"port": {"type": "integer", "minimum": 1}},
        "properties": {
            "a": {
                "description": "a port",
                "allOf": [{"$ref": "#/definitions/probe@1.0.0/definitions/port"}],
            },
            "pair": {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
            "tls": {"type": "object", "dependencies": {"x": ["y"]}},
        },
    }


def test_a_new_config_kind_is_one_registry_entry(
    example_repo: Path, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollout = {"type": "object", "properties": {"kind": {"const": "Rollout"}}}
    monkeypatch.setitem(schemas.BY_KIND, "Rollout", rollout)
    code, _, err = run_cli("--config", str(example_repo), "schema", "--out", str(tmp_path / "s"))
    assert code == 0, err
    assert (tmp_path / "s/rollout.schema.json").is_file()
    code, _, err = run_cli("schema", "--reference", str(tmp_path / "ref.md"))
    assert code == 0, err
    assert "## Rollout" in (tmp_path / "ref.md").read_text()


def test_a_broken_config_is_reported_not_half_written(
    example_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    write(example_repo, "apps/qa/bad.yaml", "apiVersion: midway.dev/v1\nkind: App\n")
    code, _, err = run_cli("--config", str(example_repo), "schema", "--out", str(tmp_path / "s"))
    assert code == 2
    assert "apps/qa/bad.yaml" in err
    assert not (tmp_path / "s").exists()
