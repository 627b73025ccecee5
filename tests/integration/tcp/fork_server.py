#!/usr/bin/env python3
"""fork_server.py ADDR PORT N MODE: accepts N connections.  MODE fork: a
forked child echoes each connection (the parent closes its copy at once);
MODE exec: a forked child makes the connection its stdin and stdout and
execs python3, which prints what the inherited socket is (the new image's
shim must recognise it: AF_INET, SOCK_STREAM, the client as peer) and
execs cat.
Prints `listening` once bound, then waits for every child."""
import os
import socket
import sys

addr, port, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(16)
print("listening", flush=True)
kids = []
CHILD = """
import os, socket, sys
s = socket.socket(fileno=os.dup(0))
print("child sees", s.family.name, s.type.name, s.getpeername()[0], file=sys.stderr, flush=True)
s.close()
os.execvp("cat", ["cat"])
"""
for _ in range(n):
    c, peer = ls.accept()
    pid = os.fork()
    if pid == 0:
        ls.close()
        if mode == "exec":
            os.dup2(c.fileno(), 0)
            os.dup2(c.fileno(), 1)
            c.close()
            # The new image asks about its stdin: an AF_INET stream socket
            # with the client as peer (the shim adopted it), then cat.
            os.execvp("python3", ["python3", "-c", CHILD])
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
        c.close()
        os._exit(0)
    c.close()
    kids.append(pid)
bad = 0
for pid in kids:
    _, st = os.waitpid(pid, 0)
    bad += st != 0
print("children done, failed:", bad, flush=True)
sys.exit(1 if bad else 0)
