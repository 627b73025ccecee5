#!/usr/bin/env python3
"""many_client.py ADDR PORT N BYTES: N connections open at once to a line
echo server; each sends BYTES distinct bytes (ending in a newline) and must
get exactly them back.  Prints `ok N`."""
import hashlib
import socket
import sys

addr, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks, want = [], []
for i in range(n):
    s = socket.create_connection((addr, port), timeout=30)
    socks.append(s)
    seed = hashlib.sha256(str(i).encode()).hexdigest().encode()
    data = (seed * (size // len(seed) + 1))[:size - 1] + b"\n"
    want.append(data)
for s, d in zip(socks, want):
    s.sendall(d)
for i, (s, d) in enumerate(zip(socks, want)):
    got = b""
    while len(got) < len(d):
        c = s.recv(65536)
        if not c:
            break
        got += c
    if got != d:
        sys.exit("connection %d: %d bytes back, want %d" % (i, len(got), len(d)))
for s in socks:
    s.close()
print("ok", n)
