"""docs/reference.md is generated from the config kinds' schemas and must be current."""

from __future__ import annotations

from pathlib import Path

from midway.authoring.reference import REFERENCE_PATH, REGENERATE
from midway.config import schemas
from support.example import PROJECT_ROOT, RunCli


def test_docs_reference_is_current(run_cli: RunCli, tmp_path: Path) -> None:
    fresh = tmp_path / "reference.md"
    code, _, err = run_cli("schema", "--reference", str(fresh))
    assert code == 0, err
    checked_in = PROJECT_ROOT / REFERENCE_PATH
    assert checked_in.is_file(), f"{REFERENCE_PATH} is missing: run `{REGENERATE}`"
    assert checked_in.read_text() == fresh.read_text(), (
        f"{REFERENCE_PATH} is stale (the config schemas changed): run `{REGENERATE}` "
        "and commit the result"
    )


def test_the_reference_has_a_section_and_a_row_per_field(run_cli: RunCli, tmp_path: Path) -> None:
    fresh = tmp_path / "reference.md"
    run_cli("schema", "--reference", str(fresh))
    text = fresh.read_text()
    for kind in schemas.BY_KIND:
        assert f"\n## {kind}\n" in text
    assert "| `spec.blueprint` | string | yes | blueprint name and version range" in text
    assert "| `spec.clusters[].server` | string | yes | API server URL |" in text
    assert "| `spec.teams.<name>.owners` | list of string | no |" in text
