"""apiVersion strings: "apps/v1" is group "apps", version "v1"; "v1" is the core group ""."""

from __future__ import annotations


def split_api_version(api_version: str) -> tuple[str, str]:
    """ "apps/v1" -> ("apps", "v1"); "v1" -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ("" for the core group)."""
    return split_api_version(api_version)[0]
