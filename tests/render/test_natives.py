"""std.native: Tanka's deterministic native functions, and clear messages for unknown names
and failing calls."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from midway.render import natives
from support.example import RunCli, write

NATIVE_MAIN = """\
local n(name) = std.native(name);
local docs = n('parseYaml')(importstr 'extra.yaml');
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: app.name + '-natives'},
    data: {
      docs: std.toString(docs),
      json: std.toString(n('parseJson')('{"a": [1, 2.5]}')),
      yaml: n('manifestYamlFromJson')('{"b": {"c": [1]}, "a": "x"}'),
      sha: n('sha256')('midway'),
      match: std.toString(n('regexMatch')('^ab+', 'abbbc')),
      subst: n('regexSubst')('(?P<v>[0-9]+)', 'v1 v22', '<${v}>'),
      quoted: n('escapeStringRegex')('a.b*c'),
    },
  },
]
"""


def test_the_natives_render(probe_repo: Path, run_cli: RunCli) -> None:
    write(probe_repo, "blueprints/probe/main.jsonnet", NATIVE_MAIN)
    write(probe_repo, "blueprints/probe/extra.yaml", "a: yes\n---\n- 1\n")
    code, out, err = run_cli("--config", str(probe_repo), "render", "--app", "qa/probe")
    assert code == 0, err
    data = yaml.safe_load(out)["data"]
    assert data == {
        "docs": '[{"a": "yes"}, [1]]',  # YAML 1.2: `yes` is a string
        "json": '{"a": [1, 2.5]}',
        "yaml": "a: x\nb:\n    c:\n        - 1\n",
        "sha": hashlib.sha256(b"midway").hexdigest(),
        "match": "true",
        "subst": "v<1> v<22>",
        "quoted": "a\\.b\\*c",
    }


def test_an_unknown_native_lists_the_available_ones(probe_repo: Path, run_cli: RunCli) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "local helm = std.native('helmTemplate');\nfunction(app, env, params) [helm('x', {})]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "blueprints/probe/main.jsonnet:2" in err, err
    assert "std.native('helmTemplate') is not a native function midway provides" in err
    assert "available: escapeStringRegex, manifestYamlFromJson, parseJson, parseYaml" in err


def test_a_failing_native_says_which_and_why(probe_repo: Path, run_cli: RunCli) -> None:
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "function(app, env, params) [std.native('parseYaml')('a: [1')]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "blueprints/probe/main.jsonnet:1" in err, err
    assert "std.native('parseYaml') failed:" in err
    assert "failed to execute native callback" not in err


@pytest.mark.parametrize(
    ("regex", "src", "repl", "expected"),
    [
        ("a(x*)b", "-ab-axxb-", "${1}W", "-W-xxW-"),
        ("a(x*)b", "-ab-axxb-", "$1W", "---"),  # Go reads `$1W` as the group named 1W
        ("a(x*)b", "-ab-", "$$1", "-$1-"),
        ("(?P<n>b+)", "abbc", "[$n]", "a[bb]c"),
    ],
)
def test_regex_subst_expands_like_go(regex: str, src: str, repl: str, expected: str) -> None:
    assert natives.regex_subst(regex, src, repl) == expected


def test_escape_string_regex_quotes_what_go_quotes() -> None:
    assert natives.escape_string_regex(r"a-b c#d.e\f") == r"a-b c#d\.e\\f"


def test_the_unknown_native_in_the_trace_is_named_not_one_elsewhere(
    probe_repo: Path, run_cli: RunCli
) -> None:
    # vendor/ holds a Helm helper nobody calls; the blueprint calls an unknown native itself
    write(probe_repo, "vendor/tanka-util/helm.libsonnet", "{ t:: std.native('helmTemplate') }\n")
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "function(app, env, params) [std.native('kustomizeBuild')('x')]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "std.native('kustomizeBuild') is not a native function midway provides" in err, err
    assert "helmTemplate" not in err


def test_a_native_fetched_in_a_library_and_called_elsewhere_is_found(
    probe_repo: Path, run_cli: RunCli
) -> None:
    write(probe_repo, "lib/helm.libsonnet", "{ template:: std.native('helmTemplate') }\n")
    write(
        probe_repo,
        "blueprints/probe/main.jsonnet",
        "local helm = import 'helm.libsonnet';\nfunction(app, env, params) [helm.template('x')]\n",
    )
    code, _, err = run_cli("--config", str(probe_repo), "render")
    assert code == 2
    assert "std.native('helmTemplate') is not a native function midway provides" in err, err
