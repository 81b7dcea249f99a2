"""What every verb shares: global options, loading the config repo, console output."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from midway.cache import Cache
from midway.config.loader import load_config
from midway.config.source import ConfigSource, DiskSource
from midway.model import ConfigRepo

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class CliContext:
    config_dir: str = "."
    verbose: int = 0
    quiet: bool = False

    @property
    def config_path(self) -> Path:
        return Path(self.config_dir)

    def source(self, rev: str | None = None) -> ConfigSource:
        """The working tree, or a git revision read straight from objects (no checkout)."""
        if rev is None:
            return DiskSource(self.config_path)
        from midway.config.gitsource import GitSource  # pygit2 only when a revision is asked

        return GitSource(self.config_path, rev)

    @cached_property
    def console(self) -> Console:
        from rich.console import Console  # rich costs ~15 ms to import; quiet runs never need it

        return Console(stderr=True, highlight=False)

    @cached_property
    def cache(self) -> Cache:
        return Cache()

    def load(self, rev: str | None = None) -> tuple[ConfigSource, ConfigRepo]:
        source = self.source(rev)
        return source, load_config(source, self.cache)

    @property
    def interactive(self) -> bool:
        return sys.stderr.isatty() and not self.quiet

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)
