#!/usr/bin/env python3
"""diff_calls.py MYADDR: a table of TCP socket calls and their results --
identity options, misuse of listen/accept/connect/shutdown, bind conflicts
(TIME_WAIT with and without SO_REUSEADDR), options, resets, EPIPE and
SIGPIPE -- printed one line per call as "name -> result".  Every
connection is to the caller's own address MYADDR (the kernel's loopback
path on the kernel side, the engine's in-engine loopback through the shim),
so the two runs need no peer.  The outputs must be identical; MYADDR and
port numbers never appear in them."""
import errno
import os
import signal
import socket
import struct
import sys
import time

MY = sys.argv[1]
TCP_USER_TIMEOUT, TCP_CONGESTION, TCP_INFO = 18, 13, 11
SIOCINQ, SIOCOUTQ = 0x541B, 0x5411
pipes = 0


def on_pipe(signum, frame):
    global pipes
    pipes += 1


signal.signal(signal.SIGPIPE, on_pipe)


def show(name, fn):
    try:
        r = fn()
    except OSError as e:
        r = errno.errorcode.get(e.errno, e.errno)
    print("%s -> %s" % (name, r), flush=True)


def sock():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def listener(reuse=False):
    s = sock()
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((MY, 0))
    s.listen(8)
    return s, s.getsockname()[1]


def pair():
    ls, port = listener()
    c = sock()
    c.connect((MY, port))
    a, _ = ls.accept()
    return ls, port, c, a


def geti(s, level, name):
    return s.getsockopt(level, name)


# --- identity ------------------------------------------------------------
s = sock()
for n in ("SO_TYPE", "SO_DOMAIN", "SO_PROTOCOL", "SO_ACCEPTCONN", "SO_ERROR",
          "SO_REUSEADDR", "SO_KEEPALIVE"):
    show("fresh getsockopt " + n, lambda: geti(s, socket.SOL_SOCKET, getattr(socket, n)))
show("fresh TCP_NODELAY", lambda: geti(s, socket.IPPROTO_TCP, socket.TCP_NODELAY))
show("fresh SO_LINGER", lambda: struct.unpack("ii", s.getsockopt(socket.SOL_SOCKET,
                                                                  socket.SO_LINGER, 8)))
for n, v in (("SO_SNDBUF", None), ("SO_RCVBUF", None), ("SO_SNDBUF", 65536),
             ("SO_RCVBUF", 100000), ("SO_SNDBUF", 10), ("SO_RCVBUF", 10)):
    if v is not None:
        show("fresh setsockopt %s %d" % (n, v), lambda: s.setsockopt(
            socket.SOL_SOCKET, getattr(socket, n), v))
    show("fresh getsockopt " + n, lambda: geti(s, socket.SOL_SOCKET, getattr(socket, n)))
show("fresh TCP_MAXSEG", lambda: geti(s, socket.IPPROTO_TCP, socket.TCP_MAXSEG))
show("fresh setsockopt TCP_MAXSEG 1000", lambda: s.setsockopt(socket.IPPROTO_TCP,
                                                              socket.TCP_MAXSEG, 1000))
show("fresh getsockopt TCP_MAXSEG", lambda: geti(s, socket.IPPROTO_TCP, socket.TCP_MAXSEG))
show("fresh getsockname", lambda: s.getsockname())
show("fresh getpeername", lambda: s.getpeername())
show("fresh shutdown RDWR", lambda: s.shutdown(socket.SHUT_RDWR))
show("fresh shutdown 7", lambda: s.shutdown(7))
show("fresh send", lambda: s.send(b"x"))
show("fresh recv", lambda: s.recv(1))
show("fresh listen then accept nonblocking",
     lambda: (s.listen(4), s.setblocking(False), s.accept()))
s.close()

