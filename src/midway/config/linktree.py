"""The config tree as Jsonnet and the loader see it, with symbolic links resolved.

One walk for both sources (working tree and git objects), so they agree on every path: a
link — to a file or a directory, at any depth, a config root itself included — is followed
when every component of its target stays inside the config repo, and refused (named) when it
leaves it, is absolute, or loops. jsonnet-bundler's legacy layout (`vendor/<name>` linking to
`vendor/github.com/<org>/<repo>/<dir>`) is such a link. A source supplies a `Tree`; the walk
returns every visible file by its alias path with the real path it reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["file", "dir", "link"]
MAX_LINK_HOPS = 40  # as Linux's ELOOP limit


class Tree(Protocol):
    """Raw entries by real repo-relative posix path ("" is the repo root); no link followed."""

    def kind(self, path: str) -> Kind | None: ...

    def children(self, path: str) -> Iterable[tuple[str, Kind]]: ...

    def link_target(self, path: str) -> str: ...


@dataclass(frozen=True)
class Refusal:
    path: str  # the alias path as listed (the link, or a path through it)
    reason: str


@dataclass
class Listing:
    files: dict[str, str] = field(default_factory=dict)  # alias path -> real path
    dangling: set[str] = field(default_factory=set)  # links to nothing: listed, unreadable
    refused: list[Refusal] = field(default_factory=list)


class Escape(Exception):
    pass


class Missing(Exception):
    pass


def resolve(tree: Tree, path: str) -> str:
    """The real path of `path`, every link on the way followed. Raises Escape (leaves the
    repo, absolute, loops) or Missing (dangles)."""
    resolved: list[str] = []
    pending = [p for p in path.split("/") if p not in ("", ".")]
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise Escape("points outside the config repository")
            resolved.pop()
            continue
        here = "/".join([*resolved, part])
        kind = tree.kind(here)
        if kind is None:
            raise Missing(here)
        if kind == "link":
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise Escape("is part of a loop of links")
            target = tree.link_target(here)
            if target.startswith("/"):
                raise Escape(f"is absolute (-> {target}): only relative links inside the repo")
            pending = target.split("/") + pending
            continue
        if kind == "file" and pending:
            raise Missing(here)
        resolved.append(part)
    return "/".join(resolved)


def walk(tree: Tree, roots: Iterable[str], root_files: Iterable[str]) -> Listing:
    listing = Listing()
    for name in root_files:
        kind = tree.kind(name)
        if kind is not None:
            _visit(tree, name, name, kind, frozenset({""}), listing, only_files=True)
    for top in roots:
        kind = tree.kind(top)
        if kind in ("dir", "link"):  # a plain file named like a root is not config
            _visit(tree, top, top, kind, frozenset({""}), listing, only_files=False)
    return listing


def _visit(
    tree: Tree,
    alias: str,
    real: str,
    kind: Kind | None,
    chain: frozenset[str],
    out: Listing,
    *,
    only_files: bool,
) -> None:
    if kind == "link":
        try:
            target = resolve(tree, real)
        except Escape as exc:
            out.refused.append(Refusal(alias, f"symbolic link {exc}"))
            return
        except Missing:
            out.files[alias] = real
            out.dangling.add(alias)
            return
        real, kind = target, tree.kind(target)
    if kind == "file":
        out.files[alias] = real
        return
    if kind != "dir" or only_files:
        return
    if real in chain:
        out.refused.append(Refusal(alias, "symbolic link loops back to a directory above it"))
        return
    inner = chain | {real}
    for name, child in sorted(tree.children(real)):
        if name.startswith("."):
            continue  # hidden files are never config (editor swap files, .git)
        path = f"{real}/{name}" if real else name
        _visit(tree, f"{alias}/{name}", path, child, inner, out, only_files=False)
