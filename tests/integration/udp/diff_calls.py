#!/usr/bin/env python3
"""diff_calls.py MYADDR PEERADDR: a table of UDP socket calls, most of them
wrong on purpose, made through libc with ctypes (so bad pointers and
lengths reach the socket layer as a C program would pass them).  Prints
one line per call: "name -> result errno".  Run once on the kernel and
once through the shim; the two outputs must be identical.  MYADDR is the
caller's own address (the kernel side's or the engine's), PEERADDR the
other side's; neither appears in the output."""
import ctypes
import errno
import os
import socket
import struct
import sys

MY, PEER = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
AF_INET, AF_INET6, AF_UNSPEC = 2, 10, 0
SOCK_DGRAM = 2
SOL_SOCKET, IPPROTO_IP = 1, 0
MSG_OOB, MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC, MSG_ERRQUEUE = 1, 2, 0x40, 0x20, 0x2000
FIONREAD = 0x541B
SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ERROR = 3, 38, 39, 4
SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR, SO_BROADCAST = 8, 7, 2, 6
IP_TTL, IP_TOS = 2, 1

libc.sendto.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                        ctypes.c_void_p, ctypes.c_uint]
libc.recvfrom.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_void_p, ctypes.c_void_p]
libc.send.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.recv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.sendto.restype = libc.recvfrom.restype = ctypes.c_ssize_t
libc.send.restype = libc.recv.restype = ctypes.c_ssize_t
libc.read.restype = libc.write.restype = ctypes.c_ssize_t
libc.read.argtypes = libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
libc.bind.argtypes = libc.connect.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint]
libc.getsockname.argtypes = libc.getpeername.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                                         ctypes.c_void_p]
libc.getsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_void_p]
libc.setsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_uint]
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
libc.recvmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.recvmsg.restype = ctypes.c_ssize_t


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


BAD = ctypes.c_void_p(1)      # an address nothing is mapped at
out = []


def show(name, r, value=None):
    e = ctypes.get_errno() if r == -1 else 0
    line = "%-44s -> %s %s" % (name, r if r == -1 else "ok", errno.errorcode.get(e, e) if e else "")
    if value is not None:
        line += " value=%s" % (value,)
    out.append(line.rstrip())


def sin(addr, port, fam=AF_INET):
    b = struct.pack("=H", fam) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)
    return ctypes.create_string_buffer(b, 16)


def sym(addr):
    return {MY: "MY", PEER: "PEER", "0.0.0.0": "ANY", "127.0.0.1": "LO"}.get(addr, addr)


def sock():
    ctypes.set_errno(0)
    return libc.socket(AF_INET, SOCK_DGRAM, 0)


def call(name, fn, *args):
    ctypes.set_errno(0)
    r = fn(*args)
    show(name, -1 if r < 0 else r)
    return r


def getint(fd, level, opt):
    v = ctypes.c_int(0)
    n = ctypes.c_uint(4)
    ctypes.set_errno(0)
    r = libc.getsockopt(fd, level, opt, ctypes.byref(v), ctypes.byref(n))
    return r, v.value, n.value


def setint(fd, level, opt, val, n=4):
    v = ctypes.c_int(val)
    ctypes.set_errno(0)
    return libc.setsockopt(fd, level, opt, ctypes.byref(v), n)


def name_of(fd, peer=False):
    b = ctypes.create_string_buffer(16)
    n = ctypes.c_uint(16)
    fn = libc.getpeername if peer else libc.getsockname
    ctypes.set_errno(0)
    r = fn(fd, b, ctypes.byref(n))
    if r < 0:
        return r, None
    port = struct.unpack("!H", b.raw[2:4])[0]
    return r, (sym(socket.inet_ntoa(b.raw[4:8])), port, n.value)


buf = ctypes.create_string_buffer(70000)

# --- socket() ---------------------------------------------------------------
call("socket DGRAM IPPROTO_TCP", libc.socket, AF_INET, SOCK_DGRAM, 6)
call("socket type 99", libc.socket, AF_INET, 99, 0)
call("socket bad flag bits", libc.socket, AF_INET, SOCK_DGRAM | 0x10000, 0)
call("socket AF_INET6 DGRAM", libc.socket, AF_INET6, SOCK_DGRAM, 0) if False else None

