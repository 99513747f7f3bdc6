# shellcheck shell=bash
# Shared helpers for scripts/bench and scripts/bench-crossing. Set ROOT (the repository) and
# BENCH_PROG (the prefix of messages, default "bench") first, then:
#
#   source "$ROOT/scripts/lib/bench_common.sh"
#   log MSG…, die MSG…          a line on stderr, prefixed "BENCH_PROG: " ("BENCH_PROG: error: "
#                               and exit 1 for die)
#   now; elapsed T0 T1          seconds since the epoch with microseconds (no fork); T1 - T0
#   bench_require TOOL…         dies unless every TOOL and GNU time (/usr/bin/time) are present
#   bench_ferry                 builds ferry with `swift build -c release` when BUILD=1 (timed,
#                               not measured) and sets FERRY; dies unless FERRY is executable
#   bench_skopeo                sets SKOPEO (skopeo, with --insecure-policy when there is no
#                               policy.json) and SKOPEO_PRESERVE ((--preserve-digests) when this
#                               skopeo has it, else empty)
#   bench_push_corpus JSON      pushes the bench corpus (SCALE_MB, SEED; FIXTURES is the pusher)
#                               to the registry at REGISTRY_ADDR (scripts/lib/registry.sh),
#                               writes its description to JSON, reads the registry's storage
#                               into the page cache and sets REFS
#   bench_read_refs JSON        sets REFS to the corpus's references
#   BLOB_INFO_CACHES            skopeo's blob-info caches, removed before each of its timed steps
#   BENCH_PY                    scripts/lib, where bench_report.py and bench_corpus.py live

if [[ -n "${_FERRY_BENCH_COMMON_SH:-}" ]]; then
    return 0
fi
_FERRY_BENCH_COMMON_SH=1

BENCH_PROG=${BENCH_PROG:-bench}
BENCH_PY="$ROOT/scripts/lib"
FIXTURES=${FERRY_FIXTURES:-$ROOT/scripts/fixtures/ferry-fixtures.py}
# shellcheck disable=SC2034  # used by the scripts that source this
BLOB_INFO_CACHES=(/var/lib/containers/cache/blob-info-cache-v1.boltdb
    "${HOME:-/root}/.local/share/containers/cache/blob-info-cache-v1.boltdb")

log() { printf '%s: %s\n' "$BENCH_PROG" "$*" >&2; }

die() {
    echo "$BENCH_PROG: error: $*" >&2
    exit 1
}

# Seconds since the epoch with microseconds, no fork.
now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

bench_require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
    done
    [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found"
}

# Build ferry (timed on its own, not part of the measurements) unless BUILD=0.
bench_ferry() {
    local t0 t1
    if ((BUILD)); then
        command -v swift >/dev/null 2>&1 || die "swift not found; install a Swift 6 toolchain or pass --ferry PATH"
        log "building ferry: swift build -c release"
        t0=$(now)
        if ! (cd "$ROOT" && swift build -c release) >&2; then
            die "swift build -c release failed; no numbers to report"
        fi
        t1=$(now)
        FERRY="$(cd "$ROOT" && swift build -c release --show-bin-path)/ferry"
        log "release build took $(elapsed "$t0" "$t1") s (not part of the measurements)"
    fi
    [[ -x "$FERRY" ]] || die "ferry binary not found or not executable: $FERRY"
    log "ferry: $FERRY"
}

# skopeo needs a signature policy; Debian ships /etc/containers/policy.json, but don't depend on it.
# shellcheck disable=SC2034  # SKOPEO_PRESERVE is read by the scripts that source this
bench_skopeo() {
    SKOPEO=(skopeo)
    if [[ ! -f /etc/containers/policy.json && ! -f "${HOME:-/root}/.config/containers/policy.json" ]]; then
        SKOPEO+=(--insecure-policy)
    fi
    # --preserve-digests (skopeo >= 1.9) makes skopeo fail rather than change a digest.
    SKOPEO_PRESERVE=()
    if "${SKOPEO[@]}" copy --help 2>/dev/null | grep -q -- '--preserve-digests'; then
        SKOPEO_PRESERVE=(--preserve-digests)
    fi
}

bench_read_refs() {
    mapfile -t REFS < <(python3 "$BENCH_PY/bench_corpus.py" refs "$1")
    ((${#REFS[@]} > 0)) || die "the corpus has no images"
}

bench_push_corpus() {
    local json=$1 t0 t1
    [[ -f "$FIXTURES" ]] || die "fixtures pusher not found: $FIXTURES"
    log "pushing the bench corpus: --scale-mb $SCALE_MB --seed $SEED"
    t0=$(now)
    python3 "$FIXTURES" push --registry "$REGISTRY_ADDR" --scheme http --seed "$SEED" \
        --profile bench --scale-mb "$SCALE_MB" --out "$json" >&2 ||
        die "fixtures push failed"
    t1=$(now)
    log "corpus pushed in $(elapsed "$t0" "$t1") s (not part of the measurements)"
    # Warm the page cache with the registry's storage so neither tool is first to read it from disk.
    sync
    find "$REGISTRY_DIR/data" -type f -exec cat {} + >/dev/null
    bench_read_refs "$json"
    log "${#REFS[@]} references: ${REFS[*]}"
}
