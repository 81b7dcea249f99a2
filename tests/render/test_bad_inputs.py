"""Bad input corpus: every case exits 2, names file:line where one exists, writes nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.example import RunCli, write


@dataclass(frozen=True)
class Case:
    name: str
    apply: Callable[[Path], None]
    where: str  # expected "path" or "path:line" prefix in the error output
    says: str  # expected words of the message


def app(team: str, name: str, body: str) -> Callable[[Path], None]:
    return lambda root: write(root, f"apps/{team}/{name}.yaml", body)


def probe_main(source: str) -> Callable[[Path], None]:
    return lambda root: write(root, "blueprints/probe/main.jsonnet", source)


def patch_probe_app(old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "apps/qa/probe.yaml"
        path.write_text(path.read_text().replace(old, new))

    return apply


def symlink_escape(root: Path) -> None:
    (root / "lib/evil.libsonnet").symlink_to("/etc/hostname")
    write(
        root,
        "blueprints/probe/main.jsonnet",
        "local e = import 'evil.libsonnet'; function(app, env, params) []\n",
    )


BOMB = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
)

CASES = [
    Case(
        "yaml syntax error",
        patch_probe_app("params: {greeting: hi}", "params: {greeting: [hi}"),
        "apps/qa/probe.yaml:6",
        "YAML syntax error",
    ),
    Case(
        "duplicate key",
        patch_probe_app("  params:", "  blueprint: probe@^1\n  params:"),
        "apps/qa/probe.yaml:6",
        "appears twice",
    ),
    Case(
        "unknown field with hint",
        patch_probe_app("  params:", "  parms: {}\n  params:"),
        "apps/qa/probe.yaml:6",
        "did you mean `params`",
    ),
    Case(
        "wrong type",
        patch_probe_app("greeting: hi", "greeting: 42"),
        "apps/qa/probe.yaml:6",
        "params.greeting` must be a string",
    ),
    Case(
        "unknown param",
        patch_probe_app("greeting: hi", "greting: hi"),
        "apps/qa/probe.yaml:6",
        "did you mean `greeting`",
    ),
    Case(
        "param schema violation in example blueprint",
        lambda r: (r / "apps/payments/checkout.yaml").write_text(
            (r / "apps/payments/checkout.yaml").read_text().replace("replicas: 6", "replicas: -6")
        ),
        "apps/payments/checkout.yaml",
        "params.replicas",
    ),
    Case(
        "missing required field",
        patch_probe_app("  blueprint: probe@^1\n", ""),
        "apps/qa/probe.yaml:4",
        "missing required field `spec.blueprint`",
    ),
    Case(
        "missing blueprint",
        patch_probe_app("probe@^1", "prob@^1"),
        "apps/qa/probe.yaml:5",
        "did you mean `probe`",
    ),
    Case(
        "unsatisfiable version",
        patch_probe_app("probe@^1", "probe@^7"),
        "apps/qa/probe.yaml:5",
        "available versions: 1.0.0",
    ),
    Case(
        "malformed version range",
        patch_probe_app("probe@^1", "probe@^^1"),
        "apps/qa/probe.yaml:5",
        "not a version range",
    ),
    Case(
        "unknown environment",
        patch_probe_app("    dev: {}", "    qa: {}"),
        "apps/qa/probe.yaml:8",
        "environment `qa` does not exist",
    ),
    Case(
        "wrong kind",
        patch_probe_app("kind: App", "kind: Ap"),
        "apps/qa/probe.yaml:2",
        "expected kind App",
    ),
    Case(
        "wrong apiVersion",
        patch_probe_app("midway.dev/v1", "midway.dev/v2"),
        "apps/qa/probe.yaml:1",
        "apiVersion",
    ),
    Case(
        "app name with slash",
        patch_probe_app("name: probe", "name: pro/be"),
        "apps/qa/probe.yaml:3",
        "metadata.name",
    ),
    Case(
        "app name with dot-dot",
        patch_probe_app("name: probe", "name: .."),
        "apps/qa/probe.yaml:3",
        "metadata.name",
    ),
    Case(
        "file path disagrees with name",
        patch_probe_app("name: probe", "name: other"),
        "apps/qa/probe.yaml:3",
        "must live in apps/qa/other.yaml",
    ),
    Case("yaml anchor bomb", app("qa", "bomb", BOMB), "apps/qa/bomb.yaml", "aliases"),
    Case(
        "huge file",
        app("qa", "huge", "# " + "x" * (1024 * 1024 + 10) + "\n"),
        "apps/qa/huge.yaml",
        "limited to",
    ),
    Case(
        "non-UTF-8 file",
        lambda r: write(r, "apps/qa/latin.yaml", "name: caf\xe9\n".encode("latin-1")),
        "apps/qa/latin.yaml:1",
        "not valid UTF-8",
    ),
    Case(
        "binary file in apps",
        lambda r: write(r, "apps/qa/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00"),
        "apps/qa/logo.png",
        "unexpected file",
    ),
    Case(
        "jsonnet syntax error",
        probe_main("function(app, env, params) [{a: }]\n"),
        "blueprints/probe/main.jsonnet:1",
        "failed for app qa/probe",
    ),
    Case(
        "jsonnet runtime error",
        probe_main("function(app, env, params)\n  error 'boom: ' + app.name\n"),
        "blueprints/probe/main.jsonnet:2",
        "boom: probe",
    ),
    Case(
        "import escape via ..",
        probe_main(
            "local x = import '../../environments/dev.yaml';\nfunction(app, env, params) [x]\n"
        ),
        "blueprints/probe/main.jsonnet:1",
        "escapes the blueprint directory",
    ),
    Case(
        "absolute import",
        probe_main("local x = import '/etc/passwd';\nfunction(app, env, params) [x]\n"),
        "blueprints/probe/main.jsonnet:1",
        "absolute import",
    ),
    Case(
        "import of another blueprint",
        probe_main(
            "local x = import 'blueprints/worker/main.jsonnet';\nfunction(app, env, params) [x]\n"
        ),
        "blueprints/probe/main.jsonnet:1",
        "cannot find",
    ),
    Case("symlink out of the repo", symlink_escape, "lib/evil.libsonnet", "symbolic link"),
    Case(
        "infinite recursion",
        probe_main("local f(n) = f(n + 1) + 1;\nfunction(app, env, params) [f(0)]\n"),
        "blueprints/probe/main.jsonnet:1",
        "max stack frames",
    ),
    Case(
        "main is not a function",
        probe_main("[]\n"),
        "blueprints/probe/main.jsonnet",
        "must be a function",
    ),
    Case(
        "duplicate object",
        probe_main(
            "function(app, env, params) [\n"
            "  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'same'}},\n"
            "  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'same'}},\n]\n"
        ),
        "apps/qa/probe.yaml",
        "produced twice",
    ),
    Case(
        "object without name",
        probe_main(
            "function(app, env, params) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {}}]\n"
        ),
        "blueprints/probe/main.jsonnet",
        "has no metadata.name",
    ),
    Case(
        "object without apiVersion",
        probe_main("function(app, env, params) [{kind: 'ConfigMap', metadata: {name: 'x'}}]\n"),
        "blueprints/probe/main.jsonnet",
        "has no `apiVersion`",
    ),
    Case(
        "object name escaping its directory",
        probe_main(
            "function(app, env, params)"
            " [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: '../../x'}}]\n"
        ),
        "blueprints/probe/main.jsonnet",
        "not a valid Kubernetes name",
    ),
    Case(
        "plaintext Secret",
        probe_main(
            "function(app, env, params) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db'},"
            " stringData: {password: 'hunter2'}}]\n"
        ),
        "blueprints/probe/main.jsonnet",
        "ExternalSecret",
    ),
    Case(
        "blueprint sets a namespace",
        probe_main(
            "function(app, env, params) [{apiVersion: 'v1', kind: 'ConfigMap',"
            " metadata: {name: 'x', namespace: 'kube-system'}}]\n"
        ),
        "blueprints/probe/main.jsonnet",
        "leave the namespace out",
    ),
    Case(
        "invalid Kubernetes object",
        probe_main(
            "function(app, env, params) [{apiVersion: 'v1', kind: 'Service', metadata: {name: 'x'},"
            " spec: {ports: [{port: 'eighty', protocol: 'TCP'}]}}]\n"
        ),
        "apps/qa/probe.yaml",
        "spec.ports.0.port",
    ),
    Case(
        "blueprint returns a string",
        probe_main("function(app, env, params) 'nope'\n"),
        "blueprints/probe/main.jsonnet",
        "expected a list",
    ),
    Case(
        "environment param no blueprint declares",
        lambda r: (r / "environments/dev.yaml").write_text(
            (r / "environments/dev.yaml").read_text().replace("logLevel:", "loglevel:")
        ),
        "environments/dev.yaml:17",
        "did you mean `logLevel`",
    ),
    Case(
        "blueprint default breaks its schema",
        lambda r: (r / "blueprints/probe/blueprint.yaml").write_text(
            (r / "blueprints/probe/blueprint.yaml")
            .read_text()
            .replace("default: hello", "default: 7")
        ),
        "blueprints/probe/blueprint.yaml:11:32",
        "its default breaks its own schema",
    ),
    Case(
        "API version the cluster does not serve",
        probe_main(
            "function(app, env, params) [\n"
            "  {apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: {name: 'p'},"
            " spec: {minAvailable: 1}},\n]\n"
        ),
        "blueprints/probe/main.jsonnet:2",
        "not served by Kubernetes 1.20",
    ),
    Case(
        "namespace over 63 characters",
        app(
            "platform-observability-eu1",
            "metrics-aggregation-gateway-tenant-alpha",
            "apiVersion: midway.dev/v1\nkind: App\nmetadata:\n"
            "  {name: metrics-aggregation-gateway-tenant-alpha, team: platform-observability-eu1}\n"
            "spec: {blueprint: probe@^1, environments: {dev: {}}}\n",
        ),
        "environments/dev.yaml:13",
        "is 67 characters; Kubernetes allows at most 63",
    ),
    Case(
        "runaway evaluation (time guard)",
        probe_main(
            "local f(n) = if n == 0 then 0 else f(n - 1) + f(n - 1);\n"
            "function(app, env, params) [f(40)]\n"
        ),
        "blueprints/probe/main.jsonnet",
        "did not finish evaluating",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_with_location_and_writes_nothing(
    case: Case, probe_repo: Path, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "time guard" in case.name:
        monkeypatch.setenv("MIDWAY_RENDER_TIMEOUT", "3")
    case.apply(probe_repo)
    out = tmp_path / "out"
    code, _, err = run_cli("--config", str(probe_repo), "render", "--out", str(out))
    assert code == 2, err
    assert case.where in err, err
    assert case.says in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


def test_every_problem_is_reported_at_once(probe_repo: Path, run_cli: RunCli) -> None:
    patch_probe_app("greeting: hi", "greeting: 42")(probe_repo)
    write(
        probe_repo,
        "apps/qa/other.yaml",
        "apiVersion: midway.dev/v1\nkind: App\nmetadata: {name: other, team: qa}\n"
        "spec: {blueprint: nope}\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "apps/qa/probe.yaml:6" in err and "apps/qa/other.yaml:4" in err
    assert "2 error(s)" in err


def test_secret_value_never_appears_in_errors(probe_repo: Path, run_cli: RunCli) -> None:
    probe_main(
        "function(app, env, params) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db'},"
        " stringData: {password: 'hunter2-very-secret'}}]\n"
    )(probe_repo)
    code, out, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "hunter2" not in out + err
    assert os.environ.get("MIDWAY_CACHE_DIR")
