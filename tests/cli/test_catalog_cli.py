"""`midway catalog` on the command line: --rev reads git objects, settings mistakes are user
errors at their line."""

from __future__ import annotations

from pathlib import Path

from support.configrepo import make_config_repo
from support.example import RunCli

CHECKOUT = "apps/payments/checkout.yaml"


def test_rev_describes_that_revision_not_the_working_tree(tmp_path: Path, run_cli: RunCli) -> None:
    repo = make_config_repo(tmp_path)
    first = repo.head
    repo.commit(
        "a second checkout",
        {
            "apps/payments/checkout-v2.yaml": repo.read_text(CHECKOUT).replace(
                "name: checkout", "name: checkout-v2"
            )
        },
    )
    code, now, err = run_cli("--config", str(repo.path), "catalog")
    assert code == 0, err
    code, then, err = run_cli("--config", str(repo.path), "catalog", "--rev", first)
    assert code == 0, err
    assert "name: payments-checkout-v2\n" in now
    assert "name: payments-checkout-v2\n" not in then
    assert "name: payments-checkout\n" in then


def test_a_repo_wide_system_needs_an_owner(example_repo: Path, run_cli: RunCli) -> None:
    settings = example_repo / "midway.yaml"
    settings.write_text(settings.read_text() + "  catalog:\n    system: {name: shop}\n")
    code, out, err = run_cli("--config", str(example_repo), "catalog")
    assert code == 2
    assert out == ""
    assert "midway.yaml:" in err and "owner" in err
