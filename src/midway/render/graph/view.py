"""The resource graph as people read it (`midway graph`, the PR preview's picture): apps and
resources as nodes, who-uses-what as edges, printed as text, JSON, Graphviz dot or mermaid.

Pure and deterministic: built from `RenderResult.resources` alone, every list sorted, node ids
derived from names (never from memory addresses or counters over unordered sets). Secret
outputs are already references (`secretKeyRef:<name>/<key>`) in the render result; nothing
here can turn them back into values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any, Literal

from midway.model import JSON, Destination, ResolvedResource

SCHEMA_VERSION = 1
SCHEMA_FILE = "graph.schema.json"
SERVICE_PORT = "service-port"

EdgeKind = Literal["uses", "depends-on", "service-port"]


@dataclass(frozen=True, order=True)
class AppNode:
    id: str  # "team/app"
    namespace: str


@dataclass(frozen=True)
class ResourceView:
    """A provisioned resource (service-ports are edges between apps, not nodes)."""

    uid: str
    type: str
    class_: str
    id: str | None
    name: str
    namespace: str
    provisioner: str | None
    shared: bool
    stateful: bool
    directory: str
    outputs: Mapping[str, JSON]

    @property
    def node_id(self) -> str:
        return f"resource:{self.uid}"

    @property
    def label(self) -> str:
        """`payments/ledger-db` for a shared resource (its home team and id), else the uid
        (`payments/ledger-worker.queue`: the app and its local name)."""
        if self.shared:
            return self.uid.split("/", 2)[-1]
        return self.uid


@dataclass(frozen=True, order=True)
class Edge:
    source: str  # node id: "app:team/app" or "resource:<uid>"
    target: str
    kind: EdgeKind
    name: str  # the consumer's local name for the resource ("" for depends-on)


@dataclass(frozen=True)
class GraphPart:
    """The graph of one destination (or, in the preview, of one environment's clusters)."""

    title: str  # "dev/dev-1"
    destinations: tuple[Destination, ...]
    apps: tuple[AppNode, ...]
    resources: tuple[ResourceView, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class GraphView:
    revision: str | None
    parts: tuple[GraphPart, ...]

    @property
    def resource_count(self) -> int:
        return sum(len(p.resources) for p in self.parts)


def app_node_id(app: str) -> str:
    return f"app:{app}"


def resource_view(res: ResolvedResource) -> ResourceView:
    return ResourceView(
        uid=res.uid,
        type=res.type,
        class_=res.class_,
        id=res.id,
        name=res.name,
        namespace=res.namespace,
        provisioner=res.provisioner,
        shared=res.shared,
        stateful=res.stateful,
        directory=res.directory,
        outputs={k: res.outputs[k] for k in sorted(res.outputs)},
    )


def build_part(
    title: str, destinations: Iterable[Destination], resources: Iterable[ResolvedResource]
) -> GraphPart:
    """Nodes and edges of `resources` (one destination's, or one node per uid when the
    caller merged several clusters). Apps appear when they use or provide something."""
    apps: dict[str, str] = {}
    views: dict[str, ResourceView] = {}
    edges: set[Edge] = set()
    for res in resources:
        for consumer in res.consumers:
            apps.setdefault(consumer.app, consumer.namespace)
        if res.type == SERVICE_PORT and res.provider_app is not None:
            apps.setdefault(res.provider_app, res.namespace)
            for consumer in res.consumers:
                edges.add(
                    Edge(
                        app_node_id(consumer.app),
                        app_node_id(res.provider_app),
                        "service-port",
                        consumer.name,
                    )
                )
            continue
        view = views.setdefault(res.uid, resource_view(res))
        for consumer in res.consumers:
            edges.add(Edge(app_node_id(consumer.app), view.node_id, "uses", consumer.name))
        for dep in res.depends_on:
            edges.add(Edge(view.node_id, f"resource:{dep}", "depends-on", ""))
    known = {app_node_id(a) for a in apps} | {v.node_id for v in views.values()}
    return GraphPart(
        title=title,
        destinations=tuple(sorted(set(destinations), key=lambda d: (d.env, d.cluster))),
        apps=tuple(sorted(AppNode(a, ns) for a, ns in apps.items())),
        resources=tuple(sorted(views.values(), key=lambda v: (v.type, v.label))),
        edges=tuple(sorted(e for e in edges if e.source in known and e.target in known)),
    )


def build_graph(
    resources: Iterable[ResolvedResource],
    env_order: Mapping[str, int],
    *,
    env: str | None = None,
    cluster: str | None = None,
    revision: str | None = None,
) -> GraphView:
    """One part per destination, in promotion order (environment order, then name)."""
    by_destination: dict[Destination, list[ResolvedResource]] = {}
    for res in resources:
        dest = res.destination
        if (env is None or dest.env == env) and (cluster is None or dest.cluster == cluster):
            by_destination.setdefault(dest, []).append(res)
    ordered = sorted(by_destination, key=lambda d: (env_order.get(d.env, 0), d.env, d.cluster))
    return GraphView(revision, tuple(build_part(str(d), (d,), by_destination[d]) for d in ordered))


# --- text --------------------------------------------------------------------------------


def _value(value: JSON) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _resource_line(view: ResourceView) -> str:
    traits = [t for t, on in (("shared", view.shared), ("stateful", view.stateful)) if on]
    where = f" · {view.provisioner}" if view.provisioner else ""
    extra = f" ({', '.join(traits)})" if traits else ""
    return f"{view.type} {view.label}{extra} · class {view.class_}{where} · ns {view.namespace}"


def to_text(graph: GraphView) -> list[str]:
    if not graph.parts:
        return ["no resources"]
    lines: list[str] = []
    for part in graph.parts:
        ports = [e for e in part.edges if e.kind == "service-port"]
        lines.append(
            f"{part.title}: {len(part.resources)} resource(s), {len(ports)} service-port(s), "
            f"{len(part.apps)} app(s)"
        )
        for view in part.resources:
            lines.append(f"  {_resource_line(view)}")
            users = [e for e in part.edges if e.target == view.node_id and e.kind == "uses"]
            named = ", ".join(f"{e.source.removeprefix('app:')} ({e.name})" for e in users)
            lines.append(f"    used by: {named or '-'}")
            deps = [
                e.target.removeprefix("resource:") for e in part.edges if e.source == view.node_id
            ]
            if deps:
                lines.append(f"    depends on: {', '.join(deps)}")
            if view.outputs:
                shown = ", ".join(f"{k}={_value(v)}" for k, v in view.outputs.items())
                lines.append(f"    outputs: {shown}")
        for edge in ports:
            lines.append(
                f"  service-port {edge.source.removeprefix('app:')} ({edge.name}) -> app "
                f"{edge.target.removeprefix('app:')}"
            )
    return lines


# --- JSON --------------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    text = package_files.files("midway.render.graph").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _resource_data(view: ResourceView) -> dict[str, Any]:
    return {
        "id": view.node_id,
        "uid": view.uid,
        "type": view.type,
        "class": view.class_,
        "resourceId": view.id,
        "name": view.name,
        "namespace": view.namespace,
        "provisioner": view.provisioner,
        "shared": view.shared,
        "stateful": view.stateful,
        "directory": view.directory,
        "outputs": dict(view.outputs),
    }


def to_data(graph: GraphView) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "revision": graph.revision,
        "destinations": [
            {
                "env": part.destinations[0].env,
                "cluster": part.destinations[0].cluster,
                "apps": [
                    {"id": app_node_id(a.id), "app": a.id, "namespace": a.namespace}
                    for a in part.apps
                ],
                "resources": [_resource_data(v) for v in part.resources],
                "edges": [
                    {"from": e.source, "to": e.target, "kind": e.kind, "name": e.name}
                    for e in part.edges
                ],
            }
            for part in graph.parts
        ],
    }


def to_json(graph: GraphView) -> str:
    return json.dumps(to_data(graph), indent=2, ensure_ascii=False) + "\n"


# --- Graphviz dot ------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: GraphView) -> str:
    lines = ["digraph midway {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    for index, part in enumerate(graph.parts):
        prefix = f"{part.title}|"
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_dot_quote(part.title)};")
        for app in part.apps:
            node = _dot_quote(prefix + app_node_id(app.id))
            lines.append(f"    {node} [label={_dot_quote(app.id)}, shape=box];")
        for view in part.resources:
            node = _dot_quote(prefix + view.node_id)
            second = view.class_ + (f" · {view.provisioner}" if view.provisioner else "")
            label = _dot_quote(f"{view.type} {view.label}")[:-1] + "\\n" + _dot_quote(second)[1:]
            shape = "cylinder" if view.stateful else "ellipse"
            lines.append(f"    {node} [label={label}, shape={shape}];")
        for edge in part.edges:
            style = {"uses": "solid", "depends-on": "dashed", "service-port": "bold"}[edge.kind]
            label = edge.name or edge.kind
            lines.append(
                f"    {_dot_quote(prefix + edge.source)} -> {_dot_quote(prefix + edge.target)} "
                f"[label={_dot_quote(label)}, style={style}];"
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- mermaid -----------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(
    parts: Sequence[GraphPart],
    *,
    changed: frozenset[tuple[str, str]] = frozenset(),
    unchanged: frozenset[tuple[str, str]] = frozenset(),
    notes: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """A `flowchart LR`, one subgraph per part. `changed`/`unchanged` ((part title, node id))
    style nodes for the PR preview; `notes` replace the second label line (lines split on
    newlines: a version bump, what changed).
    Node ids are p<part>_<n>, numbered in the part's sorted node order."""
    lines = ["flowchart LR"]
    styled: dict[str, list[str]] = {"changed": [], "unchanged": []}
    for index, part in enumerate(parts):
        ids: dict[str, str] = {}
        lines.append(f'  subgraph p{index}["{_mermaid_text(part.title)}"]')
        nodes: list[tuple[str, str]] = [(app_node_id(a.id), a.id) for a in part.apps]
        nodes += [(v.node_id, f"{v.type} {v.label}") for v in part.resources]
        views = {v.node_id: v for v in part.resources}
        for number, (node, label) in enumerate(nodes):
            ident = ids[node] = f"p{index}_{number}"
            view = views.get(node)
            second = (notes or {}).get((part.title, node))
            if second is None and view is not None:
                second = " · ".join(x for x in (view.class_, view.provisioner) if x)
            lines_of = [label, *(second.splitlines() if second else [])]
            text = "<br/>".join(_mermaid_text(line) for line in lines_of)
            if view is None:
                lines.append(f'    {ident}["{text}"]')
            elif view.stateful:
                lines.append(f'    {ident}[("{text}")]')
            else:
                lines.append(f'    {ident}("{text}")')
            key = (part.title, node)
            if key in changed:
                styled["changed"].append(ident)
            elif key in unchanged:
                styled["unchanged"].append(ident)
        for edge in part.edges:
            arrow = "-.->" if edge.kind == "depends-on" else "-->"
            label = edge.name or edge.kind
            text = _mermaid_text(label)
            lines.append(f'    {ids[edge.source]} {arrow}|"{text}"| {ids[edge.target]}')
        lines.append("  end")
    if styled["changed"] or styled["unchanged"]:
        lines.append("  classDef changed stroke:#d29922,stroke-width:3px")
        lines.append("  classDef unchanged stroke-dasharray:4 3,color:#888")
        for name, idents in styled.items():
            if idents:
                lines.append(f"  class {','.join(idents)} {name}")
    return "\n".join(lines) + "\n"


def summary_line(resources: Iterable[ResolvedResource]) -> str:
    """`resources: 16 in 4 destinations (amqp 4, postgres 4, …), 4 shared, 4 service-ports`"""
    listed = list(resources)
    provisioned = [r for r in listed if r.type != SERVICE_PORT]
    ports = sum(1 for r in listed if r.type == SERVICE_PORT)
    if not listed:
        return "resources: none"
    destinations = len({r.destination for r in listed})
    by_type: dict[str, int] = {}
    for res in provisioned:
        by_type[res.type] = by_type.get(res.type, 0) + 1
    types = ", ".join(f"{t} {n}" for t, n in sorted(by_type.items()))
    line = f"resources: {len(provisioned)} in {_plural(destinations, 'destination')}"
    line += f" ({types})" if types else ""
    shared = sum(1 for r in provisioned if r.shared)
    line += f", {shared} shared" if shared else ""
    return line + (f", {_plural(ports, 'service-port')}" if ports else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
