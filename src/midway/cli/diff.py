"""`midway diff`: preview what a change to the config repo does to the rendered manifests.

Both revisions are read straight from git objects (no checkout) and rendered; only the apps
whose inputs changed are rendered unless --full says otherwise (the others are identical by
construction). Exit 0: no rendered change; 1: changes; 2: error (either side fails).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from rich.console import Console

from midway.cache import Cache
from midway.cli.context import CliContext
from midway.cli.progress import progress_reporter
from midway.cli.render_options import render_cache_options
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.config.source import ConfigSource, DiskSource
from midway.errors import EXIT_DIFFERENCES, MidwayError
from midway.gitrepo.reading import (
    default_branch,
    merge_base,
    open_repository,
    resolve_commit,
)
from midway.model import ConfigRepo, RenderResult
from midway.objects.stale import StaleReport, stale_objects
from midway.preview import report_json, report_markdown, report_text
from midway.preview.affected import affected_apps, changed_paths, with_namespace_neighbours
from midway.preview.changeset import compare
from midway.preview.report import DiffReport, Side, build_report
from midway.render.pipeline import RenderOptions, render_config

T = TypeVar("T")


class SideError(MidwayError):
    """A failure on one side of the comparison: every line says which side it is."""

    def __init__(self, side: str, label: str, error: MidwayError) -> None:
        super().__init__(f"{side} revision {label} cannot be rendered")
        self.side = side
        self.label = label
        self.error = error
        self.exit_code = error.exit_code

    def render(self) -> str:
        prefix = f"{self.side} ({self.label}): "
        return "\n".join(
            line if line.startswith((" ", "\t")) else prefix + line
            for line in self.error.render().splitlines()
        )


def _on_side(side: str, label: str, work: Callable[[], T]) -> T:
    try:
        return work()
    except SideError:
        raise
    except MidwayError as exc:
        raise SideError(side, label, exc) from None


def _short(revision: str | None) -> str:
    return revision[:12] if revision else "?"


def _resolve(repo: Path, rev: str) -> str:
    return str(resolve_commit(open_repository(repo), rev).id)


def _on_other_branch(repo_path: Path, head_rev: str, default: str) -> bool:
    """HEAD is checked out on a local branch that is not the default branch."""
    repo = open_repository(repo_path)
    if head_rev != "HEAD" or repo.head_is_detached or repo.head_is_unborn:
        return False
    return bool(repo.head.shorthand != default.rsplit("/", 1)[-1])


def choose_base(
    repo: Path, base: str | None, head_rev: str, worktree: bool, exact: bool
) -> tuple[str, str]:
    """(commit id, how it was chosen). BASE is compared through its merge-base with HEAD,
    as a pull request is, unless `exact`."""
    if base is not None:
        if exact:
            return _on_side("base", base, lambda: _resolve(repo, base)), base
        found = _on_side("base", base, lambda: merge_base(repo, base, head_rev))
        return found, f"merge-base of {base} and {head_rev}"
    default = default_branch(repo)
    if default is not None:
        found = merge_base(repo, default, head_rev)
        if (
            worktree
            or found != _resolve(repo, head_rev)
            or _on_other_branch(repo, head_rev, default)
        ):
            # (a branch without commits of its own previews as "no changes")
            return found, f"merge-base with {default}"
        # On the default branch itself (or detached at it, as CI checks out a push): the
        # change to preview is the last commit.
    if worktree:
        return _resolve(repo, head_rev), head_rev
    commit = resolve_commit(open_repository(repo), head_rev)
    if not commit.parents:
        raise MidwayError(
            f"nothing to compare with: {head_rev} is a root commit"
            + ("" if default else " and there is no main/master branch"),
            hint="pass BASE explicitly, e.g. `midway diff origin/main`",
        )
    return str(commit.parents[0].id), f"parent of {head_rev}"


def _digests(source: ConfigSource) -> dict[str, str]:
    return {path: source.digest(path) for path in source.paths()}


def read_stale(
    ctx: CliContext, spec: str, config: ConfigRepo, rendered: RenderResult
) -> StaleReport:
    """Compare a state repo branch (path or URL, as --state takes) with a fresh render of base.
    Blob ids are compared, so no state file is read."""
    from midway.state.location import parse_state_spec  # only this option needs the state repo
    from midway.state.reader import StateReader

    location = parse_state_spec(spec, config.settings, config_dir=ctx.config_path, cwd=Path.cwd())
    if location.path is not None and not location.path.exists():
        raise MidwayError(
            f"state repo {location.path} does not exist",
            hint="--against-state takes PATH|URL[@BRANCH], e.g. .midway/state.git@main",
        )
    reader = StateReader.open(location)
    commit = reader.commit()
    envs = sorted(config.environments)
    state: dict[str, str] = {}
    for env in envs:
        state.update(reader.files(commit.id, prefix=env))
    objects = stale_objects(state, rendered.files, envs)
    return StaleReport(
        config_revision=config.revision,
        state_commit=commit.id,
        objects=tuple(objects),
        repo=location.display,
        branch=location.branch,
    )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    # A big preview builds hundreds of thousands of small acyclic objects (parsed manifests,
    # field changes): the cyclic collector only rescans them; it halves the report time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def print_report(report: DiffReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(report_json.render(report), nl=False)
    elif fmt == "markdown":
        click.echo(report_markdown.render(report), nl=False)
    else:
        console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        for line in report_text.render(report):
            console.print(line)


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option(
    "--worktree", is_flag=True, help="Compare the working tree (uncommitted files) with BASE."
)
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown is ready to post as a PR comment; json follows diff-report.schema.json.",
)
@click.option(
    "--against-state",
    metavar="REPO@BRANCH",
    help="Also list state repo files that differ from a fresh render of BASE (stale).",
)
@click.option("--exact-base", is_flag=True, help="Compare BASE itself, not its merge-base.")
@click.option("--full", is_flag=True, help="Render every app, not only those whose inputs changed.")
@render_cache_options
@click.pass_obj
def diff(
    ctx: CliContext,
    base: str | None,
    head: str | None,
    worktree: bool,
    fmt: str,
    against_state: str | None,
    exact_base: bool,
    full: bool,
    no_cache: bool,
    workers: int | None,
) -> None:
    """Preview a change: render BASE and HEAD from git and compare them object by object.

    BASE defaults to the merge-base of HEAD with the default branch (origin/HEAD, main or
    master), or HEAD's parent when HEAD is on that branch; HEAD defaults to the HEAD commit.
    Exit status: 0 no rendered change, 1 changes, 2 error.
    """
    if worktree and head is not None:
        raise MidwayError("give either HEAD or --worktree, not both")
    with _cyclic_gc_paused():
        repo = ctx.config_path
        head_rev = head or "HEAD"
        _on_side("head", head_rev, lambda: _resolve(repo, head_rev))  # say which side is missing
        base_rev, base_how = choose_base(repo, base, head_rev, worktree, exact_base)
        cache = Cache.disabled() if no_cache else ctx.cache

        head_source: ConfigSource
        if worktree:
            head_source, head_side = DiskSource(repo), Side("working tree", None)
        else:
            head_source = _on_side("head", head_rev, lambda: GitSource(repo, head_rev))
            head_side = Side(f"{_short(head_source.revision)} ({head_rev})", head_source.revision)
        base_source = _on_side("base", base_rev, lambda: GitSource(repo, base_rev))
        base_side = Side(f"{_short(base_source.revision)} ({base_how})", base_source.revision)

        head_config = _on_side("head", head_side.label, lambda: load_config(head_source, cache))
        base_config = _on_side("base", base_side.label, lambda: load_config(base_source, cache))
        files = changed_paths(_digests(base_source), _digests(head_source))
        apps = None if full else affected_apps(files, (base_config, head_config))
        if apps is not None:
            apps = with_namespace_neighbours(apps, base_config) | with_namespace_neighbours(
                apps, head_config
            )

        def render(
            config: ConfigRepo, source: ConfigSource, selection: frozenset[str] | None
        ) -> RenderResult:
            options = RenderOptions(
                apps=selection, workers=workers, cache=cache, progress=progress_reporter(ctx)
            )
            return render_config(config, source, options)

        head_result = _on_side(
            "head", head_side.label, lambda: render(head_config, head_source, apps)
        )
        if apps is not None and any(not o.key.namespace for o in head_result.objects):
            # Cluster-scoped objects can collide with any app's: let the full render check.
            head_result = _on_side(
                "head", head_side.label, lambda: render(head_config, head_source, None)
            )
        base_selection = None if against_state else apps
        base_result = _on_side(
            "base", base_side.label, lambda: render(base_config, base_source, base_selection)
        )
        stale = read_stale(ctx, against_state, base_config, base_result) if against_state else None

        changeset = compare(base_result, head_result, apps)
        all_apps = set(base_config.apps) | set(head_config.apps)
        report = build_report(
            base_side,
            head_side,
            changeset,
            files,
            stale=stale,
            skipped_apps=0 if apps is None else len(all_apps - apps),
        )
        print_report(report, fmt)
        if not report.changed:
            if fmt != "text":
                ctx.info("no changes")
            return
        sys.exit(EXIT_DIFFERENCES)
