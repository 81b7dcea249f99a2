"""What correcting an object should do, decided without a cluster (sync/decisions.py).

The I/O around these answers (apply, PUT, delete) is tested against the real API server in
test_sync_apply.py, test_sync_recreate.py and test_sync_live_edits.py.
"""

from __future__ import annotations

from typing import Any

from midway.cluster import FieldConflict
from midway.drift.model import UNKNOWN_MANAGER, DriftStatus, FieldDrift, ObjectDrift
from midway.model import FIELD_MANAGER, IgnoreRule, ObjectKey
from midway.sync.changeset import ForcedField, SkippedField
from midway.sync.decisions import (
    Skip,
    forced_takeover,
    foreign,
    looks_for_foreign_items,
    outcome,
    owned_by_nobody_else,
    resolve_conflicts,
    skip_before_apply,
    skip_unless_recreate,
    skip_when_left_alone,
)
from midway.sync.policy import ObjectPolicy
from midway.sync.recreate import SYNC_OPTIONS_ANNOTATION

KEY = ObjectKey("apps", "Deployment", "shop", "web")
CORRECT = ObjectPolicy("correct")
WARN = ObjectPolicy("warn", decided_by="environment prod")
LIVE: dict[str, Any] = {"metadata": {"resourceVersion": "7"}}


def _field(
    path: str = "spec.replicas",
    manager: str | None = "kubectl-edit",
    *,
    ignored_by: str | None = None,
    reverted_by_apply: bool = True,
) -> FieldDrift:
    pointer = "/" + path.replace(".", "/")
    return FieldDrift(
        pointer=pointer,
        path=path,
        change="changed",
        manager=manager,
        ignored_by=ignored_by,
        reverted_by_apply=reverted_by_apply,
    )


def _drift(
    status: DriftStatus, *fields: FieldDrift, live: dict[str, Any] | None = LIVE
) -> ObjectDrift:
    return ObjectDrift(key=KEY, status=status, fields=fields, live=live)


# ---------------------------------------------------------------- skip before writing


def test_in_sync_is_unchanged_without_a_reason() -> None:
    assert skip_before_apply(_drift("in-sync"), CORRECT, always_apply=False) == Skip("unchanged")


def test_only_ignored_fields_is_unchanged_and_says_so() -> None:
    drift = _drift("ignored", _field(ignored_by="rule"))
    skip = skip_before_apply(drift, CORRECT, always_apply=False)
    assert skip == Skip("unchanged", "only ignored fields differ")


def test_a_changed_desired_object_is_applied_even_when_in_sync() -> None:
    assert skip_before_apply(_drift("in-sync"), CORRECT, always_apply=True) is None


def test_warn_policy_skips_naming_the_counted_fields_and_who_decided() -> None:
    drift = _drift("modified", _field("spec.replicas"), _field("spec.paused", ignored_by="r"))
    skip = skip_before_apply(drift, WARN, always_apply=False)
    assert skip == Skip(
        "skipped",
        "1 field(s) differ; drift policy is warn (environment prod)",
        ("spec.replicas",),
    )


def test_warn_policy_on_a_missing_object_says_missing() -> None:
    skip = skip_before_apply(_drift("missing", live=None), WARN, always_apply=True)
    assert skip is not None and skip.reason.startswith("missing; drift policy is warn")


def test_drift_under_correct_policy_goes_on_to_the_body() -> None:
    assert skip_before_apply(_drift("modified", _field()), CORRECT, always_apply=False) is None


def test_nothing_left_to_correct_skips_a_modified_object() -> None:
    drift = _drift("modified", _field(ignored_by="rule"))
    assert skip_when_left_alone(drift, [], always_apply=False) == Skip(
        "skipped", "every differing field is contested or ignored"
    )
    assert skip_when_left_alone(drift, [], always_apply=True) is None
    assert skip_when_left_alone(drift, [_field()], always_apply=False) is None
    assert skip_when_left_alone(_drift("missing", live=None), [], always_apply=False) is None


# ---------------------------------------------------------------- leaving a field alone


def test_who_counts_as_another_manager() -> None:
    for nobody in (None, "", FIELD_MANAGER, UNKNOWN_MANAGER):
        assert owned_by_nobody_else(nobody) and not foreign(nobody)
    assert foreign("kubectl-edit") and not owned_by_nobody_else("kubectl-edit")


# ---------------------------------------------------------------- forcing


def test_first_apply_is_forced_when_the_drift_names_the_other_managers() -> None:
    corrected = [_field("spec.replicas", "kubectl-edit"), _field("spec.paused", UNKNOWN_MANAGER)]
    assert forced_takeover(corrected, ()) == (ForcedField("spec.replicas", "kubectl-edit"),)


