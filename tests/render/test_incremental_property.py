"""Incremental == cold: after any sequence of config changes, `render --out` into the tree it
wrote before (warm cache, lazy payloads, the output manifest) holds exactly the files a cold
render of the same commit writes, and `publish` onto the previous state commit makes exactly
the tree a cold publish makes — also when the cache's metas or the output manifest are
missing, old, damaged, or the output was edited by hand (docs/design.md §16).

Bounded in `make test` (a few short sequences); `-m slow` runs many longer ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midway.cache import SCHEMA_VERSION
from midway.cli.main import main
from midway.render.output import MARKER
from support.configrepo import ConfigRepoFixture, make_config_repo


@dataclass
class World:
    """One config repo with its persistent cache, output tree and state repo."""

    repo: ConfigRepoFixture
    root: Path
    counter: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def state(self) -> Path:
        return self.root / "state.git"

    def edit(self, rel: str, change: Callable[[str], str]) -> bool:
        path = self.repo.path / rel
        if not path.is_file():
            return False
        self.counter += 1
        path.write_text(change(path.read_text()))
        return True

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.cache_dir / f"cache-v{SCHEMA_VERSION}.sqlite")


def _sub(pattern: str, repl: str) -> Callable[[str], str]:
    return lambda text: re.sub(pattern, repl, text, count=1)


# -- config changes (each valid from any state the others leave) ------------------------------


def app_param(world: World) -> None:
    n = world.counter
    world.edit("apps/payments/checkout.yaml", _sub(r"checkout:1\.4\.\d+", f"checkout:1.4.{n}"))


def env_param(world: World) -> None:
    levels = ("debug", "info", "warn")
    level = levels[world.counter % 3]
    world.edit("environments/dev.yaml", _sub(r"logLevel: \w+", f"logLevel: {level}"))


def blueprint_file(world: World) -> None:  # the files change, the output does not
    n = world.counter
    world.edit("blueprints/worker/main.jsonnet", lambda t: t + f"// touched {n}\n")


def lib_file(world: World) -> None:  # every unit's input key changes
    n = world.counter
    world.edit("lib/k8s.libsonnet", lambda t: t + f"// touched {n}\n")


def rename_app(world: World) -> None:  # the app's old files go, new ones come
    old, new = world.repo.path / "apps/identity/user-profile.yaml", "apps/identity/user-prefs.yaml"
    if old.is_file():
        (world.repo.path / new).write_text(
            old.read_text().replace("name: user-profile", "name: user-prefs", 1)
        )
        old.unlink()
    else:
        back = world.repo.path / new
        old.write_text(back.read_text().replace("name: user-prefs", "name: user-profile", 1))
        back.unlink()


def delete_or_restore_app(world: World) -> None:
    path = world.repo.path / "apps/search/indexer.yaml"
    kept = world.root / "indexer.yaml"
    if path.is_file():
        shutil.move(path, kept)
    else:
        shutil.move(kept, path)


RESOURCE = "  resources:\n    sessions:\n      type: postgres\n"


def toggle_resource(world: World) -> None:  # a provisioner unit comes and goes
    def change(text: str) -> str:
        if RESOURCE in text:
            return text.replace(RESOURCE, "", 1)
        return text.replace("  environments:\n", RESOURCE + "  environments:\n", 1)

    world.edit("apps/identity/auth-gateway.yaml", change)


# -- damage to what the incremental path relies on --------------------------------------------


def old_manifest(world: World) -> None:  # written before blob ids (version 1): unusable
    if (world.out / MARKER).is_file():
        (world.out / MARKER).write_bytes(b'{"version": 1, "files": {}}')


def corrupt_manifest(world: World) -> None:
    if (world.out / MARKER).is_file():
        (world.out / MARKER).write_bytes(b'{"version": 2, "files": {"x": [1')


def drop_metas(world: World) -> None:
    with contextlib.closing(world.db()) as db, db:
        db.execute("DELETE FROM entries WHERE ns = 'meta'")


def corrupt_metas(world: World) -> None:
    with contextlib.closing(world.db()) as db, db:
        db.execute("UPDATE entries SET value = '{\"k\": [[1]]' WHERE ns = 'meta'")


def hand_edit_output(world: World) -> None:
    files = sorted(p for p in world.out.rglob("*.yaml"))
    if files:
        files[world.counter % len(files)].write_text("edited: by hand\n")
        world.counter += 1


CHANGES = [app_param, env_param, blueprint_file, lib_file, rename_app, delete_or_restore_app]
CHANGES += [toggle_resource]
DAMAGE = [old_manifest, corrupt_manifest, drop_metas, corrupt_metas, hand_edit_output]
STEP = st.sampled_from(CHANGES + DAMAGE)


def _midway(world: World, *args: str, cache: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("MIDWAY_CACHE_DIR")
    os.environ["MIDWAY_CACHE_DIR"] = str(world.cache_dir)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(
                    [
                        "-q",
                        "--config",
                        str(world.repo.path),
                        *args,
                        *([] if cache else ["--no-cache"]),
                    ]
                )
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        if previous is not None:
            os.environ["MIDWAY_CACHE_DIR"] = previous
    return code, out.getvalue(), err.getvalue()


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def _tree(world: World, state: Path, *, cache: bool) -> str:
    code, out, err = _midway(world, "publish", "--state", str(state), "-o", "json", cache=cache)
    assert code == 0, err
    return str(json.loads(out)["tree"])


def _check(world: World, step: int, *, full_pass: bool = False) -> None:
    code, _, err = _midway(world, "render", "--rev", "HEAD", "--out", str(world.out))
    assert code == 0, err
    # an unusable manifest costs one full pass, and the user is told (stderr)
    assert ("compared by content" in err) == full_pass, err
    cold_out = world.root / f"cold-{step}"
    code, _, err = _midway(world, "render", "--rev", "HEAD", "--out", str(cold_out), cache=False)
    assert code == 0, err
    assert _files(world.out) == _files(cold_out)
    shutil.rmtree(cold_out)
    assert _tree(world, world.state, cache=True) == _tree(
        world, world.root / f"cold-{step}.git", cache=False
    )


@contextlib.contextmanager
def _world() -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="midway-incremental-") as tmp:
        root = Path(tmp)
        yield World(make_config_repo(root), root)


def _run(steps: list[Callable[[World], None]]) -> None:
    with _world() as world:
        _check(world, 0)  # the first render and publish: everything new
        for number, step in enumerate(steps, start=1):
            step(world)
            if step in CHANGES:
                world.repo.commit(f"step {number}: {step.__name__}")
            _check(world, number, full_pass=step in (old_manifest, corrupt_manifest))


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(STEP, min_size=1, max_size=3))
def test_incremental_render_and_publish_equal_a_cold_one(
    steps: list[Callable[[World], None]],
) -> None:
    _run(steps)


def test_every_change_and_damage_once_in_a_row() -> None:
    """The same property on one fixed sequence that covers every step (no luck needed)."""
    _run([*CHANGES, *DAMAGE, app_param])


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=8))
def test_incremental_equals_cold_many_sequences(steps: list[Callable[[World], None]]) -> None:
    _run(steps)
