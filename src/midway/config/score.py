"""Score files as app requests: `apps/<team>/<name>.score.yaml` (docs/score.md).

A Score file (`apiVersion: score.dev/v1b1`) becomes an ordinary `App`: its blueprint is the
workload blueprint midway.yaml names (`score.blueprint`), its params are the Score file's
containers and service (in Score's own shape, which that blueprint's parameters follow), and
its resources are the Score resources: the same provisioners and placeholders as App files.
The team is the directory, the name `metadata.name`. A Score file has no environments, so the
app deploys to every environment; what differs per environment comes from the environments'
params, the provisioners and `${env.*}` placeholders.

Features midway cannot render are refused, each at its line, never dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from midway.config.documents import Documents
from midway.config.resources import resource_requests
from midway.config.score_schema import API_VERSION, SCORE
from midway.config.semver import best_match
from midway.config.validation import did_you_mean, schema_errors
from midway.config.yamlsource import YamlDocument, parse_yaml
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import (
    JSON,
    App,
    AppEnvironment,
    ConfigRepo,
    Environment,
    ParamPath,
    Settings,
)

SCORE_STEM = ".score"  # apps/<team>/<name>.score.yaml
SCORE_SUFFIXES = (f"{SCORE_STEM}.yaml", f"{SCORE_STEM}.yml")
RESERVED_ANNOTATION_PREFIX = "midway.dev/"
# the blueprint param a service-port consumer's `port` comes from (the first service port)
EXPORT_PORT_PARAM = "port"


def is_score_file(path: str) -> bool:
    return path.endswith(SCORE_SUFFIXES)


def load_score_app(
    docs: Documents,
    path: str,
    environments: Mapping[str, Environment],
    settings: Settings,
    check_team: Callable[[str, SourceLocation, Settings], None],
) -> App:
    """The App a Score file asks for. Raises every problem of the file at once."""
    doc = read_score(docs, path)
    value = doc.value
    _, team, file_name = path.split("/")
    stem = next(file_name[: -len(s)] for s in SCORE_SUFFIXES if file_name.endswith(s))
    name = value["metadata"]["name"]
    if name != stem:
        raise MidwayError(
            f"Score workload `{name}` must live in apps/{team}/{name}.score.yaml",
            doc.where(("metadata", "name")),
            hint="the file name and metadata.name must agree (the team is the directory)",
        )
    check_team(team, doc.where(()), settings)
    MidwayErrors.raise_if_any(unsupported(doc))
    if settings.score_blueprint is None:
        raise MidwayError(
            "this is a Score file, but midway.yaml names no workload blueprint for Score files",
            doc.where(("apiVersion",)),
            hint="add `score: {blueprint: score-workload@^1}` under spec in midway.yaml "
            "(docs/score.md)",
        )
    params, sources = score_params(doc)
    app_envs = {
        env_name: AppEnvironment(name=env_name, params={}, source=doc.where(()))
        for env_name in sorted(environments)
    }
    return App(
        name=name,
        team=team,
        blueprint=settings.score_blueprint,
        params=params,
        environments=app_envs,
        source=doc.where(()),
        param_sources=sources,
        all_environments=True,
        resources=resource_requests(doc, ("resources",)),
    )


def read_score(docs: Documents, path: str) -> YamlDocument:
    """Parse and schema-check a Score file. Not cached: Score files are few, and the
    document cache is keyed by midway's own kinds."""
    doc = parse_yaml(path, docs.source.read(path))
    if not isinstance(doc.value, dict):
        raise MidwayError(
            f"expected a Score workload (a mapping), found {type(doc.value).__name__}",
            doc.where(()),
        )
    if doc.value.get("apiVersion") != API_VERSION:
        raise MidwayError(
            f"expected `apiVersion: {API_VERSION}`, found {doc.value.get('apiVersion')!r}",
            doc.where(("apiVersion",)),
            hint="files named *.score.yaml are Score workloads (score.dev/v1b1); "
            "name a midway App file <app>.yaml",
        )
    MidwayErrors.raise_if_any(schema_errors(SCORE, doc.value, doc.where))
    return doc


