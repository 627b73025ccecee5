#!/usr/bin/env python3
"""Client and server roles for the experiments (experiments/*.sh).

The same unmodified program runs on the kernel's stack and, through
`tapsock run`, on tapsock's.  Every line it prints is one event:
"T.TTT EVENT detail", T in seconds since the program started, errors by
their errno name (EADDRINUSE, ETIMEDOUT, ...), so the two stacks can be
compared line by line.

  server ADDR PORT [--reuseaddr] [--accept N] [--close first|never|eof]
         [--hold S] [--backlog N] [--linger S]
  bind   ADDR PORT [--reuseaddr] [--listen] [--udp] [--hold S]
  client ADDR PORT [--timeout S] [--send N] [--close|--shutdown|--abort]
         [--hold S] [--count N] [--wait-eof S] [--eof-after-shutdown S]
         [--bind-port P] [--reuseaddr 1]
  same-port ADDR PORT               TCP and UDP bound to one port at once
  synflood DST PORT N [--src-base A.B.C]   raw SYNs from made-up sources
                                    (A.B.C.100-199: nobody answers their ARP)
"""
import argparse
import errno
import os
import socket
import struct
import sys
import time

T0 = time.monotonic()


def ev(what, detail=""):
    print("%.3f %s%s" % (time.monotonic() - T0, what, (" " + detail) if detail else ""),
          flush=True)


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def cmd_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if a.reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((a.addr, a.port))
    except OSError as e:
        ev("bind", ename(e))
        return 3
    s.listen(a.backlog)
    ev("listening", "%s:%d reuseaddr=%d" % (a.addr, a.port, a.reuseaddr))
    conns = []
    s.settimeout(a.timeout)
    for _ in range(a.accept):
        try:
            c, peer = s.accept()
        except OSError as e:
            ev("accept", ename(e))
            break
        ev("accepted", "%s:%d" % peer)
        if a.close == "first":
            c.close()
            ev("closed", "server closes first (active close)")
        elif a.close == "eof":
            c.settimeout(a.timeout)
            got = 0
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    got += len(d)
                ev("eof", "after %d bytes" % got)
            except OSError as e:
                ev("recv", ename(e))
            if a.linger > 0:
                time.sleep(a.linger)
            c.close()
            ev("closed")
        else:
            conns.append(c)
    if a.hold > 0:
        ev("holding", "%d connection(s) open, never closed, for %.1f s" % (len(conns), a.hold))
        time.sleep(a.hold)
    s.close()
    ev("exit")
    return 0


def cmd_bind(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if a.udp else socket.SOCK_STREAM)
    if a.reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((a.addr, a.port))
        if a.listen:
            s.listen(16)
    except OSError as e:
        ev("bind", ename(e))
        return 3
    ev("bind", "ok")
    if a.hold > 0:
        time.sleep(a.hold)
    return 0


def cmd_client(a):
    socks = []
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(a.timeout)
        if a.reuseaddr:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if a.bind_port:
            try:
                s.bind(("0.0.0.0", a.bind_port))
            except OSError as e:
                ev("bind", ename(e))
                return 3
        t = time.monotonic()
        try:
            s.connect((a.addr, a.port))
        except OSError as e:
            # Python's own timeout has no errno; the stack's ETIMEDOUT has.
            why = ename(e) if e.errno else "python-timeout"
            ev("connect", "%s after %.3f s" % (why, time.monotonic() - t))
            s.close()
            continue
        ev("connected", "from %s:%d after %.3f s" % (s.getsockname() + (time.monotonic() - t,)))
        if a.send > 0:
            s.sendall(b"x" * a.send)
            ev("sent", "%d bytes" % a.send)
        if a.wait_eof > 0:
            s.settimeout(a.wait_eof)
            try:
                d = s.recv(65536)
                ev("eof" if not d else "data", "" if not d else "%d bytes" % len(d))
            except OSError as e:
                ev("recv", ename(e))
        if a.shutdown:
            s.shutdown(socket.SHUT_WR)
            ev("shutdown", "SHUT_WR")
        if a.eof_after_shutdown > 0:
            s.settimeout(a.eof_after_shutdown)
            try:
                d = s.recv(65536)
                ev("eof" if not d else "data", "" if not d else "%d bytes" % len(d))
            except OSError as e:
                ev("recv", ename(e) if e.errno else "python-timeout")
        if a.abort:
            # SO_LINGER {1, 0}: close() sends RST, no FIN, no TIME_WAIT.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            ev("aborted", "close with SO_LINGER 0 (RST)")
            continue
        if a.close:
            s.close()
            ev("closed")
        else:
            socks.append(s)
    if a.hold > 0:
        time.sleep(a.hold)
    return 0


