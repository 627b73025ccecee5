#!/usr/bin/env python3
"""ack_server.py ADDR PORT OUT: for each datagram "ACKPORT T I", sends it
back to (source address, ACKPORT) and appends "SRCADDR SRCPORT T I" to
OUT the first time it is seen.  Stops after 60 s without traffic."""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(60)
seen = set()
with open(sys.argv[3], "w") as out:
    while True:
        try:
            d, a = s.recvfrom(100)
        except socket.timeout:
            break
        ackport, t, i = d.decode().split()
        line = "%s %d %s %s" % (a[0], a[1], t, i)
        if line not in seen:
            seen.add(line)
            out.write(line + "\n")
            out.flush()
        s.sendto(d, (a[0], int(ackport)))
