"""The `deployment.kubernetes.io/revision` annotation the Deployment controller keeps."""

from __future__ import annotations

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.drift.presets import Preset
from midway.objects.paths import Path

ANNOTATION = "deployment.kubernetes.io/revision"


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    return path == ("metadata", "annotations", ANNOTATION) or (
        path == ("metadata", "annotations")
        and isinstance(drift.live, dict)
        and set(drift.live) == {ANNOTATION}
    )


PRESET = Preset(
    "deployment-revision", "the Deployment controller's revision counter", matches, silent=True
)
