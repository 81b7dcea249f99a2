"""A progress bar on a terminal for long renders; silent when not a TTY."""

from __future__ import annotations

from collections.abc import Callable

from midway.cli.context import CliContext


def progress_reporter(ctx: CliContext) -> Callable[[int, int], None] | None:
    if not ctx.interactive:
        return None
    from rich.progress import Progress

    state: dict[str, object] = {}

    def report(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            if total < 200:  # short renders finish before a bar would help
                return
            bar = Progress(console=ctx.console, transient=True)
            bar.start()
            state["bar"] = bar
            state["task"] = bar.add_task("rendering", total=total)
        assert isinstance(bar, Progress)
        bar.update(state["task"], completed=done)  # type: ignore[arg-type]
        if done >= total:
            bar.stop()

    return report
