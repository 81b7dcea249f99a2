"""Markdown report, ready to post as a pull/merge request comment.

Stable (same input, same bytes: no times, everything sorted) so a bot can update its comment
only when the content changed; starts with a hidden marker to find that comment again; stays
under the 65,536-character comment limit of GitHub by dropping object diffs at the end first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from midway.preview.blast import Cause
from midway.preview.changeset import Change
from midway.preview.graph_changes import changed_graph
from midway.preview.report import ChangeGroup, DiffReport, EnvSummary
from midway.preview.risks import Risk
from midway.render.graph.view import to_mermaid

MARKER = "<!-- midway-diff -->"
MAX_CHARS = 65_000
FOLD_LINES = 20  # diffs longer than this go into <details>
MAX_DIFF_LINES = 300  # per object; the rest is cut with a note
MAX_RISKS = 60
MAX_BLAST_ROWS = 60
NEW_DESTINATION_APPS = 10  # apps named beside a new destination's count (JSON lists all)
MAX_LISTED = 20  # objects listed under "same change in …"
MAX_STALE = 50
MAX_SWITCHES = 100  # app × env version switches listed
SEVERITY_ICON = {"high": "🔴", "warning": "🟠", "info": "🔵"}
ACTION_SIGN = {"added": "+", "changed": "~", "removed": "-"}
TRUNCATION_RESERVE = 400


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline_html(text: str) -> str:
    """`code` spans as <code> (markdown is not parsed inside <summary> on every forge)."""
    parts = text.split("`")
    return "".join(
        f"<code>{_html(part)}</code>" if index % 2 else _html(part)
        for index, part in enumerate(parts)
    )


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _env_name(env: EnvSummary) -> str:
    if not env.highest:
        return env.name
    return f"**{env.name}** 🚨" if env.touched else f"**{env.name}**"


class _Budget:
    """Appends blocks while they fit; remembers what had to be left out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit - TRUNCATION_RESERVE
        self.blocks: list[str] = []
        self.size = 0
        self.full = False

    def add(self, block: str, *, force: bool = False) -> bool:
        cost = len(block) + 1
        if not force and (self.full or self.size + cost > self.limit):
            self.full = True  # keep the order: nothing after a block that did not fit
            return False
        self.blocks.append(block)
        self.size += cost
        return True

    def text(self) -> str:
        return "\n".join(self.blocks)


def _summary(report: DiffReport) -> list[str]:
    cs = report.changeset
    lines = [
        MARKER,
        f"### midway diff: {report.headline}",
        "",
        f"Base `{report.base.label}` → head `{report.head.label}`.",
    ]
    if report.files:
        shown = ", ".join(f"`{f}`" for f in report.files[:10])
        more = f" and {len(report.files) - 10} more" if len(report.files) > 10 else ""
        lines.append(f"Changed config files ({len(report.files)}): {shown}{more}.")
    else:
        lines.append("No config file changed.")
    if not report.changed:
        lines += ["", "**No changes**: the rendered manifests are identical."]
        return lines
    lines += [
        "",
        "| environment | added | changed | removed | unchanged |",
        "|:--|--:|--:|--:|--:|",
    ]
    for env in report.environments:

        def cell(n: int, env: EnvSummary = env) -> str:
            return f"**{n}**" if n and env.highest else str(n)

        lines.append(
            f"| {_env_name(env)} | {cell(env.added)} | {cell(env.changed)} | "
            f"{cell(env.removed)} | {env.unchanged} |"
        )
    lines.append("")
    apps = [
        ("changed", cs.apps_changed),
        ("added", cs.apps_added),
        ("removed", cs.apps_removed),
    ]
    parts = [
        f"{label}: {', '.join(f'`{a}`' for a in ids[:15])}"
        + (f" and {len(ids) - 15} more" if len(ids) > 15 else "")
        for label, ids in apps
        if ids
    ]
    envs = [("added", cs.envs_added), ("removed", cs.envs_removed)]
    parts += [
        f"environments {label}: {', '.join(f'`{e}`' for e in ids)}" for label, ids in envs if ids
    ]
    if parts:
        lines.append("**Apps** " + " · ".join(parts))
    if report.skipped_apps:
        lines.append(
            f"<sub>{report.skipped_apps} other app(s) were not rendered: none of their inputs "
            "changed.</sub>"
        )
    return lines


def _risks(risks: Sequence[Risk]) -> list[str]:
    if not risks:
        return []
    lines = ["", f"#### ⚠️ Risk notes ({len(risks)})", ""]
    lines += [
        f"- {SEVERITY_ICON[r.severity]} **{r.severity}**: {r.message}" for r in risks[:MAX_RISKS]
    ]
    if len(risks) > MAX_RISKS:
        lines.append(f"- … and {len(risks) - MAX_RISKS} more (see `midway diff -o json`)")
    return lines


