"""The `kubectl.kubernetes.io/last-applied-configuration` annotation of client-side
`kubectl apply`. The fields that apply changed are reported on their own; the annotation
itself is only kubectl's bookkeeping."""

from __future__ import annotations

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.drift.presets import Preset
from midway.objects.paths import Path

ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    return path == ("metadata", "annotations", ANNOTATION)


PRESET = Preset("kubectl-last-applied", "client-side kubectl apply bookkeeping", matches)
