"""A small fleet for blueprint-version and rollout tests: a `cron-job` blueprint, three
environments (dev → staging → prod) and a few apps, as files to write or commit.

    files = fleet_files()                                   # cron-job 1.0.3 only
    files = fleet_files(extra={**cron_job("1.1.0", "cron-job@1.1")})

Every unit renders one ConfigMap whose data says which blueprint version made it, so a
version switch is visible in the rendered bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

ENVIRONMENT = """\
apiVersion: midway.dev/v1
kind: Environment
metadata:
  name: {name}
spec:
  order: {order}
  clusters:
    - name: {name}-1
      server: https://{name}-1.example.com
"""

BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata:
  name: cron-job
spec:
  version: {version}
  parameters:
    type: object
    additionalProperties: false
    required: [schedule]
    properties:
      schedule: {{type: string{schedule_rule}}}
      suspend: {{type: boolean, default: false}}{extra_params}
"""

MAIN = """\
function(app, env, params) [{{
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {{name: app.name + '-cron'}},
  data: {{made_by: 'cron-job {version}', schedule: params.schedule{extra_data}}},
}}]
"""

APP = """\
apiVersion: midway.dev/v1
kind: App
metadata:
  name: {name}
  team: {team}
spec:
  blueprint: cron-job@{range}
  params:
    schedule: "{schedule}"
"""

ROLLOUT = """\
apiVersion: midway.dev/v1
kind: Rollout
metadata:
  name: {name}
spec:
  blueprint: cron-job
  to: "{to}"
  environments: [{environments}]{more}
"""


def cron_job(
    version: str,
    directory: str = "cron-job",
    *,
    timezone: bool = False,
    schedule_pattern: str | None = None,
) -> dict[str, str]:
    """One version of cron-job in blueprints/<directory>/. `timezone` adds an optional
    parameter (an additive minor release); `schedule_pattern` tightens `schedule`."""
    rule = f', pattern: "{schedule_pattern}"' if schedule_pattern else ""
    extra_params = "\n      timezone: {type: string, default: UTC}" if timezone else ""
    extra_data = ", timezone: params.timezone" if timezone else ""
    return {
        f"blueprints/{directory}/blueprint.yaml": BLUEPRINT.format(
            version=version, schedule_rule=rule, extra_params=extra_params
        ),
        f"blueprints/{directory}/main.jsonnet": MAIN.format(version=version, extra_data=extra_data),
    }


def app(
    team: str, name: str, range_text: str = "~1.0", schedule: str = "0 3 * * *"
) -> dict[str, str]:
    return {
        f"apps/{team}/{name}.yaml": APP.format(
            team=team, name=name, range=range_text, schedule=schedule
        )
    }


def rollout(name: str, to: str, environments: list[str], more: str = "") -> dict[str, str]:
    """rollouts/<name>.yaml moving cron-job apps to `to` in `environments`; `more` is extra
    spec lines (indented two spaces), e.g. "\\n  exclude: [shop]"."""
    return {
        f"rollouts/{name}.yaml": ROLLOUT.format(
            name=name, to=to, environments=", ".join(environments), more=more
        )
    }


def fleet_files(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """cron-job 1.0.3, dev/staging/prod, and apps data/etl, data/reports, shop/cleanup on ~1.0."""
    files: dict[str, str] = {}
    for order, env in enumerate(("dev", "staging", "prod"), start=1):
        files[f"environments/{env}.yaml"] = ENVIRONMENT.format(name=env, order=order)
    files.update(cron_job("1.0.3"))
    files.update(app("data", "etl"))
    files.update(app("data", "reports"))
    files.update(app("shop", "cleanup"))
    files.update(extra or {})
    return files
