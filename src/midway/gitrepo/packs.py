"""A hand-written pack file writer: many new objects -> one pack + its index, no deltas.

A first publish of 12,000 files would otherwise create 16,000 loose object files; GitStore
uses this when it has PACK_THRESHOLD or more objects to write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import pygit2

PACK_THRESHOLD = 256
_PACK_TYPES = {int(pygit2.enums.ObjectType.BLOB): 3, int(pygit2.enums.ObjectType.TREE): 2}


def write_pack(pack_dir: Path, objects: Mapping[bytes, tuple[int, bytes]]) -> str:
    """Write `objects` ({raw id: (type, content)}) as one pack + index (version 2, no deltas)
    into `pack_dir`; returns the pack's name. Both files are written under temporary names
    and renamed, pack first: a pack is invisible to git until its index appears, so a kill
    leaves at most a `tmp_pack_*` / idx-less pack that `git gc` removes."""
    pack_dir.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[bytes, int, int]] = []  # (raw id, offset, crc32)
    digest = hashlib.sha1()
    fd, tmp_pack = tempfile.mkstemp(prefix="tmp_pack_", dir=pack_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            header = b"PACK" + struct.pack(">II", 2, len(objects))
            out.write(header)
            digest.update(header)
            offset = len(header)
            for raw, (obj_type, data) in objects.items():
                size = len(data)
                byte = (_PACK_TYPES[int(obj_type)] << 4) | (size & 0x0F)
                size >>= 4
                head = bytearray()
                while size:
                    head.append(byte | 0x80)
                    byte = size & 0x7F
                    size >>= 7
                head.append(byte)
                record = bytes(head) + zlib.compress(data, 1)
                out.write(record)
                digest.update(record)
                entries.append((raw, offset, zlib.crc32(record)))
                offset += len(record)
            checksum = digest.digest()
            out.write(checksum)
        name = f"pack-{checksum.hex()}"
        index = _pack_index(entries, checksum)
        os.rename(tmp_pack, pack_dir / f"{name}.pack")
        fd, tmp_idx = tempfile.mkstemp(prefix="tmp_idx_", dir=pack_dir)
        with os.fdopen(fd, "wb") as out:
            out.write(index)
        os.chmod(tmp_idx, 0o444)
        os.rename(tmp_idx, pack_dir / f"{name}.idx")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_pack)
        raise
    return name


def _pack_index(entries: list[tuple[bytes, int, int]], pack_checksum: bytes) -> bytes:
    entries = sorted(entries)
    fanout = [0] * 256
    for raw, _, _ in entries:
        fanout[raw[0]] += 1
    running = 0
    for i in range(256):
        running += fanout[i]
        fanout[i] = running
    small: list[int] = []
    large: list[int] = []
    for _, offset, _ in entries:
        if offset < 0x80000000:
            small.append(offset)
        else:
            small.append(0x80000000 | len(large))
            large.append(offset)
    body = b"".join(
        [
            b"\377tOc",
            struct.pack(">I", 2),
            struct.pack(">256I", *fanout),
            b"".join(raw for raw, _, _ in entries),
            struct.pack(f">{len(entries)}I", *(crc for _, _, crc in entries)),
            struct.pack(f">{len(small)}I", *small),
            struct.pack(f">{len(large)}Q", *large),
            pack_checksum,
        ]
    )
    return body + hashlib.sha1(body).digest()
