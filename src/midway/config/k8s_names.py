"""Kubernetes name limits, checked before anything reaches a cluster.

The API server refuses a namespace of 64+ characters at apply time, long after review. The
rules are the apimachinery ones: a DNS-1123 *label* (63, `[a-z0-9]([-a-z0-9]*[a-z0-9])?`)
for namespaces and Service names, and label values (63, alphanumerics with `-_.` inside,
may be empty). Other object names are DNS-1123 subdomains, checked where objects are
normalised (render/normalize.py).
"""

from __future__ import annotations

import re

from midway.errors import MidwayError
from midway.model import ConfigRepo

DNS_LABEL_MAX = 63
LABEL_VALUE_MAX = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def dns_label_problem(value: str) -> str | None:
    """Why `value` is not a DNS-1123 label, in words; None when it is one."""
    if len(value) > DNS_LABEL_MAX:
        return f"is {len(value)} characters; Kubernetes allows at most {DNS_LABEL_MAX}"
    if not _DNS_LABEL.match(value):
        return "must be lower-case letters, digits and '-', starting and ending alphanumeric"
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > LABEL_VALUE_MAX:
        return f"is {len(value)} characters; Kubernetes allows at most {LABEL_VALUE_MAX}"
    if not _LABEL_VALUE.match(value):
        return "must be letters, digits, '-', '_' and '.', starting and ending alphanumeric"
    return None


def _template_size(template: str) -> tuple[int, int, int, int]:
    """(literal characters, count of {team}, of {app}, of {env}) of a namespace template."""
    counts = [template.count("{team}"), template.count("{app}"), template.count("{env}")]
    literal = len(template) - 6 * counts[0] - 5 * counts[1] - 5 * counts[2]
    return literal, counts[0], counts[1], counts[2]


def _odd_templates(config: ConfigRepo) -> frozenset[str]:
    """Environments whose template's literal text could break the label pattern (say, a
    `.`): their namespaces are formatted and checked one by one."""
    return frozenset(
        name
        for name, env in config.environments.items()
        if dns_label_problem(env.namespace_template.format(team="a", app="a", env="a"))
    )


def namespace_errors(config: ConfigRepo) -> list[MidwayError]:
    """Every app × environment whose namespace (from the environment's template) is not a
    valid namespace name. Reported at the template line (or the app, for the default
    template), naming the app file, since either side can fix it."""
    errors: list[MidwayError] = []
    # The length is worked out without formatting: names are DNS labels of bounded length
    # already (schema), so only the sum can overflow; format just the ones that do.
    sizes = {n: _template_size(e.namespace_template) for n, e in config.environments.items()}
    odd = _odd_templates(config)
    for app in config.apps.values():
        team_len, app_len = len(app.team), len(app.name)
        for env_name in app.environments:
            env = config.environments.get(env_name)
            if env is None:
                continue
            literal, teams, apps, envs = sizes[env_name]
            size = literal + teams * team_len + apps * app_len + envs * len(env_name)
            if size <= DNS_LABEL_MAX and env_name not in odd:
                continue
            namespace = env.namespace_template.format(team=app.team, app=app.name, env=env_name)
            problem = dns_label_problem(namespace)
            if problem is None:
                continue
            errors.append(
                MidwayError(
                    f"namespace `{namespace}` of app {app.id} in {env_name} (template "
                    f"`{env.namespace_template}`) {problem}",
                    env.namespace_source or app.source,
                    hint=f"shorten the app or team name ({app.source}) or use a shorter "
                    f"namespace template in {env.source.path}",
                )
            )
    return errors
