"""Semantic versions and the ranges apps pin blueprints with: `^1`, `~1.2`, `1.3.0`, `>=1.2 <2`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from midway.model import Version

_VERSION = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$")
_COMPARATOR = re.compile(r"^(\^|~|>=|<=|>|<|=)?\s*(.+)$")


def parse_version(text: str) -> Version | None:
    match = _VERSION.match(text.strip())
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    return Version(int(major), int(minor), int(patch), pre or "")


Predicate = Callable[[Version], bool]


def parse_range(text: str) -> Predicate | None:
    """Compile a range into a predicate; None if the range is malformed.

    Space-separated comparators are ANDed; `||` separates alternatives. Pre-release versions
    only match a range that names a pre-release explicitly (as npm/cargo do).
    """
    text = text.strip()
    if text in ("", "*", "x", "latest"):
        return lambda v: not v.prerelease
    alternatives: list[list[Predicate]] = []
    for alternative in text.split("||"):
        preds: list[Predicate] = []
        for part in alternative.split():
            pred = _comparator(part)
            if pred is None:
                return None
            preds.append(pred)
        if not preds:
            return None
        alternatives.append(preds)
    allows_pre = "-" in text

    def matches(v: Version) -> bool:
        if v.prerelease and not allows_pre:
            return False
        return any(all(p(v) for p in preds) for preds in alternatives)

    return matches


def _comparator(part: str) -> Predicate | None:
    match = _COMPARATOR.match(part)
    if not match:
        return None
    op, rest = match.groups()
    partial = _PARTIAL.match(rest)
    if not partial:
        return None
    raw = partial.groups()
    nums = [None if (x is None or x in "xX*") else int(x) for x in raw[:3]]
    pre = raw[3] or ""
    major, minor, patch = nums
    if major is None:
        return (lambda v: True) if op in (None, "=", ">=", "<=", "^", "~") else None
    low = Version(major, minor or 0, patch or 0, pre)
    if op == "^":
        if major > 0 or minor is None:
            high = Version(major + 1, 0, 0)
        elif minor > 0 or patch is None:
            high = Version(0, minor + 1, 0)
        else:
            high = Version(0, 0, (patch or 0) + 1)
        return _between(low, high)
    if op == "~":
        high = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
        return _between(low, high)
    if op in (None, "="):
        if minor is None:
            return _between(low, Version(major + 1, 0, 0))
        if patch is None:
            return _between(low, Version(major, minor + 1, 0))
        return lambda v: _release(v) == _release(low) and v.prerelease == low.prerelease
    if op == ">=":
        return lambda v: _cmp(v) >= _cmp(low)
    if op == ">":
        return lambda v: _cmp(v) > _cmp(low)
    if op == "<=":
        return lambda v: _cmp(v) <= _cmp(low)
    return lambda v: _cmp(v) < _cmp(low)


def _release(v: Version) -> tuple[int, int, int]:
    return (v.major, v.minor, v.patch)


def _cmp(v: Version) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key: a pre-release sorts before its release; identifiers compare as semver says."""
    if not v.prerelease:
        return (v.major, v.minor, v.patch, 1, ())
    ids = tuple((0, int(p)) if p.isdigit() else (1, p) for p in v.prerelease.split("."))
    return (v.major, v.minor, v.patch, 0, ids)


def _between(low: Version, high: Version) -> Predicate:
    return lambda v: _cmp(low) <= _cmp(v) < _cmp(high)


def sort_newest_first(versions: Iterable[Version]) -> list[Version]:
    return sorted(versions, key=_cmp, reverse=True)


def best_match(range_text: str, versions: Iterable[Version]) -> Version | None:
    predicate = parse_range(range_text)
    if predicate is None:
        return None
    for version in sort_newest_first(versions):
        if predicate(version):
            return version
    return None
