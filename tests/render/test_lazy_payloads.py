"""Lazy renders (render --out, publish): cached units' bytes are read only when used, and a
damaged cache entry is refused rather than written (render/payloads.py, design §16)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest

from midway.cache import SCHEMA_VERSION, Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError
from midway.model import RenderResult
from midway.objects.fileset import FileSet
from midway.objects.gitobject import blob_id
from midway.render.output import write_tree
from midway.render.pipeline import CACHE_NAMESPACE, RenderOptions, render_config


class CountingCache(Cache):
    """A real cache that counts the unit outputs (file bytes) read back."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.outputs_read: list[str] = []

    def get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, str]:
        found = super().get_many(namespace, keys)
        if namespace == CACHE_NAMESPACE:
            self.outputs_read.extend(found)
        return found


def render(root: Path, cache: Cache, *, lazy: bool) -> RenderResult:
    source = DiskSource(root)
    config = load_config(source, cache)
    return render_config(config, source, RenderOptions(cache=cache, lazy=lazy))


def test_a_lazy_render_equals_an_eager_one(example_repo: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    eager = render(example_repo, cache, lazy=False)
    lazy = render(example_repo, cache, lazy=True)
    assert isinstance(lazy.files, FileSet)
    assert dict(lazy.files) == eager.files
    assert [(o.path, o.content, o.body) for o in lazy.objects] == [
        (o.path, o.content, o.body) for o in eager.objects
    ]
    assert all(lazy.files.blob_id(p) == blob_id(eager.files[p]) for p in eager.files)


def test_a_no_op_render_out_reads_no_file_bytes(example_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, render(example_repo, Cache(tmp_path / "cache"), lazy=True).files)
    cache = CountingCache(tmp_path / "cache")
    write_tree(out, render(example_repo, cache, lazy=True).files)
    assert cache.outputs_read == []


def test_a_one_app_change_reads_only_that_apps_new_files(
    example_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_tree(out, render(example_repo, Cache(tmp_path / "cache"), lazy=True).files)
    app_file = example_repo / "apps/payments/checkout.yaml"
    app_file.write_text(app_file.read_text().replace("replicas: 6", "replicas: 7"))
    cache = CountingCache(tmp_path / "cache")
    result = render(example_repo, cache, lazy=True)
    write_tree(out, result.files)
    assert result.evaluations == 2  # checkout in prod-eu and prod-us
    # checkout's dev and staging units: their input key changed (the app file did), their
    # content key did not, so they are found by content; no other unit's bytes are read
    assert len(cache.outputs_read) == 2
    assert (out / "prod/prod-eu/payments-checkout/checkout").is_dir()


def test_a_damaged_cache_entry_is_refused_not_written(example_repo: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    render(example_repo, cache, lazy=True)  # outputs and metas cached
    cache.close()
    with sqlite3.connect(tmp_path / "cache" / f"cache-v{SCHEMA_VERSION}.sqlite") as db:
        db.execute(
            "UPDATE entries SET value = replace(value, 'replicas', 'replicaz') WHERE ns = 'unit'"
        )
    result = render(example_repo, Cache(tmp_path / "cache"), lazy=True)
    with pytest.raises(MidwayError, match="render cache is damaged") as caught:
        write_tree(tmp_path / "out", result.files)
    assert "--no-cache" in (caught.value.hint or "")
    assert not (tmp_path / "out").exists()
