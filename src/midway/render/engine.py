"""The Jsonnet engine: the only module that imports a Jsonnet binding.

Evaluation is sandboxed: imports are served from an in-memory snapshot of the blueprint's own
directory, the repo's lib/ and vendor/ — nothing else exists for Jsonnet, so absolute paths,
`..` escapes and symlinks out of the repo cannot be read (the sources refuse such links before
anything is evaluated, config/linktree.py). Native functions are render/natives.py's. Deep
recursion is stopped by the binding's stack limit; runaway evaluation by the worker time guard
(see pool.py).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from midway.config.source import JSONNETFILES
from midway.render.natives import NATIVES
from midway.render.vendoring import missing_import_hint, read_vendoring

ENGINE_NAME = os.environ.get("MIDWAY_JSONNET", "go")


@functools.cache
def _binding() -> Any:
    """Import the binding on first use, inside a worker process.

    gojsonnet starts the Go runtime (with its own OS threads) when loaded; a process forked
    after that inherits a broken runtime and deadlocks. Keeping the binding out of the parent
    makes fork-started workers safe. MIDWAY_JSONNET=cpp selects the C++ binding (benchmarks).
    """
    if ENGINE_NAME == "cpp":
        return importlib.import_module("_jsonnet")
    return importlib.import_module("_gojsonnet")


# -2: Tanka's import order, legacy names, native functions (cached outputs of -1 may differ)
ENGINE_VERSION = f"{ENGINE_NAME}-jsonnet/midway-engine-2"
MAX_STACK = 500
IMPORT_ROOTS = ("lib/", "vendor/")
# what every batch gets besides its blueprint's files (a prefix or a whole path each): the
# importable roots, and jsonnet-bundler's files for legacy names and missing-dependency hints
SHARED_ROOTS = (*IMPORT_ROOTS, *JSONNETFILES)
BATCH_FILE = "<midway>"
_TRACE_LINE = re.compile(r"^\s*(?P<path>[^\s:<>][^\s:]*):(?P<line>\d+):(?P<col>\d+)")


@dataclass(frozen=True)
class EvalRequest:
    """One app × environment × cluster to evaluate; TLAs are already JSON text."""

    app: str
    env: str
    params: str


@dataclass(frozen=True)
class EvalFailure:
    message: str  # the binding's message, paths repo-relative
    path: str | None  # first location inside the repo, if any
    line: int | None
    column: int | None


class ImportDenied(Exception):
    pass


def warm_binding() -> None:
    _binding()


@dataclass(frozen=True)
class _Refusal:
    base: str  # directory of the importing file
    rel: str  # the import path as written
    message: str


def _importer(files: Mapping[str, bytes | None], blueprint_dir: str, denied: list[_Refusal]) -> Any:
    """The import callback; every refusal is also appended to `denied`.

    Search order as Tanka's: the importing file's directory, then the blueprint directory,
    lib/, the blueprint's own vendor/, vendor/; then jsonnet-bundler legacy names
    (`ksonnet-util/…` -> `vendor/github.com/grafana/jsonnet-libs/ksonnet-util/…`) for a repo
    whose legacy links are missing.
    """
    vendoring = read_vendoring(files)
    legacy = vendoring.legacy_targets()
    jpath = (blueprint_dir, "lib/", f"{blueprint_dir}vendor/", "vendor/")
    allowed_roots = (blueprint_dir, *IMPORT_ROOTS)

    def resolve(base: str, rel: str) -> tuple[str, bytes]:
        try:
            return _resolve(base, rel)
        except ImportDenied as exc:
            denied.append(_Refusal(base, rel, str(exc)))
            raise

    def _resolve(base: str, rel: str) -> tuple[str, bytes]:
        if rel.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", rel):
            raise ImportDenied(f"absolute import '{rel}' is not allowed")
        candidates = [posixpath.normpath(posixpath.join(base, rel))]
        candidates += [posixpath.normpath(root + rel) for root in jpath]
        first, _, rest = rel.partition("/")
        if rest and first in legacy:
            candidates.append(posixpath.normpath(f"vendor/{legacy[first]}/{rest}"))
        for candidate in candidates:
            if candidate.startswith("../") or candidate == "..":
                continue
            if candidate not in files:
                continue
            if not any(candidate.startswith(root) for root in allowed_roots):
                continue
            content = files[candidate]
            if content is None:
                raise ImportDenied(
                    f"'{rel}' is a symbolic link to nothing or out of the config repo"
                )
            return candidate, content
        if ".." in rel.split("/"):
            raise ImportDenied(
                f"import '{rel}' escapes the blueprint directory; only the blueprint's own "
                f"files, lib/ and vendor/ can be imported"
            )
        hint = missing_import_hint(vendoring, rel)
        if hint is not None:
            raise ImportDenied(
                f"cannot find '{rel}' in the blueprint directory, lib/ or vendor/: {hint}"
            )
        raise ImportDenied(
            f"cannot find '{rel}' in the blueprint directory, lib/ or vendor/ "
            f"(other parts of the repo are not importable)"
        )

    return resolve


def _batch_snippet(main_path: str) -> str:
    # The units arrive as one JSON string parsed by std.parseJson (native code): handing them
    # over as Jsonnet code (tla_codes) made the Jsonnet parser a fifth of the evaluation time.
    quoted = json.dumps(main_path)
    return (
        "function(units)\n"
        f"  local main = import {quoted};\n"
        "  if !std.isFunction(main) then\n"
        f"    error {json.dumps(main_path + ' must be a function(app, env, params)')}\n"
        "  else [main(u.app, u.env, u.params) for u in std.parseJson(units)]\n"
    )


def evaluate_batch(
    main_path: str,
    files: Mapping[str, bytes | None],
    requests: Sequence[EvalRequest],
) -> str:
    """Evaluate main.jsonnet once per request in ONE Jsonnet call; returns a JSON array text.

    Raises RuntimeError with the binding's message (trace with repo-relative paths).
    """
    blueprint_dir = posixpath.dirname(main_path) + "/"
    units = (
        "["
        + ",".join(f'{{"app":{r.app},"env":{r.env},"params":{r.params}}}' for r in requests)
        + "]"
    )
    denied: list[_Refusal] = []
    native_failures: list[str] = []
    try:
        result: str = _binding().evaluate_snippet(
            BATCH_FILE,
            _batch_snippet(main_path),
            tla_vars={"units": units},
            import_callback=_importer(files, blueprint_dir, denied),
            native_callbacks=_natives(native_failures),
            max_stack=MAX_STACK,
            max_trace=20,
        )
        return result
    except RuntimeError as exc:
        message = _ungarble(str(exc), [d.message for d in denied])
        raise RuntimeError(_explain_natives(message, native_failures, files)) from None
    except UnicodeDecodeError:
        if not denied:
            raise
        # the trace is lost with the undecodable message: point at the import ourselves
        refusal = denied[-1]
        where = _locate_import(files, refusal.base, refusal.rel)
        trace = f"\n\t{where}\timport" if where else ""
        raise RuntimeError(f"RUNTIME ERROR: {refusal.message}{trace}") from None


def _natives(failures: list[str]) -> dict[str, tuple[tuple[str, ...], Any]]:
    """NATIVES for the binding. It reports a raising callback only as "failed to execute native
    callback": each wrapper keeps its own message for _explain_natives."""

    def wrap(name: str, fn: Any) -> Any:
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:  # any failure is the blueprint's input, not ours
                failures.append(f"std.native('{name}') failed: {type(exc).__name__}: {exc}")
                raise

        return call

    return {name: (params, wrap(name, fn)) for name, (params, fn) in NATIVES.items()}


