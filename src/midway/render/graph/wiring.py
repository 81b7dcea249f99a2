"""Wiring one unit's params (docs/resources.md, "Placeholders"): `${...}` filled from the
unit's metadata, environment and resources' outputs; secret outputs as markers the worker
turns into secretKeyRefs; a service-port's outputs from the provider blueprint's `exports`.

One `Wiring` per render: it computes a provider's exports once per destination (many apps
reach one gateway) and is dropped with the render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from midway.config.validation import did_you_mean
from midway.errors import MidwayError
from midway.model import JSON, App, Blueprint, Cluster, ConfigRepo, Environment
from midway.render.graph.outputs import SECRET_REF_KEY, export_values
from midway.render.graph.placeholders import PlaceholderError, Ref, refs_in, substitute
from midway.render.graph.plan import ResourceNode
from midway.render.graph.secret_refs import SecretUse, marker
from midway.render.normalize import namespace_for
from midway.render.params import MergedParams, merge_params, resolve_blueprint


@dataclass(frozen=True)
class Provided:
    """A provisioned resource as its consumer sees it: what its provisioner declares and
    what it returned."""

    blueprint: Blueprint
    outputs: Mapping[str, JSON]


@dataclass(frozen=True)
class UnitInputs:
    """What one unit's placeholders may refer to."""

    subject: str  # "app payments/checkout" or "resource `db`", for messages
    app: App  # whose file an error without a better line points at
    metadata_app: App  # ${metadata.*}
    env: Environment
    cluster: Cluster
    namespace: str  # ${env.namespace}
    # local name -> a provisioned resource, or the graph node of a service-port
    resources: Mapping[str, Provided | ResourceNode]
    per_environment: bool  # an app's resources may differ per environment: say which


class Wiring:
    def __init__(self, config: ConfigRepo) -> None:
        self.config = config
        self._exports: dict[tuple[str, str], dict[str, JSON]] = {}

    def fill(
        self, unit: UnitInputs, merged: MergedParams, uses: dict[str, SecretUse]
    ) -> dict[str, JSON]:
        """The merged params with `${...}` resolved; `uses` gets each secret output used, by
        marker label. Raises MidwayError at the line that wrote a bad placeholder."""
        try:
            filled = substitute(merged.values, lambda ref: self._resolve(ref, unit, uses))
            assert isinstance(filled, dict)
        except PlaceholderError as exc:
            at = getattr(exc, "path", ())
            raise MidwayError(
                f"{exc.message} (in {unit.env.name}/{unit.cluster.name})",
                merged.where(at) or unit.app.source,
                hint=exc.hint,
            ) from None
        if uses:  # name the line of each secret placeholder, for refusals in the worker
            # uses are numbered in the order substitute() met them, which is refs_in's order
            texts = {use.placeholder for use in uses.values()}
            secret_refs = [(p, r) for p, r in refs_in(merged.values) if r.text in texts]
            for number, (path, ref) in enumerate(secret_refs):
                label = f"{ref.text[2:-1]}#{number}"
                if label in uses:
                    uses[label] = SecretUse(ref.text, merged.where(path) or unit.app.source)
        return filled

    def _resolve(self, ref: Ref, unit: UnitInputs, uses: dict[str, SecretUse]) -> JSON:
        root, rest = ref.root, ref.parts[1:]
        if root == "metadata":
            known = {"name": unit.metadata_app.name, "team": unit.metadata_app.team}
            if len(rest) == 1 and rest[0] in known:
                return known[rest[0]]
            raise PlaceholderError(
                f"`{ref.text}` is not a metadata field",
                hint="use ${metadata.name} or ${metadata.team}",
            )
        if root == "env":
            known = {
                "name": unit.env.name,
                "namespace": unit.namespace,
                "cluster": unit.cluster.name,
            }
            if len(rest) == 1 and rest[0] in known:
                return known[rest[0]]
            raise PlaceholderError(
                f"`{ref.text}` is not an environment field",
                hint="use ${env.name}, ${env.namespace} or ${env.cluster}",
            )
        if len(rest) != 2:
            raise PlaceholderError(
                f"`{ref.text}` must name a resource and one of its outputs",
                hint="write ${resources.<name>.<output>}, e.g. ${resources.db.host}",
            )
        name, output = rest
        resource = unit.resources.get(name)
        if resource is None:
            choices = sorted(unit.resources)
            raise PlaceholderError(
                f"`{ref.text}` names the resource `{name}`, which {unit.subject} does not "
                "declare" + (f" in {unit.env.name}" if unit.per_environment else ""),
                hint=did_you_mean(name, choices)
                or (
                    f"its resources: {', '.join(choices)}"
                    if choices
                    else "declare it under spec.resources"
                ),
            )
        if isinstance(resource, ResourceNode):  # a service-port: the provider's exports
            outputs = self.exports(resource)
            declared: dict[str, bool] = dict.fromkeys(outputs, False)
        else:
            assert resource.blueprint.provides is not None
            declared = {o.name: o.secret for o in resource.blueprint.provides.outputs.values()}
            outputs = dict(resource.outputs)
        if output not in declared:
            raise PlaceholderError(
                f"`{ref.text}`: resource `{name}` has no output `{output}`",
                hint=did_you_mean(output, sorted(declared))
                or f"its outputs: {', '.join(sorted(declared)) or 'none'}",
            )
        value = outputs.get(output)
        if declared[output] and isinstance(value, dict):
            target = value[SECRET_REF_KEY]
            label = f"{ref.text[2:-1]}#{len(uses)}"  # one marker per use, to locate each
            uses[label] = SecretUse(ref.text, unit.app.source)
            return marker(str(target["name"]), str(target["key"]), label)
        return value

    def exports(self, node: ResourceNode) -> dict[str, JSON]:
        """What a service-port gives: the provider app's blueprint `exports` in this
        destination. Raises PlaceholderError when its blueprint exports nothing."""
        assert node.provider is not None
        key = (node.provider.app.id, str(node.destination))
        found = self._exports.get(key)
        if found is None:
            found = self._exports[key] = self._compute_exports(node)
        return dict(found)

    def graph_exports(self, node: ResourceNode) -> dict[str, JSON]:
        """A service-port's outputs for the rendered graph (`midway graph`, the preview);
        empty when the provider exports nothing (its consumers' placeholders report that)."""
        try:
            return self.exports(node)
        except (MidwayError, PlaceholderError):
            return {}

    def _compute_exports(self, node: ResourceNode) -> dict[str, JSON]:
        assert node.provider is not None
        provider = node.provider
        blueprint = resolve_blueprint(self.config, provider.app, provider.env.name)
        if not blueprint.exports:
            raise PlaceholderError(
                f"app {provider.app.id} (blueprint {blueprint.ref}) exports no outputs to consume",
                hint="its blueprint declares `spec.exports` (host, port, url…) for "
                "service-port consumers; ask the platform team",
            )
        params = merge_params(blueprint, provider.env, provider.app).values
        env = provider.env
        namespace = namespace_for(env.namespace_template, provider.app, env.name)
        return export_values(
            blueprint,
            params,
            {"name": provider.app.name, "team": provider.app.team},
            {"name": env.name, "namespace": namespace, "cluster": provider.cluster.name},
        )
