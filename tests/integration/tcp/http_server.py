#!/usr/bin/env python3
"""Kernel-side HTTP/1.1 server for the TCP integration tests: GET serves
files from DIR (keep-alive), POST answers with the sha256 of the body and
its length.  Logs each client address to stderr (the tests check that the
kernel side sees the engine's 198.18.0.2).  Usage: http_server.py DIR ADDR PORT"""
import hashlib
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=sys.argv[1], **kw)

    def do_POST(self):
        left = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        n = 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
            left -= len(chunk)
        body = ("%s %d\n" % (h.hexdigest(), n)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("client %s %s\n" % (self.client_address[0], fmt % args))
        sys.stderr.flush()


http.server.ThreadingHTTPServer.allow_reuse_address = True
srv = http.server.ThreadingHTTPServer((sys.argv[2], int(sys.argv[3])), Handler)
sys.stderr.write("listening\n")
sys.stderr.flush()
srv.serve_forever()
