"""Render stage: resolve blueprints, merge params, evaluate Jsonnet, normalise, lay out files."""
