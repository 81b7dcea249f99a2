"""Drift correction: server-side apply per policy, prune, contests (fights), backoff.

Split by verb, as fluxcd's ssa package: `apply` (one object, conflicts, ignored fields),
`prune` (the delete plan and its execution), `contests` (another manager reverting midway),
`backoff` (per-object retry delays), `policy` (correct | warn, ignore rules, prune flags per
app and environment), `changeset` (what happened, as data: every command prints from it),
`destination` (one destination end to end, used by `midway sync` and `daemon --once`).
"""
