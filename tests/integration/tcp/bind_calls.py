#!/usr/bin/env python3
"""bind_calls.py MYADDR PHASE: TCP bind rules printed one line per call as
"name -> result", run on the kernel side and through the shim and compared
(tcp_bind_diff.sh).  Phase "rules": SO_REUSEADDR sharing and listening,
wildcard vs specific addresses, TIME_WAIT holders with and without the
option, SO_REUSEPORT groups (accepts spread over the group, a closed member
leaves the rest serving), ephemeral port parity, TCP_USER_TIMEOUT read
back on an accepted socket.  Phase "range" runs with ip_local_port_range
set to 40000-40003: bind(0) until EADDRINUSE, connect() until
EADDRNOTAVAIL, local ports shared by connections to other destinations.
Connections go to MYADDR itself; addresses and port numbers never appear
in the output."""
import errno
import select
import socket
import sys
import time

MY, PHASE = sys.argv[1], sys.argv[2]
TCP_USER_TIMEOUT = 18
LO_PORTS = (32768, 60999)


def show(name, fn):
    try:
        r = fn()
    except OSError as e:
        r = errno.errorcode.get(e.errno, e.errno)
    print("%s -> %s" % (name, r), flush=True)


def sock(reuseaddr=False, reuseport=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return s


def free_port():
    s = sock()
    s.bind((MY, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def time_wait_port(reuseaddr):
    """A port held only by a TIME_WAIT connection (the server closed
    first) whose listener had SO_REUSEADDR or not."""
    ls = sock(reuseaddr=reuseaddr)
    ls.bind((MY, 0))
    ls.listen(4)
    port = ls.getsockname()[1]
    c = sock()
    c.connect((MY, port))
    a, _ = ls.accept()
    a.close()
    time.sleep(0.1)
    c.close()
    time.sleep(0.2)
    ls.close()
    time.sleep(0.1)
    return port


def rules():
    # SO_REUSEADDR: both set it, neither listens -> shared; one listens,
    # the other cannot.
    p = free_port()
    a, b, c = sock(True), sock(True), sock()
    show("reuseaddr: first bind", lambda: a.bind((MY, p)))
    show("reuseaddr: second bind", lambda: b.bind((MY, p)))
    show("reuseaddr: bind without the option", lambda: c.bind((MY, p)))
    show("reuseaddr: first listen", lambda: a.listen(4))
    show("reuseaddr: second listen", lambda: b.listen(4))
    d = sock(True)
    show("reuseaddr: bind next to a listener", lambda: d.bind(("0.0.0.0", p)))
    for s in (a, b, c, d):
        s.close()

    # Wildcard vs specific addresses.
    p = free_port()
    a, b, c = sock(), sock(), sock()
    show("addr: bind specific", lambda: a.bind((MY, p)))
    show("addr: bind loopback same port", lambda: b.bind(("127.0.0.1", p)))
    show("addr: bind wildcard same port", lambda: c.bind(("0.0.0.0", p)))
    show("addr: bind non-local", lambda: c.bind(("198.18.0.99", p)))
    for s in (a, b, c):
        s.close()
    a, b = sock(), sock()
    show("addr: bind wildcard", lambda: a.bind(("0.0.0.0", p)))
    show("addr: bind specific under wildcard", lambda: b.bind((MY, p)))
    a.close()
    b.close()

    # TIME_WAIT holders.
    for holder in (False, True):
        port = time_wait_port(holder)
        for new in (False, True):
            s = sock(reuseaddr=new)
            show("time_wait: holder reuseaddr=%d new reuseaddr=%d: bind" % (holder, new),
                 lambda: s.bind((MY, port)))
            s.close()

    # SO_REUSEPORT: a group of two listeners.
    p = free_port()
    l1, l2, l3 = sock(reuseport=True), sock(reuseport=True), sock()
    show("reuseport: first listener bind", lambda: l1.bind((MY, p)))
    show("reuseport: first listener listen", lambda: l1.listen(64))
    show("reuseport: second listener bind", lambda: l2.bind((MY, p)))
    show("reuseport: second listener listen", lambda: l2.listen(64))
    show("reuseport: bind without the option", lambda: l3.bind((MY, p)))
    show("reuseport: getsockopt", lambda: l2.getsockopt(socket.SOL_SOCKET,
                                                         socket.SO_REUSEPORT))
    l3.close()
    counts = {l1: 0, l2: 0}
    conns = []
    for _ in range(40):
        c = sock()
        c.connect((MY, p))
        conns.append(c)
    deadline = time.time() + 5
    while sum(counts.values()) < 40 and time.time() < deadline:
        r, _, _ = select.select([l1, l2], [], [], 0.5)
        for l in r:
            a, _ = l.accept()
            counts[l] += 1
            a.close()
    show("reuseport: 40 connections accepted", lambda: sum(counts.values()))
    show("reuseport: both listeners served", lambda: counts[l1] > 0 and counts[l2] > 0)
    l1.close()
    got = 0
    for _ in range(10):
        c = sock()
        show("reuseport: connect after one closed", lambda: c.connect((MY, p)))
        conns.append(c)
        r, _, _ = select.select([l2], [], [], 2)
        if r:
            a, _ = l2.accept()
            got += 1
            a.close()
    show("reuseport: the other accepted them", lambda: got)
    l2.close()
    for c in conns:
        c.close()

    # Ephemeral ports: bind(0) prefers odd ports, connect() even ones
    # (Linux inet_csk_find_open_port / __inet_hash_connect).
    s = sock()
    s.bind((MY, 0))
    port = s.getsockname()[1]
    show("bind(0): port in ip_local_port_range", lambda: LO_PORTS[0] <= port <= LO_PORTS[1])
    show("bind(0): port odd", lambda: port % 2)
    s.close()
    ls = sock()
    ls.bind((MY, 0))
    ls.listen(4)
    c = sock()
    c.connect(ls.getsockname())
    port = c.getsockname()[1]
    show("connect: port in ip_local_port_range", lambda: LO_PORTS[0] <= port <= LO_PORTS[1])
    show("connect: port even", lambda: port % 2 == 0)

    # TCP_USER_TIMEOUT: set on the listener, read on the accepted socket.
    ls2 = sock()
    ls2.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 1234)
    show("user_timeout: negative", lambda: ls2.setsockopt(socket.IPPROTO_TCP,
                                                          TCP_USER_TIMEOUT, -1))
    ls2.bind((MY, 0))
    ls2.listen(4)
    c2 = sock()
    c2.connect(ls2.getsockname())
    a2, _ = ls2.accept()
    show("user_timeout: listener", lambda: ls2.getsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT))
    show("user_timeout: accepted inherits", lambda: a2.getsockopt(socket.IPPROTO_TCP,
                                                                  TCP_USER_TIMEOUT))
    show("user_timeout: client", lambda: c2.getsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT))
    for s in (c, ls, c2, a2, ls2):
        s.close()