def _blast_table(cause: Cause, envs: Sequence[str], highest: Iterable[str]) -> list[str]:
    top = set(highest)
    changed = {(u.app, u.env) for u in cause.changed}
    unchanged = {(u.app, u.env) for u in cause.unchanged}
    apps = sorted({u.app for u in cause.changed})
    direct = set(cause.direct)
    shown_envs = [e for e in envs if any(u.env == e for u in (*cause.changed, *cause.unchanged))]
    header = " | ".join(f"**{e}**" if e in top else e for e in shown_envs)
    lines = [f"| app | {header} |", "|:--|" + ":-:|" * len(shown_envs)]
    for app in apps[:MAX_BLAST_ROWS]:
        cells = [
            "changed" if (app, e) in changed else "·" if (app, e) in unchanged else ""
            for e in shown_envs
        ]
        mark = " ✎" if app in direct else ""
        lines.append(f"| `{app}`{mark} | {' | '.join(cells)} |")
    if len(apps) > MAX_BLAST_ROWS:
        lines.append(f"| … {len(apps) - MAX_BLAST_ROWS} more app(s) |" + " |" * len(shown_envs))
    return lines


def _blast(report: DiffReport) -> list[str]:
    causes = report.blast.causes
    if not causes:
        return []
    lines = ["", "#### 💥 Blast radius", ""]
    for new in report.blast.new_destinations:
        named = ", ".join(f"`{a}`" for a in new.apps[:NEW_DESTINATION_APPS])
        left = len(new.apps) - NEW_DESTINATION_APPS
        more = f" and {left} more" if left > 0 else ""
        lines += [
            f"**new destination {new.destination}: {len(new.apps)} apps**"
            + (f" ({named}{more})" if new.apps else ""),
            "",
        ]
    envs = report.changeset.environments
    order = report.changeset.env_order
    for cause in causes:
        files = ", ".join(f"`{f}`" for f in cause.files[:5])
        more = f" and {len(cause.files) - 5} more" if len(cause.files) > 5 else ""
        where = f" ({files}{more})" if cause.files else ""
        lines.append(
            f"**{cause.title}**{where}: output changed for **{len(cause.changed)}** of "
            f"{cause.candidates} app × environment, {len(cause.unchanged)} unchanged."
        )
        summary = cause.resource_summary(order)
        if summary:
            lines.append("")
            lines += [
                f"- resource `{r.resource}` in {', '.join(r.envs)}: {'; '.join(r.reasons)}"
                for r in summary[:MAX_BLAST_ROWS]
            ]
        if cause.kind in GRAPH_CAUSES and cause.changed:
            lines += ["", "Consumers whose output changed: " + _consumers(cause, order) + "."]
        if cause.changed:
            table = _blast_table(cause, envs, report.changeset.highest_envs)
            apps = len({u.app for u in cause.changed})
            legend = (
                "<sub>changed: output changed · `·`: unchanged · blank: not deployed"
                + (" · ✎: the app's own file changed too" if cause.direct else "")
                + "</sub>"
            )
            if apps > 10:
                lines += ["", f"<details><summary>{apps} apps</summary>", ""]
                lines += [*table, "", legend, "", "</details>"]
            else:
                lines += ["", *table, "", legend]
        lines.append("")
    return lines


def _switches(report: DiffReport) -> list[str]:
    switches = report.version_switches
    if not switches:
        return []
    lines = ["", f"#### 🔀 Blueprint versions ({len(switches)} app × environment)", ""]
    for s in switches[:MAX_SWITCHES]:
        via = f" (rollout `{s.rollout}`)" if s.rollout else ""
        lines.append(f"- {s.env}: `{s.app}` `{s.old}` → `{s.new}`{via}")
    if len(switches) > MAX_SWITCHES:
        lines.append(f"- … and {len(switches) - MAX_SWITCHES} more (see `midway diff -o json`)")
    return lines


GRAPH_CAUSES = frozenset({"provisioner", "provider", "resource"})
MAX_GRAPH_NODES = 80  # a bigger picture is unreadable (and GitHub refuses huge diagrams)


def _consumers(cause: Cause, order: Mapping[str, int]) -> str:
    """`payments/ledger-api` in dev, prod; `payments/ledger-worker` in prod"""
    by_app: dict[str, list[str]] = {}
    for unit in cause.changed:
        by_app.setdefault(unit.app, []).append(unit.env)
    parts = [
        f"`{app}` in {', '.join(sorted(envs, key=lambda e: (order.get(e, 0), e)))}"
        for app, envs in sorted(by_app.items())
    ]
    shown = parts[:MAX_BLAST_ROWS]
    more = f" and {len(parts) - MAX_BLAST_ROWS} more app(s)" if len(parts) > MAX_BLAST_ROWS else ""
    return "; ".join(shown) + more


