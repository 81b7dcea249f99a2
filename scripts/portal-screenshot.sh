#!/usr/bin/env bash
# Regenerate docs/images/status-page.png: the browser test's fleet screenshot (a daemon on
# the example config and the test cluster, one live edit drifted). Needs the test cluster
# (scripts/test-cluster.sh up) and Debian's chromium (make browser-deps).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MIDWAY_UPDATE_SCREENSHOTS=1 scripts/with-test-cluster.sh "$BIN/pytest" -q -n 0 -p no:cacheprovider \
    tests/daemon/test_portal_browser.py -k live_edit
ls -l docs/images/status-page.png
