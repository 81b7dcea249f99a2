"""`midway init [DIR]`: start a new config repo that renders and checks as written.

An empty directory (a fresh `git init` counts: `.git` is ignored) is filled; a non-empty one
is refused unless `--force`, and even then no existing file is overwritten (each one in the
way is named and nothing is written). The editor schemas are written too."""

from __future__ import annotations

from pathlib import Path

import click

from midway.authoring.editor_schemas import DEFAULT_DIR, editor_schemas
from midway.authoring.starter import starter_files
from midway.cli.context import CliContext
from midway.cli.file_output import write_files
from midway.config.loader import load_config
from midway.config.source import DiskSource
from midway.errors import MidwayError

_IGNORED = {".git"}


def _gitignore(root: Path, ours: bytes) -> bytes | None:
    """An existing .gitignore (only with --force: the directory was not empty) is kept, with
    our lines appended unless it ignores .midway/ already (None: nothing to write)."""
    path = root / ".gitignore"
    if not path.is_file():
        return ours
    current = path.read_bytes()
    if b".midway/" in current.split():
        return None
    return current + (b"" if current.endswith(b"\n") or not current else b"\n") + ours


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Write into a non-empty directory (never over a file).")
@click.pass_obj
def init(ctx: CliContext, directory: str | None, force: bool) -> None:
    """Create a config repo in DIRECTORY (default: --config, i.e. the current directory)."""
    root = Path(directory) if directory is not None else ctx.config_path
    if root.exists() and not root.is_dir():
        raise MidwayError(f"{root} exists and is not a directory")
    listed = root.iterdir() if root.is_dir() else iter(())
    present = sorted(p.name for p in listed if p.name not in _IGNORED)
    if present and not force:
        shown = ", ".join(present[:5]) + (", …" if len(present) > 5 else "")
        raise MidwayError(
            f"{root} is not empty ({shown})",
            hint="run it in an empty directory, or pass --force to add the starter files "
            "beside what is there (no file is overwritten)",
        )
    files = starter_files()
    gitignore = _gitignore(root, files.pop(".gitignore"))
    written = write_files(root, files, overwrite=False)
    if gitignore is not None:
        written += write_files(root, {".gitignore": gitignore}, overwrite=True)
    config = load_config(DiskSource(root.resolve()))
    write_files(
        root / DEFAULT_DIR, {f.name: f.content for f in editor_schemas(config)}, overwrite=True
    )
    if not ctx.quiet:
        listing = "".join(f"  {p.relative_to(root).as_posix()}\n" for p in written)
        click.echo(
            f"created a config repo in {root}:\n{listing}"
            f"editor schemas in {DEFAULT_DIR}/ (refresh with `midway schema`)\n"
            "next: midway check && midway render, then "
            "midway new app TEAM/NAME --blueprint web-service",
            err=True,
        )
