"""The Jsonnet engine: refused imports are reported exactly, never with stray bytes.

Evaluations run in a spawned process, as midway runs them: a process that loaded the binding
must not fork render workers afterwards (the Go runtime deadlocks a forked child)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from midway.render import pool
from midway.render.engine import EvalRequest, _ungarble, evaluate_batch

MAIN = "blueprints/x/main.jsonnet"
REQUEST = EvalRequest('{"name": "a"}', '{"name": "dev"}', "{}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import '/etc/passwd'", "absolute import '/etc/passwd' is not allowed"),
        ("importstr '/etc/shadow'", "absolute import '/etc/shadow' is not allowed"),
        (
            "import '../../secret.libsonnet'",
            "only the blueprint's own files, lib/ and vendor/ can be imported",
        ),
    ],
)
def test_a_refused_import_reads_exactly_as_raised(source: str, message: str) -> None:
    files = {MAIN: f"function(app, env, params) [{source}]\n".encode()}
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as worker:
        for _ in range(20):  # the binding's stray bytes did not show every time
            with pytest.raises(RuntimeError) as caught:
                worker.submit(evaluate_batch, MAIN, files, [REQUEST]).result()
            first = str(caught.value).splitlines()[0]
            assert first.endswith(message), first
            assert f"{MAIN}:1:" in str(caught.value)


def test_a_process_that_loaded_the_binding_does_not_fork_workers() -> None:
    code = "import _gojsonnet; from midway.render import pool; print(pool.start_method(1))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "forkserver"
    assert pool.start_method(1) == "fork" or threading.active_count() > 1  # this process: fork


def test_ungarble_cuts_what_follows_a_known_message() -> None:
    garbled = "RUNTIME ERROR: importer error: nope is not allowedswd']\n\n\tmain.jsonnet:1:2"
    assert _ungarble(garbled, ["nope is not allowed"]) == (
        "RUNTIME ERROR: importer error: nope is not allowed\n\n\tmain.jsonnet:1:2"
    )
    assert _ungarble("something else\n", ["nope"]) == "something else\n"
