#!/usr/bin/env python3
"""fdpass.py ECHO_ADDR ECHO_PORT: one process connects to a line echo
server and passes the connected socket over an AF_UNIX socket to another
process (not its child: a fresh `python3`), which must see an AF_INET
stream socket connected to the server (the shim recognises an engine
socket received by SCM_RIGHTS) and use it.  Prints `ok`."""
import os
import socket
import subprocess
import sys
import tempfile

if len(sys.argv) > 3:		# the receiver: argv[3] is the UNIX path
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(sys.argv[3])
    _, fds, _, _ = socket.recv_fds(u, 16, 1)
    s = socket.socket(fileno=fds[0])
    assert s.family == socket.AF_INET and s.type == socket.SOCK_STREAM, (s.family, s.type)
    assert s.getpeername() == (sys.argv[1], int(sys.argv[2])), s.getpeername()
    s.sendall(b"passed\n")
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(100)
    assert got == b"passed\n", got
    print("ok", flush=True)
    sys.exit(0)

path = os.path.join(tempfile.mkdtemp(), "pass.sock")
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(path)
ls.listen(1)
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
p = subprocess.Popen([sys.executable, sys.argv[0], sys.argv[1], sys.argv[2], path])
u, _ = ls.accept()
socket.send_fds(u, [b"x"], [c.fileno()])
c.close()		# the receiver's copy keeps the connection
sys.exit(p.wait(20))
