"""One StaleReport for the preview and drift: the same comparison, two readings of it."""

from __future__ import annotations

from midway.drift.stale import compare_files
from midway.objects.gitobject import blob_id
from midway.objects.stale import StaleObject, StaleReport, stale_objects


def test_drift_and_preview_compare_the_same_way() -> None:
    rendered = {"dev/c/a.yaml": b"a\n", "dev/c/b.yaml": b"b\n", "dev/c/new.yaml": b"n\n"}
    state = {"dev/c/a.yaml": b"a\n", "dev/c/b.yaml": b"B\n", "dev/c/old.yaml": b"o\n"}
    drift = compare_files(rendered, state, config_revision="c1", state_commit="s1")
    ids = {path: blob_id(content) for path, content in state.items()}
    assert drift.objects == tuple(stale_objects(ids, rendered, ["dev"]))
    assert drift.objects == (
        StaleObject("dev/c/b.yaml", "modified"),
        StaleObject("dev/c/new.yaml", "missing"),
        StaleObject("dev/c/old.yaml", "extra"),
    )
    # drift's words for the same three states
    assert drift.stale
    assert (drift.changed, drift.added, drift.removed) == (
        ("dev/c/b.yaml",),
        ("dev/c/new.yaml",),
        ("dev/c/old.yaml",),
    )


def test_an_up_to_date_or_unrendered_state_is_not_stale() -> None:
    same = compare_files({"p": b"x"}, {"p": b"x"}, config_revision=None, state_commit="s")
    assert not same.stale and same.changed == same.added == same.removed == ()
    failed = StaleReport(config_revision="c", state_commit="s", error="does not render")
    assert not failed.stale and failed.error
