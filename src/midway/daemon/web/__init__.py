"""The daemon's read-only status page and its JSON API (docs/portal.md)."""
