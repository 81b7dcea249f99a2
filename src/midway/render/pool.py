"""Parallel Jsonnet evaluation in worker processes, with a time guard.

The bindings release the GIL, but a runaway evaluation cannot be interrupted inside a thread;
a worker process can be killed. Units are grouped per blueprint into batches evaluated in ONE
Jsonnet call (the blueprint and its libraries are parsed once per batch). When a batch fails,
its units are re-evaluated one by one so each error is attributed to its own app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import orjson

from midway import gc_pause
from midway.errors import MidwayError, SourceLocation
from midway.model import JSON, App, Blueprint
from midway.render.engine import EvalRequest, describe_failure, evaluate_batch, warm_binding
from midway.render.normalize import NormalizedObject, normalize_unit

DEFAULT_TIMEOUT_S = 60.0
_PARENT_POLL_S = 0.5
# Go's collector at its default (GOGC=100) spent as much CPU as Jsonnet itself on a large
# render. Workers that evaluate many units run with the collector off below a soft memory
# limit, so it only collects when a worker's heap nears 256 MiB.
GO_RUNTIME_ENV = {"GOGC": "off", "GOMEMLIMIT": "256MiB"}
# The Go runtime reads its environment once, from the environment the process was started
# with: only a freshly executed (spawned) worker sees GO_RUNTIME_ENV. Spawning costs ~0.1 s
# of start-up, so it is used when there is enough work to win that back.
SPAWN_FROM_UNITS = 64


@dataclass(frozen=True)
class UnitContext:
    """Everything needed to turn one evaluation's output into checked objects."""

    app: App
    env_name: str
    cluster_name: str
    namespace: str
    blueprint: Blueprint
    kubernetes_version: str


@dataclass(frozen=True)
class Batch:
    main_path: str
    files: Mapping[str, bytes | None]
    requests: tuple[EvalRequest, ...]
    contexts: tuple[UnitContext, ...]