def port_range():
    held = []
    ports = []
    for i in range(5):
        s = sock()
        try:
            s.bind((MY, 0))
            ports.append(s.getsockname()[1] - 40000)
            held.append(s)
            print("range: bind(0) #%d -> ok" % i, flush=True)
        except OSError as e:
            print("range: bind(0) #%d -> %s" % (i, errno.errorcode.get(e.errno)), flush=True)
            s.close()
    show("range: bind(0) ports", lambda: sorted(ports))
    show("range: bind(0) odd ports first", lambda: [p % 2 for p in ports])
    for s in held:
        s.close()
    la, lb = sock(), sock()
    la.bind((MY, 5555))
    la.listen(16)
    lb.bind((MY, 5556))
    lb.listen(16)
    cs = []
    for i in range(5):
        c = sock()
        try:
            c.connect((MY, 5555))
            cs.append(c)
            print("range: connect #%d -> ok" % i, flush=True)
        except OSError as e:
            print("range: connect #%d -> %s" % (i, errno.errorcode.get(e.errno)), flush=True)
            c.close()
    show("range: connect ports", lambda: sorted(c.getsockname()[1] - 40000 for c in cs))
    c = sock()
    show("range: connect to another destination", lambda: c.connect((MY, 5556)))
    show("range: it shares a local port", lambda: 0 <= c.getsockname()[1] - 40000 <= 3)
    cs.append(c)
    z = sock()
    show("range: bind(0) with every port connected", lambda: z.bind((MY, 0)))
    z.close()
    for c in cs:
        c.close()
    la.close()
    lb.close()


if PHASE == "rules":
    rules()
else:
    port_range()
