"""jsonnet-bundler layouts render alike from the working tree and from git: `vendor/<host>/…`
dependencies, jb's legacy links (`vendor/<name>` -> the dependency, kube-prometheus style),
legacy names without links, and a missing dependency named with the `jb install` to run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support.example import RunCli, write

JSONNETFILE = {
    "version": 1,
    "dependencies": [
        {
            "source": {
                "git": {
                    "remote": "https://github.com/prometheus-operator/kube-prometheus.git",
                    "subdir": "jsonnet/kube-prometheus",
                }
            },
            "version": "main",
        },
        {
            "source": {
                "git": {
                    "remote": "https://github.com/grafana/jsonnet-libs.git",
                    "subdir": "ksonnet-util",
                }
            },
            "version": "master",
        },
        {
            "source": {
                "git": {"remote": "git@github.com:jsonnet-libs/docsonnet.git", "subdir": "doc-util"}
            },
            "version": "master",
            "name": "doc-util",
        },
    ],
    "legacyImports": True,
}
KP = "github.com/prometheus-operator/kube-prometheus/jsonnet/kube-prometheus"
KU = "github.com/grafana/jsonnet-libs/ksonnet-util"
DU = "github.com/jsonnet-libs/docsonnet/doc-util"
LEGACY_LINKS = {"kube-prometheus": KP, "ksonnet-util": KU, "doc-util": DU}

VENDORED = {
    # imports by legacy name from inside vendored libraries, as grafana's and k8s-libsonnet do
    f"vendor/{KP}/main.libsonnet": """\
local k = import 'ksonnet-util/kausal.libsonnet';
local defaults = import './defaults.libsonnet';
{
  new(name):: {
    local values = defaults { name: name },
    values:: values,
    config: k.configMap.new(values.name + '-config', { level: values.level }),
  },
}
""",
    f"vendor/{KP}/defaults.libsonnet": "{ level: 'info' }\n",
    f"vendor/{KU}/kausal.libsonnet": """\
