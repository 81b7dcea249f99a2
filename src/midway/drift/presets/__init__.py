"""Built-in ignore presets: the well-known false alarms, one small module each.

A preset looks at one differing field (and the object and cluster facts around it) and
says whether it is expected. A `silent` preset drops the field from the report (noise
every object would carry); the others keep it, marked `ignored_by: preset <name>`, so a
reader sees what was let through and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.objects.paths import Path

Matcher = Callable[[FieldContext, Path, FieldDrift], bool]


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    matches: Matcher
    silent: bool = False


def all_presets() -> tuple[Preset, ...]:
    """Every built-in preset, in the order they are tried."""
    from midway.drift.presets import (
        admission_defaults,
        deployment_revision,
        hpa_replicas,
        last_applied,
        restarted_at,
        webhook_ca_bundle,
    )

    return (
        hpa_replicas.PRESET,
        webhook_ca_bundle.PRESET,
        admission_defaults.PRESET,
        restarted_at.PRESET,
        deployment_revision.PRESET,
        last_applied.PRESET,
    )