_NATIVE_CALL = re.compile(rb"""std\.native\(\s*['"]([^'"]+)['"]\s*\)""")
_TRACED_FILE = re.compile(r"([^\s:<>]+):\d+:\d+")


def _explain_natives(
    message: str, failures: Sequence[str], files: Mapping[str, bytes | None]
) -> str:
    if failures and "failed to execute native callback" in message:
        first, _, rest = message.partition("\n")
        return f"RUNTIME ERROR: {failures[-1]}\n{rest}"
    if "Unexpected type null, expected function" not in message:
        return message
    # std.native('<name>') of a name nobody registered is null; look for such a name in the
    # files of the trace first (an unused helmTemplate elsewhere in vendor/ is no culprit),
    # then anywhere (the null may have been fetched in one file and called in another)
    traced = {m.group(1) for m in _TRACED_FILE.finditer(message)}
    unknown = _unknown_natives(files, traced) or _unknown_natives(files, files.keys())
    if not unknown:
        return message
    first, _, rest = message.partition("\n")
    names = ", ".join(f"std.native('{n}')" for n in unknown)
    return (
        f"{first}: {names} is not a native function midway provides (available: "
        f"{', '.join(sorted(NATIVES))}; Helm and Kustomize are not run)\n{rest}"
    )


def _unknown_natives(files: Mapping[str, bytes | None], paths: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        content = files.get(path)
        if content is not None and b"std.native" in content:
            found.update(n.decode("utf-8", "replace") for n in _NATIVE_CALL.findall(content))
    return sorted(found - set(NATIVES))


# gojsonnet's C binding reads an import callback's error message as a NUL-terminated string,
# but the Python binding hands it over without the NUL: whatever bytes follow in memory are
# appended ("… is not allowedswd']"), often bytes that are not UTF-8 at all, which loses the
# whole message and its trace. We know the messages we raised: each is cut where it ends, and
# an undecodable one is rebuilt with the import's location found in the source.
def _ungarble(message: str, denied: Sequence[str]) -> str:
    for text in denied:
        start = message.find(text)
        if start < 0:
            continue
        end = start + len(text)
        line_end = message.find("\n", end)
        message = message[:end] + (message[line_end:] if line_end >= 0 else "")
    return message


def _locate_import(files: Mapping[str, bytes | None], base: str, rel: str) -> str | None:
    """`path:line:col` of the first `import '<rel>'` (any quoting) in a file of `base`."""
    directory = base.rstrip("/")
    literals = [q + rel.encode() + q for q in (b"'", b'"')]
    for path in sorted(files):
        content = files[path]
        if content is None or posixpath.dirname(path) != directory:
            continue
        for literal in literals:
            at = content.find(literal)
            if at >= 0:
                line = content.count(b"\n", 0, at) + 1
                column = at - (content.rfind(b"\n", 0, at) + 1) + 1
                return f"{path}:{line}:{column}"
    return None


def describe_failure(message: str, blueprint_dir: str) -> EvalFailure:
    text = message.replace("RUNTIME ERROR: ", "").replace("STATIC ERROR: ", "")
    noise = (BATCH_FILE, "<std>", "Top-level function call")
    lines = [ln for ln in text.splitlines() if not any(n in ln for n in noise)]
    first: tuple[str, int, int] | None = None
    for line in lines:  # the innermost frame comes first
        match = _TRACE_LINE.match(line)
        if match and not match.group("path").startswith("<"):
            first = (match.group("path"), int(match.group("line")), int(match.group("col")))
            break
    if first is None:
        match = re.search(r"(?P<path>[\w./@-]+sonnet):(?P<line>\d+):(?P<col>\d+)", text)
        if match:
            first = (match.group("path"), int(match.group("line")), int(match.group("col")))
    cleaned = "\n".join(ln.rstrip() for ln in lines if ln.strip()).strip()
    if first is not None:
        cleaned = re.sub(r"^[^\s:]+:\d+:[\d-]+\s+", "", cleaned)
    if first is None:
        return EvalFailure(cleaned, None, None, None)
    return EvalFailure(cleaned, first[0], first[1], first[2])
