"""Authoring aids: editor schemas, the field reference, scaffolding, blueprint discovery, explain.

Pure functions over the loaded config (the CLI writes and prints their typed results).
"""
