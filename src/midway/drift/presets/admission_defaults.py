"""Fields the API server (or an admission plugin) fills in with a default.

Offline mode compares only the fields the desired object sets, so defaults never show
up there. What remains are defaults that another field manager came to own: a full-object
write (`kubectl replace`, `kubectl create`, an `kubectl edit` that added a container)
claims every field it sent, defaults included. Those fields are dropped when their value
is the well-known default (or, for allocated fields such as clusterIP, any value).
"""

from __future__ import annotations

from typing import Any

from midway.drift.ignoring import FieldContext
from midway.drift.model import FieldDrift
from midway.drift.presets import Preset
from midway.objects.paths import Path

ANY = object()  # allocated by the server: any value is a default

# last path segment -> default values the server fills in
DEFAULTS: dict[str, tuple[Any, ...]] = {
    "terminationMessagePath": ("/dev/termination-log",),
    "terminationMessagePolicy": ("File",),
    "imagePullPolicy": ("IfNotPresent", "Always"),
    "successThreshold": (1,),
    "timeoutSeconds": (1,),
    "periodSeconds": (10,),
    "failureThreshold": (3,),
    "scheme": ("HTTP",),
    "restartPolicy": ("Always",),
    "dnsPolicy": ("ClusterFirst",),
    "schedulerName": ("default-scheduler",),
    "securityContext": ({},),
    "resources": ({},),
    "terminationGracePeriodSeconds": (30,),
    "protocol": ("TCP",),
    "progressDeadlineSeconds": (600,),
    "revisionHistoryLimit": (10,),
    "sessionAffinity": ("None",),
    "defaultMode": (420,),
    "enableServiceLinks": (True,),
    "podManagementPolicy": ("OrderedReady",),
    "concurrencyPolicy": ("Allow",),
    "clusterIP": (ANY,),
    "clusterIPs": (ANY,),
    "ipFamilies": (ANY,),
    "ipFamilyPolicy": (ANY,),
}


def matches(ctx: FieldContext, path: Path, drift: FieldDrift) -> bool:
    if drift.change != "added" or not path or not isinstance(path[-1], str):
        return False
    defaults = DEFAULTS.get(path[-1])
    if defaults is None:
        return False
    return any(d is ANY or (d == drift.live and type(d) is type(drift.live)) for d in defaults)


PRESET = Preset(
    "admission-defaults",
    "defaults the server fills in (owned by a full-object write)",
    matches,
    silent=True,
)
