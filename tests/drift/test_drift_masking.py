"""Secret values never reach a report."""

from __future__ import annotations

import json

from midway.drift.evaluate import evaluate_object
from midway.drift.model import DesiredObject, DriftReport
from midway.drift.report import render_markdown, render_text, report_json
from midway.model import Destination
from midway.objects.masking import MASK, is_sensitive, mask_object, mask_value
from midway.objects.paths import Item

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db", "namespace": "shop"},
    "data": {"user": "YWRtaW4=", "pw": "aHVudGVyMg=="},
}


def test_secret_data_and_sensitive_keys_are_masked() -> None:
    assert is_sensitive("Secret", ("data", "anything"))
    assert is_sensitive("ConfigMap", ("data", "db-password"))
    assert is_sensitive("ConfigMap", ("data", "API_TOKEN"))
    env_item = Item(3, ("name", "STRIPE_SECRET_KEY"))
    assert is_sensitive(
        "Deployment", ("spec", "containers", Item(0, ("name", "a")), "env", env_item, "value")
    )
    assert not is_sensitive("ConfigMap", ("data", "currency"))
    # references to secrets are not secret values
    assert not is_sensitive("Deployment", ("spec", "volumes", Item(0), "secret", "secretName"))
    masked, did = mask_value("Secret", ("data",), {"a": "x", "b": "y"})
    assert did and masked == {"a": MASK, "b": MASK}
    assert mask_object(SECRET)["data"] == {"user": MASK, "pw": MASK}  # type: ignore[index]


def test_a_drifted_secret_prints_no_value() -> None:
    live = json.loads(json.dumps(SECRET))
    live["data"]["pw"] = "c3dvcmRmaXNo"
    live["data"]["extra"] = "dG9rZW4="
    drift = evaluate_object(DesiredObject(SECRET), live, mode="offline")
    assert drift.status == "modified"
    assert all(
        f.masked and f.desired in (MASK, None) and f.live in (MASK, None) for f in drift.fields
    )
    report = DriftReport(Destination("dev", "c"), "offline", (drift,))
    outputs = [
        json.dumps(report_json(report)),
        render_text(report, verbose=True),
        render_markdown(report),
    ]
    for text in outputs:
        for value in ("aHVudGVyMg==", "c3dvcmRmaXNo", "YWRtaW4=", "dG9rZW4="):
            assert value not in text
