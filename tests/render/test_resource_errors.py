"""Every resource-graph mistake, offline, at render time (docs/resources.md, "Errors"):
exit 2, the file and line the fixer edits, the problem in the app team's terms, nothing
written. Each case edits the example config the way a user would get it wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.example import RunCli, write

WORKER = "apps/payments/ledger-worker.yaml"
API = "apps/payments/ledger-api.yaml"
CHECKOUT = "apps/payments/checkout.yaml"
DEV = "environments/dev.yaml"

# a provisioner that always renders the same ConfigMap: two resources of it in one app clash
SETTINGS_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: settings-maker}
spec:
  version: 1.0.0
  provides:
    type: settings
    outputs: {name: {type: string}}
  parameters: {type: object}
"""
SETTINGS_MAIN = """\
function(app, env, params) {
  objects: [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'ledger-settings'}}],
  outputs: {name: 'ledger-settings'},
}
"""


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict[str, tuple[str, str]]  # path -> (text, replacement); text "" = whole file
    where: tuple[str, str]  # (path, a text on the line the error points at)
    message: str
    more: tuple[str, ...] = ()  # further texts the output must contain
    files: dict[str, str] = field(default_factory=dict)  # new files


CASES = [
    Case(
        "unknown type",
        {WORKER: ("type: postgres\n", "type: postgress\n")},
        (WORKER, "    db:"),
        "resource `db` of app payments/ledger-worker has the unknown type `postgress`",
        ("did you mean `postgres`",),
    ),
    Case(
        "no provisioner for the class in this environment",
        {WORKER: ("      type: amqp ", "      class: gold\n      type: amqp ")},
        (WORKER, "    queue:"),
        "no provisioner for resource type `amqp` class `gold` in environment dev",
        ("serves classes default",),
    ),
    Case(
        "ambiguous provisioner match",
        {
            DEV: (
                "    - {type: amqp, blueprint: amqp-rabbitmq@^1}\n",
                "    - {type: amqp, blueprint: amqp-rabbitmq@^1}\n"
                "    - {type: amqp, blueprint: amqp-external@^1}\n",
            )
        },
        (DEV, "amqp-external@^1"),
        "matches 2 provisioner entries equally well",
        ("never picks by file order", "environments/dev.yaml:"),
    ),
    Case(
        "resource params fail the provisioner's schema",
        {WORKER: ("      type: amqp ", "      params: {vhost: 5}\n      type: amqp ")},
        (WORKER, "params: {vhost: 5}"),
        "`params.vhost` must be a string, got integer 5",
    ),
    Case(
        "one shared id, different params",
        {API: ("      params: {database: ledger}", "      params: {database: ledger2}")},
        (API, "    db:"),
        "shared resource postgres `ledger-db` in dev/dev-1 is requested with different params",
        ("apps/payments/ledger-worker.yaml:",),
    ),
    Case(
        "placeholder names an undeclared resource",
        {WORKER: ("${resources.db.host}", "${resources.dbb.host}")},
        (WORKER, "${resources.dbb.host}"),
        "`${resources.dbb.host}` names the resource `dbb`, which app payments/ledger-worker "
        "does not declare",
        ("did you mean `db`",),
    ),
    Case(
        "placeholder names an unknown output",
        {WORKER: ("${resources.db.host}", "${resources.db.hostname}")},
        (WORKER, "${resources.db.hostname}"),
        "`${resources.db.hostname}`: resource `db` has no output `hostname`",
        ("did you mean `host`",),
    ),
    Case(
        "placeholder with an unknown root",
        {WORKER: ("${resources.db.host}", "${secrets.db.host}")},
        (WORKER, "${secrets.db.host}"),
        "`${secrets.db.host}` has the unknown root `secrets`",
        ("$${...}",),
    ),
    Case(
        "placeholder never closed",
        {WORKER: ("${resources.db.host}", "${resources.db.host")},
        (WORKER, "${resources.db.host"),
        "opens a placeholder that is never closed",
    ),
    Case(
        "resources depend on each other in a cycle",
        {
            WORKER: (
                "      type: amqp ",
                "      params: {vhost: '${resources.cache.vhost}'}\n      type: amqp ",
            ),
        },
        (WORKER, "    cache:"),
        "depend on each other in a cycle: cache -> queue -> cache",
    ),
    Case(
        "provisioner does not return a declared output",
        {
            "blueprints/opensearch-shared/main.jsonnet": (
                "outputs: { url: params.endpoint }",
                "outputs: {}",
            )
        },
        ("blueprints/opensearch-shared/main.jsonnet", ""),
        "provisioner opensearch-shared@1.0.0 returned outputs that do not match its declaration",
        ("`url` is declared but not returned",),
    ),
    Case(
        "provisioner returns an output of the wrong type",
        {"blueprints/amqp-rabbitmq/main.jsonnet": ("      port: 5672,", "      port: '5672',")},
        ("blueprints/amqp-rabbitmq/main.jsonnet", ""),
        "returned outputs that do not match its declaration",
        ("`port` is a string '5672', which does not match the declared type integer",),
    ),
    Case(
        "a secret output outside an env var",
        {API: ("    env:\n", "    config: {db.txt: '${resources.db.password}'}\n    env:\n")},
        (API, "db.txt: '${resources.db.password}'"),
        "secret output `${resources.db.password}` is used in ConfigMap ledger-api-config "
        "field `data.db.txt`",
        ("secretKeyRef",),
    ),
    Case(
        "two provisioners produce the same object",
        {
            WORKER: (
                "    dev:\n      params:\n",
                "    dev:\n      resources:\n        one: {type: settings}\n"
                "        two: {type: settings}\n      params:\n",
            ),
            DEV: (
                "  provisioners:\n",
                "  provisioners:\n    - {type: settings, blueprint: settings-maker@^1}\n",
            ),
        },
        (WORKER, ""),
        "ConfigMap payments-ledger-worker/ledger-settings is produced twice in dev/dev-1",
        ("resource `one`", "resource `two`"),
        files={
            "blueprints/settings-maker/blueprint.yaml": SETTINGS_BLUEPRINT,
            "blueprints/settings-maker/main.jsonnet": SETTINGS_MAIN,
        },
    ),
    Case(
        "a service-port to an app that does not exist",
        {CHECKOUT: ("workload: ledger-api", "workload: ledger-apii")},
        (CHECKOUT, "workload: ledger-apii"),
        "app payments/checkout consumes the service of `payments/ledger-apii`, which is not "
        "deployed to dev/dev-1",
        ("did you mean `payments/ledger-api`",),
    ),
    Case(
        "a service-port to an app whose blueprint exports nothing",
        {CHECKOUT: ("workload: ledger-api", "workload: ledger-worker")},
        (CHECKOUT, "LEDGER_URL: ${resources.ledger.url}"),
        "app payments/ledger-worker (blueprint worker@1.2.0) exports no outputs to consume",
    ),
    Case(
        "an environment overrides a resource the app does not declare",
        {WORKER: ("        db: {class: ha}", "        dbx: {class: ha}")},
        (WORKER, "dbx: {class: ha}"),
        "environment prod overrides resource `dbx`, which the app does not declare",
        ("did you mean `db`",),
    ),
    Case(
        "a shared id that is an app's name",
        {WORKER: ("id: ledger-db ", "id: checkout ")},
        (WORKER, "    db:"),
        "shared resource id `checkout` would live where app payments/checkout lives",
    ),
    Case(
        "a shared resource using another resource's outputs",
        {WORKER: ("params: {database: ledger}", "params: {database: '${resources.queue.vhost}'}")},
        (WORKER, "params: {database:"),
        "shared resource `db` (id ledger-db) uses `${resources.queue.vhost}`",
    ),
]


