"""Score files are app requests (docs/score.md): `apps/<team>/<name>.score.yaml` renders
through the platform's workload blueprint with the example's provisioners, and what midway
cannot render is refused at its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from midway.cache import Cache
from midway.config.gitsource import GitSource
from midway.config.loader import load_config
from midway.model import RenderResult
from midway.render.pipeline import RenderOptions, render_config
from support.configrepo import ConfigRepoFixture, make_config_repo
from support.example import RunCli
from support.previewrepo import ConfigHistory

TESTDATA = Path(__file__).parent / "testdata" / "score"
SCORE_APPS = {
    "identity/hello-world",
    "payments/ledger-report",
    "payments/settlement",
    "search/autocomplete",
    "search/gateway",
}
ENVS = ("dev", "staging", "prod")


def score_files() -> dict[str, bytes]:
    return {
        p.relative_to(TESTDATA).as_posix(): p.read_bytes()
        for p in sorted((TESTDATA / "apps").rglob("*.score.yaml"))
    }


def render(repo: ConfigRepoFixture) -> RenderResult:
    source = GitSource(repo.path, repo.head)
    return render_config(load_config(source), source, RenderOptions(cache=Cache.disabled()))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The example config plus the five test Score files, rendered once."""
    return render(make_config_repo(tmp_path_factory.mktemp("score"), files=score_files()))


def objects(result: RenderResult, app: str, env: str, kind: str) -> list[dict[str, Any]]:
    return [
        o.body
        for o in result.objects
        if o.unit.app == app and o.unit.env == env and o.body["kind"] == kind
    ]


def deployment(result: RenderResult, app: str, env: str) -> dict[str, Any]:
    found = objects(result, app, env, "Deployment")
    assert found, f"no Deployment for {app} in {env}"
    return found[0]


def container(result: RenderResult, app: str, env: str, name: str) -> dict[str, Any]:
    pod = deployment(result, app, env)["spec"]["template"]["spec"]
    [found] = [c for c in pod["containers"] if c["name"] == name]
    return found


def env_vars(c: dict[str, Any]) -> dict[str, Any]:
    """name -> value, or the secretKeyRef {name, key} for a secret."""
    return {
        e["name"]: e["value"] if "value" in e else e["valueFrom"]["secretKeyRef"]
        for e in c.get("env", [])
    }


# --- every file renders, everywhere ----------------------------------------------------


@pytest.mark.parametrize("app", sorted(SCORE_APPS))
@pytest.mark.parametrize("env", ENVS)
def test_each_score_file_renders_through_the_workload_blueprint(
    rendered: RenderResult, app: str, env: str
) -> None:
    assert rendered.resolved[app] == "score-workload@1.0.0"
    deployment(rendered, app, env)  # a Score file has no environments: it goes to all


# --- outputs land in the containers --------------------------------------------------


def test_variables_receive_outputs_metadata_and_environment(rendered: RenderResult) -> None:
    for env in ENVS:
        got = env_vars(container(rendered, "identity/hello-world", env, "hello"))
        assert got["GREETING"] == f"Hello from hello-world in {env}"
        assert got["DB_HOST"] == "hello-world-db-rw.identity-hello-world.svc.cluster.local"
        assert got["DB_PORT"] == "5432"  # a typed output, as an env var's text
        assert got["DB_PASSWORD"] == {"name": "hello-world-db-credentials", "key": "password"}
    assert "readinessProbe" not in container(rendered, "identity/hello-world", "dev", "hello")


def test_a_url_with_a_secret_in_it_is_composed_by_kubernetes(rendered: RenderResult) -> None:
    got = env_vars(container(rendered, "payments/ledger-report", "dev", "report"))
    host = "reporting-db-rw.payments-reporting-db.svc.cluster.local"
    assert got["DATABASE_URL"] == (
        f"postgres://reporting:$(DATABASE_URL_DB_PASSWORD)@{host}:5432/reporting"
    )
    assert got["DATABASE_URL_DB_PASSWORD"] == {
        "name": "reporting-db-credentials",
        "key": "password",
    }


