"""Blueprint version ranges, as app teams write them."""

from __future__ import annotations

import pytest

from midway.config.semver import best_match, parse_range, parse_version

VERSIONS = [parse_version(v) for v in ("1.2.0", "1.3.0", "1.4.1", "2.0.0", "2.1.0-rc.1", "0.3.1")]


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        ("^1", "1.4.1"),
        ("~1.2", "1.2.0"),
        ("1.3.0", "1.3.0"),
        ("^2", "2.0.0"),
        (">=1.3 <2", "1.4.1"),
        ("", "2.0.0"),
        ("*", "2.0.0"),
        ("^0.3", "0.3.1"),
        ("2.1.0-rc.1", "2.1.0-rc.1"),
        ("^1.5 || ^2", "2.0.0"),
        ("^3", None),
    ],
)
def test_best_match_picks_the_newest_satisfying_version(wanted: str, chosen: str | None) -> None:
    found = best_match(wanted, [v for v in VERSIONS if v is not None])
    assert (str(found) if found else None) == chosen


def test_prereleases_need_an_explicit_range() -> None:
    predicate = parse_range("^2")
    rc = parse_version("2.1.0-rc.1")
    assert predicate is not None and rc is not None and not predicate(rc)


@pytest.mark.parametrize("bad", ["^^1", "~>1", "1.2.3.4", "abc"])
def test_malformed_ranges_are_rejected(bad: str) -> None:
    assert parse_range(bad) is None


def test_versions_parse_strictly() -> None:
    assert parse_version("1.2") is None
    assert str(parse_version("v1.2.3")) == "1.2.3"