def test_first_apply_is_not_forced_when_a_rule_depends_on_the_manager() -> None:
    rules = (IgnoreRule(kind="ConfigMap", manager="hpa*"),)
    assert forced_takeover([_field("spec.replicas", "kubectl-edit")], rules) == ()


def test_first_apply_is_not_forced_for_fields_an_apply_cannot_revert() -> None:
    added = _field("data.extra", "kubectl-edit", reverted_by_apply=False)
    assert forced_takeover([added], ()) == ()
    assert forced_takeover([_field(manager=None)], ()) == ()


def test_conflicts_are_forced_unless_a_rule_lets_that_manager_own_the_field() -> None:
    body = {"spec": {"replicas": 2, "paused": False}}
    rule = IgnoreRule(path="/spec/replicas", manager="horizontal-pod-autoscaler")
    conflicts = [
        FieldConflict("horizontal-pod-autoscaler", ".spec.replicas", ""),
        FieldConflict("kubectl-edit", ".spec.paused", ""),
        FieldConflict("kubectl-edit", ".spec.notInTheBody", ""),
    ]
    resolution = resolve_conflicts(body, conflicts, KEY, (rule,))
    assert resolution.forced == (ForcedField(".spec.paused", "kubectl-edit"),)
    hpa = "horizontal-pod-autoscaler"
    assert resolution.skipped == (
        SkippedField(".spec.replicas", hpa, "ignored by rule /spec/replicas"),
    )
    assert resolution.body == {"spec": {"paused": False}}
    assert body == {"spec": {"replicas": 2, "paused": False}}  # the caller's body is untouched


# ---------------------------------------------------------------- list items, recreate


def test_foreign_list_items_are_looked_for_only_under_a_corrected_list_field() -> None:
    port = _field('spec.ports[name="http"].port')
    assert looks_for_foreign_items(_drift("modified", port), [port])
    assert not looks_for_foreign_items(_drift("modified", port), [_field()])
    assert not looks_for_foreign_items(_drift("missing", live=None), [port])


def test_an_immutable_field_recreates_only_on_opt_in() -> None:
    plain: dict[str, Any] = {"metadata": {}}
    opted = {"metadata": {"annotations": {SYNC_OPTIONS_ANNOTATION: "Recreate=true"}}}
    skip = skip_unless_recreate(["spec.selector"], plain, [_field("spec.selector")])
    assert skip is not None and skip.action == "skipped"
    assert skip.reason.startswith("needs recreate: spec.selector cannot change in place; opt in")
    assert skip.fields == ("spec.selector",)
    assert skip_unless_recreate(["spec.selector"], opted, []) is None


# ---------------------------------------------------------------- the outcome


def _outcome(
    drift: ObjectDrift,
    corrected: list[FieldDrift],
    *,
    dry_run: bool = False,
    always_apply: bool = False,
    rollout: bool = False,
    after: str = "8",
) -> tuple[str, str | None]:
    return outcome(
        drift,
        corrected,
        dry_run=dry_run,
        always_apply=always_apply,
        rollout=rollout,
        before="7",
        after=after,
    )


def test_a_missing_object_is_created_and_a_new_one_is_a_rollout() -> None:
    missing = _drift("missing", live=None)
    assert _outcome(missing, []) == ("created", "missing from the cluster")
    assert _outcome(missing, [], rollout=True) == ("created", "rollout: new desired object")


def test_drift_corrected_names_the_managers_once_each_sorted() -> None:
    corrected = [_field("a", "kubectl-edit"), _field("b", "argocd"), _field("c", "kubectl-edit")]
    assert _outcome(_drift("modified", *corrected), corrected) == (
        "configured",
        "drift by argocd, kubectl-edit corrected",
    )


def test_a_rollout_is_never_blamed_on_a_manager() -> None:
    corrected = [_field()]
    assert _outcome(_drift("modified", *corrected), corrected, rollout=True) == (
        "configured",
        "rollout: desired state changed",
    )
    assert _outcome(_drift("in-sync"), [], always_apply=True) == (
        "configured",
        "desired state changed",
    )


def test_a_write_that_left_the_resource_version_is_unchanged() -> None:
    assert _outcome(_drift("in-sync"), [], always_apply=True, after="7") == ("unchanged", None)


def test_a_dry_run_is_configured_when_it_would_correct_something() -> None:
    corrected = [_field()]
    drift = _drift("modified", *corrected)
    assert _outcome(drift, corrected, dry_run=True, after="7")[0] == "configured"
    assert _outcome(drift, [], dry_run=True, after="8") == ("unchanged", None)