def test_the_queue_comes_from_each_environments_provisioner(rendered: RenderResult) -> None:
    dev = env_vars(container(rendered, "payments/settlement", "dev", "consumer"))
    prod = env_vars(container(rendered, "payments/settlement", "prod", "consumer"))
    assert dev["AMQP_HOST"] == "settlement-queue.payments-settlement.svc.cluster.local"
    assert prod["AMQP_HOST"] == "mq.prod.acme.internal"  # amqp-external in prod
    for got in (dev, prod):
        assert set(got["AMQP_USER"]) == {"name", "key"}
        assert set(got["AMQP_PASSWORD"]) == {"name", "key"}
    metrics = env_vars(container(rendered, "payments/settlement", "dev", "metrics"))
    assert metrics["AMQP_URL"].startswith("amqp://settlement-queue.payments-settlement.svc")


def test_a_resource_shared_by_id_is_one_database(rendered: RenderResult) -> None:
    clusters = [
        o
        for o in rendered.objects
        if o.unit.env == "dev" and o.body["kind"] == "Cluster"
        if o.body["metadata"]["name"] == "reporting-db"
    ]
    assert len(clusters) == 1
    report = env_vars(container(rendered, "payments/ledger-report", "dev", "report"))
    settlement = env_vars(container(rendered, "payments/settlement", "dev", "consumer"))
    assert settlement["DB_HOST"] in report["DATABASE_URL"]
    assert settlement["DB_PASSWORD"] == report["DATABASE_URL_DB_PASSWORD"]


def test_the_shared_search_cluster_reaches_score_files(rendered: RenderResult) -> None:
    got = env_vars(container(rendered, "search/autocomplete", "prod", "api"))
    indexer = env_vars(container(rendered, "search/indexer", "prod", "indexer"))
    assert got["OPENSEARCH_URL"] == indexer["OPENSEARCH_URL"]


def test_service_ports_reach_app_files_and_score_files(rendered: RenderResult) -> None:
    got = env_vars(container(rendered, "search/gateway", "staging", "gateway"))
    assert got["SEARCH_URL"] == "http://search-api.search-search-api.svc.cluster.local:80"
    assert got["AUTOCOMPLETE_HOST"] == "autocomplete.search-autocomplete.svc.cluster.local"
    assert got["AUTOCOMPLETE_PORT"] == "80"  # the Score file's first service port
    assert got["AUTOCOMPLETE_HOSTNAME"] == got["AUTOCOMPLETE_HOST"]  # score-k8s's name


# --- the workload's shape ------------------------------------------------------------


def test_service_ports_become_the_service(rendered: RenderResult) -> None:
    [service] = objects(rendered, "search/autocomplete", "dev", "Service")
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9000},
        {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090},
    ]
    [gateway] = objects(rendered, "search/gateway", "dev", "Service")
    assert {"name": "dns", "port": 5353, "protocol": "UDP", "targetPort": 5353} in gateway["spec"][
        "ports"
    ]
    assert not objects(rendered, "payments/settlement", "dev", "Service")  # no ports


def test_files_are_a_config_map_mounted_at_their_targets(rendered: RenderResult) -> None:
    [config_map] = objects(rendered, "search/autocomplete", "staging", "ConfigMap")
    search_url = env_vars(container(rendered, "search/autocomplete", "staging", "api"))[
        "OPENSEARCH_URL"
    ]
    assert config_map["metadata"]["name"] == "autocomplete-files"
    assert config_map["data"] == {
        "api-0-config.yaml": f"opensearch: {search_url}\nenvironment: staging\n",
        "api-1-template.tmpl": "Hello ${user}",  # noExpand: as written
    }
    api = container(rendered, "search/autocomplete", "staging", "api")
    assert api["volumeMounts"] == [
        {
            "mountPath": "/etc/autocomplete/config.yaml",
            "name": "files",
            "readOnly": True,
            "subPath": "api-0-config.yaml",
        },
        {
            "mountPath": "/etc/autocomplete/template.tmpl",
            "name": "files",
            "readOnly": True,
            "subPath": "api-1-template.tmpl",
        },
    ]
    pod = deployment(rendered, "search/autocomplete", "staging")["spec"]["template"]
    [volume] = pod["spec"]["volumes"]
    assert volume["configMap"]["items"][0] == {
        "key": "api-0-config.yaml",
        "path": "api-0-config.yaml",
        "mode": 0o640,
    }
    assert "midway.dev/config-checksum" in pod["metadata"]["annotations"]  # pods roll


