"""Parallel Jsonnet evaluation in worker processes, with a time guard per unit of work.

The bindings release the GIL, but a runaway evaluation cannot be interrupted inside a thread;
a worker process can be killed. Each worker is a plain process with its own pipe (a "slot"),
so stopping one does not break the others. Units are grouped per blueprint; a slot takes a batch
of one blueprint's units, evaluated in ONE Jsonnet call (the blueprint and its libraries are
parsed once per batch). Batch sizes and time budgets follow the blueprint's measured cost
(see budget.py): the limit (MIDWAY_RENDER_TIMEOUT) is per unit, a batch that runs out of its
budget is re-run unit by unit, and only a unit that alone exceeds the limit fails. Results
are handed to the caller as each batch finishes, so nothing finished is lost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as connection_wait

import orjson

from midway import gc_pause
from midway.errors import MidwayError, SourceLocation
from midway.model import JSON, App, Blueprint
from midway.render import budget
from midway.render.engine import EvalRequest, describe_failure, evaluate_batch, warm_binding
from midway.render.graph import secret_refs
from midway.render.graph.outputs import split_provisioner_output
from midway.render.graph.secret_refs import SecretUse
from midway.render.normalize import NormalizedObject, normalize_unit

DEFAULT_TIMEOUT_S = budget.DEFAULT_TIMEOUT_S
_PARENT_POLL_S = 0.5


# The guard counts CPU time (the kernel's RLIMIT_CPU), so a loaded machine does not fail good
# units. As a backstop for a worker that stopped using CPU altogether (it should never
# happen), the parent kills one whose batch has run this long in wall time.
def _backstop_s(budget_s: float) -> float:
    return max(5 * budget_s, budget_s + 60)


# The Go runtime reads its environment once, from the environment the process was started
# with: only a freshly executed (spawned) worker sees the collector settings (budget.py).
# Spawning costs ~0.1 s of start-up, so it is used when there is enough work to win that back.
SPAWN_FROM_UNITS = 64
GO_SETTINGS = ("GOGC", "GOMEMLIMIT")


@dataclass(frozen=True)
class UnitContext:
    """Everything needed to turn one evaluation's output into checked objects."""

    app: App
    env_name: str
    cluster_name: str
    namespace: str
    blueprint: Blueprint
    kubernetes_version: str
    extra_labels: tuple[tuple[str, str], ...] = ()  # a resource's marks (midway.dev/resource)
    stateful: bool = False  # a stateful resource: its objects are never pruned automatically
    # a resource's consumers' namespaces: its provisioner may place objects there (Secrets)
    other_namespaces: tuple[str, ...] = ()
    secret_uses: tuple[tuple[str, SecretUse], ...] = ()  # secret placeholders in the params


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
    outputs: dict[str, JSON] | None = None  # a provisioner's checked outputs


# on_batch(group index, [(unit index, result), ...]) as each batch finishes
OnBatch = Callable[[int, Sequence[tuple[int, "UnitResult"]]], None]


@dataclass(frozen=True)
class BatchOutcome:
    """A batch's results with what it cost, measured in the worker."""

    results: tuple[UnitResult, ...]
    seconds: float
    output_bytes: int


class WorkerCrashed(Exception):
    """A worker process ended before its time limit (killed, out of memory, or a crash in
    the binding) — not a slow blueprint."""


def _evaluate_raw(batch: Batch) -> tuple[list[tuple[JSON, str | None]], int]:
    """Each unit's raw output or error message, and the bytes of JSON produced."""
    try:
        text = evaluate_batch(batch.main_path, batch.files, batch.requests)
        return [(raw, None) for raw in orjson.loads(text)], len(text)
    except RuntimeError as exc:
        if len(batch.requests) == 1:
            return [(None, str(exc))], 0
    out: list[tuple[JSON, str | None]] = []
    size = 0
    for request in batch.requests:
        try:
            text = evaluate_batch(batch.main_path, batch.files, (request,))
            out.append((orjson.loads(text)[0], None))
            size += len(text)
        except RuntimeError as exc:
            out.append((None, str(exc)))
    return out, size


