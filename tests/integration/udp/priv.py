#!/usr/bin/env python3
"""priv.py PORT: run as an unprivileged user while a root-owned process
holds a SO_REUSEPORT socket on ANY:PORT.  Prints the result of binds that
depend on who asks: privileged ports, and joining another user's
SO_REUSEPORT group.  Same output on the kernel and through the shim."""
import errno
import os
import socket
import sys

port = int(sys.argv[1])


def try_bind(addr, p, opts=()):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for o in opts:
        s.setsockopt(socket.SOL_SOCKET, o, 1)
    try:
        s.bind((addr, p))
        r = "ok"
    except OSError as e:
        r = errno.errorcode[e.errno]
    s.close()
    return r


print("uid", os.getuid())
print("bind ANY:80", try_bind("0.0.0.0", 80))
print("bind ANY:1023", try_bind("0.0.0.0", 1023))
print("bind ANY:1024", try_bind("0.0.0.0", 1024))
print("bind ANY:0", try_bind("0.0.0.0", 0))
print("join root's reuseport group", try_bind("0.0.0.0", port, (socket.SO_REUSEPORT,)))
print("plain bind on root's port", try_bind("0.0.0.0", port))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 1 << 20)  # SO_RCVBUFFORCE
    print("SO_RCVBUFFORCE ok")
except OSError as e:
    print("SO_RCVBUFFORCE", errno.errorcode[e.errno])
