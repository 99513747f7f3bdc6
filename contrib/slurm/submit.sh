#!/usr/bin/env bash
# submit.sh: one migration on a Slurm cluster (issue 18). Makes the plan unless it exists,
# reads its shard count N, and submits an export array of N tasks, an import array of N tasks
# that starts when every export task succeeded, and one verify job after every import.
# ferry schedules nothing itself: Slurm runs, retries and accounts for the tasks.
#
# Usage: submit.sh [ferry plan arguments: -f LIST, --platform os/arch, images …]
#   FERRY_PLAN=/shared/m/plan.json FERRY_SHARDS=16 FERRY_OUT=/shared/m/out \
#     FERRY_TARGET=registry.dc2.local:5000/mirror contrib/slurm/submit.sh -f images.txt
#
# Environment (paths are made absolute and passed to every task):
#   FERRY_PLAN          the plan file (required). When it exists it is used as it is and no
#                       arguments may be given; otherwise `ferry plan ARGS --shards
#                       $FERRY_SHARDS -o $FERRY_PLAN` makes it first, on this host
#   FERRY_SHARDS        the shard count of a new plan
#   FERRY_OUT           the directory for bundles, export reports and logs/ (export, import)
#   FERRY_TARGET        the registry, HOST[:PORT][/PREFIX] (import, verify)
#   FERRY_STAGES        which jobs to submit, in this order (default: export import verify).
#                       Across a real gap: `export` on the connected side, carry FERRY_OUT and
#                       the plan, then `import verify` on the isolated side
#   FERRY               the ferry binary (default: ferry on PATH); every node must reach it
#   FERRY_ARGS          options for every ferry command, split on white space
#                       (--insecure-registry H:P, --authfile F, --cert-dir D)
#   FERRY_EXPORT_ARGS   export only (--split-size 4.7G, --compress zstd, --sign-key K)
#   FERRY_IMPORT_ARGS   import only (--jobs J, --chunk-size S)
#   FERRY_NAMING_ARGS   import and verify alike (--flatten 1, --map A=B)
#   FERRY_STATE_DIR     the import journal's directory (--state-dir; default: beside each bundle)
#   FERRY_MAX_PARALLEL  at most this many tasks of each array at once (sbatch --array=…%K)
#   FERRY_IMPORT_AFTER  afterok (default: imports start when all exports are done) or
#                       aftercorr (import task i starts when export task i is done)
#   FERRY_SBATCH_ARGS   sbatch options for every job (--partition=P --time=8:00:00);
#                       sbatch's own SBATCH_ACCOUNT, SBATCH_PARTITION, … work too
#
# Rerun it with the same environment after a failure: finished export shards are skipped,
# cut-off ones resume, and imports send only what the registry lacks. Jobs whose dependency
# failed are cancelled rather than left pending.
# Prints the job ids on stdout. Exit status: 0 when submitted, 64 for bad use, or the status
# of the ferry or sbatch command that failed.
set -euo pipefail