def _graph(report: DiffReport) -> list[str]:
    """The changed part of the resource graph as a mermaid flowchart (GitHub draws it)."""
    blast = report.blast
    if not any(c.status != "unchanged" for c in blast.resources):
        return []
    picture = changed_graph(
        blast.resources,
        frozenset((u.app, u.env) for u in blast.output_changed),
        report.changeset.env_order,
    )
    if not picture.parts:
        return []
    lines = ["", "#### 🕸️ Resource graph: what changed", ""]
    if picture.size > MAX_GRAPH_NODES:
        return [*lines, f"{picture.size} nodes: too many to draw; see `midway graph`.", ""]
    mermaid = to_mermaid(
        picture.parts,
        changed=picture.changed,
        unchanged=picture.unchanged,
        notes=picture.notes,
    )
    return [
        *lines,
        "```mermaid",
        *mermaid.rstrip("\n").splitlines(),
        "```",
        "",
        "<sub>thick outline: changed (a resource's objects or outputs; an app's rendered "
        "output) · dashed: unchanged</sub>",
    ]


def _group_title(report: DiffReport, change: Change, count: int) -> str:
    dest = change.destination
    env = f"**{dest.env}**" if dest.env in report.changeset.highest_envs else dest.env
    fields = f" · {len(change.fields)} field(s)" if change.action == "changed" else ""
    times = f" · same change in {count} more" if count else ""
    return (
        f"`{ACTION_SIGN[change.action]}` {env}/{dest.cluster} · `{change.key}` · "
        f"`{change.app}`{fields}{times}"
    )


def _removed_block(report: DiffReport, group: ChangeGroup) -> str:
    top = report.changeset.highest_envs
    listed = [
        f"- {'**' + c.env + '**' if c.env in top else c.env}/{c.destination.cluster} `{c.key}`"
        for c in group.changes[: MAX_LISTED * 2]
    ]
    if len(group.changes) > MAX_LISTED * 2:
        listed.append(f"- … and {len(group.changes) - MAX_LISTED * 2} more")
    title = f"`-` `{group.first.app}` · {len(group.changes)} object(s) removed"
    if len(listed) > FOLD_LINES:
        return "\n".join(
            [
                f"<details><summary>{_inline_html(title)}</summary>",
                "",
                *listed,
                "",
                "</details>",
                "",
            ]
        )
    return "\n".join([title, "", *listed, ""])


def _group_block(report: DiffReport, group: ChangeGroup) -> str:
    change = group.first
    if change.action == "removed":
        return _removed_block(report, group)
    diff = list(change.diff)
    cut = len(diff) - MAX_DIFF_LINES
    if cut > 0:
        diff = [*diff[:MAX_DIFF_LINES], f"… {cut} more line(s)"]
    fence = _fence(diff)
    title = _group_title(report, change, len(group.others))
    body = [f"{fence}diff", *diff, fence]
    if group.others:
        listed = [
            f"- {c.destination.env}/{c.destination.cluster} `{c.key}` (`{c.app}`)"
            for c in group.others[:MAX_LISTED]
        ]
        if len(group.others) > MAX_LISTED:
            listed.append(f"- … and {len(group.others) - MAX_LISTED} more")
        body = [*body, "", "Same change in:", "", *listed]
    if len(diff) + len(group.others) > FOLD_LINES:
        summary = _inline_html(title.replace("**", ""))
        return "\n".join(
            [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]
        )
    return "\n".join([title, "", *body, ""])


def _stale(report: DiffReport) -> list[str]:
    stale = report.stale
    if stale is None:
        return []
    where = f"`{stale.repo}@{stale.branch}` ({(stale.state_commit or '')[:12]})"
    if not stale.objects:
        return ["", "#### State repo: up to date", "", f"{where} matches a fresh render of base."]
    lines = [
        "",
        f"#### 🕰️ Stale state ({len(stale.objects)})",
        "",
        f"{where} differs from a fresh render of base: publish has not run, failed, or the "
        "state repo was edited by hand.",
        "",
    ]
    lines += [f"- {s.state}: `{s.path}`" for s in stale.objects[:MAX_STALE]]
    if len(stale.objects) > MAX_STALE:
        lines.append(f"- … and {len(stale.objects) - MAX_STALE} more")
    return lines


def render(report: DiffReport, limit: int = MAX_CHARS) -> str:
    budget = _Budget(limit)
    head = [
        *_summary(report),
        *_risks(report.risks),
        *_blast(report),
        *_graph(report),
        *_switches(report),
        *_stale(report),
    ]
    budget.add("\n".join(head), force=True)
    groups = report.groups
    left_out = 0
    if groups:
        budget.add("\n#### Changes\n")
        for group in groups:
            if not budget.add(_group_block(report, group)):
                left_out += len(group.changes)
    text = budget.text().rstrip("\n") + "\n"
    if left_out:
        text += (
            f"\n> ✂️ Truncated to fit a comment: the diffs of {left_out} object(s) are not "
            "shown. Run `midway diff` locally (or read the CI job log) for the full output.\n"
        )
    if len(text) > limit:  # the summary alone overflowed (huge risk or blast lists)
        text = text[: limit - TRUNCATION_RESERVE].rsplit("\n", 1)[0] + (
            "\n\n> ✂️ Truncated to fit a comment. Run `midway diff` locally for the full output.\n"
        )
    return text
