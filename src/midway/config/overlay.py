"""A config source with some files replaced: what a config would be after an edit, loaded and
rendered before anything is written (`midway promote` checks the promoted app renders)."""

from __future__ import annotations

from collections.abc import Mapping

from midway.config.source import ConfigSource
from midway.objects.gitobject import blob_id


class OverlaySource(ConfigSource):
    def __init__(self, base: ConfigSource, files: Mapping[str, bytes]) -> None:
        self.base = base
        self.files = dict(files)
        self.label = f"{base.label} (edited)"
        self.revision = None  # not any commit
        self.commit_time = base.commit_time

    def paths(self) -> list[str]:
        return sorted({*self.base.paths(), *self.files})

    def read(self, path: str) -> bytes:
        found = self.files.get(path)
        return found if found is not None else self.base.read(path)

    def digest(self, path: str) -> str:
        found = self.files.get(path)
        return blob_id(found) if found is not None else self.base.digest(path)
