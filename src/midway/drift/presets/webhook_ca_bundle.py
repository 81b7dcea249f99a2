"""`caBundle` of webhook configurations, CRD conversion webhooks and APIServices.

Injected after the fact by cert-manager's cainjector (or the serving operator itself);
git never holds the CA.
"""

from __future__ import annotations

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.drift.presets import Preset
from midway.objects.paths import Item, Path

WEBHOOK_KINDS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    kind = ctx.key.kind
    if kind in WEBHOOK_KINDS:
        return (
            len(path) == 4
            and path[0] == "webhooks"
            and isinstance(path[1], Item)
            and path[2:] == ("clientConfig", "caBundle")
        )
    if kind == "CustomResourceDefinition":
        return path == ("spec", "conversion", "webhook", "clientConfig", "caBundle")
    if kind == "APIService":
        return path == ("spec", "caBundle")
    return False


PRESET = Preset("webhook-ca-bundle", "caBundle injected into webhooks and APIServices", matches)
