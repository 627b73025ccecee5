#!/usr/bin/env python3
"""delayed_server.py ADDR PORT: answers "go N" with N datagrams "data",
0.3 s apart, the first 0.3 s after the request."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(60)
while True:
    try:
        d, a = s.recvfrom(100)
    except socket.timeout:
        break
    for _ in range(int(d.split()[1])):
        time.sleep(0.3)
        s.sendto(b"data", a)
