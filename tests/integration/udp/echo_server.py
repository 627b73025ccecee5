#!/usr/bin/env python3
"""UDP echo server: echo_server.py ADDR PORT [COUNT] [READYFILE].

Echoes every datagram back to its sender; stops after COUNT datagrams
(0: never; the caller kills it).  Prints one line per datagram:
"from ADDR PORT LEN".  Touches READYFILE once bound."""
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
if len(sys.argv) > 4:
    open(sys.argv[4], "w").close()
n = 0
while count == 0 or n < count:
    d, a = s.recvfrom(65535)
    if count:
        print("from", a[0], a[1], len(d), flush=True)
    s.sendto(d, a)
    n += 1
