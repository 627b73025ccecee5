#!/usr/bin/env python3
"""Non-blocking connect to ADDR:PORT, woken by poll, select, epoll (level-
and edge-triggered) and a blocking connect; prints one line per way:
`<way> <errno name or OK>` (SO_ERROR after the wakeup).  With `echo`,
data must flow afterwards through a line echo server; with `silent` (an
address that never answers) the socket must not be writable right after
connect (the filler keeps POLLOUT off until the handshake is over).
Usage: nb_connect.py ADDR PORT TIMEOUT_S [echo|silent]"""
import errno
import select
import socket
import sys

addr, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
echo = len(sys.argv) > 4 and sys.argv[4] == "echo"
silent = len(sys.argv) > 4 and sys.argv[4] == "silent"


def result(s):
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if e == 0 and echo:
        s.setblocking(True)
        s.sendall(b"ping\n")
        got = b""
        while not got.endswith(b"\n"):
            c = s.recv(100)
            if not c:
                break
            got += c
        if got != b"ping\n":
            return "BADECHO"
    return "OK" if e == 0 else errno.errorcode[e]


def start():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    r = s.connect_ex((addr, port))
    if r != errno.EINPROGRESS:
        print("connect_ex returned", errno.errorcode.get(r, r))
        sys.exit(1)
    if silent and select.select([], [s], [], 0)[1]:
        print("writable before the handshake")
        sys.exit(1)
    return s


def way_poll():
    s = start()
    p = select.poll()
    p.register(s, select.POLLOUT)
    ev = p.poll(tmo * 1000)
    return result(s) if ev else "NOWAKE"


def way_select():
    s = start()
    _, w, _ = select.select([], [s], [], tmo)
    return result(s) if w else "NOWAKE"


def way_epoll(et):
    s = start()
    ep = select.epoll()
    ep.register(s, select.EPOLLOUT | (select.EPOLLET if et else 0))
    ev = ep.poll(tmo)
    if not ev:
        return "NOWAKE"
    r = result(s)
    ep.close()
    return r


def way_blocking():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((addr, port))
    except OSError as e:
        return errno.errorcode[e.errno]
    return result(s)


for name, fn in (("poll", way_poll), ("select", way_select),
                 ("epoll_lt", lambda: way_epoll(False)),
                 ("epoll_et", lambda: way_epoll(True)),
                 ("blocking", way_blocking)):
    print(name, fn(), flush=True)
