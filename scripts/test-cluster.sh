#!/usr/bin/env bash
# The real test cluster: etcd + kube-apiserver + kube-controller-manager on 127.0.0.1.
#
#   scripts/test-cluster.sh build            install packages, build + cache the 1.20.2 binaries
#   scripts/test-cluster.sh up               start (idempotent), write $DIR/kubeconfig
#   scripts/test-cluster.sh down             stop everything, remove $DIR
#   scripts/test-cluster.sh status           exit 0 when healthy
#   scripts/test-cluster.sh env              print `export KUBECONFIG=...`
#   scripts/test-cluster.sh stop-apiserver   stop only kube-apiserver (resilience tests)
#   scripts/test-cluster.sh start-apiserver  start it again and wait for /readyz
#
# Everything is overridable so a second cluster can run beside the first (see
# docs/test-cluster.md): MIDWAY_CLUSTER_DIR, MIDWAY_ETCD_PORT, MIDWAY_ETCD_PEER_PORT,
# MIDWAY_APISERVER_PORT, MIDWAY_KCM_PORT, MIDWAY_CLUSTER_CONTEXT, MIDWAY_KUBE_BIN_DIR.
set -euo pipefail

KUBE_VERSION=1.20.2
BIN_DIR=${MIDWAY_KUBE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/midway/kube-$KUBE_VERSION}
DIR=${MIDWAY_CLUSTER_DIR:-/tmp/midway-test-cluster}
ETCD_PORT=${MIDWAY_ETCD_PORT:-12379}
ETCD_PEER_PORT=${MIDWAY_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${MIDWAY_APISERVER_PORT:-16443}
KCM_PORT=${MIDWAY_KCM_PORT:-16457}
CONTEXT=${MIDWAY_CLUSTER_CONTEXT:-midway-test}
READY_TIMEOUT=${MIDWAY_CLUSTER_READY_TIMEOUT:-60}
SERVER="https://127.0.0.1:$APISERVER_PORT"
ETCD_URL="http://127.0.0.1:$ETCD_PORT"

PACKAGES=(etcd-server golang-1.19-go rsync jq dpkg-dev openssl openssh-server
          golang-github-modern-go-reflect2-dev curl)

log() { printf '[test-cluster] %s\n' "$*"; }
die() { printf '[test-cluster] error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------------------- build

missing_packages() {
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$pkg"
        fi
    done
}

APT_UPDATED=0
apt_install() {
    [[ $# -gt 0 ]] || return 0
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    # RUNLEVEL=1 keeps invoke-rc.d from starting package services (etcd) where it is honoured.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

stop_system_etcd() {
    # Debian's etcd-server may enable and start a system etcd on 2379; we never use it.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
        log "stopping the system etcd service (we run our own)"
        as_root systemctl stop etcd || true
        as_root systemctl disable etcd >/dev/null 2>&1 || true
    fi
}

debian_mirror() {
    # The URI of the configured Debian (not -security) mirror, deb822 or one-line format.
    local uri
    uri=$(awk '
        /^[[:space:]]*$/ { if (u != "" && s ~ /(^| )bookworm( |$)/) { print u; exit } u = ""; s = "" }
        /^URIs:/ { u = $2 }
        /^Suites:/ { s = $0; sub(/^Suites:[[:space:]]*/, "", s) }
        END { if (u != "" && s ~ /(^| )bookworm( |$)/) print u }
    ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    if [[ -z $uri ]]; then
        uri=$(grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
                2>/dev/null | grep -v security | awk '$3 ~ /^bookworm$/ {print $2; exit}' || true)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

build_binaries() {
    local work mirror start src
    start=$(date +%s)
    work=$(mktemp -d "${TMPDIR:-/tmp}/midway-kube-build.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    mirror=$(debian_mirror)
    log "building kube-apiserver + kube-controller-manager $KUBE_VERSION in $work"
    log "source mirror: $mirror (private apt config; /etc/apt stays untouched)"

    mkdir -p "$work/apt/sources.list.d" "$work/apt/lists/partial" "$work/src"
    cat >"$work/apt/sources.list.d/bookworm-src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    local apt_opts=(
        -o "Dir::Etc::sourcelist=/dev/null"
        -o "Dir::Etc::sourceparts=$work/apt/sources.list.d"
        -o "Dir::State::Lists=$work/apt/lists"
        -o "Dir::Cache::pkgcache="
        -o "Dir::Cache::srcpkgcache="
        -o "APT::Sandbox::User=root"  # the private dirs are not readable by _apt
    )
    log "fetching the source index"
    apt-get "${apt_opts[@]}" update -qq
    log "downloading Debian's kubernetes source package"
    (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only -qq kubernetes)
    log "unpacking (apt verified the download against the signed Release file; a gpgv"
    log "warning about the .dsc signature only means debian-keyring is not installed)"
    (cd "$work/src" && dpkg-source -x ./kubernetes_*.dsc tree >/dev/null)
    src="$work/src/tree"

    log "replacing vendored github.com/modern-go/reflect2 (too old for Go 1.19)"
    rm -rf "$src/vendor/github.com/modern-go/reflect2"
    cp -a /usr/share/gocode/src/github.com/modern-go/reflect2 "$src/vendor/github.com/modern-go/"

    cat >"$work/version.env" <<EOF
KUBE_GIT_COMMIT=''
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='v$KUBE_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='${KUBE_VERSION#1.}'
EOF
    sed -i "s/^KUBE_GIT_MINOR='\([0-9]*\)\..*'/KUBE_GIT_MINOR='\1'/" "$work/version.env"

    log "make WHAT=\"cmd/kube-apiserver cmd/kube-controller-manager\" (3-7 minutes)"
    (
        cd "$src"
        export PATH="/usr/lib/go-1.19/bin:$PATH"
        export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOPROXY=off GOFLAGS=-mod=vendor
        export KUBE_GIT_VERSION_FILE="$work/version.env"
        make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" 2>&1 \
            | while IFS= read -r line; do printf '[test-cluster]   %s\n' "$line"; done
        exit "${PIPESTATUS[0]}"
    ) &
    local make_pid=$! ticker
    (while sleep 30; do log "... still building ($(( $(date +%s) - start ))s)"; done) &
    ticker=$!
    local rc=0
    wait "$make_pid" || rc=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    [[ $rc -eq 0 ]] || die "kubernetes build failed (exit $rc), see the output above"

    mkdir -p "$BIN_DIR"
    local name found
    for name in kube-apiserver kube-controller-manager; do
        found=$(find "$src/_output" -type f -name "$name" -perm -u+x | head -n1)
        [[ -n $found ]] || die "build finished but $name is not under _output/"
        install -m 0755 "$found" "$BIN_DIR/$name.tmp"
        mv -f "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
    done
    rm -rf "$work"
    trap - EXIT
    log "built in $(( $(date +%s) - start ))s; binaries cached in $BIN_DIR"
}

have_binaries() {
    [[ -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-controller-manager ]]
}

cmd_build() {
    local missing
    mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
    apt_install "${missing[@]}"
    stop_system_etcd
    if ! command -v kubectl >/dev/null 2>&1; then
        if apt-cache show kubectl >/dev/null 2>&1; then
            apt_install kubectl
        elif apt-cache show kubernetes-client >/dev/null 2>&1; then
            apt_install kubernetes-client
        else
            log "kubectl is not available from apt; tests that need it will skip"
        fi
    fi
    if have_binaries; then
        log "binaries present in $BIN_DIR"
    else
        build_binaries
    fi
}

# ---------------------------------------------------------------------------- run

pid_alive() { # name -> 0 if the recorded process runs and is ours
    local pidfile="$DIR/$1.pid" pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$1"
}

start_bg() { # name binary args... ; detached from this script, survives its exit
    local name=$1
    shift
    log "starting $name"
    setsid nohup "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
}

stop_proc() { # name [grace seconds before SIGKILL]
    # kube-apiserver stops listening at once on SIGTERM but then lingers for many
    # seconds over open watches, so the Kubernetes processes get a short grace.
    local pidfile="$DIR/$1.pid" pid i grace=${2:-3}
    if pid_alive "$1"; then
        pid=$(<"$pidfile")
        log "stopping $1 (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 $(( grace * 10 ))); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

token() { cat "$DIR/token"; }

readyz() {
    [[ -f $DIR/token ]] || return 1
    [[ $(curl -sk --max-time 3 -H "Authorization: Bearer $(token)" "$SERVER/readyz" \
            2>/dev/null) == ok ]]
}

wait_for() { # name seconds check-command...
    local name=$1 timeout=$2 deadline
    shift 2
    deadline=$(( $(date +%s) + timeout ))
    until "$@"; do
        if ! pid_alive "$name"; then
            log "last lines of $DIR/$name.log:"
            tail -n 30 "$DIR/$name.log" >&2 || true
            die "$name exited during start-up (log: $DIR/$name.log)"
        fi
        if [[ $(date +%s) -ge $deadline ]]; then
            log "last lines of $DIR/$name.log:"
            tail -n 30 "$DIR/$name.log" >&2 || true
            die "$name not ready after ${timeout}s (log: $DIR/$name.log)"
        fi
        sleep 0.3
    done
}

etcd_healthy() { curl -s --max-time 2 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'; }

prepare_files() {
    mkdir -p "$DIR/pki"
    if [[ ! -f $DIR/token ]]; then
        openssl rand -hex 24 >"$DIR/token"
    fi
    printf '%s,midway-admin,midway-admin,"system:masters"\n' "$(token)" >"$DIR/tokens.csv"
    if [[ ! -f $DIR/pki/sa.key ]]; then
        openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null
        openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null
    fi
    cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: $SERVER
    insecure-skip-tls-verify: true
users:
- name: $CONTEXT-admin
  user:
    token: $(token)
contexts:
- name: $CONTEXT
  context:
    cluster: $CONTEXT
    user: $CONTEXT-admin
current-context: $CONTEXT
EOF
    chmod 600 "$DIR/kubeconfig" "$DIR/token" "$DIR/tokens.csv"
}

start_etcd() {
    pid_alive etcd && return 0
    command -v etcd >/dev/null || die "etcd not installed; run: $0 build"
    start_bg etcd etcd --name midway --data-dir "$DIR/etcd-data" \
        --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "midway=http://127.0.0.1:$ETCD_PEER_PORT" \
        --quota-backend-bytes 2147483648 --log-level warn
    wait_for etcd 30 etcd_healthy
}

start_apiserver() {
    pid_alive kube-apiserver && return 0
    start_bg kube-apiserver "$BIN_DIR/kube-apiserver" \
        --etcd-servers "$ETCD_URL" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
        --secure-port "$APISERVER_PORT" --insecure-port 0 \
        --cert-dir "$DIR/pki" \
        --token-auth-file "$DIR/tokens.csv" \
        --authorization-mode RBAC \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-signing-key-file "$DIR/pki/sa.key" \
        --service-account-key-file "$DIR/pki/sa.pub" \
        --service-cluster-ip-range 10.96.0.0/16 \
        --allow-privileged=true \
        --profiling=false \
        --v 1
    wait_for kube-apiserver "$READY_TIMEOUT" readyz
}

start_controller_manager() {
    pid_alive kube-controller-manager && return 0
    cp "$DIR/kubeconfig" "$DIR/kcm.kubeconfig"
    start_bg kube-controller-manager "$BIN_DIR/kube-controller-manager" \
        --kubeconfig "$DIR/kcm.kubeconfig" \
        --authentication-kubeconfig "$DIR/kcm.kubeconfig" \
        --authorization-kubeconfig "$DIR/kcm.kubeconfig" \
        --controllers namespace,garbagecollector,serviceaccount,serviceaccount-token,clusterrole-aggregation \
        --leader-elect=false \
        --service-account-private-key-file "$DIR/pki/sa.key" \
        --root-ca-file "$DIR/pki/apiserver.crt" \
        --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --port 0 \
        --cert-dir "$DIR/pki/kcm" \
        --profiling=false \
        --v 1
    # Ready once its serviceaccount controller made the default ServiceAccount.
    wait_for kube-controller-manager "$READY_TIMEOUT" default_service_account
}

default_service_account() {
    curl -skf --max-time 3 -o /dev/null -H "Authorization: Bearer $(token)" \
        "$SERVER/api/v1/namespaces/default/serviceaccounts/default"
}

healthy() {
    pid_alive etcd && pid_alive kube-apiserver && pid_alive kube-controller-manager && readyz
}

require_binaries() {
    have_binaries || die "no kube binaries in $BIN_DIR; run: $0 build"
}

cmd_up() {
    if healthy; then
        log "already up: $SERVER (KUBECONFIG=$DIR/kubeconfig)"
        return 0
    fi
    require_binaries
    local start
    start=$(date +%s)
    mkdir -p "$DIR"
    prepare_files
    start_etcd
    start_apiserver
    start_controller_manager
    log "up in $(( $(date +%s) - start ))s: $SERVER, context $CONTEXT"
    log "export KUBECONFIG=$DIR/kubeconfig"
}

cmd_down() {
    stop_proc kube-controller-manager &
    stop_proc kube-apiserver &
    wait
    stop_proc etcd 10
    rm -rf "$DIR"
    log "down; removed $DIR"
}

cmd_status() {
    local ok=0 name
    for name in etcd kube-apiserver kube-controller-manager; do
        if pid_alive "$name"; then log "$name: running (pid $(<"$DIR/$name.pid"))"
        else log "$name: not running"; ok=1; fi
    done
    if readyz; then log "$SERVER/readyz: ok"; else log "$SERVER/readyz: not ready"; ok=1; fi
    return "$ok"
}

cmd_env() {
    printf 'export KUBECONFIG=%q\n' "$DIR/kubeconfig"
    printf 'export MIDWAY_TEST_CLUSTER_SERVER=%q\n' "$SERVER"
}

cmd_stop_apiserver() { stop_proc kube-apiserver; }

cmd_start_apiserver() {
    require_binaries
    [[ -f $DIR/tokens.csv ]] || die "the cluster in $DIR was never started; run: $0 up"
    pid_alive etcd || start_etcd
    start_apiserver
    start_controller_manager  # in case it gave up while the apiserver was away
    log "kube-apiserver ready at $SERVER"
}

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-apiserver) cmd_stop_apiserver ;;
    start-apiserver) cmd_start_apiserver ;;
    *) usage ;;
esac
