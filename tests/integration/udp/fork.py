#!/usr/bin/env python3
"""fork.py ADDR PORT: a socket made before fork() used by both processes
(child first, then the parent), plus a socket the child makes after the
fork.  Talks to an echo server.  Prints "ok" or "FAIL why"."""
import os
import socket
import sys

dst = (sys.argv[1], int(sys.argv[2]))


def echo(s, msg):
    s.settimeout(3)
    for _ in range(5):
        s.sendto(msg, dst)
        try:
            d, a = s.recvfrom(65535)
        except socket.timeout:
            continue
        if d == msg and a == dst:
            return True
    return False


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
port = s.getsockname()[1]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    ok = echo(s, b"child") and s.getsockname()[1] == port
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ok = ok and echo(t, b"child-new") and t.getsockname()[1] != port
    t.close()
    os.write(w, b"1" if ok else b"0")
    os._exit(0)
os.close(w)
child_ok = os.read(r, 1) == b"1"
os.waitpid(pid, 0)
parent_ok = echo(s, b"parent") and s.getsockname()[1] == port
if child_ok and parent_ok:
    print("ok")
else:
    print("FAIL child", child_ok, "parent", parent_ok)
    sys.exit(1)
