"""`render --out`: all-or-nothing creation, in-place updates, foreign directories untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from midway.errors import MidwayError
from midway.render.output import MARKER, write_tree


def test_creates_a_new_directory_with_a_marker(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/b.yaml": b"x: 1\n"})
    assert (out / "a/b.yaml").read_bytes() == b"x: 1\n"
    assert (out / MARKER).is_file()


def test_updates_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/keep.yaml": b"1\n", "a/change.yaml": b"old\n", "b/gone.yaml": b"x\n"})
    keep_inode = (out / "a/keep.yaml").stat().st_ino
    write_tree(out, {"a/keep.yaml": b"1\n", "a/change.yaml": b"new\n"})
    assert (out / "a/change.yaml").read_bytes() == b"new\n"
    assert (out / "a/keep.yaml").stat().st_ino == keep_inode  # untouched
    assert not (out / "b").exists()


def test_refuses_a_directory_midway_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    with pytest.raises(MidwayError, match="not written by midway"):
        write_tree(out, {"a.yaml": b"x\n"})
    assert (out / "precious.txt").read_text() == "mine"


def test_refuses_paths_that_escape(tmp_path: Path) -> None:
    with pytest.raises(MidwayError, match="outside the output directory"):
        write_tree(tmp_path / "out", {"../evil.yaml": b"x\n"})
    assert not (tmp_path / "out").exists()


def test_a_hand_edited_file_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/b.yaml": b"replicas: 2\n"})
    (out / "a/b.yaml").write_bytes(b"replicas: 9\n")  # same size, new mtime
    write_tree(out, {"a/b.yaml": b"replicas: 2\n"})
    assert (out / "a/b.yaml").read_bytes() == b"replicas: 2\n"


@pytest.mark.parametrize(
    "marker",
    [
        b"{not json",
        b'{"version": 1, "files": {"a/b.yaml": "junk"}}',
        b'{"version": 1, "files": {"a/b.yaml": [1, 2]}}',
        b'{"version": 1, "files": []}',
        b'{"version": 99, "files": {}}',
    ],
)
def test_a_damaged_marker_falls_back_to_comparing_content(tmp_path: Path, marker: bytes) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/b.yaml": b"x: 1\n", "a/old.yaml": b"gone\n"})
    (out / MARKER).write_bytes(marker)
    write_tree(out, {"a/b.yaml": b"x: 2\n"})
    assert (out / "a/b.yaml").read_bytes() == b"x: 2\n"
    assert not (out / "a/old.yaml").exists()
    write_tree(out, {"a/b.yaml": b"x: 2\n"})  # and the marker is whole again
    assert (out / "a/b.yaml").read_bytes() == b"x: 2\n"