# --- bind() -------------------------------------------------------------
fd = sock()
call("bind NULL addr", libc.bind, fd, None, 16)
call("bind bad pointer", libc.bind, fd, BAD, 16)
call("bind len 15", libc.bind, fd, sin(MY, 0), 15)
call("bind len 200", libc.bind, fd, sin(MY, 0), 200)
call("bind AF_INET6 family", libc.bind, fd, sin(MY, 0, AF_INET6), 16)
call("bind AF_UNSPEC MY", libc.bind, fd, sin(MY, 0, AF_UNSPEC), 16)
call("bind not-local address", libc.bind, fd, sin("198.18.0.99", 0), 16)
call("bind MY:0", libc.bind, fd, sin(MY, 0), 16)
r, nm = name_of(fd)
show("getsockname after bind", r, (nm[0], 32768 <= nm[1] <= 60999, nm[2]))
call("bind again", libc.bind, fd, sin(MY, 0), 16)
libc.close(fd)
fd = sock()
call("bind AF_UNSPEC ANY", libc.bind, fd, sin("0.0.0.0", 0, AF_UNSPEC), 16)
libc.close(fd)

# --- sends on an unconnected socket ---------------------------------------
fd = sock()
call("send unconnected", libc.send, fd, buf, 10, 0)
call("write unconnected", libc.write, fd, buf, 10)
call("sendto NULL addr", libc.sendto, fd, buf, 10, 0, None, 16)
call("sendto port 0", libc.sendto, fd, buf, 10, 0, sin(PEER, 0), 16)
call("sendto addrlen 8", libc.sendto, fd, buf, 10, 0, sin(PEER, 9), 8)
call("sendto addrlen 0", libc.sendto, fd, buf, 10, 0, sin(PEER, 9), 0)
call("sendto addrlen 200", libc.sendto, fd, buf, 10, 0, sin(PEER, 9), 200)
call("sendto AF_INET6 family", libc.sendto, fd, buf, 10, 0, sin(PEER, 9, AF_INET6), 16)
call("sendto bad addr pointer", libc.sendto, fd, buf, 10, 0, BAD, 16)
call("sendto 65508 bytes", libc.sendto, fd, buf, 65508, 0, sin(PEER, 9), 16)
call("sendto 65536 bytes", libc.sendto, fd, buf, 65536, 0, sin(PEER, 9), 16)
call("sendto 65507 bytes", libc.sendto, fd, buf, 65507, 0, sin(PEER, 9), 16)
call("sendto broadcast no SO_BROADCAST", libc.sendto, fd, buf, 1, 0,
     sin("255.255.255.255", 9), 16)
call("sendto MSG_OOB", libc.sendto, fd, buf, 1, MSG_OOB, sin(PEER, 9), 16)
call("sendto NULL buffer", libc.sendto, fd, None, 10, 0, sin(PEER, 9), 16)
call("sendto off-link no route", libc.sendto, fd, buf, 1, 0, sin("203.0.113.1", 9), 16)
call("sendto AF_UNSPEC family", libc.sendto, fd, buf, 1, 0, sin(PEER, 9, AF_UNSPEC), 16)
call("recv MSG_DONTWAIT empty", libc.recv, fd, buf, 10, MSG_DONTWAIT)
call("recv MSG_ERRQUEUE", libc.recv, fd, buf, 10, MSG_ERRQUEUE | MSG_DONTWAIT)
call("getpeername unconnected", libc.getpeername, fd, buf, ctypes.byref(ctypes.c_uint(16)))
call("getsockname NULL len", libc.getsockname, fd, buf, None)
call("listen", libc.listen, fd, 5)
call("accept", libc.accept, fd, None, None)
call("shutdown unconnected", libc.shutdown, fd, 0)
call("shutdown how 7", libc.shutdown, fd, 7)
libc.close(fd)

