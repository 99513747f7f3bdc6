#!/usr/bin/env python3
"""A static Helm chart repository for ferry's tests (127.0.0.1 only, issue 20).

Serves the files of --root (index.yaml, *.tgz, *.prov) over plain HTTP. With --user, every
request needs HTTP Basic credentials (401 with a Basic challenge otherwise). Every request is
logged on stderr as "METHOD PATH STATUS auth=yes|no" (never the credentials themselves).

The chosen port is written to --port-file once listening. The server exits on SIGTERM, or when
its stdin reaches EOF (so it dies with the test process that holds the pipe).
"""

import argparse
import base64
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class Handler(BaseHTTPRequestHandler):
    args = None

    def log_message(self, fmt, *a):
        pass

    def _finish(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        sent = "yes" if self.headers.get("Authorization") else "no"
        print(f"{self.command} {self.path} {status} auth={sent}", file=sys.stderr, flush=True)

    def do_GET(self):
        args = Handler.args
        if args.user is not None:
            expected = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._finish(401, b"unauthorized\n", [("WWW-Authenticate", 'Basic realm="charts"')])
                return
        path = unquote(urlsplit(self.path).path).lstrip("/")
        full = os.path.realpath(os.path.join(args.root, path))
        if not full.startswith(os.path.realpath(args.root) + os.sep) or not os.path.isfile(full):
            self._finish(404, b"not found\n")
            return
        with open(full, "rb") as fh:
            body = fh.read()
        kind = "text/yaml" if full.endswith(".yaml") else "application/octet-stream"
        self._finish(200, body, [("Content-Type", kind)])

    do_HEAD = do_GET


def main() -> int:
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password", default="")
    Handler.args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", Handler.args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = Handler.args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(f"{port}\n")
    os.replace(tmp, Handler.args.port_file)
    print(f"chart-repo: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        while sys.stdin.buffer.read(65536):
            pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
