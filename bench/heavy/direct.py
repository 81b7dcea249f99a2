"""The yardstick for the heavy bench: main.jsonnet evaluated directly with `_gojsonnet`, once
per app (a fresh evaluation each, as `jsonnet` on the command line would), in N processes
that split the apps between them (midway uses 2 workers on 2 cores). Go's collector at its
default settings. The output is parsed as JSON and dropped.

    python bench/heavy/direct.py CONFIG_DIR UNITS_JSON [--procs 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path

MAIN = "blueprints/monitoring-stack/main.jsonnet"


def _evaluate(job: tuple[str, list[dict[str, str]]]) -> int:
    import _gojsonnet  # in the child: the Go runtime starts there

    root, units = job
    produced = 0
    for unit in units:
        text = _gojsonnet.evaluate_file(
            str(Path(root) / MAIN), tla_codes=unit, jpathdir=[f"{root}/lib", f"{root}/vendor"]
        )
        produced += len(json.loads(text))
    return produced


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("units", type=Path)
    parser.add_argument("--procs", type=int, default=2)
    args = parser.parse_args()
    units = json.loads(args.units.read_text())
    shares = [(args.root, units[i :: args.procs]) for i in range(args.procs)]
    with multiprocessing.get_context("spawn").Pool(args.procs) as workers:
        objects = sum(workers.map(_evaluate, shares))
    print(f"{len(units)} apps, {objects} objects")


if __name__ == "__main__":
    main()
