"""The `kubectl.kubernetes.io/restartedAt` pod-template annotation of `kubectl rollout restart`.

A restart is an operation, not a configuration change; the annotation stays afterwards.
"""

from __future__ import annotations

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.drift.presets import Preset
from midway.objects.paths import Path

ANNOTATION = "kubectl.kubernetes.io/restartedAt"


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    if path[-3:] == ("metadata", "annotations", ANNOTATION):
        return True
    # the whole annotations map, when the restart created it
    whole_map = path[-2:] == ("metadata", "annotations") and isinstance(drift.live, dict)
    return whole_map and set(drift.live) == {ANNOTATION}


PRESET = Preset("restarted-at", "kubectl rollout restart stamps the pod template", matches)
