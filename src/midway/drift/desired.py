"""The desired side of drift: a destination's objects at a state commit.

Thin over `midway.state.reader`: turns its StateObjects into DesiredObjects (with the app
as "team/app") and says clearly when the state repo or its branch does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from midway.drift.model import DesiredObject
from midway.errors import MidwayError
from midway.model import LABEL_TEAM, Destination
from midway.state.location import StateLocation
from midway.state.reader import StateCommit, StateReader

PUBLISH_HINT = "run `midway publish` to render the config into the state repo first"


@dataclass(frozen=True)
class DesiredState:
    """What the state repo wants in one destination, at one commit."""

    location: StateLocation
    commit: StateCommit
    objects: tuple[DesiredObject, ...]
    files: dict[str, bytes]  # state path -> bytes, the destination's object files

    @property
    def commit_id(self) -> str:
        return self.commit.id


def open_state_reader(location: StateLocation) -> StateReader:
    """The state repo, or a MidwayError that says to publish first."""
    if location.path is not None and not location.path.exists():
        raise MidwayError(f"the state repo {location.display} does not exist", hint=PUBLISH_HINT)
    try:
        reader = StateReader.open(location)
    except MidwayError as exc:
        raise MidwayError(
            f"cannot open the state repo {location}: {exc.message}",
            hint=exc.hint or PUBLISH_HINT,
        ) from None
    if reader.head is None:
        raise MidwayError(
            f"the state repo {location.display} has no branch `{location.branch}`",
            hint=PUBLISH_HINT,
        )
    return reader


def load_desired(
    location: StateLocation,
    destination: Destination,
    *,
    app: str | None = None,
    rev: str | None = None,
) -> DesiredState:
    """The destination's objects (one app's with `app` = "team/app" or "app") at `rev`
    (default: the branch head)."""
    reader = open_state_reader(location)
    commit = reader.commit(rev)
    state_objects = reader.objects(
        commit.id, env=destination.env, cluster=destination.cluster, app=app
    )
    objects = []
    files = {}
    for obj in state_objects:
        team = ((obj.body.get("metadata") or {}).get("labels") or {}).get(LABEL_TEAM)
        app_id = f"{team}/{obj.entry.app}" if team else obj.entry.app
        objects.append(DesiredObject(body=obj.body, path=obj.path, app=app_id))
        files[obj.path] = reader.read(obj.blob)
    return DesiredState(location, commit, tuple(objects), files)
