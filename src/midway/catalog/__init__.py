"""The Backstage catalog of a render (docs/catalog.md): typed entities (entities.py), built
from the config and its render (build.py), written one entity per file (files.py). Pure.

Below state/ so that the state tree can carry the catalog (`catalog.publish`); above render/,
whose results it describes.
"""