def _run_batch(batch: Batch, budget_s: float) -> BatchOutcome:
    # The guard starts when the batch starts: once this process has used `budget_s` more
    # seconds of CPU (all threads, Go's included), the kernel sends SIGXCPU, whose default
    # action ends the worker (a Python handler could not interrupt Jsonnet running in Go,
    # and Go leaves SIGXCPU alone in a shared library). The parent sees the worker end by
    # SIGXCPU and re-runs or fails the batch's units (WorkerPool.evaluate). The soft limit
    # only: an unprivileged process cannot raise a hard limit again.
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    started = _cpu_seconds()
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(started + budget_s)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard < 0 else min(soft, hard), hard))
    try:
        with gc_pause.paused():  # normalising allocates heavily and makes no cycles
            results, size = _evaluate_and_check(batch)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    return BatchOutcome(tuple(results), _cpu_seconds() - started, size)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _evaluate_and_check(batch: Batch) -> tuple[list[UnitResult], int]:
    blueprint_dir = batch.main_path.rsplit("/", 1)[0] + "/"
    results: list[UnitResult] = []
    raws, size = _evaluate_raw(batch)
    for (raw, error), ctx in zip(raws, batch.contexts, strict=True):
        if error is not None:
            results.append(UnitResult(error=_eval_error(error, blueprint_dir, ctx)))
            continue
        outputs: dict[str, JSON] | None = None
        context = f"{ctx.blueprint.ref} for app {ctx.app.id} in {ctx.env_name}/{ctx.cluster_name}"
        try:
            if ctx.blueprint.provides is not None:
                raw, outputs = split_provisioner_output(raw, ctx.blueprint, context)
            if ctx.secret_uses:
                raw = secret_refs.rewrite(raw, dict(ctx.secret_uses), f"blueprint {context}")
            objects = normalize_unit(
                raw,
                app=ctx.app,
                env_name=ctx.env_name,
                cluster_name=ctx.cluster_name,
                namespace=ctx.namespace,
                blueprint=ctx.blueprint,
                extra_labels=dict(ctx.extra_labels),
                stateful=ctx.stateful,
                other_namespaces=frozenset(ctx.other_namespaces),
            )
        except MidwayError as exc:
            results.append(UnitResult(error=ErrorInfo.of(exc)))
            continue
        result = _check_schemas(objects, ctx)
        if result.error is None and outputs is not None:
            result = dataclasses.replace(result, outputs=outputs)
        results.append(result)
    return results, size


def _timeout_error(ctx: UnitContext, limit_s: float) -> ErrorInfo:
    return ErrorInfo(
        f"blueprint {ctx.blueprint.ref} did not finish evaluating for app {ctx.app.id} in "
        f"{ctx.env_name}/{ctx.cluster_name} within {limit_s:g}s of CPU time (the limit per "
        "app, environment and cluster)",
        f"{ctx.blueprint.directory}/main.jsonnet",
        hint="look for runaway recursion or huge ranges in main.jsonnet with this app's "
        f"params; if it is just slow, raise the limit: MIDWAY_RENDER_TIMEOUT={limit_s * 4:g} "
        "midway render …",
    )


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
    return budget.timeout_seconds()


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
def _go_runtime_env(settings: Mapping[str, str]) -> Iterator[None]:
    """`settings` in os.environ while workers are spawned; a user's own GOGC or GOMEMLIMIT
    wins (then nothing is changed)."""
    if any(name in os.environ for name in GO_SETTINGS):
        yield
        return
    os.environ.update(settings)
    try:
        yield
    finally:
        for name in settings:
            os.environ.pop(name, None)


def heap_cap(workers: int) -> int:
    """The most heap a worker may get: a share of the machine's available memory per
    worker (MIDWAY_WORKER_MEMORY sets it, and then workers always get exactly that)."""
    return budget.worker_heap(
        workers, budget.available_memory(), os.environ.get("MIDWAY_WORKER_MEMORY")
    )


def go_settings(workers: int) -> dict[str, str]:
    """The collector settings spawned workers start with: GOGC=off below the minimum heap
    (or MIDWAY_WORKER_MEMORY); raised towards heap_cap when the work needs it."""
    explicit = os.environ.get("MIDWAY_WORKER_MEMORY")
    start = heap_cap(workers) if explicit else budget.MIN_WORKER_HEAP
    return budget.go_runtime_env(start)


def _heap_limit(settings: Mapping[str, str]) -> int:
    """The heap a worker may use, for sizing batches: the user's GOMEMLIMIT if set."""
    own = os.environ.get("GOMEMLIMIT")
    parsed = budget.parse_size(own or settings["GOMEMLIMIT"])
    return parsed if parsed is not None else budget.MIN_WORKER_HEAP


@dataclass
class _Job:
    group: int
    units: tuple[int, ...]
    budget_s: float
    started: float


class _Died(Exception):
    """The worker process ended while the parent waited for its reply."""


def _serve(conn: Connection, expected_parent: int | None) -> None:
    """A worker's main loop: run each (function, args) received, send back its outcome."""
    _die_with_parent(expected_parent)
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:  # the parent closed its end: nothing more to do
            os._exit(0)
        try:
            reply: tuple[bool, object] = (True, fn(*args))
        except Exception as exc:  # handed to the parent, raised there
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


