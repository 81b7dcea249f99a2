"""The graph view (render/graph/view.py) as a pure function of resolved resources: nodes,
edges (uses, depends-on, service-port), and the same bytes whatever order they come in."""

from __future__ import annotations

from midway.errors import SourceLocation
from midway.model import Destination, ResolvedResource, ResourceConsumer
from midway.render.graph.view import build_graph, summary_line, to_dot, to_mermaid, to_text

DEV = Destination("dev", "dev-1")
WHERE = SourceLocation("apps/shop/cart.yaml", 3, 5)


def consumer(app: str, name: str) -> ResourceConsumer:
    return ResourceConsumer(app, name, app.replace("/", "-"), WHERE)


def resource(uid: str, type_: str, **extra: object) -> ResolvedResource:
    fields: dict[str, object] = {
        "destination": DEV,
        "uid": uid,
        "type": type_,
        "class_": "default",
        "id": None,
        "name": uid.rsplit(".", 1)[-1],
        "namespace": "shop-cart",
        "directory": "dev/dev-1/shop-cart/cart",
        "provisioner": f"{type_}-bp@1.0.0",
        "provider_app": None,
        "stateful": False,
        "shared": False,
        "consumers": (consumer("shop/cart", uid.rsplit(".", 1)[-1]),),
        "depends_on": (),
    }
    fields.update(extra)
    return ResolvedResource(**fields)  # type: ignore[arg-type]


# cart's bucket policy uses its bucket's outputs; cart reaches the catalog app's port
BUCKET = resource("shop/cart.bucket", "s3", outputs={"arn": "arn:aws:s3:::cart"})
POLICY = resource(
    "shop/cart.policy",
    "iam-policy",
    depends_on=("shop/cart.bucket",),
    outputs={"secret": "secretKeyRef:cart-policy/token"},
)
PORT = resource(
    "shop/cart.catalog",
    "service-port",
    provisioner=None,
    provider_app="shop/catalog",
    namespace="shop-catalog",
    directory="",
    consumers=(consumer("shop/cart", "catalog"),),
    outputs={"url": "http://catalog.shop-catalog.svc.cluster.local:80"},
)


def test_nodes_and_edges() -> None:
    [part] = build_graph([BUCKET, POLICY, PORT], {"dev": 1}).parts
    assert [a.id for a in part.apps] == ["shop/cart", "shop/catalog"]
    assert [r.uid for r in part.resources] == ["shop/cart.policy", "shop/cart.bucket"]
    assert [(e.source, e.target, e.kind, e.name) for e in part.edges] == [
        ("app:shop/cart", "app:shop/catalog", "service-port", "catalog"),
        ("app:shop/cart", "resource:shop/cart.bucket", "uses", "bucket"),
        ("app:shop/cart", "resource:shop/cart.policy", "uses", "policy"),
        ("resource:shop/cart.policy", "resource:shop/cart.bucket", "depends-on", ""),
    ]


def test_every_format_is_independent_of_input_order() -> None:
    one = build_graph([BUCKET, POLICY, PORT], {"dev": 1})
    other = build_graph([PORT, POLICY, BUCKET], {"dev": 1})
    assert to_text(one) == to_text(other)
    assert to_dot(one) == to_dot(other)
    assert to_mermaid(one.parts) == to_mermaid(other.parts)
    assert "    depends on: shop/cart.bucket" in to_text(one)
    assert "    outputs: secret=secretKeyRef:cart-policy/token" in to_text(one)
    assert '-.->|"depends-on"|' in to_mermaid(one.parts)
    assert "style=dashed" in to_dot(one)


def test_mermaid_escapes_quotes_and_brackets() -> None:
    odd = resource('shop/cart.q"<x>', "amqp")
    assert "#quot;#lt;x#gt;" in to_mermaid(build_graph([odd], {}).parts)


def test_summary_line() -> None:
    assert summary_line([]) == "resources: none"
    assert summary_line([BUCKET, POLICY, PORT]) == (
        "resources: 2 in 1 destination (iam-policy 1, s3 1), 1 service-port"
    )
