"""One error type for everything the user can fix; mapped to exit code 2 in one place (cli)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 3  # a bug in midway: never to be read as "differences found" (1)


@dataclass(frozen=True, order=True)
class SourceLocation:
    """Where a value came from: repo-relative path, 1-based line and column when known."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class MidwayError(Exception):
    """A problem the user can fix: what is wrong, where, and how to fix it."""

    exit_code = EXIT_ERROR

    def __init__(
        self,
        message: str,
        source: SourceLocation | None = None,
        hint: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.hint = hint
        self.detail = detail

    def render(self) -> str:
        where = f"{self.source}: " if self.source else ""
        lines = [f"{where}error: {self.message}"]
        if self.detail:
            lines.extend("    " + line for line in self.detail.rstrip().splitlines())
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class MidwayErrors(MidwayError):
    """Several independent problems reported at once (validation gates list every failure)."""

    def __init__(self, errors: Sequence[MidwayError]) -> None:
        ordered = sorted(errors, key=_error_sort_key)
        super().__init__(f"{len(ordered)} problem(s) found")
        self.errors: tuple[MidwayError, ...] = tuple(ordered)

    def render(self) -> str:
        body = "\n".join(e.render() for e in self.errors)
        return f"{body}\n{len(self.errors)} error(s)"

    @staticmethod
    def raise_if_any(errors: Iterable[MidwayError]) -> None:
        flat: list[MidwayError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, MidwayErrors) else [error])
        if len(flat) == 1:
            raise flat[0]
        if flat:
            raise MidwayErrors(flat)


def _error_sort_key(error: MidwayError) -> tuple[str, int, int, str]:
    src = error.source
    if src is None:
        return ("", 0, 0, error.message)
    return (src.path, src.line or 0, src.column or 0, error.message)


class ClusterError(MidwayError):
    """A cluster could not be reached or refused us; said in operator terms, never a traceback."""
