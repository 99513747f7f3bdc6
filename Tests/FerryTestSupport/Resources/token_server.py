#!/usr/bin/env python3
"""Docker registry v2 token server for ferry's integration tests (127.0.0.1 only).

GET  /token?service=S&scope=repository:R:pull,push[&scope=...]   (Basic auth optional)
POST /token   form: grant_type=password&username=U&password=P&service=S&scope=...
  -> {"token", "access_token", "expires_in", "issued_at"}
GET  /stats   -> {"tokens_issued": N, "requests": N, "denied": N, "scopes": [...]}

With valid credentials (or when no --user is configured) the requested actions are granted;
without credentials the token carries empty access (like Docker Hub for a private repository),
or the actions listed in --anonymous-actions; wrong credentials get 401.
The JWT is signed RS256 (RSA key) or ES256/ES384 (EC key), with header x5c = [DER of --cert];
give the registry that same certificate as its rootcertbundle.

The chosen port is written to --port-file once listening. The server exits on SIGTERM, or when
its stdin reaches EOF (so it dies with the test process that holds the pipe), unless
--ignore-stdin.
"""

import argparse
import base64
import json
import os
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    def __init__(self, key_path: str, cert_path: str):
        with open(key_path, "rb") as fh:
            self.key = serialization.load_pem_private_key(fh.read(), password=None)
        with open(cert_path, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.alg, self.hash, self.coord = "RS256", hashes.SHA256(), 0
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            size = self.key.curve.key_size
            if size == 256:
                self.alg, self.hash = "ES256", hashes.SHA256()
            elif size == 384:
                self.alg, self.hash = "ES384", hashes.SHA384()
            else:
                raise SystemExit(f"unsupported EC curve {self.key.curve.name}")
            self.coord = (size + 7) // 8
        else:
            raise SystemExit("key must be RSA or EC")

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": self.alg, "x5c": self.x5c}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode())).encode()
        if self.alg.startswith("RS"):
            sig = self.key.sign(signing_input, padding.PKCS1v15(), self.hash)
        else:
            der = self.key.sign(signing_input, ec.ECDSA(self.hash))
            r, s = utils.decode_dss_signature(der)
            sig = r.to_bytes(self.coord, "big") + s.to_bytes(self.coord, "big")
        return signing_input.decode() + "." + b64url(sig)


def parse_scopes(values) -> list:
    """['repository:a/b:pull,push registry:catalog:*'] -> [{type, name, actions}]"""
    out = []
    for value in values:
        for scope in value.split():
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            out.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                        "actions": [a for a in parts[-1].split(",") if a]})
    return out


class State:
    def __init__(self, args):
        self.args = args
        self.signer = Signer(args.key, args.cert)
        self.lock = threading.Lock()
        self.tokens_issued = 0
        self.requests = 0
        self.denied = 0
        self.scopes = []

    def stats(self) -> dict:
        with self.lock:
            return {"tokens_issued": self.tokens_issued, "requests": self.requests,
                    "denied": self.denied, "scopes": list(self.scopes)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ferry-test-token-server/1"
    state: State = None  # set before serving

    def log_message(self, fmt, *args):
        if self.state.args.verbose:
            sys.stderr.write("token-server: " + (fmt % args) + "\n")

    def _send(self, status: int, body: dict, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _basic_credentials(self):
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip()).decode()
        except Exception:  # noqa: BLE001
            return ("", "\0invalid")
        user, _, password = raw.partition(":")
        return (user, password)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/stats":
            return self._send(200, self.state.stats())
        if url.path != "/token":
            return self._send(404, {"error": "not found"})
        q = parse_qs(url.query)
        creds = self._basic_credentials()
        self._issue(creds, q.get("service", [""])[0], q.get("scope", []),
                    q.get("account", [None])[0])

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        if url.path != "/token":
            return self._send(404, {"error": "not found"})
        grant = form.get("grant_type", [""])[0]
        if grant != "password":
            with self.state.lock:
                self.state.requests += 1
                self.state.denied += 1
            return self._send(400, {"error": "unsupported_grant_type"})
        creds = (form.get("username", [""])[0], form.get("password", [""])[0])
        self._issue(creds, form.get("service", [""])[0], form.get("scope", []), None)

    def _issue(self, creds, service: str, scope_values, account):
        st = self.state
        args = st.args
        with st.lock:
            st.requests += 1
            st.scopes.extend(scope_values)
        requested = parse_scopes(scope_values)
        if args.user is None:
            subject, access = (creds[0] if creds else "anonymous"), requested
        elif creds is None:
            allowed = set(a for a in args.anonymous_actions.split(",") if a)
            subject = ""
            access = [dict(s, actions=[a for a in s["actions"] if a in allowed])
                      for s in requested if s["type"] == "repository"]
            access = [s for s in access if s["actions"]]
        elif creds == (args.user, args.password):
            subject, access = args.user, requested
        else:
            with st.lock:
                st.denied += 1
            return self._send(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "invalid credentials"}]},
                              {"WWW-Authenticate": 'Basic realm="ferry-test-token-server"'})
        if service and service != args.service:
            with st.lock:
                st.denied += 1
            return self._send(400, {"error": "invalid_request",
                                    "error_description": f"unknown service {service}"})
        now = int(time.time())
        claims = {
            "iss": args.issuer,
            "sub": subject,
            "aud": args.service,
            "exp": now + args.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = st.signer.sign(claims)
        with st.lock:
            st.tokens_issued += 1
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        self._send(200, {"token": token, "access_token": token,
                         "expires_in": args.expires_in, "issued_at": issued})


def main() -> int:
    # Spawned from a Swift test thread that blocks most signals: unblock them so SIGTERM works.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", required=True, help="PEM private key (RSA or EC P-256/P-384)")
    ap.add_argument("--cert", required=True, help="PEM certificate of that key (x5c)")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password", default="")
    ap.add_argument("--anonymous-actions", default="",
                    help="actions granted without credentials, e.g. 'pull' (default none)")
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--port-file")
    ap.add_argument("--ignore-stdin", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"token-server: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        if args.ignore_stdin:
            while True:
                time.sleep(3600)
        else:
            while sys.stdin.buffer.read(65536):
                pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
