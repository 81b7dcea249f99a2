"""What a sync did (or, in a dry run, would do), as data.

One ChangeSetEntry per object: created, configured, unchanged, pruned or skipped, with the
reason and the fields involved. `midway sync`, `midway daemon` and `midway status` all
print from these entries (text or JSON), never from log lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from midway.model import Destination, ObjectKey

Action = Literal["created", "configured", "unchanged", "pruned", "skipped"]
ACTIONS: tuple[Action, ...] = ("created", "configured", "unchanged", "pruned", "skipped")
CHANGED: frozenset[str] = frozenset({"created", "configured", "pruned"})


@dataclass(frozen=True)
class ForcedField:
    """A field midway took over from another field manager (forced apply)."""

    path: str  # as the server names it, e.g. .spec.template.spec.containers[name="web"].image
    manager: str


@dataclass(frozen=True)
class SkippedField:
    """A differing field midway left alone, and why."""

    path: str
    manager: str | None
    reason: str  # "ignored by …", "contested by …", "owned by … (policy)"


@dataclass(frozen=True)
class ContestedField:
    """A field another manager keeps reverting: midway stopped correcting it."""

    destination: Destination
    key: ObjectKey
    path: str  # readable path, e.g. spec.replicas or data.mode
    pointer: str  # JSON pointer, for the ignore rule
    manager: str
    reverts: int  # reverts counted within the window
    since: float  # time.time() when the contest was detected
    app: str | None = None  # "team/app"

    def suggestion(self, app_file: str | None = None) -> str:
        """The ignore rule to add to the app file, as a YAML snippet."""
        where = app_file or (f"apps/{self.app}.yaml" if self.app else "the app file")
        name = self.key.name
        return (
            f"# {where}: let {self.manager} own this field\n"
            "spec:\n"
            "  drift:\n"
            "    ignore:\n"
            f"      - kind: {self.key.kind}\n"
            f"        name: {name}\n"
            f"        path: {self.pointer}\n"
            f'        reason: "contested by {self.manager}"\n'
        )


@dataclass(frozen=True)
class ChangeSetEntry:
    """One object's outcome."""

    destination: Destination
    key: ObjectKey
    action: Action
    reason: str = ""
    app: str | None = None  # "team/app"
    path: str | None = None  # state-repo path
    fields: tuple[str, ...] = ()  # readable paths that were (or would be) changed
    forced: tuple[ForcedField, ...] = ()
    skipped_fields: tuple[SkippedField, ...] = ()
    contested: tuple[ContestedField, ...] = ()
    dry_run: bool = False
    error: bool = False  # skipped because something failed (see reason)
    time: float = 0.0  # time.time() when it happened
    # resourceVersions midway's writes produced, in order; the last is the object's version now
    written_versions: tuple[str, ...] = ()
    recreated: bool = False  # deleted and created again (an immutable field differed)

    @property
    def changed(self) -> bool:
        return self.action in CHANGED

    def describe(self) -> str:
        """One line, fluxcd style: `Deployment pay-checkout/checkout configured (…)`."""
        verb = self.action + (" (dry run)" if self.dry_run and self.changed else "")
        detail: list[str] = []
        if self.reason:
            detail.append(self.reason)
        if self.fields:
            detail.append("fields: " + ", ".join(self.fields))
        if self.forced:
            taken = ", ".join(f"{f.path} from {f.manager}" for f in self.forced)
            detail.append(f"took over {taken}")
        if self.skipped_fields:
            left = ", ".join(f"{f.path} ({f.reason})" for f in self.skipped_fields)
            detail.append(f"left alone: {left}")
        tail = f" — {'; '.join(detail)}" if detail else ""
        return f"{self.key} {verb}{tail}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["destination"] = str(self.destination)
        data["key"] = {
            "group": self.key.group,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
        }
        data["contested"] = [
            {**asdict(c), "destination": str(c.destination), "key": str(c.key)}
            for c in self.contested
        ]
        return data


@dataclass
class ChangeSet:
    """Entries in the order they happened; counts for summaries and exit codes."""

    entries: list[ChangeSetEntry] = field(default_factory=list)

    def add(self, entry: ChangeSetEntry) -> ChangeSetEntry:
        self.entries.append(entry)
        return entry

    def extend(self, entries: Iterable[ChangeSetEntry]) -> None:
        self.entries.extend(entries)

    def __iter__(self) -> Iterator[ChangeSetEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def counts(self) -> dict[str, int]:
        counted = Counter(e.action for e in self.entries)
        return {action: counted.get(action, 0) for action in ACTIONS}

    @property
    def changed(self) -> list[ChangeSetEntry]:
        return [e for e in self.entries if e.changed]

    @property
    def errors(self) -> list[ChangeSetEntry]:
        return [e for e in self.entries if e.error]

    @property
    def contested(self) -> list[ContestedField]:
        return [c for e in self.entries for c in e.contested]

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {action}" for action, n in counts.items() if n]
        return ", ".join(parts) or "nothing to do"

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "entries": [e.to_dict() for e in self.entries],
        }
