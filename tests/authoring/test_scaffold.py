"""Starting from nothing: `midway init`, `midway new app`, then `check` and `render` pass.

Runs the real CLI in a real (empty) git repository, the way README's "Start your own config
repo" section does it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pygit2
import pytest
import yaml

from support.example import RunCli


@pytest.fixture
def empty_repo(tmp_path: Path) -> Path:
    root = tmp_path / "platform-config"
    pygit2.init_repository(str(root), initial_head="main")
    return root


def test_init_new_app_check_render(empty_repo: Path, run_cli: RunCli) -> None:
    config = ("--config", str(empty_repo))
    code, _, err = run_cli(*config, "init")
    assert code == 0, err
    code, _, err = run_cli(
        *config,
        "new",
        "app",
        "shop/cart",
        "--blueprint",
        "web-service",
        "--param",
        "image=ghcr.io/acme/cart:2.0.1",
        "--param",
        "replicas=3",
        "--env",
        "dev",
    )
    assert code == 0, err
    code, out, err = run_cli(*config, "check")
    assert code == 0, err
    assert "rendered 2 apps" in out
    code, out, err = run_cli(*config, "render")
    assert code == 0, err
    rendered = list(yaml.safe_load_all(out))
    carts = [o for o in rendered if o["metadata"]["name"] == "cart"]
    assert {o["kind"] for o in carts} == {"Deployment", "Service"}
    assert [o["spec"]["replicas"] for o in carts if o["kind"] == "Deployment"] == [3]
    assert carts[0]["metadata"]["namespace"] == "shop-cart"


def test_the_new_app_file_is_minimal_and_carries_the_modeline(
    empty_repo: Path, run_cli: RunCli
) -> None:
    run_cli("--config", str(empty_repo), "init")
    code, _, err = run_cli(
        "--config",
        str(empty_repo),
        "new",
        "app",
        "shop/cart",
        "--blueprint",
        "web-service",
        "--param",
        "image=ghcr.io/acme/cart:2.0.1",
    )
    assert code == 0, err
    text = (empty_repo / "apps/shop/cart.yaml").read_text()
    assert text == (
        "# yaml-language-server: $schema=../../.midway/schemas/app.schema.json\n"
        "apiVersion: midway.dev/v1\n"
        "kind: App\n"
        "metadata:\n"
        "  name: cart\n"
        "  team: shop\n"
        "spec:\n"
        "  blueprint: web-service@^1\n"
        "  params:\n"
        "    image: ghcr.io/acme/cart:2.0.1\n"
        "  environments:\n"
        "    dev: {}\n"
        "    prod: {}\n"
    )
    # and the editor schema init wrote accepts it
    schema = json.loads((empty_repo / ".midway/schemas/app.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load(text))


def test_init_refuses_a_non_empty_directory_unless_forced(
    empty_repo: Path, run_cli: RunCli
) -> None:
    (empty_repo / "README.md").write_text("# our config\n")
    (empty_repo / ".gitignore").write_text("*.pyc")
    code, _, err = run_cli("init", str(empty_repo))
    assert code == 2
    assert "is not empty (.gitignore, README.md)" in err and "--force" in err
    assert not (empty_repo / "midway.yaml").exists()
    code, _, err = run_cli("init", str(empty_repo), "--force")
    assert code == 0, err
    assert (empty_repo / "README.md").read_text() == "# our config\n"
    assert (empty_repo / ".gitignore").read_text().startswith("*.pyc\n# midway's local files")
    assert ".midway/" in (empty_repo / ".gitignore").read_text().split()
    # a second run would overwrite: every file in the way is named, nothing is written
    (empty_repo / "apps/demo/hello.yaml").write_text("# mine\n")
    code, _, err = run_cli("init", str(empty_repo), "--force")
    assert code == 2
    assert "apps/demo/hello.yaml: error: already exists" in err
    assert (empty_repo / "apps/demo/hello.yaml").read_text() == "# mine\n"


def test_new_app_without_a_terminal_lists_the_missing_params(
    example_repo: Path, run_cli: RunCli
) -> None:
    code, _, err = run_cli(
        "--config", str(example_repo), "new", "app", "payments/mailer", "--blueprint", "worker"
    )
    assert code == 2
    assert "needs 3 more parameter(s): image, queue.name, queue.url" in err
    assert "--param image=… --param queue.name=… --param queue.url=…" in err
    assert not (example_repo / "apps/payments/mailer.yaml").exists()


def test_new_app_prompts_for_missing_params_on_a_terminal(
    example_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("midway.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("q-mail\namqps://mq.svc:5671/mail\n"))
    code, _, err = run_cli(
        "--config",
        str(example_repo),
        "new",
        "app",
        "payments/mailer",
        "--blueprint",
        "worker@^1",
        "--param",
        "image=ghcr.io/acme/mailer:3.1.0",
        "--env",
        "prod",
        "--env",
        "dev",
    )
    assert code == 0, err
    assert "queue.name (Queue (or topic/subscription) name.)" in err
    doc = yaml.safe_load((example_repo / "apps/payments/mailer.yaml").read_text())
    assert doc["spec"]["params"]["queue"] == {"name": "q-mail", "url": "amqps://mq.svc:5671/mail"}
    assert list(doc["spec"]["environments"]) == ["dev", "prod"]  # promotion order
    code, _, err = run_cli("--config", str(example_repo), "check", "apps/payments/mailer.yaml")
    assert code == 0, err


def test_new_app_refuses_a_value_the_blueprint_rejects(example_repo: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli(
        "--config",
        str(example_repo),
        "new",
        "app",
        "payments/web",
        "--blueprint",
        "web-service",
        "--param",
        "image=ghcr.io/acme/web:1.0",
        "--param",
        "replicas=0",
    )
    assert code == 2
    assert "`params.replicas`: 0 is below the minimum 1" in err
    assert err.count("below the minimum") == 1  # once, not once per environment
    assert not (example_repo / "apps/payments/web.yaml").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("pay/ments/x", "--blueprint", "worker"), "is not TEAM/NAME"),
        (("payments/x", "--blueprint", "workr"), "did you mean `worker`"),
        (("payments/x", "--blueprint", "worker@^9"), "available versions: 1.3.0, 1.2.0"),
        (("payments/x", "--blueprint", "worker", "--env", "qa"), "environment `qa` does not"),
        (("payments/x", "--blueprint", "worker", "--param", "imag=a"), "did you mean `image`"),
        (("payments/checkout", "--blueprint", "web-service", "--param", "image=a/b:1"), "exists"),
    ],
)
def test_new_app_mistakes_exit_2(
    example_repo: Path, run_cli: RunCli, args: tuple[str, ...], says: str
) -> None:
    before = (example_repo / "apps/payments/checkout.yaml").read_text()
    code, _, err = run_cli("--config", str(example_repo), "new", "app", *args)
    assert code == 2, err
    assert says in err
    assert (example_repo / "apps/payments/checkout.yaml").read_text() == before
    assert not (example_repo / "apps/payments/x.yaml").exists()


def test_new_app_respects_the_team_registry(example_repo: Path, run_cli: RunCli) -> None:
    settings = example_repo / "midway.yaml"
    settings.write_text(settings.read_text() + "  teams: [payments, identity, search]\n")
    code, _, err = run_cli(
        "--config", str(example_repo), "new", "app", "paymnts/x", "--blueprint", "worker"
    )
    assert code == 2
    assert "midway.yaml:" in err and "team `paymnts` is not in the team registry" in err
    assert "did you mean `payments`" in err