usage() { sed -n '2,/^set -euo pipefail/{/^set -euo pipefail/d;s/^# \{0,1\}//;p;}' "$0"; }
die() { echo "submit.sh: $*" >&2; exit 64; }
absolute() { if [[ $1 == /* ]]; then printf '%s\n' "$1"; else printf '%s/%s\n' "$PWD" "$1"; fi; }
case ${1:-} in -h | --help) usage; exit 0 ;; esac

# sbatch copies a batch script before running it, so the tasks cannot find files beside
# themselves: everything they need travels as arguments and FERRY_* variables.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a stages <<<"${FERRY_STAGES:-export import verify}"
wants() { [[ " ${stages[*]} " == *" $1 "* ]]; }
for stage in "${stages[@]}"; do
    case $stage in export | import | verify) ;; *) die "unknown stage '$stage' in FERRY_STAGES (export, import, verify)" ;; esac
done

[[ -n ${FERRY_PLAN:-} ]] || die "set FERRY_PLAN (--help explains the variables)"
FERRY_PLAN=$(absolute "$FERRY_PLAN")
FERRY=${FERRY:-ferry}
if [[ $FERRY != */* ]]; then
    FERRY=$(command -v "$FERRY") || die "no $FERRY on PATH: set FERRY to the binary's path"
fi
FERRY=$(absolute "$FERRY")
export FERRY FERRY_PLAN
if wants export || wants import; then
    [[ -n ${FERRY_OUT:-} ]] || die "set FERRY_OUT to a directory every node reads and writes"
    FERRY_OUT=$(absolute "$FERRY_OUT")
    export FERRY_OUT
    # Slurm does not create the directory of --output; a job without it fails with no log.
    mkdir -p "$FERRY_OUT/logs"
fi
if wants import || wants verify; then
    [[ -n ${FERRY_TARGET:-} ]] || die "set FERRY_TARGET to the registry, HOST[:PORT][/PREFIX]"
    export FERRY_TARGET
fi

if [[ ! -f $FERRY_PLAN ]]; then
    (($# > 0)) || die "no plan at $FERRY_PLAN: give ferry plan's arguments (-f LIST …) to make one"
    [[ -n ${FERRY_SHARDS:-} ]] || die "set FERRY_SHARDS to plan with"
    read -r -a common_args <<<"${FERRY_ARGS:-}"
    # Its table goes to stderr with its logs: stdout is for the job ids.
    "$FERRY" plan "$@" --shards "$FERRY_SHARDS" -o "$FERRY_PLAN" "${common_args[@]}" >&2
elif (($# > 0)); then
    # Arguments beside an existing plan would be ignored; a stale plan would win unnoticed.
    die "$FERRY_PLAN exists: remove it to plan again, or give no arguments to use it"
fi

# ferry reads the plan (refusing a damaged one here rather than in N tasks) and says how many
# shards it has; python3 only picks the number out of the JSON.
shards=$("$FERRY" inspect "$FERRY_PLAN" --format json |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["spread"]["shards"]))')
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "cannot read the shard count of $FERRY_PLAN"
array="0-$((shards - 1))${FERRY_MAX_PARALLEL:+%$FERRY_MAX_PARALLEL}"

read -r -a sbatch_args <<<"${FERRY_SBATCH_ARGS:-}"
# --export=ALL hands the FERRY_* variables to the tasks even where a site sets SBATCH_EXPORT.
submit() {
    local id
    id=$(sbatch --parsable --export=ALL --kill-on-invalid-dep=yes "${sbatch_args[@]}" "$@")
    printf '%s\n' "${id%%;*}"
}
logs=${FERRY_OUT:+$FERRY_OUT/logs}
logs=${logs:-$PWD}

export_job="" import_job="" verify_job=""
if wants export; then
    export_job=$(submit --array="$array" --output="$logs/ferry-export-%A_%a.log" \
        "$here/export.sbatch" "$FERRY_PLAN" "$FERRY_OUT")
    echo "export: job $export_job, array $array"
fi
if wants import; then
    after=()
    [[ -z $export_job ]] || after=(--dependency="${FERRY_IMPORT_AFTER:-afterok}:$export_job")
    import_job=$(submit --array="$array" "${after[@]}" --output="$logs/ferry-import-%A_%a.log" \
        "$here/import.sbatch" "$FERRY_OUT" "$FERRY_TARGET")
    echo "import: job $import_job, array $array${export_job:+, after export $export_job}"
fi
if wants verify; then
    after=()
    previous=${import_job:-$export_job}
    [[ -z $previous ]] || after=(--dependency="afterok:$previous")
    verify_job=$(submit "${after[@]}" --output="$logs/ferry-verify-%j.log" \
        "$here/verify.sbatch" "$FERRY_PLAN" "$FERRY_TARGET")
    echo "verify: job $verify_job${previous:+, after $previous}"
fi