def test_binary_content_is_binary_data(rendered: RenderResult) -> None:
    [config_map] = objects(rendered, "identity/hello-world", "dev", "ConfigMap")
    assert config_map["binaryData"] == {"hello-1-logo.bin": "ADBgwpA="}
    assert list(config_map["data"]) == ["hello-0-greeting.txt"]
    pod = deployment(rendered, "identity/hello-world", "dev")["spec"]["template"]["spec"]
    [volume] = pod["volumes"]
    assert volume["configMap"]["items"][1] == {
        "key": "hello-1-logo.bin",
        "path": "hello-1-logo.bin",
        "mode": 0o600,
    }


def test_probes_resources_command_and_annotations_are_mapped(rendered: RenderResult) -> None:
    report = container(rendered, "payments/ledger-report", "dev", "report")
    assert report["livenessProbe"] == {
        "httpGet": {"path": "/livez", "port": 8080, "scheme": "HTTP"}
    }
    assert report["readinessProbe"]["httpGet"]["httpHeaders"] == [
        {"name": "X-Probe", "value": "readiness"}
    ]
    assert report["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512M"},
    }
    workload = deployment(rendered, "payments/ledger-report", "dev")
    assert workload["metadata"]["annotations"]["acme.example/schedule"] == "nightly"
    pod = workload["spec"]["template"]["metadata"]
    assert pod["annotations"]["acme.example/schedule"] == "nightly"
    consumer = container(rendered, "payments/settlement", "dev", "consumer")
    assert consumer["command"] == ["/app/settlement"]
    assert consumer["args"] == ["consume", "--queue=settlements"]
    assert consumer["livenessProbe"] == {"exec": {"command": ["/app/settlement", "healthcheck"]}}


def test_environment_params_give_per_environment_values(rendered: RenderResult) -> None:
    levels = {
        env: env_vars(container(rendered, "search/gateway", env, "gateway"))["LOG_LEVEL"]
        for env in ENVS
    }
    assert levels == {"dev": "debug", "staging": "info", "prod": "warn"}


def test_the_example_score_app_renders(tmp_path: Path) -> None:
    result = render(make_config_repo(tmp_path))
    got = env_vars(container(result, "search/suggest", "prod", "suggest"))
    search_api = env_vars(container(result, "search/search-api", "prod", "search-api"))
    assert got["OPENSEARCH_URL"] == search_api["OPENSEARCH_URL"]
    assert got["SEARCH_API_URL"] == "http://search-api.search-search-api.svc.cluster.local:80"


# --- refused, at the line ------------------------------------------------------------

BASE = """\
apiVersion: score.dev/v1b1
metadata:
  name: probe
containers:
  main:
    image: ghcr.io/acme/probe:1.0.0
    variables:
      DB_HOST: ${resources.db.host}
    files:
      - target: /etc/probe/probe.conf
        content: "host: ${resources.db.host}"
resources:
  db:
    type: postgres
"""
PATH = "apps/search/probe.score.yaml"


