# shellcheck shell=bash
# Shared helper for scripts/scale-test: a private one-node Slurm cluster on loopback (Debian's
# slurm-wlm and munge), every file under one directory, nothing in /etc or /run touched.
#
#   source "$(dirname "$0")/lib/slurm.sh"     # also sources registry.sh (on_exit, stop_pid)
#   slurm_start DIR        # munged (own key and socket), slurmctld and slurmd on free 127.0.0.1
#                          # ports with a generated DIR/slurm.conf; unsets every inherited
#                          # SLURM_*, SBATCH_*, … variable and exports SLURM_CONF so sbatch,
#                          # squeue, scontrol, … talk to it; waits until the node is idle. Sets
#                          # SLURM_NODE (`hostname -s`), SLURM_DIR, MUNGED_PID, SLURMCTLD_PID,
#                          # SLURMD_PID
#   slurm_wait_job ID [TIMEOUT_S]   # waits until every task of job (array) ID has ended;
#                          # returns 0 when all COMPLETED, 1 when any did not, 2 on timeout. Puts
#                          # one "task state exit" line per task in SLURM_JOB_TASKS.
#   slurm_show_tasks ID    # prints those lines (after slurm_wait_job)
#   slurm_stop             # cancels this cluster's jobs, stops the daemons (also run on EXIT)
# Env: FERRY_SLURM_CPUS (the node's CPUs; default nproc, more oversubscribes the host so that more
#      tasks run at once), FERRY_SLURM_CONF_EXTRA (lines appended to slurm.conf).
#
# Root is needed (slurmd runs jobs as their user). munged refuses a key file that others can
# read or that another user owns, and a socket path with a directory others cannot traverse:
# DIR's parents must be o+x (slurm_start makes DIR and DIR/munge 0711).
# The configuration keeps everything on 127.0.0.1: CommunicationParameters=NoInAddrAny (slurmd,
# srun) and NoCtldInAddrAny (slurmctld, which would otherwise bind 0.0.0.0), proctrack/linuxproc
# and task/none (no cgroups), no accounting (sacct has nothing; use scontrol).
# DependencyParameters=kill_invalid_depend cancels a job whose afterok dependency failed
# instead of leaving it pending, and MinJobAge keeps finished tasks visible to scontrol.

if [[ -n "${_FERRY_SLURM_SH:-}" ]]; then
    return 0
fi
_FERRY_SLURM_SH=1

# shellcheck source=scripts/lib/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

SLURM_DIR=""
SLURM_NODE=""
MUNGED_PID=""
SLURMCTLD_PID=""
SLURMD_PID=""
SLURM_JOB_TASKS=""