# --- listener misuse -----------------------------------------------------
ls, port = listener()
show("listen SO_ACCEPTCONN", lambda: geti(ls, socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
show("listen again", lambda: ls.listen(16))
show("listen getpeername", lambda: ls.getpeername())
show("listen connect", lambda: ls.connect((MY, port)))
show("listen send", lambda: ls.send(b"x"))
show("listen recv", lambda: ls.recv(1))
show("listen bind again", lambda: ls.bind((MY, 0)))
s2 = sock()
show("bind port of listener", lambda: s2.bind((MY, port)))
s2.close()
s2 = sock()
s2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
show("bind port of listener with SO_REUSEADDR", lambda: s2.bind((MY, port)))
s2.close()
s2 = sock()
show("bind wildcard port of listener", lambda: s2.bind(("0.0.0.0", port)))
s2.close()
s2 = sock()
show("bind foreign address", lambda: s2.bind(("203.0.113.9", 0)))
s2.close()
ls.close()

# --- shutdown of a listener (Linux inet_shutdown: SHUT_RD disconnects it;
# accept() then fails with EINVAL, blocked ones too; SHUT_WR does nothing)
ls, port = listener()
show("listen shutdown WR", lambda: ls.shutdown(socket.SHUT_WR))
c = sock()
c.connect((MY, port))
show("listen shutdown WR: accept", lambda: ls.accept()[1] == c.getsockname())
c.close()
ls.close()
for how in ("RD", "RDWR"):
    ls, port = listener()
    c = sock()
    c.connect((MY, port))  # queued, never accepted
    time.sleep(0.1)
    show("listen shutdown %s" % how, lambda: ls.shutdown(getattr(socket, "SHUT_" + how)))
    show("listen shutdown %s: SO_ACCEPTCONN" % how,
         lambda: geti(ls, socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    show("listen shutdown %s: accept" % how, lambda: ls.accept())
    ls.setblocking(False)
    show("listen shutdown %s: accept nonblocking" % how, lambda: ls.accept())
    time.sleep(0.1)
    show("listen shutdown %s: queued client recv" % how, lambda: c.recv(10))
    c.close()
    c = sock()
    show("listen shutdown %s: connect to its port" % how, lambda: c.connect((MY, port)))
    c.close()
    show("listen shutdown %s: shutdown again" % how,
         lambda: ls.shutdown(getattr(socket, "SHUT_" + how)))
    ls.close()
# a blocked accept() in another thread is woken with EINVAL
import threading
ls, port = listener()
res = []


def blocked_accept():
    try:
        ls.accept()
        res.append("accepted")
    except OSError as e:
        res.append(errno.errorcode.get(e.errno, e.errno))


th = threading.Thread(target=blocked_accept, daemon=True)
th.start()
time.sleep(0.2)
show("listen shutdown RD with accept blocked", lambda: ls.shutdown(socket.SHUT_RD))
th.join(5)
show("blocked accept after listen shutdown RD", lambda: res)
ls.close()

# --- connect -------------------------------------------------------------
free = sock()
free.bind((MY, 0))
fport = free.getsockname()[1]
free.close()
c = sock()
show("connect closed port", lambda: c.connect((MY, fport)))
show("SO_ERROR after refused", lambda: geti(c, socket.SOL_SOCKET, socket.SO_ERROR))
c.close()
c = sock()
c.setblocking(False)
show("nonblocking connect closed port", lambda: errno.errorcode.get(c.connect_ex((MY, fport)), 0))
time.sleep(0.2)
show("SO_ERROR after nonblocking refused", lambda: geti(c, socket.SOL_SOCKET, socket.SO_ERROR))
c.close()

ls, port = listener()
c = sock()
c.setblocking(False)
show("nonblocking connect", lambda: errno.errorcode.get(c.connect_ex((MY, port)), 0))
time.sleep(0.2)
show("connect again after completion", lambda: errno.errorcode.get(c.connect_ex((MY, port)), 0))
show("connect third time", lambda: errno.errorcode.get(c.connect_ex((MY, port)), 0))
c.setblocking(True)
a, peer = ls.accept()
show("accept peer is client", lambda: peer == c.getsockname())
show("client peer is listener port", lambda: c.getpeername() == (MY, port))
show("accepted sockname", lambda: a.getsockname() == (MY, port))
show("accepted SO_ACCEPTCONN", lambda: geti(a, socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
show("connect connected", lambda: c.connect((MY, port)))
show("listen on connected", lambda: c.listen(1))
show("bind connected", lambda: c.bind((MY, 0)))

# --- data ----------------------------------------------------------------
show("send", lambda: c.send(b"hello"))
time.sleep(0.1)
show("SIOCINQ", lambda: struct.unpack("i", __import__("fcntl").ioctl(
    a, SIOCINQ, b"\0\0\0\0"))[0])
show("recv MSG_PEEK", lambda: a.recv(100, socket.MSG_PEEK))
show("recv", lambda: a.recv(2))
show("recv MSG_WAITALL", lambda: a.recv(3, socket.MSG_WAITALL))
show("recv MSG_DONTWAIT empty", lambda: a.recv(10, socket.MSG_DONTWAIT))
show("read 0 bytes", lambda: os.read(a.fileno(), 0))
show("sendmsg", lambda: c.sendmsg([b"ab", b"cd"]))
time.sleep(0.1)
show("recvmsg", lambda: a.recvmsg(100)[0])
show("writev/readv", lambda: (os.writev(c.fileno(), [b"12", b"345"]), time.sleep(0.1),
                              os.readv(a.fileno(), [bytearray(2), bytearray(8)]))[2])
show("recv MSG_OOB", lambda: a.recv(1, socket.MSG_OOB))

# --- options -------------------------------------------------------------
for name, level, opt, val in (
        ("TCP_NODELAY", socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        ("TCP_CORK", socket.IPPROTO_TCP, socket.TCP_CORK, 1),
        ("TCP_CORK off", socket.IPPROTO_TCP, socket.TCP_CORK, 0),
        ("SO_KEEPALIVE", socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        ("TCP_KEEPIDLE", socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
        ("TCP_KEEPINTVL", socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 7),
        ("TCP_KEEPCNT", socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 4),
        ("TCP_USER_TIMEOUT", socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 5000),
        ("SO_REUSEADDR", socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
        ("SO_REUSEPORT", socket.SOL_SOCKET, socket.SO_REUSEPORT, 1),
        ("IP_TOS", socket.IPPROTO_IP, socket.IP_TOS, 0x10),
        ("IP_TTL", socket.IPPROTO_IP, socket.IP_TTL, 33)):
    show("setsockopt " + name, lambda: c.setsockopt(level, opt, val))
    show("getsockopt " + name, lambda: geti(c, level, opt))
show("setsockopt TCP_KEEPIDLE 0", lambda: c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 0))
show("setsockopt TCP_CONGESTION reno", lambda: c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION,
                                                            b"reno"))
show("getsockopt TCP_CONGESTION", lambda: c.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION,
                                                       16).rstrip(b"\0"))
show("setsockopt TCP_CONGESTION bogus", lambda: c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION,
                                                             b"bogus"))
show("setsockopt SO_LINGER", lambda: c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                  struct.pack("ii", 1, 5)))
show("getsockopt SO_LINGER", lambda: struct.unpack("ii", c.getsockopt(
    socket.SOL_SOCKET, socket.SO_LINGER, 8)))
show("setsockopt SO_LINGER short", lambda: c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                        b"\1\0"))
show("setsockopt unknown SOL_SOCKET", lambda: c.setsockopt(socket.SOL_SOCKET, 9999, 1))
show("getsockopt unknown SOL_SOCKET", lambda: c.getsockopt(socket.SOL_SOCKET, 9999))
show("setsockopt unknown IPPROTO_TCP", lambda: c.setsockopt(socket.IPPROTO_TCP, 9999, 1))
show("getsockopt unknown IPPROTO_TCP", lambda: c.getsockopt(socket.IPPROTO_TCP, 9999))
show("TCP_INFO state", lambda: c.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)[0])
show("TCP_INFO length", lambda: len(c.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)))

# --- shutdown --------------------------------------------------------------
show("shutdown WR", lambda: c.shutdown(socket.SHUT_WR))
show("shutdown WR again", lambda: c.shutdown(socket.SHUT_WR))
show("send after shutdown WR", lambda: c.send(b"x"))
show("SIGPIPE count", lambda: pipes)
show("send after shutdown WR MSG_NOSIGNAL", lambda: c.send(b"x", socket.MSG_NOSIGNAL))
show("SIGPIPE count", lambda: pipes)
show("peer reads EOF", lambda: a.recv(10))
show("peer reads EOF again", lambda: a.recv(10))
show("peer sends after EOF", lambda: a.send(b"back"))
time.sleep(0.1)
show("half-closed reads", lambda: c.recv(10))
show("shutdown RD", lambda: c.shutdown(socket.SHUT_RD))
show("recv after shutdown RD", lambda: c.recv(10))
a.close()
c.close()

# --- shutdown(SHUT_RDWR): the socket lives on (names, options) ----------
c = sock()
c.connect((MY, port))
a, _ = ls.accept()
show("shutdown RDWR", lambda: c.shutdown(socket.SHUT_RDWR))
time.sleep(0.2)
show("after RDWR getsockname", lambda: c.getsockname()[0] == MY)
show("after RDWR getpeername", lambda: c.getpeername() == (MY, port))
show("after RDWR peer reads EOF", lambda: a.recv(10))
show("after RDWR recv", lambda: c.recv(10))
show("after RDWR send MSG_NOSIGNAL", lambda: c.send(b"x", socket.MSG_NOSIGNAL))
show("after RDWR TCP_NODELAY", lambda: c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1))
a.close()
c.close()

# --- reset: data then RST (SO_LINGER 0), then ECONNRESET once, then EOF -----
for reader in ("recv", "read"):
    c = sock()
    c.connect((MY, port))
    a, _ = ls.accept()
    a.sendall(b"z" * 1000)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    time.sleep(0.2)

    def rd(n):
        return c.recv(n) if reader == "recv" else os.read(c.fileno(), n)
    show("after RST " + reader + " data", lambda: len(rd(4096)))
    show("after RST " + reader, lambda: rd(10))
    show("after RST " + reader + " again", lambda: rd(10))
    show("after RST SO_ERROR", lambda: geti(c, socket.SOL_SOCKET, socket.SO_ERROR))
    show("after RST send", lambda: c.send(b"x"))
    show("after RST getpeername", lambda: c.getpeername() == (MY, port))
    c.close()

# --- EPIPE and SIGPIPE after the peer is gone --------------------------------
c = sock()
c.connect((MY, port))
a, _ = ls.accept()
a.close()
time.sleep(0.2)
show("peer closed: recv", lambda: c.recv(10))
show("peer closed: first send", lambda: c.send(b"x"))
time.sleep(0.2)
before = pipes
show("peer gone: send", lambda: c.send(b"x"))
show("peer gone: SIGPIPE", lambda: pipes - before)
show("peer gone: send again", lambda: c.send(b"x"))
show("peer gone: SIGPIPE", lambda: pipes - before)
show("peer gone: SO_ERROR", lambda: geti(c, socket.SOL_SOCKET, socket.SO_ERROR))
c.close()

# --- backlog: listen(1) keeps two connections queued (Linux: full when
# qlen > backlog); further SYNs are dropped, so those clients wait ------------
bl = sock()
bl.bind((MY, 0))
bl.listen(1)
cs = []
for _ in range(4):
    x = sock()
    x.setblocking(False)
    x.connect_ex(bl.getsockname())
    cs.append(x)
time.sleep(0.3)
show("backlog 1: connected clients", lambda: len(__import__("select").select([], cs, [], 0)[1]))
bl.setblocking(False)
show("backlog 1: accept", lambda: bl.accept()[1][0] == MY)
show("backlog 1: accept again", lambda: bl.accept()[1][0] == MY)
show("backlog 1: accept a third", lambda: bl.accept())
for x in cs:
    x.close()
bl.close()

# --- TIME_WAIT: the server closes first; a new bind of its port.  The
# listener sets SO_REUSEADDR (its connections inherit it): Linux lets a new
# bind with SO_REUSEADDR past a TIME_WAIT holder only if the holder had it.
ls.close()
ls, port = listener(reuse=True)
c = sock()
c.connect((MY, port))
a, _ = ls.accept()
a.close()		# active close: the server's side goes to TIME_WAIT
time.sleep(0.1)
c.close()
time.sleep(0.2)
ls.close()
time.sleep(0.1)
s = sock()
show("bind TIME_WAIT port", lambda: s.bind((MY, port)))
s.close()
s = sock()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
show("bind TIME_WAIT port with SO_REUSEADDR", lambda: s.bind((MY, port)))
show("listen on it", lambda: s.listen(4))
s.close()