def refused(tmp_path: Path, run_cli: RunCli, files: dict[str, str]) -> tuple[list[str], str]:
    repo = make_config_repo(tmp_path, files=files)
    out = tmp_path / "out"
    code, _, err = run_cli("--config", str(repo.path), "render", "--out", str(out))
    assert code == 2, err
    assert not out.exists()  # nothing written
    return [line for line in err.splitlines() if ": error: " in line], err


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            '        content: "host: ${resources.db.host}"\n',
            "        source: probe.conf\n",
            f"{PATH}:11:9",
            "file /etc/probe/probe.conf uses `source`, which midway does not support",
        ),
        (
            '        content: "host: ${resources.db.host}"\n',
            "        binaryContent: not base64!\n",
            f"{PATH}:11:9",
            "`binaryContent` of file /etc/probe/probe.conf is not standard base64",
        ),
        (
            "    files:\n",
            "    volumes:\n      - {source: data, target: /data}\n    files:\n",
            f"{PATH}:9:5",
            "container `main` mounts `volumes`, which midway does not support",
        ),
        (
            "    type: postgres\n",
            "    type: postgres\n    metadata: {annotations: {team: search}}\n",
            f"{PATH}:15:5",
            "resource `db` has `metadata`, which midway does not pass to provisioners",
        ),
        (
            "  name: probe\n",
            "  name: prober\n",
            f"{PATH}:3:3",
            "Score workload `prober` must live in apps/search/prober.score.yaml",
        ),
        (
            "apiVersion: score.dev/v1b1\n",
            "apiVersion: score.dev/v1\n",
            f"{PATH}:1:1",
            "expected `apiVersion: score.dev/v1b1`",
        ),
        (
            "    image: ghcr.io/acme/probe:1.0.0\n",
            "    image: ghcr.io/acme/probe:1.0.0\n    ports: [8080]\n",
            f"{PATH}:7:5",
            "ports",
        ),
        (
            "    image: ghcr.io/acme/probe:1.0.0\n",
            "    image: ghcr.io/acme/probe:latest\n",
            f"{PATH}:6:5",
            "the tag `latest` is refused",
        ),
        (
            "      DB_HOST: ${resources.db.host}\n",
            "      DB_HOST: ${metadata.annotations.owner}\n",
            f"{PATH}:8:7",
            "`${metadata.annotations.owner}` is not a metadata field",
        ),
        (
            "  name: probe\n",
            "  name: probe\n  annotations: {midway.dev/prune: disabled}\n",
            f"{PATH}:4:17",
            "annotation `midway.dev/prune` is reserved",
        ),
        (
            "      DB_HOST: ${resources.db.host}\n",
            "      DB_HOST: ${resources.cache.host}\n",
            f"{PATH}:8:7",
            "names the resource `cache`",
        ),
    ],
    ids=[
        "files-source",
        "binary-not-base64",
        "volumes",
        "resource-metadata",
        "name-not-file-name",
        "api-version",
        "unknown-field",
        "latest-image",
        "unknown-metadata-field",
        "reserved-annotation",
        "undeclared-resource",
    ],
)
def test_unsupported_or_wrong_score_is_refused_at_its_line(
    tmp_path: Path, run_cli: RunCli, old: str, new: str, where: str, message: str
) -> None:
    assert old in BASE
    lines, err = refused(tmp_path, run_cli, {PATH: BASE.replace(old, new)})
    assert lines, err
    assert lines[0].startswith(f"{where}: error: "), err
    assert message in lines[0], err


def test_every_unsupported_feature_is_reported_at_once(tmp_path: Path, run_cli: RunCli) -> None:
    text = BASE.replace(
        '        content: "host: ${resources.db.host}"\n', "        source: probe.conf\n"
    ).replace("    files:\n", "    volumes:\n      - {source: data, target: /data}\n    files:\n")
    lines, err = refused(tmp_path, run_cli, {PATH: text})
    assert len(lines) == 2, err
    assert "2 error(s)" in err


def test_a_secret_in_a_file_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    text = BASE.replace('${resources.db.host}"', '${resources.db.password}"')
    lines, err = refused(tmp_path, run_cli, {PATH: text})
    assert lines and lines[0].startswith(f"{PATH}:"), err
    assert "secret output `${resources.db.password}` is used in ConfigMap probe-files" in err
    assert "can only be the value of a container's environment variable" in err


def test_score_files_need_the_workload_blueprint_setting(tmp_path: Path, run_cli: RunCli) -> None:
    settings = (Path(__file__).parents[2] / "midway.yaml").read_text()
    without = settings.split("  # Score files")[0]
    assert "score:" not in without
    lines, err = refused(tmp_path, run_cli, {PATH: BASE, "midway.yaml": without})
    assert lines[0].startswith(f"{PATH}:1:1: error: this is a Score file"), err
    assert "score: {blueprint: score-workload@^1}" in err


def test_a_score_file_and_an_app_file_cannot_define_one_app(
    tmp_path: Path, run_cli: RunCli
) -> None:
    lines, _ = refused(
        tmp_path,
        run_cli,
        {"apps/search/search-api.score.yaml": BASE.replace("name: probe", "name: search-api")},
    )
    [line] = lines
    assert "error: app search/search-api is also defined in apps/search/search-api" in line


