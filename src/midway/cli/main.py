"""Entry point: parse global options, dispatch to a verb module, map errors to exit codes.

Verb modules are imported only when invoked, so fast commands (check, render) do not pay for
heavy imports (kubernetes client, pygit2) they never use.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import sys
import traceback
from typing import Any, NoReturn

import click

from midway.cli.context import CliContext
from midway.errors import EXIT_ERROR, EXIT_INTERNAL, MidwayError

VERBS: dict[str, tuple[str, str]] = {
    "render": ("midway.cli.render", "render"),
    "publish": ("midway.cli.publish", "publish"),
    "diff": ("midway.cli.diff", "diff"),
    "graph": ("midway.cli.graph", "graph"),
    "check": ("midway.cli.check", "check"),
    "drift": ("midway.cli.drift", "drift"),
    "apply": ("midway.cli.apply", "apply"),
    "sync": ("midway.cli.sync", "sync"),
    "daemon": ("midway.cli.daemon", "daemon"),
    "status": ("midway.cli.status", "status"),
    "hooks": ("midway.cli.hooks", "hooks"),
    "state": ("midway.cli.state", "state"),
    "schema": ("midway.cli.schema", "schema"),
    "init": ("midway.cli.init", "init"),
    "new": ("midway.cli.new", "new"),
    "blueprint": ("midway.cli.blueprint", "blueprint"),
    "explain": ("midway.cli.explain", "explain"),
    "catalog": ("midway.cli.catalog", "catalog"),
    "promote": ("midway.cli.promote", "promote"),
    "rollout": ("midway.cli.rollout", "rollout"),
}
# One-shot verbs that end the process without tearing down the interpreter: freeing a
# 1,000-app render object by object took ~30 ms, longer than some of the commands themselves.
# Long-running verbs (daemon, drift --watch) exit the normal way.
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`
QUICK_EXIT_VERBS = frozenset(
    {
        "render",
        "check",
        "diff",
        "publish",
        "status",
        "hooks",
        "schema",
        "explain",
        "blueprint",
        "catalog",
    }
)
_invoked: list[str] = []
_console_script = False  # set by run(): this process ends when the verb does


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in VERBS.items() if _available(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = VERBS.get(cmd_name)
        if target is None or not _available(target[0]):
            return None
        module = importlib.import_module(target[0])
        command: click.Command = getattr(module, target[1])
        _invoked.append(cmd_name)
        if _console_script and cmd_name in QUICK_EXIT_VERBS:
            # A one-shot process makes no garbage cycles worth collecting before it exits,
            # and the collector's full passes over a 10,000-app render cost ~0.3 s (9% of
            # a no-op render --out); gc_pause covers the heavy stages of in-process callers.
            gc.disable()
        return command


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Config repo directory.",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More detail (the traceback of an internal error; of any error with -vv).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the result.")
@click.version_option(package_name="midway")
@click.pass_context
def cli(ctx: click.Context, config_dir: str, verbose: int, quiet: bool) -> None:
    """midway — blueprints + app requests in, a GitOps state repo out, drift kept in check."""
    ctx.obj = CliContext(config_dir=config_dir, verbose=verbose, quiet=quiet)


def main(argv: list[str] | None = None) -> Any:
    """Run one verb. Exit codes: 0 ok / no differences, 1 differences found, 2 a problem the
    user can fix (bad input, unreachable or wrong cluster), 3 an internal error (a bug),
    130 interrupted, 141 the output pipe was closed."""
    try:
        # Not cli.main(): it turns a broken pipe into exit 1, which reads as "differences".
        with cli.make_context("midway", list(sys.argv[1:] if argv is None else argv)) as ctx:
            return cli.invoke(ctx)
    except MidwayError as exc:
        if _verbosity(argv if argv is not None else sys.argv[1:]) >= 2:
            traceback.print_exc()
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # `midway render | head`: the reader left, as SIGPIPE would say
        _silence_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    except Exception as exc:
        # Anything else is a bug in midway. It must not exit 1 ("differences found": CI
        # would read a crash as drift), nor bury the message under a traceback.
        if _verbosity(argv if argv is not None else sys.argv[1:]) >= 1:
            traceback.print_exc()
        click.echo(internal_error_line(exc), err=True)
        sys.exit(EXIT_INTERNAL)


def internal_error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    detail = f": {text}" if text else ""
    return (
        f"midway: internal error: {type(exc).__name__}{detail} "
        "(run with -v for the traceback, please report it)"
    )


def _silence_stdout() -> None:
    # Python would report the broken pipe again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run() -> NoReturn:
    """The `midway` console script: main(), then exit (quickly, for one-shot verbs)."""
    global _console_script
    _console_script = True
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        # a message instead of a number is an error, never "differences found"
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_ERROR)
    if not _invoked or _invoked[-1] not in QUICK_EXIT_VERBS:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or EXIT_BROKEN_PIPE
    os._exit(code)


def _verbosity(args: list[str]) -> int:
    count = 0
    for arg in args:
        if arg == "--verbose":
            count += 1
        elif arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) == {"v"}:
            count += len(arg) - 1
    return count


if __name__ == "__main__":
    run()
