"""Change set, risk notes, blast radius and report limits on hand-made renders."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from midway.errors import SourceLocation
from midway.model import (
    App,
    BlueprintRequest,
    Cluster,
    ConfigRepo,
    Environment,
    ObjectKey,
    Policy,
    RenderedObject,
    RenderResult,
    RenderUnit,
    Settings,
)
from midway.preview import report_markdown
from midway.preview.changeset import ChangeSet, compare
from midway.preview.report import Side, build_report
from midway.preview.risks import Risk, assess, container_images
from midway.render.serialize import canonical, to_json, to_yaml

ENVS = {
    "dev": Environment(
        "dev", 1, (Cluster("dev-1", "https://d", "1.31"),), "{team}-{app}", {}, Policy(prune=True)
    ),
    "prod": Environment(
        "prod",
        3,
        (Cluster("prod-a", "https://a", "1.31"), Cluster("prod-b", "https://b", "1.31")),
        "{team}-{app}",
        {},
        Policy(prune=False),
    ),
}


def app(app_id: str, blueprint: str = "svc") -> App:
    team, name = app_id.split("/")
    where = SourceLocation(f"apps/{app_id}.yaml")
    return App(name, team, BlueprintRequest(blueprint, "", where), {}, {}, where)


def config(apps: Iterable[str] = ("t/a",)) -> ConfigRepo:
    return ConfigRepo(Settings(), {}, ENVS, {a: app(a) for a in apps})


def obj(
    body: dict[str, Any], env: str = "prod", cluster: str = "prod-a", app_id: str = "t/a"
) -> RenderedObject:
    body = canonical(body)
    key = ObjectKey.of(body)
    name = f"{key.kind.lower()}-{key.name}.yaml"
    path = f"{env}/{cluster}/{key.namespace or '_cluster'}/{app_id.split('/')[1]}/{name}"
    return RenderedObject(
        key,
        RenderUnit(app_id, env, cluster),
        "svc@1.0.0",
        path,
        to_yaml(body).encode(),
        to_json(body),
    )


def result(
    objects: Iterable[RenderedObject], resolved: dict[str, str] | None = None
) -> RenderResult:
    items = tuple(sorted(objects, key=lambda o: o.path))
    return RenderResult(
        config(), items, {o.path: o.content for o in items}, resolved=resolved or {}
    )


def deployment(replicas: int = 2, image: str = "img:1", ns: str = "t-a") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a", "namespace": ns},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "main", "image": image}]}},
        },
    }


def changes(base: Iterable[RenderedObject], head: Iterable[RenderedObject], **kw: Any) -> ChangeSet:
    return compare(result(base, kw.get("base_resolved")), result(head, kw.get("head_resolved")))


def kinds(risks: list[Risk]) -> list[str]:
    return [r.kind for r in risks]


def test_compare_pairs_by_destination_and_key() -> None:
    a, b = obj(deployment()), obj(deployment(), cluster="prod-b")
    d = obj(deployment(), env="dev", cluster="dev-1")
    cs = changes([a, b, d], [obj(deployment(replicas=3)), b])
    assert [(c.action, str(c.destination)) for c in cs.entries] == [
        ("removed", "dev/dev-1"),  # environments in promotion order
        ("changed", "prod/prod-a"),
        ("unchanged", "prod/prod-b"),
    ]
    assert cs.count("changed") == 1 and cs.count("unchanged", "prod") == 1
    assert cs.highest_envs == {"prod"}
    [changed] = [c for c in cs.entries if c.action == "changed"]
    assert [f.path for f in changed.fields] == ["/spec/replicas"]
    assert "-  replicas: 2" in changed.diff and "+  replicas: 3" in changed.diff


def test_compare_can_be_limited_to_apps() -> None:
    other = obj(deployment(), app_id="t/b")
    cs = compare(
        result([obj(deployment()), other]), result([obj(deployment())]), frozenset({"t/a"})
    )
    assert [c.action for c in cs.entries] == ["unchanged"]


def test_replicas_to_zero() -> None:
    risks = assess(changes([obj(deployment(replicas=2))], [obj(deployment(replicas=0))]))
    assert kinds(risks) == ["replicas-to-zero"]
    assert risks[0].severity == "high"  # prod
    assert "(was 2)" in risks[0].message
    dev = dict(env="dev", cluster="dev-1")
    risks = assess(changes([obj(deployment(), **dev)], [obj(deployment(replicas=0), **dev)]))
    assert risks[0].severity == "warning"


def test_prod_image_change_merges_clusters() -> None:
    base = [obj(deployment(image="img:1"), cluster=c) for c in ("prod-a", "prod-b")]
    head = [obj(deployment(image="img:2"), cluster=c) for c in ("prod-a", "prod-b")]
    [risk] = assess(changes(base, head))
    assert risk.kind == "image-changed-in-prod"
    assert "(prod/prod-a, prod/prod-b): `img:1` → `img:2`" in risk.message
    assert (risk.env, risk.cluster) == ("prod", None)
    dev = dict(env="dev", cluster="dev-1")
    assert assess(changes([obj(deployment(), **dev)], [obj(deployment(image="x:2"), **dev)])) == []


def test_container_images_anywhere() -> None:
    cronjob = {
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "initContainers": [{"name": "init", "image": "i:1"}],
                            "containers": [{"name": "job", "image": "j:1"}],
                        }
                    }
                }
            }
        }
    }
    assert set(container_images(cronjob).values()) == {"i:1", "j:1"}


def service(kind: str = "ClusterIP", port: int = 80) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "a", "namespace": "t-a"},
        "spec": {"type": kind, "ports": [{"name": "http", "port": port, "targetPort": 8080}]},
    }


def test_service_type_and_ports() -> None:
    [risk] = assess(changes([obj(service())], [obj(service("LoadBalancer", 443))]))
    assert risk.kind == "service-changed"
    assert "type `ClusterIP` → `LoadBalancer`" in risk.message
    assert "ports `http:80→8080/TCP` → `http:443→8080/TCP`" in risk.message


def test_volume_changes() -> None:
    def sts(size: str) -> dict[str, Any]:
        template = {
            "metadata": {"name": "data"},
            "spec": {"resources": {"requests": {"storage": size}}},
        }
        return {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "t-a"},
            "spec": {"volumeClaimTemplates": [template]},
        }

    def pvc(size: str, mode: str = "ReadWriteOnce") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "t-a"},
            "spec": {"accessModes": [mode], "resources": {"requests": {"storage": size}}},
        }

    def cnpg(size: str) -> dict[str, Any]:
        return {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": "pg", "namespace": "t-a"},
            "spec": {"storage": {"size": size}},
        }

    risks = assess(
        changes(
            [obj(sts("1Gi")), obj(pvc("1Gi")), obj(cnpg("1Gi"))],
            [obj(sts("2Gi")), obj(pvc("2Gi", "ReadWriteMany")), obj(cnpg("5Gi"))],
        )
    )
    assert kinds(risks) == ["volume-changed"] * 3
    text = "\n".join(r.message for r in risks)
    assert "volumeClaimTemplates changed: the field is immutable" in text
    assert "storage request `1Gi` → `2Gi`" in text and "a bound claim's spec is immutable" in text
    assert "`/spec/storage/size` `1Gi` → `5Gi`" in text
    assert all(r.severity == "high" for r in risks)


def test_namespace_move() -> None:
    risks = assess(changes([obj(deployment(ns="old"))], [obj(deployment(ns="new"))]))
    assert "namespace-moved" in kinds(risks)
    [move] = [r for r in risks if r.kind == "namespace-moved"]
    assert "from namespace `old` to `new` in prod/prod-a (1 object(s))" in move.message


def test_prune_plan_follows_policy_and_data() -> None:
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "d", "namespace": "t-a"},
    }
    dev = dict(env="dev", cluster="dev-1")
    risks = assess(changes([obj(deployment(), **dev), obj(pvc, **dev)], []))
    [risk] = risks
    assert risk.kind == "objects-deleted"
    assert risk.severity == "high"  # a volume claim goes: data loss even in dev
    assert "prune is on" in risk.message


def test_secret_touched_without_values() -> None:
    def secret(value: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "t-a"},
            "data": {"password": value},
        }

    cs = changes([obj(secret("b2xk"))], [obj(secret("bmV3"))])
    [risk] = assess(cs)
    assert risk.kind == "secret-touched"
    [change] = cs.changes
    assert "b2xk" not in "\n".join(change.diff) and "bmV3" not in "\n".join(change.diff)
    assert change.fields == ()  # masked values are equal: only that the Secret changed shows
    assert change.diff == ("# Secret values changed (hidden)",)


def test_blueprint_resolution() -> None:
    a = [obj(deployment())]
    major = changes(a, a, base_resolved={"t/a": "svc@1.4.0"}, head_resolved={"t/a": "svc@2.0.0"})
    assert kinds(assess(major)) == ["blueprint-major-bump"]
    minor = changes(a, a, base_resolved={"t/a": "svc@1.4.0"}, head_resolved={"t/a": "svc@1.5.0"})
    [note] = assess(minor)
    assert (note.kind, note.severity) == ("blueprint-version-changed", "info")


def test_many_apps_resolving_to_a_new_patch_release_make_one_note() -> None:
    """43 apps moving from svc@1.4.0 to svc@1.4.1 (field test): one note with the count and
    the first apps, before the blast radius — not 43 identical lines."""
    ids = [f"t/a{index:02d}" for index in range(43)] + ["t/odd"]
    a = [obj(deployment())]
    base = {i: "svc@1.4.0" for i in ids}
    head = {i: "svc@1.4.1" for i in ids} | {"t/odd": "svc@1.5.0"}
    notes = assess(changes(a, a, base_resolved=base, head_resolved=head))
    assert [n.message for n in notes] == [
        "43 apps now resolve their blueprint range to `svc@1.4.1` (was `svc@1.4.0`): "
        "`t/a00`, `t/a01`, `t/a02` and 40 more",
        "`t/odd` now resolves its blueprint range to `svc@1.5.0` (was `svc@1.4.0`)",
    ]
    assert [n.app for n in notes] == [None, "t/odd"]


@pytest.mark.parametrize("limit", [65_000, 20_000])
def test_markdown_stays_under_the_limit(limit: int) -> None:
    base, head = [], []
    for index in range(600):
        body = deployment(image=f"img:{index}")
        body["metadata"]["name"] = f"app-{index:04d}"
        body["metadata"]["annotations"] = {"note": "x" * 60 * (index % 7)}
        base.append(obj(body, app_id=f"t/a{index:04d}"))
        body = json.loads(json.dumps(body))
        body["spec"]["template"]["spec"]["containers"][0]["image"] = f"img:{index}-new"
        head.append(obj(body, app_id=f"t/a{index:04d}"))
    report = build_report(Side("base", None), Side("head", None), changes(base, head), [])
    text = report_markdown.render(report, limit=limit)
    assert len(text) <= limit
    assert text.startswith(report_markdown.MARKER + "\n")
    assert "Truncated to fit a comment" in text
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0
    assert text == report_markdown.render(report, limit=limit)


def test_markdown_fences_survive_backticks_in_content() -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "t-a"}}
    before = obj({**body, "data": {"README.md": "x\n"}})
    after = obj({**body, "data": {"README.md": "```sh\nmake\n```\n"}})
    text = report_markdown.render(
        build_report(Side("b", None), Side("h", None), changes([before], [after]), [])
    )
    assert "````diff" in text
