#!/usr/bin/env python3
"""opts_send.py PORT: sends with IP_TTL 7 and IP_TOS 0x28, then to the
subnet broadcast address (EACCES without SO_BROADCAST, then allowed)."""
import errno
import socket
import sys

port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x28)
s.sendto(b"ttl", ("198.18.0.1", port))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    b.sendto(b"bcast", ("198.18.0.255", port))
    print("broadcast without SO_BROADCAST: ok")
except OSError as e:
    print("broadcast without SO_BROADCAST:", errno.errorcode[e.errno])
b.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
b.sendto(b"bcast", ("198.18.0.255", port))
print("sent")
