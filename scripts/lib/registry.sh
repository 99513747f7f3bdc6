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
# More registries at once (scripts/bench starts empty destinations next to the source one):
#   registry_spawn DIR          # starts another registry storing under DIR (created, left in
#                               # place); sets SPAWN_ADDR and SPAWN_PID, leaves REGISTRY_* alone
#   registry_kill PID           # stops a spawned registry (its directory stays)
#   registry_kill_spawned       # stops all spawned registries still running (also run on EXIT)
#
# ROOT_DIR, when given, is where the registry keeps config, log and blobs (created if missing,
# left in place by registry_stop). Without it a fresh `mktemp -d` dir is used and removed.
# Set REGISTRY_KEEP=1 to keep the temp dir. Set REGISTRY_LOG_LEVEL (default warn).
#
# Other storage (scripts/scale-test runs replicas on one S3 bucket): set, for the call only,
#   FERRY_REGISTRY_STORAGE  the lines under `storage:` (two-space indent: driver, delete, cache,
#                           …) instead of the filesystem store under DIR/data
#   FERRY_REGISTRY_SECRET   `http.secret`, which replicas behind one name must share
# e.g. FERRY_REGISTRY_STORAGE=$yaml FERRY_REGISTRY_SECRET=$s registry_spawn DIR. (Not REGISTRY_*:
# distribution reads every REGISTRY_<SECTION>_<KEY> variable as a config override.) The
# registry runs without AWS_CA_BUNDLE in its environment: distribution 2.8.2's s3 driver panics
# at start when it is set (it is, on these machines).
#
#   stop_pid PID [SECONDS]      # TERM, up to SECONDS (default 5) of grace, then KILL; reaps it

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
SPAWN_ADDR=""
SPAWN_PID=""
_REGISTRY_SPAWNED=()
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

# free_ports N: prints N distinct free 127.0.0.1 TCP ports, one a line (all bound at once, so
# they differ; closed again before the caller's servers bind them). Used by slurm.sh and
# seaweedfs.sh, whose daemons each need several ports.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
PY
}

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

# _registry_launch DIR: writes DIR/config.yml for a free port, runs docker-registry with its
# blobs under DIR/data and waits for /v2/; sets _LAUNCH_ADDR and _LAUNCH_PID, or returns 1.
_registry_launch() {
    local dir=$1 attempt port pid log_level=${REGISTRY_LOG_LEVEL:-warn} default_storage http_secret
    _LAUNCH_ADDR=""
    _LAUNCH_PID=""
    mkdir -p "$dir/data"
    default_storage="  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false"
    http_secret=""
    if [[ -n "${FERRY_REGISTRY_SECRET:-}" ]]; then
        http_secret=$'\n'"  secret: $FERRY_REGISTRY_SECRET"
    fi
    # The port is picked before the registry binds it; retry if someone else takes it meanwhile.
    for attempt in 1 2 3 4 5; do
        port=$(registry_free_port)
        cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: $log_level
  accesslog:
    disabled: true
storage:
${FERRY_REGISTRY_STORAGE:-$default_storage}
http:
  addr: 127.0.0.1:$port$http_secret
  headers:
    X-Content-Type-Options: [nosniff]
EOF
        env -u AWS_CA_BUNDLE docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
        pid=$!
        if registry_wait "127.0.0.1:$port" "$pid" 20; then
            _LAUNCH_ADDR="127.0.0.1:$port"
            _LAUNCH_PID=$pid
            return 0
        fi
        echo "registry.sh: registry did not answer on 127.0.0.1:$port (attempt $attempt)" >&2
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    echo "registry.sh: could not start docker-registry; last log:" >&2
    tail -n 20 "$dir/registry.log" >&2 || true
    return 1
}

# stop_pid PID [SECONDS]: TERM, up to SECONDS (default 5) of grace, then KILL; reaps it when it
# is a child of this shell. Only ever a PID this script started.
stop_pid() {
    local pid=$1 grace=${2:-5} i
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# _registry_terminate PID: TERM, up to 5 s grace, then KILL; reaps it.
_registry_terminate() {
    stop_pid "$1" 5
}

registry_start() {
    local root=${1:-}
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
    _registry_launch "$REGISTRY_DIR" || return 1
    REGISTRY_PID=$_LAUNCH_PID
    REGISTRY_ADDR=$_LAUNCH_ADDR
    REGISTRY_URL="http://$REGISTRY_ADDR"
    export REGISTRY_ADDR REGISTRY_URL
}

# registry_spawn DIR: one more registry, storing under DIR; sets SPAWN_ADDR and SPAWN_PID.
registry_spawn() {
    local dir=${1:?registry_spawn needs a directory}
    SPAWN_ADDR=""
    SPAWN_PID=""
    if ! command -v docker-registry >/dev/null 2>&1; then
        echo "registry.sh: docker-registry not found (run scripts/install-deps)" >&2
        return 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    _registry_launch "$dir" || return 1
    # shellcheck disable=SC2034  # read by the caller
    SPAWN_ADDR=$_LAUNCH_ADDR
    SPAWN_PID=$_LAUNCH_PID
    _REGISTRY_SPAWNED+=("$SPAWN_PID")
}

# registry_kill PID: stops a registry started by registry_spawn (its directory stays).
registry_kill() {
    local pid=${1:?registry_kill needs a pid} i kept=()
    for i in "${_REGISTRY_SPAWNED[@]}"; do
        if [[ "$i" == "$pid" ]]; then
            _registry_terminate "$pid"
        else
            kept+=("$i")
        fi
    done
    _REGISTRY_SPAWNED=("${kept[@]}")
}

# registry_kill_spawned: stops every registry_spawn registry still running (also run on EXIT).
registry_kill_spawned() {
    local pid
    for pid in "${_REGISTRY_SPAWNED[@]}"; do
        _registry_terminate "$pid"
    done
    _REGISTRY_SPAWNED=()
}

registry_stop() {
    if [[ -n "$REGISTRY_PID" ]]; then
        _registry_terminate "$REGISTRY_PID"
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
on_exit registry_kill_spawned