# --- options -------------------------------------------------------------
fd = sock()
for nm_, lv, op in (("SO_TYPE", SOL_SOCKET, SO_TYPE), ("SO_PROTOCOL", SOL_SOCKET, SO_PROTOCOL),
                    ("SO_DOMAIN", SOL_SOCKET, SO_DOMAIN), ("SO_ERROR", SOL_SOCKET, SO_ERROR),
                    ("SO_RCVBUF", SOL_SOCKET, SO_RCVBUF), ("SO_SNDBUF", SOL_SOCKET, SO_SNDBUF),
                    ("SO_BROADCAST", SOL_SOCKET, SO_BROADCAST), ("IP_TTL", IPPROTO_IP, IP_TTL),
                    ("IP_TOS", IPPROTO_IP, IP_TOS)):
    r, v, n = getint(fd, lv, op)
    show("getsockopt " + nm_, r, (v, n))
r = setint(fd, SOL_SOCKET, SO_RCVBUF, 10000)
show("setsockopt SO_RCVBUF 10000", r, getint(fd, SOL_SOCKET, SO_RCVBUF)[1])
r = setint(fd, SOL_SOCKET, SO_SNDBUF, 1)
show("setsockopt SO_SNDBUF 1", r, getint(fd, SOL_SOCKET, SO_SNDBUF)[1])
show("setsockopt SO_REUSEADDR len 2", setint(fd, SOL_SOCKET, SO_REUSEADDR, 1, 2))
show("setsockopt SOL_SOCKET 9999", setint(fd, SOL_SOCKET, 9999, 1))
show("setsockopt level 12345", setint(fd, 12345, 1, 1))
r, v, n = getint(fd, 12345, 1)
show("getsockopt level 12345", r)
show("setsockopt IP_TTL 0", setint(fd, IPPROTO_IP, IP_TTL, 0))
show("setsockopt IP_TTL 256", setint(fd, IPPROTO_IP, IP_TTL, 256))
show("setsockopt IP_TTL 9", setint(fd, IPPROTO_IP, IP_TTL, 9), getint(fd, IPPROTO_IP, IP_TTL)[1])
show("setsockopt IP_TTL -1", setint(fd, IPPROTO_IP, IP_TTL, -1), getint(fd, IPPROTO_IP, IP_TTL)[1])
show("setsockopt IP_TOS 0x10", setint(fd, IPPROTO_IP, IP_TOS, 0x10), getint(fd, IPPROTO_IP, IP_TOS)[1])
ctypes.set_errno(0)
show("setsockopt NULL value", libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, None, 4))
ctypes.set_errno(0)
show("getsockopt NULL len", libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, buf, None))
show("setsockopt SO_BROADCAST 1", setint(fd, SOL_SOCKET, SO_BROADCAST, 1))
call("sendto broadcast with SO_BROADCAST", libc.sendto, fd, buf, 1, 0,
     sin("255.255.255.255", 9), 16)
libc.close(fd)

# --- loopback: truncation, peek, FIONREAD ------------------------------------
a = sock()
call("bind LO:0", libc.bind, a, sin("127.0.0.1", 0), 16)
port = name_of(a)[1][1]
b = sock()
for i in range(3):
    call("sendto self 100 bytes", libc.sendto, b, ctypes.create_string_buffer(b"x" * 100, 100),
         100, 0, sin("127.0.0.1", port), 16)
libc.usleep(200000)
n = ctypes.c_int(-1)
call("ioctl FIONREAD", libc.ioctl, a, FIONREAD, ctypes.byref(n))
show("FIONREAD value", 0, n.value)
show("recv MSG_PEEK 10", libc.recv(a, buf, 10, MSG_PEEK))
show("recv MSG_TRUNC 10", libc.recv(a, buf, 10, MSG_TRUNC))
iov = Iovec(ctypes.cast(buf, ctypes.c_void_p), 10)
src = ctypes.create_string_buffer(16)
mh = Msghdr(ctypes.cast(src, ctypes.c_void_p), 16, ctypes.cast(ctypes.pointer(iov), ctypes.c_void_p),
            1, None, 0, 0)
