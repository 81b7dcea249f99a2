"""Shared test setup: every test gets its own render cache; cluster fixtures are opt-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "support.cluster",
    "support.example",
    "support.configrepo",
    "support.drift_example",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("MIDWAY_CACHE_DIR", str(tmp_path_factory.mktemp("midway-cache")))
    yield
