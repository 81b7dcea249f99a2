"""Backstage catalog entities as typed values, and the inputs the builder accepts beyond the
config (resources, app-to-app dependencies). Pure: no I/O, no YAML.

Every entity lives in Backstage's `default` namespace; references are written with their kind
(`group:payments`, `resource:postgres-ledger`) so no reader has to know Backstage's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

API_VERSION = "backstage.io/v1alpha1"
LOCATION_FILE = "all.yaml"  # the one file to register in Backstage

Kind = Literal["Component", "Resource", "System", "Group", "Location"]


def ref(kind: Kind, name: str) -> str:
    """An entity reference as Backstage writes it: `component:payments-checkout`."""
    return f"{kind.lower()}:{name}"


@dataclass(frozen=True)
class Link:
    url: str
    title: str


@dataclass(frozen=True)
class ComponentSpec:
    type: str  # from the blueprint: service, worker, database...
    lifecycle: str  # production | experimental (docs/catalog.md, "Lifecycle")
    owner: str  # group:<team>
    system: str  # system:<name>
    depends_on: tuple[str, ...] = ()  # resource:... and component:..., sorted


@dataclass(frozen=True)
class ResourceSpec:
    type: str
    owner: str
    system: str | None = None


@dataclass(frozen=True)
class SystemSpec:
    owner: str


@dataclass(frozen=True)
class GroupSpec:
    type: str = "team"


@dataclass(frozen=True)
class LocationSpec:
    targets: tuple[str, ...]  # relative file names of every other entity


Spec = ComponentSpec | ResourceSpec | SystemSpec | GroupSpec | LocationSpec


@dataclass(frozen=True)
class Entity:
    kind: Kind
    name: str
    spec: Spec
    title: str | None = None
    description: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()

    @property
    def ref(self) -> str:
        return ref(self.kind, self.name)

    @property
    def file_name(self) -> str:
        """Stable: kind and name never change for the same app, team or resource."""
        if self.kind == "Location":
            return LOCATION_FILE
        return f"{self.kind.lower()}-{self.name}.yaml"


@dataclass(frozen=True)
class Catalog:
    """Every entity of one config commit, sorted by (kind, name)."""

    entities: tuple[Entity, ...]


# ---------------------------------------------------------------------------- builder inputs


@dataclass(frozen=True)
class ResourceDescription:
    """A provisioned resource, as the resource graph (render/) will describe it: one per
    `(type, class, id)`, shared by every consumer. `consumers` are app ids (`team/app`)."""

    type: str  # postgres, amqp, dns...
    id: str
    provisioner: str  # the provisioner blueprint, `name@version`
    consumers: tuple[str, ...]
    resource_class: str | None = None  # None: the default class
    owner: str | None = None  # a team; None: the consumers' team, or `platform` when several
    environments: tuple[str, ...] = ()  # where it is provisioned, in promotion order


@dataclass(frozen=True)
class AppDependency:
    """`consumer` uses an output of `provider` (both `team/app`): Score's service-port case."""

    consumer: str
    provider: str
