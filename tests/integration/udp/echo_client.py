#!/usr/bin/env python3
"""UDP echo client: echo_client.py ADDR PORT MESSAGE...

Sends each message, waits for its echo (3 s, retried up to 5 times) and
prints "echo MESSAGE from ADDR PORT", then "local ADDR PORT"."""
import socket
import sys

dst = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for m in sys.argv[3:]:
    for attempt in range(5):
        s.sendto(m.encode(), dst)
        try:
            d, a = s.recvfrom(65535)
        except socket.timeout:
            continue
        break
    else:
        print("timeout", m)
        sys.exit(1)
    print("echo", d.decode(), "from", a[0], a[1], flush=True)
print("local", *s.getsockname())
