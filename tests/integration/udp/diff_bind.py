#!/usr/bin/env python3
"""diff_bind.py MYADDR: Linux's UDP bind rules as a table.  Each row binds
a few sockets with given options and prints what each bind returned.  Run
once on the kernel and once through the shim: outputs must be identical.
Addresses print symbolically (MY, ANY, LO), ephemeral ports as checks."""
import errno
import socket
import sys

MY = sys.argv[1]
ANY, LO = "0.0.0.0", "127.0.0.1"
SYM = {MY: "MY", ANY: "ANY", LO: "LO"}
BASE = 45000
rows = []


def new(opts=()):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for o in opts:
        s.setsockopt(socket.SOL_SOCKET, o, 1)
    return s


def try_bind(s, addr, port):
    try:
        s.bind((addr, port))
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


RA, RP = socket.SO_REUSEADDR, socket.SO_REUSEPORT
# (name, [(options, addr, port offset)...])
TABLE = [
    ("same addr same port", [((), MY, 0), ((), MY, 0)]),
    ("any then specific", [((), ANY, 1), ((), MY, 1)]),
    ("specific then any", [((), MY, 2), ((), ANY, 2)]),
    ("two specific addrs", [((), MY, 3), ((), LO, 3), ((), ANY, 3)]),
    ("reuseaddr both", [((RA,), ANY, 4), ((RA,), ANY, 4), ((RA,), MY, 4)]),
    ("reuseaddr second only", [((), ANY, 5), ((RA,), ANY, 5)]),
    ("reuseaddr first only", [((RA,), ANY, 6), ((), ANY, 6)]),
    ("reuseport both", [((RP,), ANY, 7), ((RP,), ANY, 7), ((RP,), MY, 7)]),
    ("reuseport first only", [((RP,), ANY, 8), ((), ANY, 8)]),
    ("reuseport second only", [((), MY, 9), ((RP,), MY, 9)]),
    ("reuseport group then plain", [((RP,), MY, 10), ((RP,), MY, 10), ((), LO, 10), ((), ANY, 10)]),
    ("reuseaddr+reuseport mixed", [((RA, RP), ANY, 11), ((RA,), ANY, 11), ((RP,), ANY, 11), ((), ANY, 11)]),
    ("loopback and any", [((), LO, 12), ((), ANY, 12)]),
    ("other loopback addr", [((), "127.0.0.2", 13), ((), LO, 13)]),
    ("not local", [((), "198.18.0.99", 14)]),
    ("broadcast addr", [((), "255.255.255.255", 15)]),
    ("multicast addr", [((), "224.0.0.251", 16)]),
]

for name, binds in TABLE:
    socks, res = [], []
    for opts, addr, off in binds:
        s = new(opts)
        socks.append(s)
        res.append("%s:%s=%s" % (SYM.get(addr, addr), "+".join(
            {RA: "RA", RP: "RP"}[o] for o in opts) or "-", try_bind(s, addr, BASE + off)))
    rows.append("%-28s %s" % (name, " ".join(res)))
    for s in socks:
        s.close()

# Ephemeral ports: in net.ipv4.ip_local_port_range, all distinct.
socks = [new() for _ in range(50)]
ports = []
for s in socks:
    s.bind((ANY, 0))
    ports.append(s.getsockname()[1])
rows.append("ephemeral 50: in range %s, distinct %s" % (
    all(32768 <= p <= 60999 for p in ports), len(set(ports)) == len(ports)))
# An ephemeral port is not given twice while it is in use, even to a
# socket on another address.
s2 = new()
s2.bind((MY, 0))
rows.append("ephemeral on MY avoids used: %s" % (s2.getsockname()[1] not in ports))
for s in socks + [s2]:
    s.close()

# Autobind at sendto / connect, and what disconnect keeps.
s = new()
s.sendto(b"x", (LO, 9))
rows.append("sendto autobinds: %s %s" % (SYM[s.getsockname()[0]], s.getsockname()[1] != 0))
s.close()
s = new()
s.connect((LO, 9))
rows.append("connect autobinds: %s %s" % (SYM[s.getsockname()[0]], s.getsockname()[1] != 0))
s.connect(("0.0.0.0", 0)) if False else None
s.close()
s = new()
s.bind((ANY, BASE + 20))
s.connect((LO, 9))
try:
    s.bind((ANY, BASE + 21))
    r = "ok"
except OSError as e:
    r = errno.errorcode[e.errno]
rows.append("bind after connect: %s" % r)
s.close()
# A port freed by close can be bound again at once (UDP has no TIME_WAIT).
a = new()
a.bind((MY, BASE + 22))
a.close()
b = new()
rows.append("rebind after close: %s" % try_bind(b, MY, BASE + 22))
b.close()

for r in rows:
    print(r)
