#!/usr/bin/env python3
"""rcvbuf_recv.py PORT READY GO: binds ANY:PORT with SO_RCVBUF 8192, does
not read until GO exists, then drains without blocking and prints
"got N"."""
import os
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.bind(("0.0.0.0", int(sys.argv[1])))
open(sys.argv[2], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
time.sleep(0.5)
s.setblocking(False)
n = 0
while True:
    try:
        s.recv(2048)
    except BlockingIOError:
        break
    n += 1
print("got", n, "rcvbuf", s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
