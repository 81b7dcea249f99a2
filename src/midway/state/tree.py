"""The state repo's content for one render: manifests + ArgoCD objects + README. Pure.

Whole-tree semantics: the branch holds exactly this, so an app or environment that left the
config disappears from the tree in the same commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import yaml

from midway.catalog.build import catalog_of
from midway.catalog.files import CATALOG_DIR, catalog_files
from midway.errors import MidwayError, MidwayErrors, SourceLocation
from midway.model import RenderResult
from midway.objects import yamlload
from midway.objects.fileset import FileSet
from midway.state.argocd import ARGOCD_DIR, ArgoSource, argocd_files

README_PATH = "README.md"
README = b"""\
# State repository (generated)

Every commit on this branch is written by `midway publish` from one commit of the config
repository (see the `Config-Commit:` trailer); do not edit it by hand, the next publish
replaces the whole tree.

    <env>/<cluster>/<namespace>/<app>/<kind>-<name>.yaml   one Kubernetes object per file
    <env>/<cluster>/_cluster/<app>/<kind>-<name>.yaml      cluster-scoped objects
    argocd/root.yaml                                        app-of-apps: apply this once
    argocd/<env>/<cluster>/<team>-<app>.yaml                one Application per app
    argocd/<env>/<cluster>/applicationset.yaml              or one ApplicationSet

    kubectl apply -n argocd -f argocd/root.yaml
"""
README_CATALOG = b"""
    catalog/all.yaml                                        Backstage: register this Location
    catalog/<kind>-<name>.yaml                              one Backstage entity per file
"""


def state_files(result: RenderResult, source: ArgoSource) -> Mapping[str, bytes]:
    """Everything the state branch holds for this render, by path. A lazy render's files
    stay lazy (a FileSet): publish reads the bytes of only the files the branch lacks."""
    reserved = [
        e for e in result.config.environments if e in (ARGOCD_DIR, CATALOG_DIR, README_PATH)
    ]
    if reserved:
        env = result.config.environments[reserved[0]]
        raise MidwayError(
            f"environment name `{reserved[0]}` is reserved in the state repo",
            env.source,
            hint="the state repo keeps ArgoCD objects under argocd/ and the Backstage catalog "
            "under catalog/; rename the environment",
        )
    files: dict[str, bytes] = {}
    files.update(argocd_files(result.config, result.objects, source, _shared_homes(result)))
    files[README_PATH] = README
    if result.config.settings.catalog.publish:
        # no Application or ApplicationSet points at catalog/ (state/argocd.py): ArgoCD
        # never applies these files; Backstage reads them from git
        files.update(catalog_files(catalog_of(result), CATALOG_DIR))
        files[README_PATH] = README + README_CATALOG
    if isinstance(result.files, FileSet):
        return result.files.with_files(files)
    return {**result.files, **files}


def _shared_homes(result: RenderResult) -> dict[tuple[str, str, str], str]:
    """A shared resource's Application lives in its home namespace, not a consumer's."""
    return {
        (r.destination.env, r.destination.cluster, r.home_app): r.namespace
        for r in result.resources
        if r.shared
    }


def check_single_objects(files: Mapping[str, bytes], paths: Iterable[str]) -> None:
    """The last gate before a commit: each YAML file parses as exactly one Kubernetes object
    with apiVersion, kind and metadata.name. Raises MidwayErrors listing every bad file."""
    errors: list[MidwayError] = []
    for path in sorted(paths):
        if path == README_PATH:
            continue
        where = SourceLocation(path)
        if not path.endswith(".yaml"):
            errors.append(
                MidwayError("state file is not .yaml: the state tree holds only manifests", where)
            )
            continue
        try:
            docs = [d for d in yamlload.load_all(files[path]) if d is not None]
        except yaml.YAMLError as exc:
            errors.append(MidwayError(f"state file does not parse as YAML: {exc}", where))
            continue
        if len(docs) != 1:
            errors.append(
                MidwayError(
                    f"state file holds {len(docs)} YAML documents, expected exactly one", where
                )
            )
            continue
        body = docs[0]
        meta = body.get("metadata") if isinstance(body, dict) else None
        if not (
            isinstance(body, dict)
            and isinstance(body.get("apiVersion"), str)
            and body["apiVersion"]
            and isinstance(body.get("kind"), str)
            and body["kind"]
            and isinstance(meta, dict)
            and isinstance(meta.get("name"), str)
            and meta["name"]
        ):
            errors.append(
                MidwayError(
                    "state file is not a Kubernetes object (needs apiVersion, kind, metadata.name)",
                    where,
                )
            )
    MidwayErrors.raise_if_any(errors)