@dataclass(frozen=True)
class ErrorInfo:
    """A MidwayError in picklable form (it crosses the process boundary)."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    detail: str | None = None

    def to_error(self) -> MidwayError:
        source = SourceLocation(self.path, self.line, self.column) if self.path else None
        return MidwayError(self.message, source, hint=self.hint, detail=self.detail)

    @staticmethod
    def of(error: MidwayError) -> ErrorInfo:
        src = error.source
        return ErrorInfo(
            error.message,
            src.path if src else None,
            src.line if src else None,
            src.column if src else None,
            error.hint,
            error.detail,
        )


@dataclass(frozen=True)
class UnitResult:
    objects: tuple[NormalizedObject, ...] = ()
    unvalidated: tuple[str, ...] = ()  # "<apiVersion> <kind>" unknown to the offline schemas
    error: ErrorInfo | None = None


class WorkerCrashed(Exception):
    """A worker process ended before its time limit (killed, out of memory, or a crash in
    the binding) — not a slow blueprint."""


class EvaluationTimeout(Exception):
    def __init__(self, batches: Sequence[int], seconds: float) -> None:
        super().__init__(f"evaluation did not finish within {seconds:.0f}s")
        self.batches = list(batches)
        self.seconds = seconds


def _evaluate_raw(batch: Batch) -> list[tuple[JSON, str | None]]:
    try:
        text = evaluate_batch(batch.main_path, batch.files, batch.requests)
        return [(raw, None) for raw in orjson.loads(text)]
    except RuntimeError as exc:
        if len(batch.requests) == 1:
            return [(None, str(exc))]
    out: list[tuple[JSON, str | None]] = []
    for request in batch.requests:
        try:
            text = evaluate_batch(batch.main_path, batch.files, (request,))
            out.append((orjson.loads(text)[0], None))
        except RuntimeError as exc:
            out.append((None, str(exc)))
    return out


def _run_batch(batch: Batch, limit_s: float) -> list[UnitResult]:
    # The time guard starts when the batch starts: SIGALRM with its default action ends this
    # worker (a Python handler could not interrupt Jsonnet running in Go); the parent sees a
    # broken pool and reports the batch as timed out.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        with gc_pause.paused():  # normalising allocates heavily and makes no cycles
            return _evaluate_and_check(batch)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _evaluate_and_check(batch: Batch) -> list[UnitResult]:
    blueprint_dir = batch.main_path.rsplit("/", 1)[0] + "/"
    results: list[UnitResult] = []
    for (raw, error), ctx in zip(_evaluate_raw(batch), batch.contexts, strict=True):
        if error is not None:
            results.append(UnitResult(error=_eval_error(error, blueprint_dir, ctx)))
            continue
        try:
            objects = normalize_unit(
                raw,
                app=ctx.app,
                env_name=ctx.env_name,
                cluster_name=ctx.cluster_name,
                namespace=ctx.namespace,
                blueprint=ctx.blueprint,
            )
        except MidwayError as exc:
            results.append(UnitResult(error=ErrorInfo.of(exc)))
            continue
        results.append(_check_schemas(objects, ctx))
    return results


def _eval_error(message: str, blueprint_dir: str, ctx: UnitContext) -> ErrorInfo:
    failure = describe_failure(message, blueprint_dir)
    first, _, rest = failure.message.partition("\n")
    stack_overflow = "max stack frames exceeded" in first
    return ErrorInfo(
        f"blueprint {ctx.blueprint.ref} failed for app {ctx.app.id} in "
        f"{ctx.env_name}/{ctx.cluster_name}: {first}",
        failure.path,
        failure.line,
        failure.column,
        hint="the blueprint recurses without end; check the recursive function's base case"
        if stack_overflow
        else None,
        detail=rest or None,
    )


def _check_schemas(objects: Sequence[NormalizedObject], ctx: UnitContext) -> UnitResult:
    from midway.render.k8s_schema import validate_object  # in workers only

    unvalidated: set[str] = set()
    details: list[str] = []
    for obj in objects:
        body = obj.body if obj.body is not None else json.loads(obj.json_text)
        problems = validate_object(body, ctx.kubernetes_version)
        if problems is None:
            unvalidated.add(f"{body['apiVersion']} {body['kind']}")
            continue
        details.extend(f"{obj.key.kind} {obj.key.name}: {p.path}: {p.message}" for p in problems)
    if details:
        return UnitResult(
            error=ErrorInfo(
                f"blueprint {ctx.blueprint.ref} produced objects that are not valid Kubernetes "
                f"{ctx.kubernetes_version} for app {ctx.app.id} in "
                f"{ctx.env_name}/{ctx.cluster_name}",
                ctx.app.source.path,
                ctx.app.source.line,
                None,
                hint="check the params this app passes; if they are right, the blueprint "
                "needs fixing by the platform team",
                detail="\n".join(details),
            )
        )
    return UnitResult(
        tuple(dataclasses.replace(o, body=None) for o in objects), tuple(sorted(unvalidated))
    )


def default_workers() -> int:
    env = os.environ.get("MIDWAY_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, len(os.sched_getaffinity(0)))


def timeout_seconds() -> float:
    try:
        return float(os.environ.get("MIDWAY_RENDER_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def split_batches(
    main_path: str,
    files: Mapping[str, bytes | None],
    requests: Sequence[EvalRequest],
    contexts: Sequence[UnitContext],
    workers: int,
) -> list[Batch]:
    """Chunk one blueprint's requests so every worker gets a few batches to balance load."""
    if not requests:
        return []
    size = max(1, min(200, -(-len(requests) // (workers * 3))))
    return [
        Batch(main_path, files, tuple(requests[i : i + size]), tuple(contexts[i : i + size]))
        for i in range(0, len(requests), size)
    ]


def _die_with_parent(expected_parent: int | None) -> None:
    """Worker initializer: end this worker when the process that started it is gone.

    Forked workers share the task pipe with each other, so a parent that was killed would
    leave them blocked on it forever. (Not PR_SET_PDEATHSIG: it fires when the *thread* that
    started the worker ends, and renders run in threads in the daemon.) `expected_parent` is
    None for forkserver workers, whose parent is the fork server (it ends with midway).
    """
    parent = os.getppid()
    if expected_parent is not None and parent != expected_parent:
        os._exit(1)  # the parent was gone before this worker started

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="midway-parent-watch", daemon=True).start()


def _warm(kubernetes_versions: tuple[str, ...]) -> None:
    """Load the Jsonnet binding and the schema registries while the parent still plans."""
    from midway.render.k8s_schema import warm_schemas  # in workers only

    warm_binding()
    for version in kubernetes_versions:
        warm_schemas(version)


def start_method(units: int) -> str:
    if units >= SPAWN_FROM_UNITS:
        return "spawn"
    # fork is fastest, but unsafe once threads exist (the daemon's watchers) or once this
    # process has loaded a Jsonnet binding (gojsonnet's Go runtime deadlocks a forked child)
    forkable = threading.active_count() == 1 and not _binding_loaded()
    return "fork" if forkable else "forkserver"


def _binding_loaded() -> bool:
    return "_gojsonnet" in sys.modules or "_jsonnet" in sys.modules


@contextlib.contextmanager
def _go_runtime_env() -> Iterator[None]:
    """GO_RUNTIME_ENV in os.environ while workers are spawned; a user's own GOGC or
    GOMEMLIMIT wins (then nothing is changed)."""
    if any(name in os.environ for name in GO_RUNTIME_ENV):
        yield
        return
    os.environ.update(GO_RUNTIME_ENV)
    try:
        yield
    finally:
        for name in GO_RUNTIME_ENV:
            os.environ.pop(name, None)


class WorkerPool:
    """Worker processes, started early (and warmed) so their start-up overlaps the parent's
    planning; `evaluate` then runs batches on them. `units` (how many will be evaluated)
    picks how they start: see SPAWN_FROM_UNITS."""

    def __init__(
        self, workers: int, kubernetes_versions: Sequence[str] = (), units: int = 0
    ) -> None:
        self.workers = max(1, workers)
        self.method = start_method(units)
        self.executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context(self.method),
            initializer=_die_with_parent,
            initargs=(None if self.method == "forkserver" else os.getpid(),),
        )
        versions = tuple(sorted(set(kubernetes_versions)))
        # Spawned workers start (and read the environment) as the warm-up tasks are submitted.
        with _go_runtime_env() if self.method == "spawn" else contextlib.nullcontext():
            for _ in range(self.workers):
                self.executor.submit(_warm, versions)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        # Every result is in (or no longer wanted): end the workers now instead of letting
        # them wind down after the command has finished, holding its stdout open.
        _kill(self.executor)

    def evaluate(
        self, batches: Sequence[Batch], progress: Callable[[int, int], None] | None = None
    ) -> list[list[UnitResult]]:
        if not batches:
            return []
        limit = timeout_seconds()
        started = time.monotonic()
        executor = self.executor
        futures: list[Future[list[UnitResult]]] = [
            executor.submit(_run_batch, b, limit) for b in batches
        ]
        # Workers enforce the per-batch limit themselves; this outer bound only catches a
        # pool that stopped making progress altogether.
        deadline = time.monotonic() + limit * (len(batches) / self.workers + 2)
        results: list[list[UnitResult]] = []
        for index, future in enumerate(futures):
            remaining = deadline - time.monotonic()
            try:
                outcome = future.result(timeout=max(remaining, 0.01))
            except (TimeoutError, BrokenProcessPool) as exc:
                unfinished = [i for i, f in enumerate(futures) if not f.done()]
                _kill(executor)
                if isinstance(exc, BrokenProcessPool) and time.monotonic() - started < limit:
                    raise WorkerCrashed(str(exc)) from None
                raise EvaluationTimeout(unfinished or [index], limit) from None
            results.append(outcome)
            if progress is not None:
                progress(index + 1, len(batches))
        return results


def _kill(executor: ProcessPoolExecutor) -> None:
    processes = getattr(executor, "_processes", None) or {}
    queues = (getattr(executor, "_call_queue", None), getattr(executor, "_result_queue", None))
    for process in list(processes.values()):
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)  # drops its references to the queues
    _release_semaphores(queues)


def _release_semaphores(queues: Sequence[object]) -> None:
    """Unlink the named semaphores of the pool's queues now that no worker will start.

    With forkserver/spawn each queue lock is a named POSIX semaphore, unlinked by a
    multiprocessing finalizer when it is garbage collected. The one-shot verbs end with
    os._exit (cli.main.run), so that never happens and Python's resource_tracker warned
    "There appear to be 5 leaked semaphore objects" after every diff and check. Running
    those finalizers here (each once: it leaves the registry) unlinks the names; the open
    handles stay valid. Private multiprocessing details, hence every lookup is guarded.
    """
    from multiprocessing import util

    locks = {
        id(lock)
        for queue in queues
        for lock in (getattr(queue, name, None) for name in ("_rlock", "_wlock", "_sem"))
        if lock is not None
    }
    registry = getattr(util, "_finalizer_registry", {})
    for finalizer in list(registry.values()):
        ref = getattr(finalizer, "_weakref", None)
        if ref is not None and id(ref()) in locks:
            finalizer()
