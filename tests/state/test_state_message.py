"""State commit messages: summary counts, per-env sections, caps, trailers."""

from __future__ import annotations

from midway.state.message import (
    PathChange,
    commit_message,
    parse_trailers,
    summarize,
    summary_line,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_summary_counts_apps_and_envs() -> None:
    summary = summarize(
        [
            PathChange("dev/d1/pay-checkout/checkout/deployment-checkout.yaml", "changed"),
            PathChange("prod/eu/pay-checkout/checkout/deployment-checkout.yaml", "changed"),
            PathChange("prod/us/pay-checkout/checkout/service-checkout.yaml", "added"),
            PathChange("prod/us/_cluster/checkout/clusterrole-checkout.yaml", "added"),
            PathChange("dev/d1/search-api/api/service-api.yaml", "removed"),
            PathChange("dev/d1/_cluster/op/clusterrole-op.yaml", "removed"),
            PathChange("argocd/dev/d1/search-api.yaml", "removed"),
            PathChange("README.md", "added"),
        ]
    )
    # checkout's cluster-scoped object does not count it twice; `op` only has one
    assert len(summary.apps) == 3 and summary.envs == {"dev", "prod"}
    assert list(summary.sections) == ["dev", "prod", "argocd", "other"]
    assert summary_line(SHA, False, summary) == (
        "render config 0123456789ab: 3 apps changed in 2 envs"
    )
    assert summary.count("removed") == 3 and summary.total == 8


def test_singular_and_other_only() -> None:
    one = summarize([PathChange("dev/d/n/a/cm-a.yaml", "added")])
    assert (
        summary_line(SHA, True, one) == "render config 0123456789ab (dirty): 1 app changed in 1 env"
    )
    other = summarize([PathChange("argocd/root.yaml", "changed")])
    assert summary_line(None, True, other) == (
        "render config working tree: no app changed, 1 other file changed"
    )


def test_message_lists_changes_with_a_cap_and_ends_with_trailers() -> None:
    changes = [PathChange(f"dev/d/ns/app{i:03}/cm-x.yaml", "added") for i in range(60)]
    changes.append(PathChange("prod/p/ns/app/cm-x.yaml", "removed"))
    text = commit_message(
        config_commit=SHA, config_repo="https://git/x", dirty=True, summary=summarize(changes)
    )
    lines = text.splitlines()
    assert lines[0] == "render config 0123456789ab (dirty): 61 apps changed in 2 envs"
    assert lines[1] == ""
    assert lines[2] == "dev: 60 added"
    assert lines[3] == "  added    dev/d/ns/app000/cm-x.yaml"
    assert "  ... and 10 more" in lines
    assert "prod: 1 removed" in lines
    assert "  removed  prod/p/ns/app/cm-x.yaml" in lines
    assert text.endswith(f"Config-Commit: {SHA}\nConfig-Repo: https://git/x\nConfig-Dirty: true\n")
    assert parse_trailers(text) == {
        "Config-Commit": SHA,
        "Config-Repo": "https://git/x",
        "Config-Dirty": "true",
    }


def test_parse_trailers_needs_a_trailer_paragraph() -> None:
    assert parse_trailers("just a subject\n") == {}
    assert parse_trailers("subject\n\nbody: with words in key\nnot a trailer\n") == {}
    assert parse_trailers("subject\n\nbody\n\nConfig-Commit: abc\n") == {"Config-Commit": "abc"}
