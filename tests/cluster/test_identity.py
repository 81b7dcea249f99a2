"""The server URL is a cluster's identity: which kubeconfig context reaches the server an
environment names (pure decisions; with two real API servers: cli/test_cluster_identity.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from midway.cluster.identity import (
    IN_CLUSTER_SERVER,
    ClusterIdentityError,
    KubeContext,
    Wanted,
    choose_context,
    choose_in_cluster,
    normalize_server,
)
from midway.cluster.target import ClusterAccess, resolve_context
from midway.errors import EXIT_ERROR, SourceLocation
from midway.model import Cluster, Destination

PROD = "https://prod-eu.k8s.acme.example:6443"
DEV = "https://127.0.0.1:16443"
SOURCE = SourceLocation("environments/prod.yaml", 9, 15)
CONTEXTS = (
    KubeContext("midway-test", DEV),
    KubeContext("prod-eu-admin", "https://PROD-EU.k8s.acme.example:6443/"),
    KubeContext("broken", None),
)


def wanted(server: str = PROD, context: str | None = None) -> Wanted:
    return Wanted("prod/prod-eu", server, SOURCE, context=context, context_from="--context")


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://prod.example:6443", "https://prod.example:6443"),
        ("HTTPS://Prod.Example:6443/", "https://prod.example:6443"),
        ("https://prod.example:443", "https://prod.example"),
        ("https://prod.example/", "https://prod.example"),
        ("http://prod.example:80", "http://prod.example"),
        ("prod.example:6443", "https://prod.example:6443"),  # kubectl reads it as https
        ("https://rancher.example/k8s/clusters/c-1/", "https://rancher.example/k8s/clusters/c-1"),
        ("https://[::1]:6443", "https://[::1]:6443"),
        ("https://kubernetes.default.svc:443/", IN_CLUSTER_SERVER),
    ],
)
def test_server_urls_are_compared_in_one_spelling(url: str, normal: str) -> None:
    assert normalize_server(url) == normal


def test_the_context_whose_server_matches_is_picked_not_the_current_one() -> None:
    choice = choose_context(wanted(), CONTEXTS, "midway-test", kubeconfig="kc")
    assert (choice.context, choice.how, choice.mismatch) == ("prod-eu-admin", "matched", None)


def test_several_matching_contexts_prefer_the_current_one() -> None:
    contexts = (*CONTEXTS, KubeContext("prod-eu-readonly", PROD))
    choice = choose_context(wanted(), contexts, "prod-eu-readonly", kubeconfig="kc")
    assert (choice.context, choice.how) == ("prod-eu-readonly", "current")


def test_several_matching_contexts_without_the_current_one_ask_for_context() -> None:
    contexts = (*CONTEXTS, KubeContext("prod-eu-readonly", PROD))
    with pytest.raises(ClusterIdentityError) as caught:
        choose_context(wanted(), contexts, "midway-test", kubeconfig="kc")
    text = caught.value.render()
    assert "prod-eu-admin, prod-eu-readonly" in text
    assert "set `context:`" in text and "environments/prod.yaml" in text
    assert caught.value.exit_code == EXIT_ERROR


def test_an_explicit_context_reaching_another_server_is_refused() -> None:
    with pytest.raises(ClusterIdentityError) as caught:
        choose_context(wanted(context="midway-test"), CONTEXTS, "midway-test", kubeconfig="kc")
    text = caught.value.render()
    assert text.startswith("environments/prod.yaml:9:15: error: ")
    assert DEV in text and PROD in text and "prod/prod-eu" in text
    assert "`prod-eu-admin`" in text  # the context that would be right
    assert "--allow-server-mismatch" in text


def test_an_explicit_context_with_the_same_server_in_another_spelling_is_fine() -> None:
    choice = choose_context(wanted(context="prod-eu-admin"), CONTEXTS, None, kubeconfig="kc")
    assert (choice.context, choice.how, choice.mismatch) == ("prod-eu-admin", "explicit", None)


def test_the_override_lets_a_mismatch_through_with_a_warning_to_log() -> None:
    choice = choose_context(
        wanted(context="midway-test"), CONTEXTS, None, kubeconfig="kc", allow_mismatch=True
    )
    assert choice.context == "midway-test"
    assert choice.mismatch is not None
    assert DEV in choice.mismatch and PROD in choice.mismatch
    assert "environments/prod.yaml:9:15" in choice.mismatch


def test_the_override_never_picks_a_context_by_itself() -> None:
    with pytest.raises(ClusterIdentityError, match="no kubeconfig context reaches"):
        choose_context(
            wanted("https://elsewhere.example"), CONTEXTS, "midway-test", kubeconfig="kc",
            allow_mismatch=True,
        )  # fmt: skip


def test_no_matching_context_lists_the_contexts_and_their_servers() -> None:
    with pytest.raises(ClusterIdentityError) as caught:
        choose_context(wanted("https://elsewhere.example"), CONTEXTS, None, kubeconfig="kc")
    error = caught.value
    assert "https://elsewhere.example" in error.message
    assert error.detail is not None
    assert "midway-test    https://127.0.0.1:16443\n" in error.detail
    assert "broken" in error.detail and "(cluster missing)" in error.detail


def test_an_unknown_explicit_context_is_an_error() -> None:
    with pytest.raises(ClusterIdentityError, match=r"context `nope` .* is not in the kubeconfig"):
        choose_context(wanted(context="nope"), CONTEXTS, None, kubeconfig="kc")


def test_the_in_cluster_name_is_reached_only_in_cluster() -> None:
    with pytest.raises(ClusterIdentityError) as caught:
        choose_context(wanted(IN_CLUSTER_SERVER), CONTEXTS, "midway-test", kubeconfig="kc")
    assert "--in-cluster" in str(caught.value.hint)
    choice = choose_in_cluster(wanted("https://kubernetes.default.svc:443/"))
    assert (choice.context, choice.how) == (None, "in-cluster")


def test_in_cluster_mode_refuses_a_destination_naming_another_server() -> None:
    with pytest.raises(ClusterIdentityError) as caught:
        choose_in_cluster(wanted())
    text = caught.value.render()
    assert PROD in text and IN_CLUSTER_SERVER in text and "environments/prod.yaml:9" in text
    assert choose_in_cluster(wanted(), allow_mismatch=True).mismatch is not None


def test_in_cluster_mode_accepts_the_server_declared_as_its_own() -> None:
    choice = choose_in_cluster(wanted(), own_server="https://prod-eu.k8s.acme.example:6443/")
    assert (choice.context, choice.how, choice.mismatch) == (None, "in-cluster", None)
    with pytest.raises(ClusterIdentityError) as caught:
        choose_in_cluster(wanted("https://prod-us.k8s.acme.example:6443"), own_server=PROD)
    assert f"{IN_CLUSTER_SERVER} = {PROD}" in caught.value.message
    assert "--in-cluster-server https://prod-us" in str(caught.value.hint)


def test_verbs_reach_destinations_only_through_connect_destination() -> None:
    """The raw `connect` skips the identity check: outside midway.cluster only the daemon's
    Lease connection (its home cluster, no environment's) may use it."""
    import ast

    src = Path(__file__).resolve().parents[2] / "src" / "midway"
    users = set()
    for path in src.rglob("*.py"):
        if path.parent.name == "cluster":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            from_cluster = (node.module or "").startswith("midway.cluster")
            if from_cluster and any(alias.name == "connect" for alias in node.names):
                users.add(str(path.relative_to(src)))
    assert users == {"daemon/run.py"}


def _cluster(server: str, context: str | None = None) -> Cluster:
    return Cluster("prod-eu", server, "1.31", context=context, server_source=SOURCE)


def test_resolving_reads_the_kubeconfig_contexts_and_their_servers(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "dev", "cluster": {"server": DEV}},
                    {"name": "prod", "cluster": {"server": PROD + "/"}},
                ],
                "users": [{"name": "me", "user": {"token": "t"}}],
                "contexts": [
                    {"name": "dev", "context": {"cluster": "dev", "user": "me"}},
                    {"name": "prod", "context": {"cluster": "prod", "user": "me"}},
                ],
                "current-context": "dev",
            }
        )
    )
    where = Destination("prod", "prod-eu")
    choice = resolve_context(where, _cluster(PROD), ClusterAccess(kubeconfig=str(kubeconfig)))
    assert (choice.context, choice.how) == ("prod", "matched")
    with pytest.raises(ClusterIdentityError) as caught:  # `context:` in the env file
        resolve_context(
            where, _cluster(PROD, context="dev"), ClusterAccess(kubeconfig=str(kubeconfig))
        )
    assert "context `dev` (`context:` in environments/prod.yaml) reaches" in caught.value.message


def test_in_cluster_resolution_needs_no_kubeconfig() -> None:
    where = Destination("prod", "prod-eu")
    assert (
        resolve_context(where, _cluster(IN_CLUSTER_SERVER), ClusterAccess(in_cluster=True)).how
        == "in-cluster"
    )
    choice = resolve_context(
        where, _cluster(PROD), ClusterAccess(in_cluster=True, in_cluster_server=PROD)
    )
    assert choice.context is None
    with pytest.raises(ClusterIdentityError):
        resolve_context(where, _cluster(PROD), ClusterAccess(in_cluster=True))