class _Worker:
    """One worker process and the pipe to it, used one request at a time.

    Plain processes and pipes, no executor: the parent runs no helper threads, so a worker
    forked after another one was stopped is as safe as the first, and a stopped worker
    breaks nobody else's batch."""

    def __init__(self, method: str, go_settings: Mapping[str, str]) -> None:
        self.method = method
        self.go_settings = dict(go_settings)
        context = multiprocessing.get_context(method)
        self.conn, child = context.Pipe()
        expected_parent = None if method == "forkserver" else os.getpid()
        self.process: multiprocessing.process.BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child, expected_parent), name="midway-render", daemon=True
        )
        # A spawned worker reads the environment once, as it starts.
        with _go_runtime_env(go_settings) if method == "spawn" else contextlib.nullcontext():
            self.process.start()
        child.close()
        self.waiting = 0  # replies still to come
        self.job: _Job | None = None
        self.stopped = False  # the parent ended it (backstop), so its end is a timeout

    def send(self, fn: Callable[..., object], *args: object) -> None:
        self.conn.send((fn, args))
        self.waiting += 1

    def receive(self) -> object:
        """The oldest outstanding reply (raises what the function raised, or _Died)."""
        try:
            ok, value = self.conn.recv()
        except (EOFError, OSError):
            raise _Died from None
        self.waiting -= 1
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value

    def call(self, fn: Callable[..., object], *args: object) -> object:
        """Run fn(*args) in the worker and wait for it (warm-up, tests)."""
        while self.waiting:
            self.receive()
        self.send(fn, *args)
        return self.receive()

    def exit_code(self) -> int | None:
        self.process.join(5.0)
        code: int | None = self.process.exitcode
        return code

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()


@dataclass
class _Plan:
    """The parent's view of one evaluate() call: what waits, what it cost so far."""

    groups: Sequence[Batch]
    queues: list[deque[int]]
    costs: list[budget.Cost]
    alone: deque[tuple[int, int]] = field(default_factory=deque)  # re-run unit by unit
    probing: set[int] = field(default_factory=set)