def unsupported(doc: YamlDocument) -> list[MidwayError]:
    """Score features midway does not render, one error each at its line."""
    errors: list[MidwayError] = []
    value = doc.value
    for cname, container in (value.get("containers") or {}).items():
        at: ParamPath = ("containers", cname)
        for index, file in enumerate(container.get("files") or []):
            where = (*at, "files", index)
            if "source" in file:
                errors.append(
                    MidwayError(
                        f"container `{cname}`: file {file['target']} uses `source`, which "
                        "midway does not support",
                        doc.where((*where, "source")),
                        hint="midway renders from what the Score file holds: put the text "
                        "inline as `content:` (placeholders allowed)",
                    )
                )
            elif "content" in file and "binaryContent" in file:
                errors.append(
                    MidwayError(
                        f"container `{cname}`: file {file['target']} has both `content` and "
                        "`binaryContent`",
                        doc.where((*where, "binaryContent")),
                        hint="keep one: text as `content`, base64 as `binaryContent`",
                    )
                )
            elif "binaryContent" in file:
                if not _is_base64(file["binaryContent"]):
                    errors.append(
                        MidwayError(
                            f"container `{cname}`: `binaryContent` of file {file['target']} "
                            "is not standard base64",
                            doc.where((*where, "binaryContent")),
                            hint="encode the bytes with `base64 -w0 FILE`",
                        )
                    )
            elif "content" not in file:
                errors.append(
                    MidwayError(
                        f"container `{cname}`: file {file['target']} has no `content`",
                        doc.where(where),
                        hint="give the file's text as `content:` (or base64 as `binaryContent:`)",
                    )
                )
        if container.get("volumes"):
            errors.append(
                MidwayError(
                    f"container `{cname}` mounts `volumes`, which midway does not support",
                    doc.where((*at, "volumes")),
                    hint="a Score volume names storage provided outside the file; midway has "
                    "no volume resource type yet. Use `files` for configuration, or ask the "
                    "platform team for a blueprint with the storage you need",
                )
            )
    for key in value["metadata"].get("annotations") or {}:
        if key.startswith(RESERVED_ANNOTATION_PREFIX):
            errors.append(
                MidwayError(
                    f"annotation `{key}` is reserved: midway's own marks use "
                    f"{RESERVED_ANNOTATION_PREFIX}",
                    doc.where(("metadata", "annotations", key)),
                    hint="use your own prefix (e.g. acme.example/...); prune and drift "
                    "settings are the platform's, in the blueprint and environments",
                )
            )
    for rname, resource in (value.get("resources") or {}).items():
        if resource.get("metadata"):
            errors.append(
                MidwayError(
                    f"resource `{rname}` has `metadata`, which midway does not pass to "
                    "provisioners",
                    doc.where(("resources", rname, "metadata")),
                    hint="remove it; what the provisioner needs goes in `params:`",
                )
            )
    return errors


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        return False
    return True


def score_params(doc: YamlDocument) -> tuple[dict[str, JSON], dict[ParamPath, SourceLocation]]:
    """The workload blueprint's params and where each came from in the Score file.

    Params keep Score's shape (`containers`, `service`, `annotations` from metadata), so a
    blueprint schema error points at the Score line that supplied the value. `port` (what a
    service-port consumer reaches) is the first service port, in file order."""
    value = doc.value
    params: dict[str, JSON] = {"containers": _containers(value["containers"])}
    # an ordinary dict: Score files are not cached, so their locations are built already
    sources: dict[ParamPath, SourceLocation] = {
        path: loc for path, loc in doc.locations.items() if path[:1] in (("containers",),)
    }
    ports = (value.get("service") or {}).get("ports") or {}
    if ports:
        params["service"] = {"ports": ports}
        sources.update(
            (path, loc) for path, loc in doc.locations.items() if path[:1] == ("service",)
        )
        first = next(iter(ports))
        params[EXPORT_PORT_PARAM] = ports[first]["port"]
        sources[(EXPORT_PORT_PARAM,)] = doc.where(("service", "ports", first, "port"))
    annotations = value["metadata"].get("annotations")
    if annotations:
        params["annotations"] = annotations
        sources.update(
            (path[1:], loc)
            for path, loc in doc.locations.items()
            if path[:2] == ("metadata", "annotations")
        )
    return params, sources


def _containers(containers: Mapping[str, Any]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for name, container in containers.items():
        copy = dict(container)
        if "files" in copy:
            copy["files"] = [_file(f) for f in copy["files"]]
        out[name] = copy
    return out


def _file(file: Mapping[str, Any]) -> dict[str, JSON]:
    """`noExpand: true` keeps `${...}` as written: escaped here as `$$`, so placeholders are
    left alone (the indices of files stay those of the Score file, for error locations).
    `binaryContent` is never expanded (Score's rule; base64 holds no `$` anyway)."""
    out = {k: v for k, v in file.items() if k != "noExpand"}
    if file.get("noExpand") and "content" in file:
        out["content"] = str(file["content"]).replace("$", "$$")
    return out


def score_blueprint_errors(config: ConfigRepo) -> list[MidwayError]:
    """The Score blueprint checked once, at its line in midway.yaml, when Score files use it:
    otherwise every Score app would report the same missing blueprint at render time."""
    request = config.settings.score_blueprint
    if request is None or not any(is_score_file(a.source.path) for a in config.apps.values()):
        return []
    versions = config.blueprints.get(request.name) or ()
    if not versions:
        return [
            MidwayError(
                f"the Score blueprint `{request.name}` does not exist",
                request.source,
                hint=did_you_mean(request.name, sorted(config.blueprints))
                or "name a workload blueprint of blueprints/ (e.g. score-workload@^1)",
            )
        ]
    chosen = best_match(request.range, [bp.version for bp in versions])
    if chosen is None:
        known = ", ".join(str(bp.version) for bp in sorted(versions, key=lambda b: b.version))
        return [
            MidwayError(
                f"no version of the Score blueprint `{request.name}` satisfies `{request.range}`",
                request.source,
                hint=f"available versions: {known}",
            )
        ]
    blueprint = next(bp for bp in versions if bp.version == chosen)
    if blueprint.provides is not None:
        return [
            MidwayError(
                f"the Score blueprint {blueprint.ref} is a provisioner of "
                f"`{blueprint.provides.type}`, not a workload",
                request.source,
                hint="name a workload blueprint such as score-workload@^1",
            )
        ]
    return []