def cmd_same_port(a):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind((a.addr, a.port))
        t.listen(4)
        ev("tcp bind", "ok")
    except OSError as e:
        ev("tcp bind", ename(e))
    try:
        u.bind((a.addr, a.port))
        ev("udp bind", "ok")
    except OSError as e:
        ev("udp bind", ename(e))
    # A second TCP socket on the same port must still fail: the port
    # spaces are separate per protocol, not shared.
    t2 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t2.bind((a.addr, a.port))
        ev("tcp bind again", "ok")
    except OSError as e:
        ev("tcp bind again", ename(e))
    if a.hold > 0:
        u.settimeout(a.hold)
        t.settimeout(a.hold)
        try:
            c, peer = t.accept()
            ev("tcp accepted", "%s:%d" % peer)
            c.sendall(b"tcp-ok\n")
            c.close()
        except OSError as e:
            ev("tcp accept", ename(e))
        try:
            d, peer = u.recvfrom(100)
            ev("udp got", "%r from %s:%d" % ((d,) + peer))
            u.sendto(b"udp-ok\n", peer)
        except OSError as e:
            ev("udp recv", ename(e))
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def cmd_synflood(a):
    """SYNs from made-up addresses that will never answer the SYN-ACK:
    half-open connections pile up in the listener's SYN queue."""
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(a.dst)
    sent = 0
    for i in range(a.n):
        src = socket.inet_aton("%s.%d" % (a.src_base, 100 + i % 100))
        sport = 20000 + i
        seq = (i * 2654435761) & 0xffffffff
        # MSS option, so the SYN looks like a real one (cookies encode it).
        opts = struct.pack("!BBH", 2, 4, 1460)
        tcp = struct.pack("!HHIIBBHHH", sport, a.port, seq, 0, (5 + 1) << 4, 0x02, 64240, 0, 0) + opts
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        r.sendto(ip + tcp, (a.dst, 0))
        sent += 1
    ev("synflood", "%d SYNs sent to %s:%d from %s.100-%d" % (sent, a.dst, a.port, a.src_base,
                                                             100 + min(a.n, 100) - 1))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("--reuseaddr", type=int, default=0)
    s.add_argument("--accept", type=int, default=1)
    s.add_argument("--close", choices=["first", "never", "eof"], default="first")
    s.add_argument("--hold", type=float, default=0)
    s.add_argument("--backlog", type=int, default=16)
    s.add_argument("--timeout", type=float, default=20)
    s.add_argument("--linger", type=float, default=0, help="wait S after EOF before close")
    b = sub.add_parser("bind")
    b.add_argument("addr")
    b.add_argument("port", type=int)
    b.add_argument("--reuseaddr", type=int, default=0)
    b.add_argument("--listen", action="store_true")
    b.add_argument("--udp", action="store_true")
    b.add_argument("--hold", type=float, default=0)
    c = sub.add_parser("client")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("--timeout", type=float, default=30)
    c.add_argument("--send", type=int, default=0)
    c.add_argument("--close", action="store_true")
    c.add_argument("--shutdown", action="store_true")
    c.add_argument("--hold", type=float, default=0)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--wait-eof", type=float, default=0)
    c.add_argument("--eof-after-shutdown", type=float, default=0)
    c.add_argument("--reuseaddr", type=int, default=0)
    c.add_argument("--bind-port", type=int, default=0)
    c.add_argument("--abort", action="store_true")
    u = sub.add_parser("same-port")
    u.add_argument("addr")
    u.add_argument("port", type=int)
    u.add_argument("--hold", type=float, default=0)
    f = sub.add_parser("synflood")
    f.add_argument("dst")
    f.add_argument("port", type=int)
    f.add_argument("n", type=int)
    f.add_argument("--src-base", default="198.18.0")
    a = p.parse_args()
    return {"server": cmd_server, "bind": cmd_bind, "client": cmd_client,
            "same-port": cmd_same_port, "synflood": cmd_synflood}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
