"""How the verbs that follow a change grow with the fleet: 1,000 and 10,000 apps (issue 15).

For each size, on a synthetic repo from bench/generate.py (a git repo; warm cache; an output
tree and a state repo written once beforehand, untimed), whole CLI processes timed by
bench_render's `time_command`:

- `render --out` into the existing tree, nothing changed (no-op);
- `render --out` after one app file changed (a new image tag before every run);
- `publish` after one app changed and was committed (before every run);
- `check` of that one app file;
- `diff HEAD~1 HEAD` for that one-app commit.

Besides the results, writes bench/results/scale.svg: median seconds per verb against the
number of apps (hand-rolled SVG, no plotting dependency). MIDWAY_BENCH_QUICK=1: 200 and
1,000 apps, fewer runs. MIDWAY_BENCH_SCALE_SIZES=1000,10000 overrides the sizes.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from bench_render import Workspace, quick, time_command, venv_bin  # noqa: E402
from generate import commit_all, generate  # noqa: E402

Report = Callable[[str, float, dict[str, Any]], None]
RESULTS = BENCH_DIR / "results"
VERBS = ("noop", "one_app", "publish", "check", "diff")
LABELS = {
    "noop": "render --out, no-op",
    "one_app": "render --out, one app changed",
    "publish": "publish, one app committed",
    "check": "check one app file",
    "diff": "diff of a one-app commit",
}
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def sizes() -> list[int]:
    explicit = os.environ.get("MIDWAY_BENCH_SCALE_SIZES")
    if explicit:
        return [int(s) for s in explicit.split(",")]
    return [200, 1000] if quick() else [1000, 10000]


def _run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, check=True, env={**os.environ, **env}, stdout=subprocess.DEVNULL)


def measure(root: Path, apps: int, runs: int) -> dict[str, dict[str, Any]]:
    config, out, state = root / "config", root / "out", root / "state.git"
    env = {"MIDWAY_CACHE_DIR": str(root / "cache")}
    generate(config, apps)
    commit_all(config)
    midway = [venv_bin("midway"), "-q", "--config", str(config)]
    _run([*midway, "render", "--out", str(out)], env)  # cold: fills the cache and the tree
    _run([*midway, "publish", "--state", str(state)], env)  # the state branch's first commit
    python, generator = shlex.quote(sys.executable), shlex.quote(str(BENCH_DIR / "generate.py"))
    change = f"{python} {generator} {shlex.quote(str(config))} --change-one --index 7"
    commit = f"{change} && git -C {shlex.quote(str(config))} commit -qam change"
    app_file = config / "apps/team-07/app-0007.yaml"
    cli = shlex.join(midway)
    commands = {
        "noop": (f"{cli} render --out {shlex.quote(str(out))}", None),
        "one_app": (f"{cli} render --out {shlex.quote(str(out))}", change),
        "publish": (f"{cli} publish --state {shlex.quote(str(state))}", commit),
        "check": (f"{cli} check {shlex.quote(str(app_file))}", change),
        # exit 1: differences found, the expected outcome
        "diff": (f"{cli} diff HEAD~1 HEAD -o markdown > /dev/null; test $? -eq 1", commit),
    }
    found: dict[str, dict[str, Any]] = {}
    for verb, (command, prepare) in commands.items():
        timing = time_command(command, runs=runs, warmup=1, prepare=prepare, env=env)
        found[verb] = {"median_s": round(timing.median, 4), **timing.extra()}
        if verb == "one_app":  # leave the tree matching HEAD for the next verbs
            subprocess.run(["git", "-C", str(config), "checkout", "-q", "--", "."], check=True)
    return found


def run(report: Report) -> None:
    runs = 3 if quick() else 5
    table: dict[int, dict[str, dict[str, Any]]] = {}
    for apps in sizes():
        with Workspace(f"scale-{apps}") as root:
            table[apps] = measure(root, apps, runs)
        for verb, result in table[apps].items():
            report(f"scale_{verb}_{apps}_apps", result["median_s"], result)
    small, large = min(table), max(table)
    for verb in VERBS:
        ratio = table[large][verb]["median_s"] / table[small][verb]["median_s"]
        report(f"scale_{verb}_ratio_{large}_{small}", ratio, {"unit": "ratio"})
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(table, indent=2, sort_keys=True))
    (RESULTS / "scale.svg").write_text(svg_plot(table))


def svg_plot(table: dict[int, dict[str, dict[str, Any]]], width: int = 640) -> str:
    """Median seconds per verb against apps, both axes linear, one polyline per verb."""
    height, left, right, top, bottom = 360, 60, 230, 20, 50
    xs = sorted(table)
    top_s = max(table[x][v]["median_s"] for x in xs for v in VERBS) * 1.1 or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(apps: int) -> float:
        return left + plot_w * apps / max(xs)

    def py(seconds: float) -> float:
        return top + plot_h * (1 - seconds / top_s)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">apps</text>',
        f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
        'text-anchor="middle">median seconds</text>',
    ]
    for step in range(5):
        seconds = top_s * step / 4
        y = py(seconds)
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{seconds:.1f}</text>')
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
        )
    for apps in xs:
        parts.append(
            f'<text x="{px(apps):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{apps:,}</text>'
        )
    for index, verb in enumerate(VERBS):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(f"{px(x):.1f},{py(table[x][verb]['median_s']):.1f}" for x in xs)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for x in xs:
            cx, cy = px(x), py(table[x][verb]["median_s"])
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}"/>')
        y = top + 16 * index + 8
        parts.append(
            f'<line x1="{width - right + 15}" y1="{y}" x2="{width - right + 35}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{width - right + 40}" y="{y + 4}">{LABELS[verb]}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
