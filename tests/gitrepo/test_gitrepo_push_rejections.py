"""Which push failures mean "the branch moved, fetch and try again" rather than a real error."""

from __future__ import annotations

import pytest

from midway.gitrepo.remotes import _looks_rejected


@pytest.mark.parametrize(
    "message",
    [
        "cannot push non-fastforwardable reference",
        "object 1234 not present locally",
        "failed to lock file 'refs/heads/main.lock' for writing",
        "reference 'refs/midway/push/c29596d05e9425b5f8edee87728606364784963f' not found",
        "! [rejected] main -> main (fetch first)",
    ],
)
def test_transient_push_failures_are_retried(message: str) -> None:
    assert _looks_rejected(message)


@pytest.mark.parametrize(
    "message",
    [
        "authentication required but no callback set",
        "failed to resolve address for git.example.com",
        "reference 'refs/heads/main' not found",
    ],
)
def test_real_failures_are_errors(message: str) -> None:
    assert not _looks_rejected(message)