r = libc.recvmsg(a, ctypes.byref(mh), 0)
show("recvmsg 10 of 100", r, (mh.flags & MSG_TRUNC != 0, mh.namelen, sym(socket.inet_ntoa(src.raw[4:8]))))
call("read 0 bytes leaves the datagram", libc.read, a, buf, 0)
show("FIONREAD after read 0", libc.ioctl(a, FIONREAD, ctypes.byref(n)), n.value)
ctypes.set_errno(0)
r = libc.recv(a, None, 10, 0)
show("recv NULL buffer", r)
call("recv after the queue is empty", libc.recv, a, buf, 10, MSG_DONTWAIT)
libc.readv.argtypes = libc.writev.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.readv.restype = libc.writev.restype = ctypes.c_ssize_t
call("readv bad iovec pointer", libc.readv, a, BAD, 2)
call("readv 2000 iovecs", libc.readv, a, buf, 2000)
libc.sendmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.sendmsg.restype = ctypes.c_ssize_t
bmh = Msghdr(ctypes.cast(sin("127.0.0.1", port), ctypes.c_void_p), 16, BAD, 1, None, 0, 0)
call("sendmsg bad iovec pointer", libc.sendmsg, b, ctypes.byref(bmh), 0)
call("sendmsg bad msghdr pointer", libc.sendmsg, b, BAD, 0)
call("recvmsg bad msghdr pointer", libc.recvmsg, a, BAD, MSG_DONTWAIT)
call("write 0 bytes to self (connected)", libc.connect, b, sin("127.0.0.1", port), 16)
call("write 0 bytes", libc.write, b, buf, 0)
libc.usleep(100000)
show("FIONREAD of an empty datagram", libc.ioctl(a, FIONREAD, ctypes.byref(n)), n.value)
call("recv the empty datagram", libc.recv, a, buf, 10, MSG_DONTWAIT)
call("recv after it", libc.recv, a, buf, 10, MSG_DONTWAIT)

# --- ancillary data: IP_PKTINFO, IP_RECVTTL, IP_RECVTOS -----------------------
IP_PKTINFO, IP_RECVTTL, IP_RECVTOS = 8, 12, 13
for opt_, nm_ in ((IP_PKTINFO, "IP_PKTINFO"), (IP_RECVTTL, "IP_RECVTTL"), (IP_RECVTOS, "IP_RECVTOS")):
    show("setsockopt " + nm_, setint(a, IPPROTO_IP, opt_, 1), getint(a, IPPROTO_IP, opt_)[1])


def recv_with_control(clen):
    ctl = ctypes.create_string_buffer(max(clen, 1))
    iov_ = Iovec(ctypes.cast(buf, ctypes.c_void_p), 100)
    mh_ = Msghdr(None, 0, ctypes.cast(ctypes.pointer(iov_), ctypes.c_void_p), 1,
                 ctypes.cast(ctl, ctypes.c_void_p) if clen else None, clen, 0)
    ctypes.set_errno(0)
    r_ = libc.recvmsg(a, ctypes.byref(mh_), MSG_DONTWAIT)
    items, off, raw = [], 0, ctl.raw[:mh_.controllen]
    while off + 16 <= len(raw):
        clen_, lvl, typ = struct.unpack("@QII", raw[off:off + 16])
        data = raw[off + 16:off + clen_]
        if typ == IP_PKTINFO and len(data) >= 12:
            idx = struct.unpack("@i", data[:4])[0]
            items.append(("PKTINFO", clen_, idx, sym(socket.inet_ntoa(data[4:8])),
                          sym(socket.inet_ntoa(data[8:12]))))
        elif typ == 2:
            items.append(("TTL", clen_, struct.unpack("@i", data[:4])[0] if len(data) >= 4 else None))
        elif typ == 1:
            items.append(("TOS", clen_, data[0] if data else None))
        else:
            items.append((lvl, typ, clen_))
        off += (clen_ + 7) & ~7
    return r_, (mh_.controllen, bool(mh_.flags & 8), items)


for clen in (256, 40, 0):
    libc.sendto(b, buf, 5, 0, sin("127.0.0.1", port), 16)
    libc.usleep(100000)
    r, v = recv_with_control(clen)
    show("recvmsg with %d control bytes" % clen, r, v)
libc.close(b)

