# shellcheck shell=bash
# Shared helper for scripts/bench, scripts/demo and tests: runs an anonymous Debian
# `docker-registry` (CNCF distribution 2.8) on a free 127.0.0.1 port, storing in a temp dir.
#
#   source "$(dirname "$0")/lib/registry.sh"
#   registry_start [ROOT_DIR]   # sets REGISTRY_ADDR (127.0.0.1:PORT), REGISTRY_URL, REGISTRY_PID,
#                               # REGISTRY_DIR; waits until GET /v2/ answers 200
#   registry_stop               # stops it and removes the temp dir (also run on EXIT)
#   on_exit 'command …'         # more cleanup, run in reverse order on EXIT (also INT/TERM)
#
# ROOT_DIR, when given, is where the registry keeps config, log and blobs (created if missing,
# left in place by registry_stop). Without it a fresh `mktemp -d` dir is used and removed.
# Set REGISTRY_KEEP=1 to keep the temp dir. Set REGISTRY_LOG_LEVEL (default warn).

# Guard against double sourcing.
if [[ -n "${_FERRY_REGISTRY_SH:-}" ]]; then
    return 0
fi
_FERRY_REGISTRY_SH=1

REGISTRY_ADDR=""
REGISTRY_URL=""
REGISTRY_PID=""
REGISTRY_DIR=""
_REGISTRY_OWN_DIR=0
_FERRY_EXIT_HOOKS=()

# on_exit CMD: register a cleanup command (a string evaluated in the shell) for script exit.
on_exit() {
    _FERRY_EXIT_HOOKS+=("$1")
}

_ferry_run_exit_hooks() {
    local rc=$? i
    trap - EXIT
    set +e
    for ((i = ${#_FERRY_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${_FERRY_EXIT_HOOKS[i]}"
    done
    exit "$rc"
}
trap _ferry_run_exit_hooks EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; the socket is closed again).
registry_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Succeeds when http://ADDR/v2/ answers 200 (an anonymous registry).
registry_ping() {
    local addr=$1 code
    if command -v curl >/dev/null 2>&1; then
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$addr/v2/" 2>/dev/null) || return 1
        [[ "$code" == 200 ]]
    else
        python3 -c 'import sys, urllib.request
sys.exit(0 if urllib.request.urlopen("http://" + sys.argv[1] + "/v2/", timeout=2).status == 200 else 1)' \
            "$addr" >/dev/null 2>&1
    fi
}

# registry_wait ADDR PID [TIMEOUT_SECONDS]: wait for /v2/ to answer while PID lives.
registry_wait() {
    local addr=$1 pid=$2 timeout=${3:-15} deadline
    deadline=$(($(date +%s) + timeout))
    while (($(date +%s) < deadline)); do
        if registry_ping "$addr"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

registry_start() {
    local root=${1:-} attempt port log_level=${REGISTRY_LOG_LEVEL:-warn}
    if ! command -v docker-registry >/dev/null 2>&1; then
        echo "registry.sh: docker-registry not found (run scripts/install-deps)" >&2
        return 1
    fi
    if [[ -n "$REGISTRY_PID" ]]; then
        echo "registry.sh: a registry is already running at $REGISTRY_ADDR" >&2
        return 1
    fi
    if [[ -n "$root" ]]; then
        mkdir -p "$root"
        REGISTRY_DIR=$(cd "$root" && pwd)
        _REGISTRY_OWN_DIR=0
    else
        REGISTRY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ferry-registry.XXXXXX")
        _REGISTRY_OWN_DIR=1
    fi
    mkdir -p "$REGISTRY_DIR/data"
    # The port is picked before the registry binds it; retry if someone else takes it meanwhile.
    for attempt in 1 2 3 4 5; do
        port=$(registry_free_port)
        cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: $log_level
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
EOF
        docker-registry serve "$REGISTRY_DIR/config.yml" >"$REGISTRY_DIR/registry.log" 2>&1 &
        REGISTRY_PID=$!
        if registry_wait "127.0.0.1:$port" "$REGISTRY_PID" 20; then
            REGISTRY_ADDR="127.0.0.1:$port"
            REGISTRY_URL="http://$REGISTRY_ADDR"
            export REGISTRY_ADDR REGISTRY_URL
            return 0
        fi
        echo "registry.sh: registry did not answer on 127.0.0.1:$port (attempt $attempt)" >&2
        kill "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=""
    done
    echo "registry.sh: could not start docker-registry; last log:" >&2
    tail -n 20 "$REGISTRY_DIR/registry.log" >&2 || true
    return 1
}

registry_stop() {
    local i
    if [[ -n "$REGISTRY_PID" ]]; then
        kill "$REGISTRY_PID" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$REGISTRY_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=""
    fi
    if [[ "$_REGISTRY_OWN_DIR" == 1 && -n "$REGISTRY_DIR" && "${REGISTRY_KEEP:-0}" != 1 ]]; then
        rm -rf "$REGISTRY_DIR"
        REGISTRY_DIR=""
    fi
    REGISTRY_ADDR=""
    REGISTRY_URL=""
}
on_exit registry_stop
