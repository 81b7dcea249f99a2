"""Read the state repo back: commits with their trailers, object listings, and the desired
objects of one destination (what drift and sync compare the cluster with).

    reader = StateReader.open("path/to/state.git@main")
    commit = reader.commit()                    # branch head; .config_commit from the trailer
    for entry in reader.entries(env="prod"):    # from paths alone: cheap
        ...
    desired = reader.destination("prod", "prod-eu")   # parsed objects with their paths

The module-level functions do the same in one call each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from midway.errors import MidwayError, SourceLocation
from midway.gitrepo.trees import FileChange
from midway.model import LABEL_TEAM, ObjectKey, Settings
from midway.objects import yamlload
from midway.render.layout import CLUSTER_SCOPED_DIR
from midway.state.argocd import ARGOCD_DIR
from midway.state.location import StateLocation, parse_state_spec
from midway.state.message import (
    TRAILER_COMMIT,
    TRAILER_DIRTY,
    TRAILER_REPO,
    parse_trailers,
    trailer_lookup,
)
from midway.state.repository import OpenedState, open_state

StateSpec = StateLocation | str


@dataclass(frozen=True)
class StateCommit:
    id: str
    tree: str
    parents: tuple[str, ...]
    message: str
    time: int
    offset: int
    trailers: Mapping[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def config_commit(self) -> str | None:
        return trailer_lookup(self.trailers, TRAILER_COMMIT)

    @property
    def config_repo(self) -> str | None:
        return trailer_lookup(self.trailers, TRAILER_REPO)

    @property
    def config_dirty(self) -> bool:
        return (trailer_lookup(self.trailers, TRAILER_DIRTY) or "").lower() == "true"


@dataclass(frozen=True)
class StateEntry:
    """One object file, described from its path alone:
    <env>/<cluster>/<namespace or _cluster>/<app>/<kind>-<name>.yaml."""

    path: str
    blob: str
    env: str
    cluster: str
    namespace: str  # "" for cluster-scoped objects
    app: str
    kind: str  # lower-case, as in the file name
    name: str

    @staticmethod
    def from_path(path: str, blob: str) -> StateEntry | None:
        parts = path.split("/")
        if len(parts) != 5 or parts[0] == ARGOCD_DIR or not parts[4].endswith(".yaml"):
            return None
        kind, sep, name = parts[4][: -len(".yaml")].partition("-")
        if not sep:
            return None
        namespace = "" if parts[2] == CLUSTER_SCOPED_DIR else parts[2]
        return StateEntry(path, blob, parts[0], parts[1], namespace, parts[3], kind, name)


@dataclass(frozen=True)
class StateObject:
    """A desired object at a state commit: the parsed body plus where it is stored."""

    path: str
    blob: str
    body: dict[str, Any]
    entry: StateEntry

    @cached_property
    def key(self) -> ObjectKey:
        return ObjectKey.of(self.body)


def resolve_location(spec: StateSpec, settings: Settings | None = None) -> StateLocation:
    if isinstance(spec, StateLocation):
        return spec
    return parse_state_spec(spec, settings, cwd=Path.cwd())


class StateReader:
    """Read access to one state repo; a remote one is fetched once, on open."""

    def __init__(self, opened: OpenedState, head: str | None) -> None:
        self.opened = opened
        self.head = head

    @classmethod
    def open(
        cls, spec: StateSpec, *, fetch: bool = True, mirror_dir: Path | None = None
    ) -> StateReader:
        location = resolve_location(spec)
        opened = open_state(location, mirror_dir=mirror_dir)
        if fetch or not location.is_remote:
            head = opened.fetch()
        else:
            head = opened.store.ref_target(opened.read_ref)
        return cls(opened, head)

    @property
    def location(self) -> StateLocation:
        return self.opened.location

    def resolve(self, rev: str | None = None) -> str:
        """Commit id of `rev` in the state repo (None or the branch's name: the branch head,
        as fetched for a remote state repo)."""
        if rev is None or rev == self.location.branch:
            if self.head is None:
                raise MidwayError(
                    f"the state repo {self.location.display} has no branch "
                    f"`{self.location.branch}` yet",
                    hint="run `midway publish` first",
                )
            return self.head
        found = self.opened.store.resolve(rev)
        if found is None:
            raise MidwayError(f"revision `{rev}` does not exist in the state repo {self.location}")
        return found

    def commit(self, rev: str | None = None) -> StateCommit:
        info = self.opened.store.commit_info(self.resolve(rev))
        return StateCommit(
            id=info.id,
            tree=info.tree,
            parents=info.parents,
            message=info.message,
            time=info.committer.time,
            offset=info.committer.offset,
            trailers=parse_trailers(info.message),
        )

    def files(self, rev: str | None = None, prefix: str = "") -> dict[str, str]:
        """path -> blob id of every file (under `prefix`)."""
        return self.opened.store.list_blobs(self.commit(rev).tree, prefix)

    def changes(self, old_rev: str | None, new_rev: str | None = None) -> list[FileChange]:
        """Files added/changed/removed from `old_rev` (None: the empty tree) to `new_rev`
        (None: the branch head), sorted by path — e.g. the objects a new commit prunes."""
        old_tree = self.commit(old_rev).tree if old_rev is not None else None
        return self.opened.store.diff_trees(old_tree, self.commit(new_rev).tree)

    def read(self, blob: str) -> bytes:
        return self.opened.store.read_blob(blob)

    def entries(
        self,
        rev: str | None = None,
        *,
        env: str | None = None,
        cluster: str | None = None,
        app: str | None = None,
    ) -> list[StateEntry]:
        """Object files, sorted by path. `app` is `name` or `team/name` (the team is read from
        the objects' midway.dev/team label, as paths carry only the app name)."""
        prefix = env + ("/" + cluster if cluster else "") if env else ""
        team, _, app_name = app.rpartition("/") if app else ("", "", "")
        found: list[StateEntry] = []
        for path, blob in sorted(self.files(rev, prefix).items()):
            entry = StateEntry.from_path(path, blob)
            if entry is None or (cluster and entry.cluster != cluster):
                continue
            if app_name and entry.app != app_name:
                continue
            if team and _labels(self._parse(entry)).get(LABEL_TEAM) != team:
                continue
            found.append(entry)
        return found

    def objects(
        self,
        rev: str | None = None,
        *,
        env: str | None = None,
        cluster: str | None = None,
        app: str | None = None,
    ) -> list[StateObject]:
        return [
            StateObject(e.path, e.blob, self._parse(e), e)
            for e in self.entries(rev, env=env, cluster=cluster, app=app)
        ]

    def destination(self, env: str, cluster: str, rev: str | None = None) -> list[StateObject]:
        return self.objects(rev, env=env, cluster=cluster)

    def destinations(self, rev: str | None = None) -> list[tuple[str, str]]:
        """(env, cluster) pairs that hold at least one object."""
        return sorted({(e.env, e.cluster) for e in self.entries(rev)})

    def _parse(self, entry: StateEntry) -> dict[str, Any]:
        data = self.read(entry.blob)
        try:
            body = yamlload.load(data)
        except yaml.YAMLError as exc:
            raise MidwayError(
                f"state file does not parse as YAML: {exc}", SourceLocation(entry.path)
            ) from None
        if not isinstance(body, dict):
            raise MidwayError("state file is not a Kubernetes object", SourceLocation(entry.path))
        return body


def _labels(body: Mapping[str, Any]) -> dict[str, str]:
    meta = body.get("metadata") or {}
    labels = meta.get("labels") or {}
    return dict(labels) if isinstance(labels, dict) else {}


def read_state_commit(spec: StateSpec, rev: str | None = None) -> StateCommit:
    """The state commit at `rev` (None: branch head) with its trailers (Config-Commit...)."""
    return StateReader.open(spec).commit(rev)


def list_objects(
    spec: StateSpec,
    rev: str | None = None,
    *,
    env: str | None = None,
    cluster: str | None = None,
    app: str | None = None,
) -> list[StateEntry]:
    return StateReader.open(spec).entries(rev, env=env, cluster=cluster, app=app)


def load_destination(spec: StateSpec, rev: str | None, env: str, cluster: str) -> list[StateObject]:
    """Desired objects of one destination at a state commit, with their paths."""
    return StateReader.open(spec).destination(env, cluster, rev)