class WorkerPool:
    """Worker processes, started early (and warmed) so their start-up overlaps the parent's
    planning; `evaluate` then runs batches on them. `units` (how many will be evaluated)
    picks how they start: see SPAWN_FROM_UNITS."""

    def __init__(
        self, workers: int, kubernetes_versions: Sequence[str] = (), units: int = 0
    ) -> None:
        self.workers = max(1, workers)
        self.method = start_method(units)
        self.versions = tuple(sorted(set(kubernetes_versions)))
        self.go_settings = go_settings(self.workers)
        self.heap_limit = _heap_limit(self.go_settings)
        self.heap_cap = heap_cap(self.workers)
        # the user's own GOGC/GOMEMLIMIT: workers are never re-spawned to tune the collector
        self.users_go = any(name in os.environ for name in GO_SETTINGS)
        self.slots = [self._start() for _ in range(self.workers)]

    def _start(self) -> _Worker:
        worker = _Worker(self.method, self.go_settings)
        worker.send(_warm, self.versions)
        return worker

    def call(self, fn: Callable[..., object], *args: object, slot: int = 0) -> object:
        """Run fn(*args) in one worker (tests and small helpers)."""
        return self.slots[slot].call(fn, *args)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        # Every result is in (or no longer wanted): end the workers now instead of letting
        # them wind down after the command has finished, holding its stdout open.
        for worker in self.slots:
            worker.kill()

    def evaluate(
        self,
        groups: Sequence[Batch],
        on_batch: OnBatch,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Evaluate every unit of every group (one blueprint's units each); `on_batch` gets
        the results as each batch finishes. A unit that alone exceeds the limit gets an
        error result naming its app. Raises WorkerCrashed if a worker ends for another
        reason (results delivered before that stay delivered)."""
        limit = budget.timeout_seconds()
        plan = _Plan(
            groups,
            [deque(range(len(g.requests))) for g in groups],
            [budget.Cost() for _ in groups],
        )
        total = sum(len(g.requests) for g in groups)
        done = 0
        for index in range(len(self.slots)):
            self._dispatch(index, plan, limit)
        while True:
            busy = [i for i, w in enumerate(self.slots) if w.job is not None]
            if not busy:
                return
            now = time.monotonic()
            due = min(self._due(i) for i in busy)
            handles: list[Connection | int] = []
            for i in busy:
                handles += [self.slots[i].conn, self.slots[i].process.sentinel]
            ready = set(connection_wait(handles, timeout=max(due - now, 0.01)))
            deliveries: list[tuple[int, list[tuple[int, UnitResult]]]] = []
            for i in busy:
                worker = self.slots[i]
                if not ready & {worker.conn, worker.process.sentinel}:
                    if time.monotonic() > self._due(i):
                        worker.stopped = True
                        worker.process.kill()
                    continue
                delivered = self._collect(i, plan, limit)
                if delivered is not None:
                    deliveries.append(delivered)
                # the next batch starts before the results are handed on (the caller
                # writes them to the cache): the worker does not wait for that
                self._dispatch(i, plan, limit)
            for group, results in deliveries:
                on_batch(group, results)
                done += len(results)
                if progress is not None:
                    progress(done, total)

    def _due(self, index: int) -> float:
        job = self.slots[index].job
        assert job is not None
        return job.started + _backstop_s(job.budget_s)

    def _tune(self, plan: _Plan) -> None:
        """Switch to spawned workers (collector off), or to a bigger heap, when enough
        measured work is left to win back their start-up. Idle workers of the old kind
        are replaced as they get their next batch."""
        if self.users_go:
            return
        left = sum(
            len(queue) * (cost.seconds or 0.0)
            for queue, cost in zip(plan.queues, plan.costs, strict=True)
        )
        if not budget.wants_tuned_collector(left):
            return
        self.method = "spawn"
        wanted = (
            max(
                budget.wanted_heap(cost, self.heap_cap)
                for queue, cost in zip(plan.queues, plan.costs, strict=True)
                if queue
            )
            if any(plan.queues)
            else self.heap_limit
        )
        if wanted > self.heap_limit * 1.25:  # only grow, and not for a few MiB
            self.heap_limit = wanted
            self.go_settings = budget.go_runtime_env(wanted)

    def _dispatch(self, index: int, plan: _Plan, limit: float) -> None:
        worker = self.slots[index]
        if worker.job is not None:
            return
        job = _next_job(plan, self.workers, self.heap_limit, limit)
        if job is None:
            return
        if worker.method != self.method or (
            worker.method == "spawn" and worker.go_settings != self.go_settings
        ):  # an idle worker of the old kind: replace it
            worker.kill()
            worker = self.slots[index] = self._start()
        group = plan.groups[job.group]
        batch = Batch(
            group.main_path,
            group.files,
            tuple(group.requests[i] for i in job.units),
            tuple(group.contexts[i] for i in job.units),
        )
        worker.job = job
        worker.stopped = False
        try:
            worker.send(_run_batch, batch, job.budget_s)
        except OSError:  # it ended after its last reply: a fresh one takes the batch
            worker.kill()
            worker = self.slots[index] = self._start()
            worker.job = job
            worker.send(_run_batch, batch, job.budget_s)

    def _collect(
        self, index: int, plan: _Plan, limit: float
    ) -> tuple[int, list[tuple[int, UnitResult]]] | None:
        """A finished batch's results (None: not finished yet, or its units wait to be
        re-run one by one)."""
        worker = self.slots[index]
        job = worker.job
        assert job is not None
        try:
            while worker.waiting > 1:  # the warm-up's reply comes first
                worker.receive()
            if not worker.conn.poll():
                if worker.process.is_alive():
                    return None  # woken by nothing of ours
                raise _Died
            outcome = worker.receive()
        except _Died:
            return self._died(index, plan, limit)
        worker.job = None
        plan.probing.discard(job.group)
        assert isinstance(outcome, BatchOutcome)
        plan.costs[job.group].record(len(job.units), outcome.seconds, outcome.output_bytes)
        self._tune(plan)
        return job.group, list(zip(job.units, outcome.results, strict=True))

    def _died(
        self, index: int, plan: _Plan, limit: float
    ) -> tuple[int, list[tuple[int, UnitResult]]] | None:
        worker = self.slots[index]
        job = worker.job
        assert job is not None
        code = worker.exit_code()
        timed_out = worker.stopped or code == -signal.SIGXCPU
        worker.kill()
        self.slots[index] = self._start()
        plan.probing.discard(job.group)
        if not timed_out:
            raise WorkerCrashed(f"a render worker ended with exit code {code}")
        if len(job.units) > 1:  # which unit was slow is unknown: each alone, own limit
            plan.alone.extend((job.group, unit) for unit in job.units)
            return None
        unit = job.units[0]
        context = plan.groups[job.group].contexts[unit]
        return job.group, [(unit, UnitResult(error=_timeout_error(context, limit)))]


def _next_job(plan: _Plan, workers: int, heap_limit: int, limit: float) -> _Job | None:
    """The next batch to start: units re-run alone first, then a batch of the first
    blueprint with units waiting (preferring one whose first batch is not being measured)."""
    if plan.alone:
        group, unit = plan.alone.popleft()
        return _Job(group, (unit,), limit, time.monotonic())
    waiting = [g for g, queue in enumerate(plan.queues) if queue]
    if not waiting:
        return None
    measured = [g for g in waiting if g not in plan.probing]
    group = (measured or waiting)[0]
    queue, cost = plan.queues[group], plan.costs[group]
    if cost.seconds is None:
        plan.probing.add(group)
    size = budget.batch_size(len(queue), workers, cost, heap_limit)
    units = tuple(queue.popleft() for _ in range(size))
    return _Job(group, units, budget.batch_budget(len(units), limit, cost), time.monotonic())
