"""The render time guard is per unit of work, and what finished is kept.

MIDWAY_RENDER_TIMEOUT limits each app × environment × cluster, not a batch: ten units that
each take a fraction of the limit pass even when evaluated together in one batch that takes
longer than the limit. A unit that alone exceeds the limit fails, naming its app, while every
other unit's output is cached.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError, MidwayErrors
from midway.model import RenderResult
from midway.render import budget, pool
from midway.render.pipeline import RenderOptions, render_config
from support.example import PROJECT_ROOT, write

BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: slow}
spec:
  version: 1.0.0
  description: Spends a set amount of CPU per app
  parameters:
    type: object
    additionalProperties: false
    properties:
      work: {type: integer, default: 0, description: size of the range summed per app}
      spin: {type: boolean, default: false, description: never finish (a runaway)}
      logLevel: {type: string, description: env-wide log level}
"""

MAIN = """\
local runaway(n) = if n == 0 then 0 else runaway(n - 1) + runaway(n - 1);
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: app.name},
    data: {
      sum: std.toString(std.foldl(function(a, b) a + b, std.range(1, params.work), 0)),
      [if params.spin then 'never']: std.toString(runaway(60)),
    },
  },
]
"""

# about 0.3 s of evaluation per unit on the development machine
WORK = 250_000


def _app(name: str, params: str) -> str:
    return (
        "apiVersion: midway.dev/v1\nkind: App\n"
        f"metadata: {{name: {name}, team: qa}}\n"
        f"spec:\n  blueprint: slow@^1\n  params: {params}\n  environments:\n    dev: {{}}\n"
    )


def make_repo(root: Path, apps: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "midway.yaml", root / "midway.yaml")
    write(root, "environments/dev.yaml", (PROJECT_ROOT / "environments/dev.yaml").read_text())
    write(root, "blueprints/slow/blueprint.yaml", BLUEPRINT)
    write(root, "blueprints/slow/main.jsonnet", MAIN)
    for name, params in apps.items():
        write(root, f"apps/qa/{name}.yaml", _app(name, params))
    return root


def render(root: Path, cache: Cache) -> RenderResult:
    source = DiskSource(root)
    config = load_config(source, cache)
    return render_config(config, source, RenderOptions(cache=cache, workers=1))


@pytest.fixture
def one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """All units of the render in ONE batch on ONE worker, with a 1 s limit."""
    monkeypatch.setattr(budget, "PROBE_UNITS", 1000)
    monkeypatch.setenv("MIDWAY_RENDER_TIMEOUT", "1")


@pytest.mark.usefixtures("one_batch")
def test_a_batch_longer_than_the_limit_passes_when_each_unit_is_within_it(
    tmp_path: Path,
) -> None:
    # ten units of ~0.3 s in one batch: ~3 s, three times the 1 s limit
    apps = {f"app{i}": f"{{work: {WORK}}}" for i in range(10)}
    root = make_repo(tmp_path / "config", apps)
    cache = Cache(tmp_path / "cache")
    first = render(root, cache)
    assert first.evaluations == 10
    assert len(first.objects) == 10
    # every finished unit is in the cache: the second run evaluates nothing
    assert render(root, Cache(tmp_path / "cache")).evaluations == 0


@pytest.mark.usefixtures("one_batch")
def test_a_runaway_unit_fails_alone_and_the_others_are_kept(tmp_path: Path) -> None:
    apps = {f"app{i}": "{work: 10}" for i in range(5)}
    apps["spinner"] = "{spin: true}"
    root = make_repo(tmp_path / "config", apps)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(MidwayError) as raised:
        render(root, cache)
    problem = raised.value
    assert not isinstance(problem, MidwayErrors)  # one problem: the runaway app's
    message = problem.render()
    assert "app qa/spinner in dev/dev-1" in message
    assert "within 1s" in message
    assert "MIDWAY_RENDER_TIMEOUT=" in message
    assert problem.source is not None
    assert problem.source.path == "blueprints/slow/main.jsonnet"

    # the five good units were cached: after fixing the runaway app only it is evaluated
    write(root, "apps/qa/spinner.yaml", _app("spinner", "{work: 10}"))
    fixed = render(root, Cache(tmp_path / "cache"))
    assert fixed.evaluations == 1
    assert sorted(o.unit.app for o in fixed.objects) == sorted(f"qa/{n}" for n in apps)


def test_forked_workers_are_respawned_with_the_collector_off_when_much_work_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a small render forks its workers (Go's default collector: a fork cannot change it);
    # once the measured work left is large enough they are replaced by tuned, spawned ones
    for name in pool.GO_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(budget, "RESPAWN_WORK_S", 0.0)
    seen: list[tuple[str, object]] = []
    close = pool.WorkerPool.__exit__

    def record(self: pool.WorkerPool, *exc: object) -> None:
        seen.extend((w.method, w.call(os.getenv, "GOGC")) for w in self.slots)
        close(self, *exc)

    monkeypatch.setattr(pool.WorkerPool, "__exit__", record)
    root = make_repo(tmp_path / "config", {f"app{i}": "{work: 1000}" for i in range(4)})
    assert render(root, Cache.disabled()).evaluations == 4
    assert seen == [("spawn", "off")]
