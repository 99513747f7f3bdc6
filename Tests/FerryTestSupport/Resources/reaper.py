#!/usr/bin/env python3
"""reaper.py [--cleanup PATH]... -- COMMAND [ARGS...]

Runs COMMAND as a child and ties its life to the test process that started this one:
- SIGTERM / SIGINT: stop COMMAND and exit (the caller cleans up);
- stdin EOF: stop COMMAND and exit; if the test process died (even by SIGKILL: we are
  reparented), also remove every --cleanup PATH;
- COMMAND exits by itself: exit with its status.
"Stop" is SIGTERM, then SIGKILL after --grace seconds. stdout/stderr are inherited. Stdlib only.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time


def main() -> int:
    # A Swift test spawns helpers from a thread that blocks most signals, and posix_spawn passes
    # that mask on: unblock everything, for us and for COMMAND (which inherits our mask).
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    ap = argparse.ArgumentParser()
    ap.add_argument("--cleanup", action="append", default=[])
    ap.add_argument("--grace", type=float, default=5.0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("missing COMMAND")

    parent = os.getppid()
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    eof = threading.Event()
    stop = threading.Event()

    def watch_stdin():
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        eof.set()
        stop.set()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watch_stdin, daemon=True).start()

    while not stop.is_set():
        try:
            code = child.wait(timeout=0.1)
            return code if code >= 0 else 128 - code
        except subprocess.TimeoutExpired:
            pass

    child.terminate()
    try:
        child.wait(timeout=args.grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if eof.is_set() and args.cleanup:
        # The kernel closes a dying process's files before it reparents its children: give the
        # reparenting a moment before deciding whether the test process is gone.
        for _ in range(100):
            if os.getppid() != parent:
                for path in args.cleanup:
                    shutil.rmtree(path, ignore_errors=True)
                break
            time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main())
