"""Which destination a command means, and which kubeconfig context reaches it.

`--env`/`--cluster` pick the destination (either may be left out when there is only one
choice). Which kubeconfig context reaches it is decided by the cluster's `server:`
(midway.cluster.target.connect_destination), never by the current context alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import Cluster, ConfigRepo, Destination, Environment


@dataclass(frozen=True)
class Target:
    environment: Environment
    cluster: Cluster

    @property
    def destination(self) -> Destination:
        return Destination(self.environment.name, self.cluster.name)

    @property
    def namespace_glob(self) -> str:
        """The environment's namespaces as a glob: "{team}-{app}" -> "*-*"."""
        return namespace_glob(self.environment.namespace_template, self.environment.name)


def namespace_glob(template: str, env: str) -> str:
    """Namespaces a template can produce, as a glob (the orphan scan's scope)."""
    try:
        return template.format(team="*", app="*", env=env)
    except (KeyError, IndexError, ValueError):
        return "*"


def choose_target(config: ConfigRepo, env: str | None, cluster: str | None) -> Target:
    """The one destination `--env`/`--cluster` name (MidwayError listing the choices)."""
    environments = config.environments_in_order()
    if env is None:
        if len(environments) != 1:
            names = ", ".join(e.name for e in environments) or "none"
            raise MidwayError("which environment? pass --env", hint=f"environments: {names}")
        environment = environments[0]
    else:
        found = config.environments.get(env)
        if found is None:
            raise MidwayError(
                f"environment `{env}` does not exist",
                hint=did_you_mean(env, sorted(config.environments))
                or f"environments: {', '.join(e.name for e in environments)}",
            )
        environment = found
    clusters = {c.name: c for c in environment.clusters}
    if cluster is None:
        if len(clusters) != 1:
            raise MidwayError(
                f"environment `{environment.name}` has {len(clusters)} clusters: pass --cluster",
                environment.source,
                hint=f"clusters: {', '.join(sorted(clusters)) or 'none'}",
            )
        chosen = next(iter(clusters.values()))
    else:
        if cluster not in clusters:
            raise MidwayError(
                f"environment `{environment.name}` has no cluster `{cluster}`",
                environment.source,
                hint=did_you_mean(cluster, sorted(clusters))
                or f"clusters: {', '.join(sorted(clusters))}",
            )
        chosen = clusters[cluster]
    return Target(environment, chosen)


def check_app(config: ConfigRepo, app: str | None) -> str | None:
    """`--app team/app` checked against the config (None passes through)."""
    if app is None:
        return None
    if app not in config.apps:
        raise MidwayError(
            f"app `{app}` does not exist",
            hint=did_you_mean(app, sorted(config.apps))
            or "apps are named team/app, as in apps/<team>/<app>.yaml",
        )
    return app
