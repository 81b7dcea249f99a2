"""Git object ids from bytes agree with git's own (pygit2), without a repository."""

from __future__ import annotations

import pygit2
import pytest

from midway.objects.gitobject import blob_digest, blob_id, object_digest


@pytest.mark.parametrize("content", [b"", b"hello\n", b"\0binary\xff" * 1000])
def test_blob_ids_are_gits(content: bytes) -> None:
    assert blob_id(content) == str(pygit2.hash(content))
    assert blob_digest(content) == pygit2.hash(content).raw


def test_tree_ids_are_gits(tmp_path: object) -> None:
    repo = pygit2.init_repository(str(tmp_path), bare=True)
    oid = repo.create_blob(b"a: 1\n")
    builder = repo.TreeBuilder()
    builder.insert("a.yaml", oid, pygit2.enums.FileMode.BLOB)
    tree = builder.write()
    content = b"100644 a.yaml\0" + oid.raw
    assert object_digest(b"tree", content) == tree.raw
