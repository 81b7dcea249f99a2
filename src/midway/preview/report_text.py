"""Terminal report: rich Text lines (the CLI prints them; colours only on a TTY)."""

from __future__ import annotations

from rich.text import Text

from midway.preview.report import ChangeGroup, DiffReport

SEVERITY_STYLE = {"high": "bold red", "warning": "yellow", "info": "cyan"}
ACTION_STYLE = {"added": "green", "changed": "yellow", "removed": "red"}
ACTION_SIGN = {"added": "+", "changed": "~", "removed": "-"}
MAX_LISTED = 50


def _diff_line(line: str) -> Text:
    if line.startswith(("+++", "---")):
        return Text(line, style="bold")
    if line.startswith("+"):
        return Text(line, style="green")
    if line.startswith("-"):
        return Text(line, style="red")
    if line.startswith("@@"):
        return Text(line, style="cyan")
    return Text(line)


def _summary(report: DiffReport) -> list[Text]:
    cs = report.changeset
    out = [
        Text.assemble(("midway diff: ", "bold"), (report.headline, "bold")),
        Text(f"base {report.base.label} → head {report.head.label}"),
    ]
    if report.files:
        shown = ", ".join(report.files[:10])
        more = f" and {len(report.files) - 10} more" if len(report.files) > 10 else ""
        out.append(Text(f"changed config files ({len(report.files)}): {shown}{more}"))
    if not report.changed:
        return out
    out.append(Text())
    width = max([len("environment"), *(len(e.name) + 2 for e in report.environments)])
    out.append(Text(f"{'environment':<{width}}  added  changed  removed  unchanged", style="bold"))
    for env in report.environments:
        name = f"{env.name} !" if env.highest and env.touched else env.name
        row = (
            f"{name:<{width}}  {env.added:>5}  {env.changed:>7}  {env.removed:>7}  "
            f"{env.unchanged:>9}"
        )
        out.append(Text(row, style="bold red" if env.highest and env.touched else ""))
    out.append(Text())
    for label, ids in (
        ("apps changed", cs.apps_changed),
        ("apps added", cs.apps_added),
        ("apps removed", cs.apps_removed),
        ("environments added", cs.envs_added),
        ("environments removed", cs.envs_removed),
    ):
        if ids:
            out.append(Text(f"{label}: {', '.join(ids)}"))
    if report.skipped_apps:
        out.append(
            Text(
                f"{report.skipped_apps} other app(s) not rendered: none of their inputs changed",
                style="dim",
            )
        )
    return out


def _risks(report: DiffReport) -> list[Text]:
    if not report.risks:
        return []
    out = [Text(), Text(f"risk notes ({len(report.risks)}):", style="bold")]
    for risk in report.risks:
        out.append(
            Text.assemble(
                "  ", (f"{risk.severity:<8}", SEVERITY_STYLE[risk.severity]), " ", risk.message
            )
        )
    return out


def _blast(report: DiffReport) -> list[Text]:
    if not report.blast.causes:
        return []
    out = [Text(), Text("blast radius:", style="bold")]
    for new in report.blast.new_destinations:
        out.append(Text(f"  new destination {new.destination}: {len(new.apps)} apps", style="bold"))
    order = report.changeset.env_order
    for cause in report.blast.causes:
        files = f" ({', '.join(cause.files)})" if cause.files else ""
        out.append(
            Text(
                f"  {cause.title}{files}: {len(cause.changed)} of "
                f"{cause.candidates} app × env changed, {len(cause.unchanged)} unchanged"
            )
        )
        for res in cause.resource_summary(order):
            where, why = ", ".join(res.envs), "; ".join(res.reasons)
            out.append(Text(f"    resource {res.resource} in {where}: {why}"))
        by_app: dict[str, list[str]] = {}
        for unit in cause.changed:
            by_app.setdefault(unit.app, []).append(unit.env)
        for app, envs in sorted(by_app.items()):
            envs.sort(key=lambda e: (order.get(e, 0), e))
            also = " (app file changed too)" if app in cause.direct else ""
            out.append(Text(f"    {app}: {', '.join(envs)}{also}"))
    return out


def _switches(report: DiffReport) -> list[Text]:
    switches = report.version_switches
    if not switches:
        return []
    out = [Text(), Text(f"blueprint versions ({len(switches)} app × env switch):", style="bold")]
    for s in switches:
        via = f" (rollout {s.rollout})" if s.rollout else ""
        out.append(Text(f"  {s.env}: {s.app} {s.old} → {s.new}{via}"))
    return out


def _removed(group: ChangeGroup) -> list[Text]:
    out = [
        Text(),
        Text.assemble(
            ("-", ACTION_STYLE["removed"]),
            (f" {group.first.app}", "bold"),
            f": {len(group.changes)} object(s) removed",
        ),
    ]
    for change in group.changes:
        dest = change.destination
        out.append(Text(f"  {dest.env}/{dest.cluster} {change.key}", style="red"))
    return out


def _group(report: DiffReport, group: ChangeGroup) -> list[Text]:
    change = group.first
    if change.action == "removed":
        return _removed(group)
    dest = change.destination
    fields = f" · {len(change.fields)} field(s)" if change.action == "changed" else ""
    prod = dest.env in report.changeset.highest_envs
    out = [
        Text(),
        Text.assemble(
            (ACTION_SIGN[change.action], ACTION_STYLE[change.action]),
            " ",
            (f"{dest.env}/{dest.cluster}", "bold red" if prod else "bold"),
            f" {change.key} ({change.app}){fields}",
        ),
    ]
    out += [_diff_line(line) for line in change.diff]
    if group.others:
        out.append(Text(f"same change in {len(group.others)} more object(s):", style="bold"))
        for other in group.others[:MAX_LISTED]:
            where = f"{other.destination.env}/{other.destination.cluster}"
            out.append(Text(f"  {where} {other.key} ({other.app})"))
        if len(group.others) > MAX_LISTED:
            out.append(Text(f"  … and {len(group.others) - MAX_LISTED} more (-o json lists all)"))
    return out


def _stale(report: DiffReport) -> list[Text]:
    stale = report.stale
    if stale is None:
        return []
    where = f"{stale.repo}@{stale.branch} ({(stale.state_commit or '')[:12]})"
    if not stale.objects:
        return [Text(), Text(f"state repo {where} matches a fresh render of base")]
    out = [
        Text(),
        Text(
            f"stale state: {len(stale.objects)} file(s) in {where} differ from base", style="bold"
        ),
    ]
    out += [Text(f"  {s.state:<8} {s.path}") for s in stale.objects]
    return out


def render(report: DiffReport) -> list[Text]:
    lines = [*_summary(report), *_risks(report), *_blast(report), *_switches(report)]
    for group in report.groups:
        lines += _group(report, group)
    lines += _stale(report)
    if not report.changed:
        lines += [Text(), Text("no changes", style="bold green")]
    return lines
