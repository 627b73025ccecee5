#!/usr/bin/env python3
"""bulk_client.py ADDR PORT COUNT SEED: COUNT request/response datagrams
of random sizes 0..65507 (fragmented on a 1500-byte link) to an echo
server; every byte of every reply is checked.  A lost datagram is sent
again (bounded).  Prints "ok COUNT BYTES" or "FAIL why"."""
import random
import socket
import struct
import sys

dst = (sys.argv[1], int(sys.argv[2]))
count, seed = int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
total = 0
resent = 0
for i in range(count):
    size = rng.randint(4, 65507)
    body = rng.randbytes(size - 4)
    msg = struct.pack("!I", i) + body
    for attempt in range(10):
        s.sendto(msg, dst)
        try:
            while True:
                d, a = s.recvfrom(65535)
                if len(d) >= 4 and struct.unpack("!I", d[:4])[0] == i:
                    break
                # a late echo of an earlier datagram: skip it
        except socket.timeout:
            resent += 1
            continue
        break
    else:
        print("FAIL no echo for", i)
        sys.exit(1)
    if d != msg or a != dst:
        print("FAIL mismatch at", i, len(d), size, a)
        sys.exit(1)
    total += size
print("ok", count, total, "resent", resent)
