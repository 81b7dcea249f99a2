#!/usr/bin/env bash
# Install Backstage's entity schemas for the catalog tests: `npm ci` in tests/backstage
# (@backstage/catalog-model, pinned by package-lock.json). Node and npm come from Debian
# when missing. Skipped when node_modules is current (newer than the lock file).
#
# It fails when the npm registry cannot be reached: the catalog tests must never pass
# without validating against the published schemas.
set -euo pipefail

DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/backstage"
STAMP="$DIR/node_modules/.package-lock.json"   # written by npm ci

log() { printf '[backstage-schemas] %s\n' "$*"; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    log "apt-get install nodejs npm"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        nodejs npm >/dev/null
fi

if [[ -f "$STAMP" && "$STAMP" -nt "$DIR/package-lock.json" && "$STAMP" -nt "$DIR/package.json" ]]; then
    exit 0
fi
log "npm ci in tests/backstage"
(cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
touch "$STAMP"
