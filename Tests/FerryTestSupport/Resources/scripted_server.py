#!/usr/bin/env python3
"""A scripted HTTP server for hostile-registry tests: every response comes from a JSON script.

Usage: scripted_server.py SCRIPT.json PORT_FILE
SCRIPT maps "METHOD PATH-PREFIX" to {"status": N, "headers": {...}, "body": "text", "repeat_body": N,
"link_next": true, "link_counter": true}. "link_next" answers with a Link header pointing at the same
path again (a pagination loop); "link_counter" with a new page each time (endless pagination);
"drip_seconds" sends the body one byte at a time with that pause between bytes. Every request is appended to PORT_FILE + ".requests" as "METHOD PATH" and, when it carried
one, " with-authorization". The server binds 127.0.0.1 on a free port, writes it to PORT_FILE, exits when stdin closes.
"""
import http.server, json, sys, threading, time

script = json.load(open(sys.argv[1]))
pages = []  # pages answered with a "link_counter" rule: each gets a new next link

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self):
        with open(sys.argv[2] + ".requests", "a") as log:
            log.write("%s %s%s\n" % (self.command, self.path, " with-authorization" if self.headers.get("Authorization") else ""))
        for key, rule in script.items():
            method, prefix = key.split(" ", 1)
            if method == self.command and self.path.startswith(prefix):
                body = (rule.get("body", "") * rule.get("repeat_body", 1)).encode()
                self.send_response(rule.get("status", 200))
                for name, value in rule.get("headers", {}).items():
                    self.send_header(name, value.replace("{port}", str(self.server.server_port)))
                if rule.get("link_next"):
                    self.send_header("Link", '<%s>; rel="next"' % self.path)
                if rule.get("link_counter"):
                    base = self.path.split("&p=")[0].split("?p=")[0]
                    pages.append(1)
                    self.send_header("Link", '<%s%sp=%d>; rel="next"' % (base, "&" if "?" in base else "?", len(pages)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    drip = rule.get("drip_seconds", 0)
                    if drip:
                        # A slow drip: one byte, then a pause, until the client gives up.
                        try:
                            for i in range(len(body)):
                                self.wfile.write(body[i:i + 1])
                                self.wfile.flush()
                                time.sleep(drip)
                        except OSError:
                            return
                    else:
                        self.wfile.write(body)
                return
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_HEAD = do_POST = do_PUT = answer

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_port))
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
