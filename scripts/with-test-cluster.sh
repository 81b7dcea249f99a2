#!/usr/bin/env bash
# Run a command (`make test` runs the suite with it) and stop the test cluster afterwards
# if it was not up before: the fixtures start it on first use and never stop it (xdist
# workers share it), so without this etcd, kube-apiserver and kube-controller-manager kept
# running after the suite. A cluster that was already up (`make cluster-up`) stays up.
# Honours the same MIDWAY_* settings as test-cluster.sh. Exit status: the command's.
set -uo pipefail
cluster="$(cd "$(dirname "$0")" && pwd)/test-cluster.sh"

if "$cluster" status >/dev/null 2>&1; then was_up=1; else was_up=0; fi

stop_if_started() {
    local rc=$?
    if [[ $was_up == 0 ]] && ! "$cluster" down >/dev/null 2>&1; then
        echo "with-test-cluster: could not stop the test cluster (run: $cluster down)" >&2
    fi
    exit "$rc"
}
trap stop_if_started EXIT
"$@"
