"""Which destinations a command means: the one target selector of the verbs and the daemon.

A `Target` is an environment and one of its clusters. `select_targets` is the filter every
multi-destination caller uses (the daemon's --env/--cluster, `midway sync`, in environment
order); `require_targets` adds `midway sync`'s errors for names that select nothing;
`choose_target` is the one destination a single-destination verb (drift, apply) means,
where `--env`/`--cluster` may be left out when there is only one choice. Which kubeconfig
context reaches a target is decided by its cluster's `server:`
(midway.cluster.target.connect_destination), never by the current context alone.
"""

from __future__ import annotations

from collections.abc import Collection
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


def select_targets(
    config: ConfigRepo, envs: Collection[str] = (), clusters: Collection[str] = ()
) -> list[Target]:
    """The targets of `config` in environment order (then the clusters' order), restricted
    to the environments `envs` and the clusters `clusters` (empty: all). Names that match
    nothing select nothing: callers that must refuse them use require_targets."""
    return [
        Target(environment, cluster)
        for environment in config.environments_in_order()
        if not envs or environment.name in envs
        for cluster in environment.clusters
        if not clusters or cluster.name in clusters
    ]


def target_of(config: ConfigRepo, destination: Destination) -> Target:
    """The target a destination of `config` names (KeyError when the config lacks it)."""
    environment = config.environments[destination.env]
    for cluster in environment.clusters:
        if cluster.name == destination.cluster:
            return Target(environment, cluster)
    raise KeyError(str(destination))


def require_targets(config: ConfigRepo, env: str | None, cluster: str | None) -> list[Target]:
    """`--env`/`--cluster` of a verb that works every destination they select (None: any):
    a MidwayError when the environment does not exist or nothing is selected."""
    if env is not None and env not in config.environments:
        raise unknown_environment(config, env)
    found = select_targets(
        config, () if env is None else (env,), () if cluster is None else (cluster,)
    )
    if not found:
        selected = select_targets(config, () if env is None else (env,))
        clusters = sorted({t.cluster.name for t in selected})
        raise MidwayError(
            f"no cluster `{cluster}` in the selected environments",
            hint=did_you_mean(str(cluster), clusters) or f"clusters: {', '.join(clusters)}",
        )
    return found


def unknown_environment(config: ConfigRepo, env: str) -> MidwayError:
    """The error for an `--env` the config does not have: a did-you-mean, else the
    environments in promotion order (one wording for every verb)."""
    names = [e.name for e in config.environments_in_order()]
    return MidwayError(
        f"environment `{env}` does not exist",
        hint=did_you_mean(env, sorted(names)) or f"environments: {', '.join(names) or 'none'}",
    )


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
            raise unknown_environment(config, env)
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


def same_app(candidate: str | None, wanted: str) -> bool:
    """Whether an object's "team/app" is the `--app` asked for (`team/app`, or `app` alone,
    as `midway sync --app` has always accepted)."""
    if candidate is None:
        return False
    return candidate == wanted or candidate.split("/", 1)[-1] == wanted