# _slurm_tail_logs: the last lines of every daemon log, for a failure message.
_slurm_tail_logs() {
    local f
    for f in "$SLURM_DIR"/munge/munged.log "$SLURM_DIR"/log/*.log "$SLURM_DIR"/log/*.out; do
        [[ -s "$f" ]] || continue
        echo "--- $f" >&2
        tail -n 15 "$f" >&2
    done
}

slurm_start() {
    local dir=${1:?slurm_start needs a directory} ports deadline state cpus overrides memory
    local c
    for c in munged slurmctld slurmd sbatch sinfo scontrol squeue scancel; do
        command -v "$c" >/dev/null 2>&1 || {
            echo "slurm.sh: $c not found (Debian slurm-wlm and munge; run scripts/install-deps)" >&2
            return 1
        }
    done
    if [[ "$(id -u)" != 0 ]]; then
        echo "slurm.sh: slurmd needs root" >&2
        return 1
    fi
    # Inside another cluster's job (or with a site's SBATCH_PARTITION …), the inherited
    # variables would steer sbatch and srun here: this cluster starts from none of them.
    for c in $(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SCONTROL)_' || true); do
        unset "$c"
    done
    mkdir -p "$dir"
    SLURM_DIR=$(cd "$dir" && pwd)
    chmod 0711 "$SLURM_DIR"
    c=$(dirname "$SLURM_DIR")
    while [[ "$c" != / ]]; do
        if [[ $(($(stat -c '0%a' "$c") & 1)) == 0 ]]; then
            echo "slurm.sh: munged needs o+x on every parent of its socket, and $c lacks it" >&2
            return 1
        fi
        c=$(dirname "$c")
    done
    mkdir -p "$SLURM_DIR/munge" "$SLURM_DIR/state" "$SLURM_DIR/spool" "$SLURM_DIR/log"
    chmod 0711 "$SLURM_DIR/munge"

    # munge: a fresh 1 KiB key, 0400 and owned by the user munged runs as (this one).
    # The daemons run in their own sessions (setsid): a Ctrl-C (SIGINT to the terminal's process
    # group) must not stop slurmctld or munged before slurm_stop has cancelled the jobs. In a
    # script (no job control) a background child leads no group, so setsid execs in place and
    # $! is the daemon's PID.
    head -c 1024 /dev/urandom >"$SLURM_DIR/munge/munge.key"
    chmod 0400 "$SLURM_DIR/munge/munge.key"
    setsid munged --foreground --socket="$SLURM_DIR/munge/munge.socket.2" \
        --key-file="$SLURM_DIR/munge/munge.key" --pid-file="$SLURM_DIR/munge/munged.pid" \
        --log-file="$SLURM_DIR/munge/munged.log" --seed-file="$SLURM_DIR/munge/munged.seed" \
        >"$SLURM_DIR/log/munged.out" 2>&1 &
    MUNGED_PID=$!
    deadline=$(($(date +%s) + 10))
    until [[ -S "$SLURM_DIR/munge/munge.socket.2" ]]; do
        if ! kill -0 "$MUNGED_PID" 2>/dev/null || (($(date +%s) >= deadline)); then
            echo "slurm.sh: munged did not start" >&2
            _slurm_tail_logs
            return 1
        fi
        sleep 0.05
    done

    SLURM_NODE=$(hostname -s)
    cpus=${FERRY_SLURM_CPUS:-$(nproc)}
    overrides=""
    # More CPUs than the host has: slurmd would drain the node unless told to trust the config.
    ((cpus <= $(nproc))) || overrides="SlurmdParameters=config_overrides"
    # The default RealMemory is 1 MB, and a job asking --mem=512M would never run.
    memory=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
    mapfile -t ports < <(free_ports 2)
    cat >"$SLURM_DIR/slurm.conf" <<EOF
# Generated by scripts/lib/slurm.sh: a private one-node cluster on 127.0.0.1.
ClusterName=ferryscale
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket.2
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
DependencyParameters=kill_invalid_depend
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
$overrides
NodeName=$SLURM_NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=ferry Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
${FERRY_SLURM_CONF_EXTRA:-}
EOF
    export SLURM_CONF="$SLURM_DIR/slurm.conf"
    setsid slurmctld -D -i -f "$SLURM_CONF" >"$SLURM_DIR/log/slurmctld.out" 2>&1 &
    SLURMCTLD_PID=$!
    setsid slurmd -D -f "$SLURM_CONF" -N "$SLURM_NODE" >"$SLURM_DIR/log/slurmd.out" 2>&1 &
    SLURMD_PID=$!
    deadline=$(($(date +%s) + 30))
    while :; do
        state=$(sinfo -h -n "$SLURM_NODE" -o %T 2>/dev/null || true)
        [[ "$state" == idle ]] && return 0
        if ! kill -0 "$SLURMCTLD_PID" 2>/dev/null || ! kill -0 "$SLURMD_PID" 2>/dev/null ||
            (($(date +%s) >= deadline)); then
            echo "slurm.sh: node $SLURM_NODE is not idle (state '${state:-unknown}')" >&2
            _slurm_tail_logs
            return 1
        fi
        sleep 0.1
    done
}

# _slurm_job_tasks ID: one "task state exit" line per task record of job ID (an array task that
# has not been split off yet shows as a range such as 2-3); fails when scontrol does not know ID.
_slurm_job_tasks() {
    local out
    out=$(scontrol -o show job "$1" 2>/dev/null) || return 1
    [[ -n "$out" ]] || return 1
    awk '{
        task = "-"; state = "?"; code = "?"
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] == "ArrayTaskId") task = kv[2]
            else if (kv[1] == "JobState") state = kv[2]
            else if (kv[1] == "ExitCode") code = substr($i, 10)
        }
        print task, state, code
    }' <<<"$out" | sort -n
}

slurm_wait_job() {
    local id=${1:?slurm_wait_job needs a job id} timeout=${2:-600} deadline tasks
    deadline=$(($(date +%s) + timeout))
    SLURM_JOB_TASKS=""
    while :; do
        if ! tasks=$(_slurm_job_tasks "$id"); then
            echo "slurm.sh: scontrol does not know job $id" >&2
            return 1
        fi
        SLURM_JOB_TASKS=$tasks
        if ! awk '$2 ~ /^(PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT|REQUEUE_HOLD|REQUEUE_FED|RESV_DEL_HOLD|SPECIAL_EXIT)$/ { busy = 1 } END { exit !busy }' <<<"$tasks"; then
            break
        fi
        if (($(date +%s) >= deadline)); then
            echo "slurm.sh: job $id still running after ${timeout}s" >&2
            return 2
        fi
        sleep 0.25
    done
    awk '$2 != "COMPLETED" { bad = 1 } END { exit bad }' <<<"$SLURM_JOB_TASKS"
}

slurm_show_tasks() {
    local line
    while read -r line; do
        [[ -n "$line" ]] && printf '  job %s task %s\n' "$1" "$line"
    done <<<"$SLURM_JOB_TASKS"
}

# _slurm_kill_leftovers: SIGKILL for every process of this cluster's jobs still running (after
# slurmctld is gone nothing else can end them): slurmstepd (which ignores SIGTERM) and the job
# processes, told apart from everything else by SLURM_CONF=<this cluster's> in their
# environment (slurmd passes its own to slurmstepd; jobs get sbatch's) and SLURM_JOB_ID.
_slurm_kill_leftovers() {
    local p pid env
    [[ -n "$SLURM_DIR" ]] || return 0
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
        env=$({ tr '\0' '\n' <"$p/environ"; } 2>/dev/null) || continue
        grep -qxF "SLURM_CONF=$SLURM_DIR/slurm.conf" <<<"$env" || continue
        if [[ "$(cat "$p/comm" 2>/dev/null)" == slurmstepd ]] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
            echo "slurm.sh: killing leftover job process $pid ($(cat "$p/comm" 2>/dev/null))" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
}

slurm_stop() {
    local jobs deadline
    if [[ -n "$SLURMCTLD_PID" ]] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
        # Jobs run under slurmstepd, which outlives slurmd: cancel them first, and wait.
        jobs=$(squeue -h -o %A 2>/dev/null | sort -u || true)
        if [[ -n "$jobs" ]]; then
            # shellcheck disable=SC2086  # one job id a word
            scancel $jobs 2>/dev/null || true
            deadline=$(($(date +%s) + 15))
            while [[ -n "$(squeue -h -o %A 2>/dev/null || true)" ]] && (($(date +%s) < deadline)); do
                sleep 0.2
            done
        fi
    fi
    stop_pid "$SLURMD_PID" 5
    SLURMD_PID=""
    stop_pid "$SLURMCTLD_PID" 5
    SLURMCTLD_PID=""
    stop_pid "$MUNGED_PID" 5
    MUNGED_PID=""
    _slurm_kill_leftovers
}
on_exit slurm_stop
