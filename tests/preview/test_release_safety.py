"""Release safety: a blueprint release numbered as a minor or patch that changes existing
apps' output or tightens the parameter schema is flagged as breaking in `midway diff`; a pure
addition is not. The schema comparison first (pure), then `midway diff` on real git repos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from midway.config.semver import parse_version
from midway.model import Blueprint, ConfigRepo, Settings
from midway.preview.release_safety import releases, schema_tightenings
from support.example import RunCli
from support.previewrepo import ConfigHistory

OLD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image"],
    "properties": {
        "image": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 0, "maximum": 100},
        "logLevel": {"enum": ["debug", "info", "warn"]},
        "ratio": {"type": "number"},
        "name": {"type": "string", "maxLength": 40},
        "tags": {"type": "array", "items": {"type": "string"}},
        "resources": {"type": "object", "properties": {"cpu": {"type": "string"}}},
    },
}


def changed(**props: Any) -> dict[str, Any]:
    """OLD with some properties replaced (None removes one)."""
    new = {k: v for k, v in OLD["properties"].items() if props.get(k, v) is not None}
    new.update({k: v for k, v in props.items() if v is not None})
    return {**OLD, "properties": new}


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (changed(replicas=None), "parameter `replicas` removed"),
        ({**OLD, "required": ["image", "name"]}, "new required parameter `name` (no default)"),
        (changed(ratio={"type": "integer"}), "`ratio` narrowed from integer/number to integer"),
        (changed(logLevel={"enum": ["info", "warn"]}), "`logLevel` no longer allows ['debug']"),
        (changed(image={"type": "string", "enum": ["a"]}), "`image` is now limited to ['a']"),
        (changed(replicas={"type": "integer", "minimum": 1, "maximum": 100}), "raised from 0 to 1"),
        (changed(replicas={"type": "integer", "minimum": 0, "maximum": 50}), "lowered from 100"),
        (changed(name={"type": "string", "maxLength": 40, "pattern": "^a"}), "`pattern` added"),
        (changed(tags={"type": "array", "items": {"type": "string", "minLength": 2}}), "tags[]"),
        (
            changed(resources={"type": "object", "additionalProperties": False}),
            "`resources` no longer accept unknown keys",
        ),
        (
            changed(resources={"type": "object", "properties": {"cpu": {"type": "integer"}}}),
            "`resources.cpu` narrowed from string to integer",
        ),
    ],
)
def test_tightening_is_found(new: dict[str, Any], reason: str) -> None:
    assert any(reason in found for found in schema_tightenings(OLD, new)), schema_tightenings(
        OLD, new
    )


@pytest.mark.parametrize(
    "new",
    [
        changed(shutdownGrace={"type": "integer", "default": 30}),  # new optional param
        {
            **OLD,
            "required": ["image", "mode"],
            "properties": {**OLD["properties"], "mode": {"type": "string", "default": "fast"}},
        },
        changed(replicas={"type": "integer", "minimum": 0, "maximum": 500}),  # wider
        changed(logLevel={"enum": ["debug", "info", "warn", "error"]}),  # more values
        changed(ratio={"type": ["number", "string"]}),  # more types
        changed(image={"type": "string", "description": "now documented"}),
        {k: v for k, v in OLD.items() if k != "additionalProperties"},  # extra keys allowed
    ],
)
def test_widening_or_adding_is_not_tightening(new: dict[str, Any]) -> None:
    assert schema_tightenings(OLD, new) == []


WORKER = "blueprints/worker/blueprint.yaml"
WORKER_MAIN = "blueprints/worker/main.jsonnet"


@pytest.fixture
def history(tmp_path: Path) -> ConfigHistory:
    """The example with worker 1.2.0 alone and its apps on `^1`: these scenarios release it
    in place (the example's worker 1.3.0 and its rollout, docs/fleet.md, are left out)."""
    repo = ConfigHistory(tmp_path / "config")
    alone: dict[str, str | None] = {
        f"blueprints/worker@1.3/{name}": None
        for name in ("README.md", "blueprint.yaml", "main.jsonnet")
    }
    alone["rollouts/worker-1.3.yaml"] = None
    for app in ("apps/payments/ledger-worker.yaml", "apps/search/indexer.yaml"):
        alone[app] = repo.edit(app, "blueprint: worker@~1.2", "blueprint: worker@^1")
    repo.commit("initial config", alone)
    repo.branch("release")
    return repo


def replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def risks(run_cli: RunCli, repo: ConfigHistory) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run_cli("--config", str(repo.root), "diff", "-o", "json")
    assert code in (0, 1), err
    return code, json.loads(out)["risks"]


def breaking(found: list[dict[str, Any]]) -> list[str]:
    return [r["message"] for r in found if r["kind"] == "blueprint-breaking-change"]


def test_a_minor_release_that_changes_rendered_output_is_breaking(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    history.commit(
        "worker 1.3.0: keep more ReplicaSets",
        {
            WORKER: history.edit(WORKER, "version: 1.2.0", "version: 1.3.0"),
            WORKER_MAIN: history.edit(
                WORKER_MAIN, "revisionHistoryLimit: 5", "revisionHistoryLimit: 10"
            ),
        },
    )
    code, found = risks(run_cli, history)
    assert code == 1
    [message] = breaking(found)
    assert message.startswith(
        "blueprint `worker` 1.2.0 → 1.3.0 is numbered as a minor release but breaks existing "
        "apps: changes the rendered objects of 2 existing app(s): `payments/ledger-worker`, "
        "`search/indexer`"
    )
    assert "release it as 2.0.0" in message
    assert [r["severity"] for r in found if r["kind"] == "blueprint-breaking-change"] == ["high"]

    code, text, _ = run_cli("--config", str(history.root), "diff")
    assert "blueprint `worker` 1.2.0 → 1.3.0 is numbered as a minor release" in text


def test_a_patch_release_that_tightens_the_schema_is_breaking(
    run_cli: RunCli, history: ConfigHistory
) -> None:
    history.commit(
        "worker 1.2.1: at most 50 replicas",
        {
            WORKER: replace(
                history.edit(WORKER, "version: 1.2.0", "version: 1.2.1"),
                "        minimum: 0\n        maximum: 100\n",
                "        minimum: 0\n        maximum: 50\n",
            )
        },
    )
    _, found = risks(run_cli, history)
    [message] = breaking(found)
    assert "1.2.0 → 1.2.1 is numbered as a patch release" in message
    assert "`maximum` of `replicas` lowered from 100 to 50" in message
    assert "rendered objects" not in message  # the output of existing apps is the same


def test_a_pure_addition_is_not_flagged(run_cli: RunCli, history: ConfigHistory) -> None:
    addition = (
        "      concurrency:\n"
        "        description: Messages processed in parallel per pod (WORKER_CONCURRENCY).\n"
    )
    new_param = (
        "      drainSeconds:\n"
        "        description: Seconds to drain in-flight messages on shutdown (unused yet).\n"
        "        type: integer\n"
        "        minimum: 0\n"
        "        default: 30\n"
    )
    history.commit(
        "worker 1.3.0: optional drainSeconds",
        {
            WORKER: replace(
                history.edit(WORKER, "version: 1.2.0", "version: 1.3.0"),
                addition,
                new_param + addition,
            )
        },
    )
    code, found = risks(run_cli, history)
    assert code == 1  # every object names its blueprint version: only that annotation changes
    assert breaking(found) == []


def test_a_major_release_may_break(run_cli: RunCli, history: ConfigHistory) -> None:
    """2.0.0 says it breaks: it is no minor release pretending (and ^1 apps stay on 1.x)."""
    history.commit(
        "worker 2.0.0 beside 1.x",
        {
            "blueprints/worker@2/blueprint.yaml": history.edit(
                WORKER, "version: 1.2.0", "version: 2.0.0"
            ),
            "blueprints/worker@2/main.jsonnet": history.edit(
                WORKER_MAIN, "revisionHistoryLimit: 5", "revisionHistoryLimit: 10"
            ),
        },
    )
    _, found = risks(run_cli, history)
    assert breaking(found) == []


def blueprint(version: str, directory: str) -> Blueprint:
    v = parse_version(version)
    assert v is not None
    return Blueprint("worker", v, "", {"type": "object"}, directory)


def config(*blueprints: Blueprint) -> ConfigRepo:
    ordered = sorted(blueprints, key=lambda bp: bp.version, reverse=True)
    return ConfigRepo(Settings(), {"worker": tuple(ordered)}, {}, {})


def test_a_release_pairs_with_its_directory_else_the_newest_lower_version() -> None:
    old_1, old_2 = (
        blueprint("1.2.0", "blueprints/worker@1"),
        blueprint("2.0.0", "blueprints/worker"),
    )
    in_place = blueprint("1.3.0", "blueprints/worker@1")
    beside = blueprint("2.1.0", "blueprints/worker@2.1")
    major = blueprint("3.0.0", "blueprints/worker@3")
    found = releases(config(old_1, old_2), config(in_place, old_2, beside, major))
    assert [(str(r.old.version), str(r.new.version), r.level) for r in found] == [
        ("1.2.0", "1.3.0", "minor"),
        ("2.0.0", "2.1.0", "minor"),
    ]  # 3.0.0 follows nothing of its major: a major release is no minor pretending