# --- connected sockets: ECONNREFUSED, disconnect ---------------------------------
c = sock()
call("connect AF_UNSPEC unbound", libc.connect, c, sin("0.0.0.0", 0, AF_UNSPEC), 16)
call("connect NULL", libc.connect, c, None, 16)
call("connect len 4", libc.connect, c, sin(PEER, 9), 4)
call("connect AF_INET6 family", libc.connect, c, sin(PEER, 9, AF_INET6), 16)
r, nm = name_of(c)
show("getsockname after failed connect", r, (nm[0], nm[1] != 0))
call("connect LO closed port", libc.connect, c, sin("127.0.0.1", port), 16)
libc.close(a)   # now nobody has the port
call("send to closed port", libc.send, c, buf, 5, 0)
libc.usleep(200000)
call("recv after port unreachable", libc.recv, c, buf, 10, MSG_DONTWAIT)
call("recv again", libc.recv, c, buf, 10, MSG_DONTWAIT)
call("send again", libc.send, c, buf, 5, 0)
libc.usleep(200000)
call("send after second unreachable", libc.send, c, buf, 5, 0)
r, v, n = getint(c, SOL_SOCKET, SO_ERROR)
show("SO_ERROR after send reported it", r, v)
call("send once more", libc.send, c, buf, 5, 0)
libc.usleep(200000)
r, v, n = getint(c, SOL_SOCKET, SO_ERROR)
show("SO_ERROR takes the error", r, v)
call("recv after SO_ERROR", libc.recv, c, buf, 10, MSG_DONTWAIT)
r, nm = name_of(c, True)
show("getpeername connected", r, (nm[0], nm[1] == port, nm[2]))
call("connect PEER", libc.connect, c, sin(PEER, 9), 16)
r, nm = name_of(c)
show("getsockname connected", r, (nm[0], nm[1] != 0))
call("sendto other address while connected", libc.sendto, c, buf, 1, 0, sin(PEER, 10), 16)
call("disconnect", libc.connect, c, sin("0.0.0.0", 0, AF_UNSPEC), 16)
r, nm = name_of(c)
show("getsockname after disconnect", r, nm)
call("getpeername after disconnect", libc.getpeername, c, buf, ctypes.byref(ctypes.c_uint(16)))
call("shutdown connected", libc.shutdown, c, 2) if False else None
libc.close(c)
call("close twice", libc.close, c)
call("recv closed fd", libc.recv, c, buf, 10, 0)
rp, wp = os.pipe()
call("sendto a pipe", libc.sendto, wp, buf, 1, 0, sin(PEER, 9), 16)
call("getsockname a pipe", libc.getsockname, wp, buf, ctypes.byref(ctypes.c_uint(16)))

# --- port unreachable from the other side of the link ------------------------
w = sock()
call("connect PEER closed port", libc.connect, w, sin(PEER, 47999), 16)
call("send to PEER closed port", libc.send, w, buf, 3, 0)
libc.usleep(300000)
call("recv after PEER's port unreachable", libc.recv, w, buf, 10, MSG_DONTWAIT)
call("recv once more", libc.recv, w, buf, 10, MSG_DONTWAIT)
libc.close(w)
# Unconnected: the same ICMP error is not reported (no IP_RECVERR).
w = sock()
call("sendto PEER closed port unconnected", libc.sendto, w, buf, 3, 0, sin(PEER, 47999), 16)
libc.usleep(300000)
call("recv unconnected after unreachable", libc.recv, w, buf, 10, MSG_DONTWAIT)
libc.close(w)