def test_check_takes_a_score_file(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_config_repo(tmp_path, files=score_files())
    monkeypatch.chdir(repo.path)
    code, _, err = run_cli("check", "apps/search/gateway.score.yaml")
    assert code == 0, err
    assert "a Score file, so search/gateway deploys to every environment" in err
    (repo.path / "apps/search/gateway.score.yaml").write_text(
        (TESTDATA / "apps/search/gateway.score.yaml").read_text().replace("UDP", "SCTP")
    )
    code, _, err = run_cli("check", "apps/search/gateway.score.yaml")
    assert code == 2, err
    assert err.startswith("apps/search/gateway.score.yaml:20:7: error: `service.ports.dns"), err


FULL = """\
apiVersion: score.dev/v1b1
metadata:
  name: full
  extra-key: extra-value
  annotations:
    acme.example/owner: search
service:
  ports:
    port-one: {port: 1000, protocol: TCP, targetPort: 10000}
    port-two: {port: 8000}
containers:
  container-one:
    image: ghcr.io/acme/full:1.0.0
    command: ["/bin/sh", "-c"]
    args: ["hello", "world"]
    resources:
      requests: {cpu: 1000m, memory: 10Gi}
      limits: {cpu: "0.24", memory: 128M}
    variables:
      SOME_VAR: some content here
    files:
      - {target: /my/file, mode: "0600", source: file.txt}
      - {target: /my/other/file, content: "some multiline\\ncontent\\n"}
      - {target: /my/other/binaryfile, binaryContent: ADBgwpA=}
    volumes:
      - {source: volume-name, target: /mnt/something, path: /sub/path, readOnly: false}
    livenessProbe:
      httpGet: {port: 8080, path: /livez}
      exec: {command: [/bin/curl, -f, "http://localhost:8080/livez"]}
    readinessProbe:
      httpGet:
        host: 127.0.0.1
        port: 80
        scheme: HTTP
        path: /readyz
        httpHeaders: [{name: SOME_HEADER, value: some-value-here}]
  container-two:
    image: ghcr.io/acme/two:1.0.0
resources:
  resource-one:
    metadata:
      annotations: {acme.example/note: this is my annotation}
    type: postgres
    class: default
    params: {database: full}
  resource-two:
    type: amqp
  resource-three:
    type: opensearch
    id: shared-type-three
"""


def test_a_file_shaped_like_the_specs_full_sample_gets_exactly_the_documented_refusals(
    tmp_path: Path, run_cli: RunCli
) -> None:
    path = "apps/search/full.score.yaml"
    lines, err = refused(tmp_path, run_cli, {path: FULL})
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{path}:22:42",  # files[0].source
        f"{path}:25:5",  # volumes
        f"{path}:41:5",  # resources.resource-one.metadata
    ], err
    refused_lines = ("    volumes:", "      - {source: volume-name", "    metadata:", "      annot")
    without = "".join(
        line
        for line in FULL.replace("source: file.txt", 'content: "x"').splitlines(keepends=True)
        if not line.startswith(refused_lines)
    )
    repo = make_config_repo(tmp_path / "fixed", files={path: without})
    result = render(repo)
    one = container(result, "search/full", "dev", "container-one")
    assert one["livenessProbe"] == {
        "exec": {"command": ["/bin/curl", "-f", "http://localhost:8080/livez"]}
    }
    assert one["readinessProbe"]["httpGet"]["host"] == "127.0.0.1"
    assert env_vars(one)["SOME_VAR"] == "some content here"
    [service] = objects(result, "search/full", "dev", "Service")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [10000, 8000]


def test_diff_of_a_score_file_shows_that_app(tmp_path: Path, run_cli: RunCli) -> None:
    history = ConfigHistory(tmp_path / "config")
    history.commit("initial config")
    history.branch("feature")
    path = "apps/search/suggest.score.yaml"
    history.commit("suggest 1.3.1", {path: history.edit(path, "suggest:1.3.0", "suggest:1.3.1")})
    code, out, err = run_cli("--config", str(history.root), "diff", "-o", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["files"] == [path]
    assert report["summary"]["apps"]["changed"] == ["search/suggest"]
    assert {o["kind"] for o in report["objects"]} == {"Deployment"}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("score-workload@^2", "no version of the Score blueprint `score-workload` satisfies `^2`"),
        ("score-worklod@^1", "the Score blueprint `score-worklod` does not exist"),
        ("postgres-cnpg@^1", "is a provisioner of `postgres`, not a workload"),
    ],
)
def test_a_wrong_score_blueprint_is_one_error_at_midway_yaml(
    tmp_path: Path, run_cli: RunCli, setting: str, message: str
) -> None:
    settings = (Path(__file__).parents[2] / "midway.yaml").read_text()
    changed = settings.replace("blueprint: score-workload@^1", f"blueprint: {setting}")
    lines, err = refused(tmp_path, run_cli, {"midway.yaml": changed, **score_files()})
    [line] = lines  # once, not once per Score app
    assert line.startswith("midway.yaml:12:5: error: "), err
    assert message in line
