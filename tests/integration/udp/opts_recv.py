#!/usr/bin/env python3
"""opts_recv.py PORT READY COUNT: kernel-side receiver on ANY:PORT that
prints "from ADDR ttl T tos X len N" for COUNT datagrams (IP_RECVTTL,
IP_RECVTOS ancillary data)."""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL
s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
open(sys.argv[2], "w").close()
s.settimeout(20)
for _ in range(int(sys.argv[3])):
    d, anc, _f, a = s.recvmsg(2048, 256)
    ttl = tos = None
    for level, typ, data in anc:
        if typ == 2:  # IP_TTL
            ttl = int.from_bytes(data[:4], sys.byteorder)
        elif typ == 1:  # IP_TOS
            tos = data[0]
    print("from %s ttl %s tos %#x len %d" % (a[0], ttl, tos, len(d)), flush=True)