# --- fd-level behaviour: timeouts, O_NONBLOCK, dup --------------------------
F_GETFL, F_SETFL, F_DUPFD, O_NONBLOCK = 3, 4, 0, 0o4000
libc.fcntl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
d = sock()
call("bind LO:0 for fd tests", libc.bind, d, sin("127.0.0.1", 0), 16)
tv = struct.pack("@ll", 0, 200000)
ctypes.set_errno(0)
show("setsockopt SO_RCVTIMEO 0.2s", libc.setsockopt(d, SOL_SOCKET, 20, tv, len(tv)))
tvo = ctypes.create_string_buffer(16)
tvn = ctypes.c_uint(16)
ctypes.set_errno(0)
r = libc.getsockopt(d, SOL_SOCKET, 20, tvo, ctypes.byref(tvn))
show("getsockopt SO_RCVTIMEO", r, (struct.unpack("@ll", tvo.raw) , tvn.value))
call("blocking recv times out", libc.recv, d, buf, 10, 0)
fl = libc.fcntl(d, F_GETFL, 0)
call("fcntl set O_NONBLOCK", libc.fcntl, d, F_SETFL, fl | O_NONBLOCK)
show("O_NONBLOCK reads back", 0, bool(libc.fcntl(d, F_GETFL, 0) & O_NONBLOCK))
call("nonblocking recv", libc.recv, d, buf, 10, 0)
call("fcntl clear O_NONBLOCK", libc.fcntl, d, F_SETFL, fl & ~O_NONBLOCK)
call("blocking recv again times out", libc.recv, d, buf, 10, 0)
d2 = libc.dup(d)
show("dup", 0 if d2 >= 0 else -1)
r, n1 = name_of(d)
r, n2 = name_of(d2)
show("dup names the same socket", 0, n1 == n2)
d3 = libc.fcntl(d, F_DUPFD, 300)
show("F_DUPFD 300", 0, d3 >= 300)
r, n3 = name_of(d3)
show("F_DUPFD names the same socket", 0, n1 == n3)
e = sock()
call("dup2 onto another socket", libc.dup2, d, e)
r, n4 = name_of(e)
show("dup2 target now the same socket", 0, n1 == n4)
libc.close(d)
call("sendto self through the dup", libc.sendto, d2, buf, 7, 0, sin("127.0.0.1", n1[1]), 16)
libc.usleep(100000)
call("recv on F_DUPFD copy", libc.recv, d3, buf, 100, MSG_DONTWAIT)
for f in (d2, d3, e):
    libc.close(f)
call("sendto after all closed", libc.sendto, d3, buf, 1, 0, sin("127.0.0.1", 9), 16)

# --- sendmmsg / recvmmsg ------------------------------------------------------
class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]


libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
libc.recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                          ctypes.c_void_p]
MSG_WAITFORONE = 0x10000
r_ = sock()
call("bind LO:0 for mmsg", libc.bind, r_, sin("127.0.0.1", 0), 16)
rport = name_of(r_)[1][1]
w_ = sock()
dst = sin("127.0.0.1", rport)
bufs = [ctypes.create_string_buffer(b"m%d" % i * (i + 1), 3 * (i + 1)) for i in range(3)]
iovs = [Iovec(ctypes.cast(b_, ctypes.c_void_p), len(b_.raw)) for b_ in bufs]
vec = (Mmsghdr * 3)()
for i in range(3):
    vec[i].hdr = Msghdr(ctypes.cast(dst, ctypes.c_void_p), 16,
                        ctypes.cast(ctypes.pointer(iovs[i]), ctypes.c_void_p), 1, None, 0, 0)
ctypes.set_errno(0)
r = libc.sendmmsg(w_, vec, 3, 0)
show("sendmmsg 3", r, [vec[i].len for i in range(3)])
libc.usleep(100000)
rb = [ctypes.create_string_buffer(64) for _ in range(5)]
riov = [Iovec(ctypes.cast(b_, ctypes.c_void_p), 64) for b_ in rb]
rvec = (Mmsghdr * 5)()
for i in range(5):
    rvec[i].hdr = Msghdr(None, 0, ctypes.cast(ctypes.pointer(riov[i]), ctypes.c_void_p), 1,
                         None, 0, 0)
ctypes.set_errno(0)
r = libc.recvmmsg(r_, rvec, 5, MSG_WAITFORONE, None)
show("recvmmsg WAITFORONE of 5", r, [rvec[i].len for i in range(max(r, 0))])
ctypes.set_errno(0)
show("recvmmsg empty DONTWAIT", libc.recvmmsg(r_, rvec, 5, MSG_DONTWAIT, None))
libc.close(r_)
libc.close(w_)

for line in out:
    print(line)
