"""linktree: the one walk both config sources list files with (a pure unit over a fake tree)."""

from __future__ import annotations

from collections.abc import Iterable

from midway.config import linktree
from midway.config.linktree import Kind


class FakeTree:
    """Entries by real path: a str value is a link target, None a file, {} a directory."""

    def __init__(self, entries: dict[str, str | None]) -> None:
        self.links = {p: t for p, t in entries.items() if t is not None}
        self.files = {p for p, t in entries.items() if t is None}
        self.dirs = {""}
        for path in entries:
            parts = path.split("/")
            self.dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))

    def kind(self, path: str) -> Kind | None:
        if path in self.links:
            return "link"
        if path in self.files:
            return "file"
        return "dir" if path in self.dirs else None

    def children(self, path: str) -> Iterable[tuple[str, Kind]]:
        prefix = f"{path}/" if path else ""
        names = {
            p[len(prefix) :].split("/", 1)[0]
            for p in (*self.links, *self.files, *self.dirs)
            if p.startswith(prefix) and p != path
        }
        for name in names:
            kind = self.kind(prefix + name)
            assert kind is not None
            yield name, kind

    def link_target(self, path: str) -> str:
        return self.links[path]


def walk(entries: dict[str, str | None]) -> linktree.Listing:
    return linktree.walk(FakeTree(entries), ("lib", "vendor"), ("midway.yaml",))


def test_jb_legacy_links_list_the_dependency_twice() -> None:
    listing = walk(
        {
            "vendor/github.com/g/libs/ku/k.libsonnet": None,
            "vendor/ksonnet-util": "github.com/g/libs/ku",
            "midway.yaml": None,
        }
    )
    assert listing.files == {
        "midway.yaml": "midway.yaml",
        "vendor/github.com/g/libs/ku/k.libsonnet": "vendor/github.com/g/libs/ku/k.libsonnet",
        "vendor/ksonnet-util/k.libsonnet": "vendor/github.com/g/libs/ku/k.libsonnet",
    }
    assert not listing.refused


def test_a_target_through_a_linked_directory_resolves() -> None:
    listing = walk({"vendor/real/x/f": None, "vendor/b": "real", "lib/a": "../vendor/b/x/f"})
    assert listing.files["lib/a"] == "vendor/real/x/f"


def test_mutual_links_are_a_loop_not_an_endless_walk() -> None:
    listing = walk({"vendor/a/to-b": "../b", "vendor/b/to-a": "../a"})
    assert [r.reason for r in listing.refused] == [
        "symbolic link loops back to a directory above it"
    ] * 2


def test_a_link_cycle_without_directories_is_refused() -> None:
    listing = walk({"lib/x": "y", "lib/y": "x"})
    assert {r.path for r in listing.refused} == {"lib/x", "lib/y"}
    assert all("loop" in r.reason for r in listing.refused)


def test_escapes_and_dangling_links() -> None:
    listing = walk({"lib/up": "../../etc", "lib/abs": "/etc/passwd", "lib/gone": "nothing"})
    assert {(r.path, r.reason.split(" (")[0]) for r in listing.refused} == {
        ("lib/up", "symbolic link points outside the config repository"),
        ("lib/abs", "symbolic link is absolute"),
    }
    assert listing.dangling == {"lib/gone"}


def test_hidden_names_and_a_file_named_like_a_root_are_not_config() -> None:
    listing = walk({"vendor": None, "lib/.swp": None, "lib/ok": None})
    assert listing.files == {"lib/ok": "lib/ok"}
