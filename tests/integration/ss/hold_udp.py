"""Holds two UDP sockets for tapsock ss to see: one bound and unconnected
(0.0.0.0:PORT), one connected to HOST:PORT+1.  Writes "pid lport" of the
connected one to READY, then waits (at most 30 s) until STOP exists."""
import os
import socket
import sys
import time

host, port, ready, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", port))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect((host, port + 1))
with open(ready + ".tmp", "w") as f:
    f.write("%d %d %d %d\n" % (os.getpid(), c.getsockname()[1], u.fileno(), c.fileno()))
os.rename(ready + ".tmp", ready)
deadline = time.time() + 30
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.05)