def _apply(repo: Path, case: Case) -> None:
    for rel, text in case.files.items():
        write(repo, rel, text)
    for rel, (old, new) in case.edits.items():
        path = repo / rel
        content = path.read_text()
        assert old in content, f"{rel} lacks {old!r}"
        path.write_text(content.replace(old, new, 1))
    if case.name.startswith("resources depend on each other"):
        # a second private resource whose params use the first one's outputs
        path = repo / WORKER
        path.write_text(
            path.read_text().replace(
                "  params:\n",
                "    cache:\n      type: amqp\n      params: {vhost: '${resources.queue.vhost}'}\n"
                "  params:\n",
                1,
            )
        )


def _line_of(repo: Path, rel: str, needle: str) -> int | None:
    if not needle:
        return None
    for number, line in enumerate((repo / rel).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_resource_mistake_is_a_located_error_and_nothing_is_written(
    case: Case, example_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    _apply(example_repo, case)
    out = tmp_path / "out"
    code, stdout, err = run_cli("--config", str(example_repo), "render", "--out", str(out))
    assert code == 2, err + stdout
    assert case.message in err, err
    for text in case.more:
        assert text in err, err
    path, needle = case.where
    line = _line_of(example_repo, path, needle)
    assert f"{path}:{line}:" in err if line else f"{path}" in err, err
    assert not out.exists(), "nothing may be written"


def test_the_corpus_covers_every_documented_error() -> None:
    assert len(CASES) >= 15