local d = import 'doc-util/main.libsonnet';
{
  '#configMap': d.obj('a ConfigMap'),
  configMap: {
    new(name, data):: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name }, data: data },
  },
}
""",
    f"vendor/{DU}/main.libsonnet": "{ obj(help):: { help: help } }\n",
}

MAIN = """\
local kp = (import 'kube-prometheus/main.libsonnet').new(app.name);
function(app, env, params) [kp.config]
""".replace("app.name", "'mon'")


def vendor_layout(root: Path, *, links: bool) -> None:
    write(root, "jsonnetfile.json", json.dumps(JSONNETFILE, indent=2))
    for rel, text in VENDORED.items():
        write(root, rel, text)
    if links:
        for name, target in LEGACY_LINKS.items():
            (root / "vendor" / name).symlink_to(target)
    write(root, "blueprints/probe/main.jsonnet", MAIN)


def renders(run_cli: RunCli, root: Path) -> dict[str, tuple[int, str, str]]:
    from config.test_symlinks import commit_all

    commit_all(root)
    config = ("--config", str(root))
    return {
        "render": run_cli(*config, "render", "--no-cache"),
        "render --rev": run_cli(*config, "render", "--rev", "HEAD", "--no-cache"),
        "check --staged": run_cli(*config, "check", "--staged", "--no-cache"),
    }


def assert_same_everywhere(results: dict[str, tuple[int, str, str]]) -> str:
    for how, (code, _, err) in results.items():
        assert code == 0, (how, err)
    assert results["render"][1] == results["render --rev"][1]
    return results["render"][1]


@pytest.fixture
def copies(tmp_path: Path, probe_repo: Path) -> tuple[Path, Path]:
    plain = tmp_path / "plain"
    shutil.copytree(probe_repo, plain)
    return probe_repo, plain


def test_legacy_links_and_legacy_names_render_identically(
    copies: tuple[Path, Path], run_cli: RunCli
) -> None:
    with_links, without_links = copies
    vendor_layout(with_links, links=True)
    vendor_layout(without_links, links=False)
    linked = assert_same_everywhere(renders(run_cli, with_links))
    resolved = assert_same_everywhere(renders(run_cli, without_links))
    assert linked == resolved
    assert "name: mon-config" in linked and "level: info" in linked


def test_a_directory_link_in_vendor_no_longer_breaks_other_apps(
    probe_repo: Path, run_cli: RunCli
) -> None:
    write(probe_repo, "vendor/github.com/acme/x/lib/x.libsonnet", "{}\n")
    (probe_repo / "vendor/xlib").symlink_to("github.com/acme/x/lib")
    assert_same_everywhere(renders(run_cli, probe_repo))


def test_legacy_names_need_legacy_imports(probe_repo: Path, run_cli: RunCli) -> None:
    vendor_layout(probe_repo, links=False)
    write(probe_repo, "jsonnetfile.json", json.dumps({**JSONNETFILE, "legacyImports": False}))
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "`kube-prometheus` is the legacy name of" in err and "legacyImports: false" in err


def test_a_declared_but_not_vendored_dependency_says_run_jb_install(
    probe_repo: Path, run_cli: RunCli
) -> None:
    vendor_layout(probe_repo, links=False)
    shutil.rmtree(probe_repo / "vendor/github.com/grafana")
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert f"vendor/{KP}/main.libsonnet:1" in err, err
    assert f"`ksonnet-util` is the legacy name of `{KU}` from jsonnetfile.json" in err
    assert "run `jb install`" in err


def test_an_undeclared_library_says_which_jb_install_adds_it(
    probe_repo: Path, run_cli: RunCli
) -> None:
    vendor_layout(probe_repo, links=False)
    shutil.rmtree(probe_repo / "vendor/github.com/grafana")
    manifest = {**JSONNETFILE, "dependencies": JSONNETFILE["dependencies"][::2]}  # type: ignore[index]
    write(probe_repo, "jsonnetfile.json", json.dumps(manifest))
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert (
        f"`ksonnet-util` is the legacy import name of `{KU}`, which is not in jsonnetfile.json: "
        f"add it with `jb install {KU}`" in err
    ), err


def test_a_vendored_path_not_in_the_jsonnetfile_is_named(probe_repo: Path, run_cli: RunCli) -> None:
    write(probe_repo, "jsonnetfile.json", json.dumps(JSONNETFILE))
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "local x = import 'github.com/acme/libs/x/main.libsonnet';\n"
        "function(app, env, params) [x]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "blueprints/probe/main.jsonnet:1" in err
    assert (
        "`github.com/acme/libs/x` is not in jsonnetfile.json: "
        "add it with `jb install github.com/acme/libs/x`" in err
    ), err


def test_without_a_jsonnetfile_the_hint_starts_with_jb_init(
    probe_repo: Path, run_cli: RunCli
) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "local k = import 'ksonnet-util/kausal.libsonnet';\nfunction(app, env, params) [k]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert (
        "is not vendored (the repo has no jsonnetfile.json): "
        f"add it with `jb init && jb install {KU}`" in err
    ), err


def _evaluate(files: dict[str, bytes | None]) -> object:
    from midway.render.engine import EvalRequest, evaluate_batch

    request = EvalRequest('{"name": "a"}', '{"name": "dev"}', "{}")
    return json.loads(evaluate_batch("blueprints/x/main.jsonnet", files, [request]))[0]


def test_import_path_order_is_tankas() -> None:
    """Importing file's directory, then the blueprint directory, lib/, the blueprint's own
    vendor/, vendor/ — then legacy names. Each file says where it is; removing the winner
    shows the next."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    places = ["blueprints/x/", "lib/", "blueprints/x/vendor/", "vendor/"]
    files: dict[str, bytes | None] = {
        "blueprints/x/main.jsonnet": b"function(app, env, params) [(import 'sub/f.jsonnet')]",
        "lib/sub/f.jsonnet": b"import 'where.json'",
    }
    files.update({f"{p}where.json": json.dumps(p).encode() for p in places})
    seen = []
    spawn = multiprocessing.get_context("spawn")  # the test process must not load the binding
    with ProcessPoolExecutor(1, mp_context=spawn) as worker:
        files["lib/sub/where.json"] = b'"next to the importing file"'
        seen.append(worker.submit(_evaluate, dict(files)).result())
        del files["lib/sub/where.json"]
        for place in places:
            seen.append(worker.submit(_evaluate, dict(files)).result())
            del files[f"{place}where.json"]
    assert seen == [["next to the importing file"], *[[p] for p in places]]
