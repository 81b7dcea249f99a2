"""Rendering the example: deterministic bytes, incremental evaluation, git revisions."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from midway.cache import Cache
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.model import LABEL_MANAGED_BY, RenderResult
from midway.render.output import MARKER
from midway.render.pipeline import RenderOptions, render_config
from support.example import RunCli


def render(root: Path, cache: Cache, **options: object) -> RenderResult:
    source = DiskSource(root)
    return render_config(load_config(source, cache), source, RenderOptions(cache=cache, **options))  # type: ignore[arg-type]


def tree_hash(directory: Path) -> str:
    """Hash of every path and byte below a directory (a git-tree-like identity)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MARKER):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_rendering_twice_gives_byte_identical_trees(
    example_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_cli("--config", str(example_repo), "render", "--out", str(first))[0] == 0
    assert (
        run_cli("--config", str(example_repo), "render", "--no-cache", "--out", str(second))[0] == 0
    )
    assert tree_hash(first) == tree_hash(second)
    assert len(list(first.rglob("*.yaml"))) > 100


def test_files_are_stable_yaml_with_lf_and_trailing_newline(example_repo: Path) -> None:
    result = render(example_repo, Cache.disabled())
    for path, content in result.files.items():
        text = content.decode()
        assert text.endswith("\n") and "\r" not in text, path
        assert text.startswith("apiVersion: "), path
        lines = text.splitlines()
        assert lines[1].startswith("kind: ") and lines[2] == "metadata:", path


def test_every_object_carries_ownership_marks(example_repo: Path) -> None:
    result = render(example_repo, Cache.disabled())
    for obj in result.objects:
        meta = obj.body["metadata"]
        assert meta["labels"][LABEL_MANAGED_BY] == "midway"
        assert meta["labels"]["midway.dev/app"] == obj.unit.app.split("/")[1]
        assert meta["labels"]["midway.dev/env"] == obj.unit.env
        assert meta["annotations"]["midway.dev/blueprint"] == obj.blueprint


def test_state_layout_is_env_cluster_namespace_app_kind_name(example_repo: Path) -> None:
    result = render(example_repo, Cache.disabled(), env="prod", app="payments/checkout")
    paths = sorted(result.files)
    assert "prod/prod-eu/payments-checkout/checkout/deployment-checkout.yaml" in paths
    assert "prod/prod-us/payments-checkout/checkout/deployment-checkout.yaml" in paths
    assert all(p.startswith("prod/") for p in paths)


def test_one_app_change_re_evaluates_only_that_app(example_repo: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    full = render(example_repo, cache)
    labels = [o.body["metadata"]["labels"] for o in full.objects]
    units = {
        (o.unit.app, o.unit.env, o.unit.cluster)
        for o, label in zip(full.objects, labels, strict=True)
        if "midway.dev/resource" not in label
    }
    # one evaluation per app × destination and per provisioned resource (a service-port
    # resource evaluates nothing: the provider's exports are read from its blueprint.yaml)
    assert full.evaluations == len(units) + sum(1 for r in full.resources if r.provisioner)

    assert render(example_repo, cache).evaluations == 0

    app_file = example_repo / "apps/payments/checkout.yaml"
    app_file.write_text(app_file.read_text().replace("replicas: 6", "replicas: 7"))
    after = render(example_repo, cache)
    changed = {p for p in full.files if after.files.get(p) != full.files[p]}
    assert after.evaluations == 2  # checkout in prod-eu and prod-us: the only prod override
    assert changed and all(p.startswith("prod/") and "/checkout/" in p for p in changed)


def test_blueprint_change_re_evaluates_its_apps_only(example_repo: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    full = render(example_repo, cache)
    main = example_repo / "blueprints/worker/main.jsonnet"
    main.write_text(main.read_text() + "\n// a comment changes the blueprint digest\n")
    after = render(example_repo, cache)
    worker_units = {
        (o.unit.app, o.unit.env, o.unit.cluster)
        for o in full.objects
        if o.blueprint == "worker@1.2.0"  # blueprints/worker/; dev renders worker@1.3 (rollout)
    }
    assert after.evaluations == len(worker_units)


def test_git_revision_renders_like_the_working_tree(example_repo: Path) -> None:
    subprocess.run(["git", "init", "-q", str(example_repo)], check=True)
    subprocess.run(["git", "-C", str(example_repo), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(example_repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "config",
        ],
        check=True,
    )
    disk = render(example_repo, Cache.disabled())
    source = GitSource(example_repo, "HEAD")
    at_rev = render_config(load_config(source), source, RenderOptions(cache=Cache.disabled()))
    assert at_rev.files == disk.files
    assert source.revision and len(source.revision) == 40


def test_side_by_side_blueprint_versions_resolve_by_range(example_repo: Path) -> None:
    result = render(example_repo, Cache.disabled())
    assert result.resolved["identity/user-profile"].startswith("web-service@1.")
    assert result.resolved["payments/checkout"].startswith("web-service@2.")


def test_crd_kinds_are_reported_not_validated(example_repo: Path) -> None:
    result = render(example_repo, Cache.disabled())
    assert "postgresql.cnpg.io/v1 Cluster" in result.unvalidated


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_stdout_formats(example_repo: Path, run_cli: RunCli, fmt: str) -> None:
    code, out, _ = run_cli(
        "--config",
        str(example_repo),
        "render",
        "--env",
        "dev",
        "--app",
        "payments/checkout",
        "-o",
        fmt,
    )
    assert code == 0
    assert "checkout" in out


def test_unrelated_environment_change_re_evaluates_nothing(
    example_repo: Path, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    render(example_repo, cache)
    env_file = example_repo / "environments/staging.yaml"
    env_file.write_text(env_file.read_text().replace("drift: correct", "drift: warn"))
    assert "drift: warn" in env_file.read_text()
    assert render(example_repo, cache).evaluations == 0  # same inputs to every blueprint
