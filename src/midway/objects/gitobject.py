"""Git object ids computed from bytes, without a repository (or pygit2).

Git names an object by sha1 of "<type> <size>\\0" + content; equal ids mean equal bytes,
so a working tree, a render and a git tree can be compared without reading blobs.
"""

from __future__ import annotations

import hashlib


def object_digest(kind: bytes, content: bytes) -> bytes:
    """The raw 20-byte id git gives `content` as an object of `kind` (b"blob", b"tree")."""
    digest = hashlib.sha1(b"%s %d\0" % (kind, len(content)))
    digest.update(content)  # not concatenated: no copy of a large file
    return digest.digest()


def blob_digest(content: bytes) -> bytes:
    """The raw id of `content` as a blob (what pygit2.hash(content) gives, as bytes)."""
    return object_digest(b"blob", content)


def blob_id(content: bytes) -> str:
    """The hex id git gives these bytes as a blob."""
    return blob_digest(content).hex()
