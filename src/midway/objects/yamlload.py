"""Reading YAML the fast way when PyYAML has libyaml, the pure-Python way otherwise.

Only the safe loaders: a state or config file never constructs Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]


def load(data: bytes | str) -> Any:
    """The one document of `data`."""
    return yaml.load(data, Loader=Loader)


def load_all(data: bytes | str) -> Iterator[Any]:
    """Every document of `data`, in order (empty documents as None)."""
    return yaml.load_all(data, Loader=Loader)
