"""State commit messages: summary, per-environment change list, trailers. Pure.

render config 1bab489c2f10: 3 apps changed in 2 envs

dev: 2 added, 1 changed, 1 removed
  added    dev/dev-1/payments-checkout/checkout/deployment-checkout.yaml
  ...
  ... and 12 more

Config-Commit: 1bab489c2f10...
Config-Repo: https://git.example.com/platform/config.git
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from midway.render.layout import CLUSTER_SCOPED_DIR
from midway.state.argocd import ARGOCD_DIR

TRAILER_COMMIT = "Config-Commit"
TRAILER_REPO = "Config-Repo"
TRAILER_DIRTY = "Config-Dirty"
# one per dependency in jsonnetfile.lock.json: `<name> <version> <sum>` (which library code
# produced the commit; the lock file's order is jb's, the trailers are sorted)
TRAILER_VENDOR = "Vendor-Lock"
LINES_PER_SECTION = 50
SHORT = 12
ACTIONS = ("added", "changed", "removed")
OTHER_SECTION = "other"


@dataclass(frozen=True)
class PathChange:
    path: str
    action: str  # added | changed | removed


@dataclass
class ChangeSummary:
    """Changes grouped the way people read them: per environment, apps counted once."""

    sections: dict[str, list[PathChange]] = field(default_factory=dict)  # env|argocd -> changes
    apps: set[str] = field(default_factory=set)  # "<namespace>/<app>" with an object changed
    envs: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.sections.values())

    def count(self, action: str) -> int:
        return sum(1 for v in self.sections.values() for c in v if c.action == action)


def summarize(changes: Iterable[PathChange]) -> ChangeSummary:
    """Group changed state paths. Object files are `<env>/<cluster>/<ns>/<app>/<file>`; an
    app is named by namespace and directory, as removed apps exist only as paths."""
    sections: dict[str, list[PathChange]] = defaultdict(list)
    summary = ChangeSummary()
    cluster_scoped: set[str] = set()
    for change in sorted(changes, key=lambda c: c.path):
        parts = change.path.split("/")
        if parts[0] == ARGOCD_DIR:
            sections[ARGOCD_DIR].append(change)
        elif len(parts) == 5:
            sections[parts[0]].append(change)
            if parts[2] == CLUSTER_SCOPED_DIR:
                cluster_scoped.add(parts[3])
            else:
                summary.apps.add(f"{parts[2]}/{parts[3]}")
            summary.envs.add(parts[0])
        else:
            sections[OTHER_SECTION].append(change)
    # an app's cluster-scoped objects count as that app when its namespaced ones changed too
    named = {a.split("/", 1)[1] for a in summary.apps}
    summary.apps.update(f"{CLUSTER_SCOPED_DIR}/{a}" for a in cluster_scoped - named)
    # environments first (alphabetical), then argocd, then anything else
    order = sorted(k for k in sections if k not in (ARGOCD_DIR, OTHER_SECTION))
    order += [k for k in (ARGOCD_DIR, OTHER_SECTION) if k in sections]
    summary.sections = {k: sections[k] for k in order}
    return summary


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(config_commit: str | None, dirty: bool, summary: ChangeSummary) -> str:
    if config_commit is None:
        what = "render config working tree"
    else:
        what = f"render config {config_commit[:SHORT]}{' (dirty)' if dirty else ''}"
    if summary.apps:
        return (
            f"{what}: {_plural(len(summary.apps), 'app')} changed in "
            f"{_plural(len(summary.envs), 'env')}"
        )
    if summary.total:
        return f"{what}: no app changed, {_plural(summary.total, 'other file')} changed"
    return f"{what}: no changes"


def commit_message(
    *,
    config_commit: str | None,
    config_repo: str,
    dirty: bool,
    summary: ChangeSummary,
    lines_per_section: int = LINES_PER_SECTION,
    vendor_lock: Iterable[str] = (),
) -> str:
    lines = [summary_line(config_commit, dirty, summary), ""]
    for section, changes in summary.sections.items():
        counts = ", ".join(
            f"{sum(1 for c in changes if c.action == a)} {a}"
            for a in ACTIONS
            if any(c.action == a for c in changes)
        )
        lines.append(f"{section}: {counts}")
        for change in changes[:lines_per_section]:
            lines.append(f"  {change.action:<8} {change.path}")
        if len(changes) > lines_per_section:
            lines.append(f"  ... and {len(changes) - lines_per_section} more")
        lines.append("")
    trailers = {}
    if config_commit is not None:
        trailers[TRAILER_COMMIT] = config_commit
    trailers[TRAILER_REPO] = config_repo.replace("\n", " ")
    if dirty:
        trailers[TRAILER_DIRTY] = "true"
    lines += [f"{k}: {v}" for k, v in trailers.items()]
    lines += [f"{TRAILER_VENDOR}: {entry}" for entry in sorted(vendor_lock)]
    return "\n".join(lines) + "\n"


def parse_trailers(message: str) -> dict[str, str]:
    """`Key: value` lines of the message's last paragraph (git's trailer block)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(": ")
        if not sep or not key or " " in key:
            return {}
        found[key] = value.strip()
    return found


def trailer_lookup(trailers: Mapping[str, str], key: str) -> str | None:
    lowered = {k.lower(): v for k, v in trailers.items()}
    return lowered.get(key.lower())
