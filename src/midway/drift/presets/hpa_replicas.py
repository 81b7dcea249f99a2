"""`spec.replicas` of a Deployment/StatefulSet that a live HorizontalPodAutoscaler scales.

The HPA writes replicas through the scale subresource; on 1.20 that leaves no
managedFields entry, so the change looks like nobody's. Only applies while an HPA in the
cluster actually targets the object (checked against live HPAs, not the desired ones).
"""

from __future__ import annotations

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift, ObjectDrift
from midway.drift.presets import Preset
from midway.objects.paths import Path

SCALABLE = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    if ctx.key.kind not in SCALABLE or path != ("spec", "replicas"):
        return False
    return (ctx.key.namespace, ctx.key.kind, ctx.key.name) in ctx.facts.hpa_targets


def may_be_hpa_scaled(drift: ObjectDrift) -> bool:
    """Whether this verdict could change with HPA facts: a scalable object whose
    spec.replicas differs (callers list the HPAs only then)."""
    return drift.key.kind in SCALABLE and any(
        f.pointer == "/spec/replicas" and not f.ignored for f in drift.fields
    )


PRESET = Preset("hpa-replicas", "spec.replicas owned by a live HorizontalPodAutoscaler", matches)
