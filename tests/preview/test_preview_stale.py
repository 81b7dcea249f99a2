"""Stale state: state repo blobs vs a fresh render."""

from __future__ import annotations

import hashlib

from midway.objects.gitobject import blob_id
from midway.objects.stale import StaleObject, stale_objects


def test_blob_id_is_gits() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert blob_id(b"") == hashlib.sha1(b"blob 0\x00").hexdigest()


def test_modified_missing_extra_within_roots() -> None:
    rendered = {"dev/a.yaml": b"a\n", "dev/b.yaml": b"b\n", "prod/c.yaml": b"c\n"}
    state = {
        "dev/a.yaml": blob_id(b"a\n"),
        "dev/b.yaml": blob_id(b"B\n"),
        "dev/x.yaml": blob_id(b"x\n"),
        "argocd/root.yaml": blob_id(b"r\n"),
    }
    assert stale_objects(state, rendered, ["dev", "prod"]) == [
        StaleObject("dev/b.yaml", "modified"),
        StaleObject("dev/x.yaml", "extra"),
        StaleObject("prod/c.yaml", "missing"),
    ]
    assert stale_objects(state, rendered, ["dev"]) == [
        StaleObject("dev/b.yaml", "modified"),
        StaleObject("dev/x.yaml", "extra"),
    ]
