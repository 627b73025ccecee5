#!/usr/bin/env python3
"""ctl_auth.py SOCKPATH: speaks the control protocol by hand to check the
socket ops' guards: a request names its socket only by passing its fd
(none: EBADF; some other fd: ENOTSOCK), malformed bodies are EINVAL, a
foreign version is EPROTO, and SOCKET hands out a usable fd.  Prints one
"name result" line per check."""
import array
import socket
import struct
import sys

MAGIC, VERSION = 0x4B435354, 1
OP_SOCKET, OP_BIND, OP_NAME = 32, 33, 35
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(sys.argv[1])
c.settimeout(5)
ident = 0


def body(typ=2, proto=17, flag=0, addr=0, port=0, level=0, name=0, optlen=0, opt=b""):
    return struct.pack("<BBBIHIIIH", typ, proto, flag, addr, port, level, name, optlen,
                       len(opt)) + opt


def call(op, b, fds=(), version=VERSION):
    global ident
    ident += 1
    msg = struct.pack("<IHHIiI", MAGIC, version, op, ident, 0, len(b)) + b
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    c.sendmsg([msg], anc)
    data, anc, _f, _a = c.recvmsg(70000, socket.CMSG_SPACE(4 * 4))
    got = []
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            got += array.array("i", d[:len(d) - len(d) % 4])
    _m, ver, rop, rid, result, blen = struct.unpack("<IHHIiI", data[:20])
    return result, data[20:], got, ver


def show(name, result):
    import errno
    print(name, errno.errorcode.get(-result, result) if result < 0 else "ok", flush=True)


r, _b, fds, _v = call(OP_SOCKET, body())
show("socket", r)
engine_fd = fds[0] if fds else -1
show("bind without fd", call(OP_BIND, body(port=47000))[0])
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
show("bind with a foreign fd", call(OP_BIND, body(port=47000), [a.fileno()])[0])
show("bind with /dev/null", call(OP_BIND, body(port=47000), [sys.stdin.fileno()])[0])
show("bind truncated body", call(OP_BIND, body(port=47000)[:-3], [engine_fd])[0])
show("bind trailing bytes", call(OP_BIND, body(port=47000) + b"xx", [engine_fd])[0])
show("bind option length lies", call(OP_BIND, body(port=47000)[:-2] + b"\xff\x00", [engine_fd])[0])
r, _b, _f, ver = call(OP_BIND, body(port=47000), [engine_fd], version=VERSION + 7)
show("bind other version", r)
print("reply version", ver)
show("bind with the socket's fd", call(OP_BIND, body(port=47000), [engine_fd])[0])
r, rb, _f, _v = call(OP_NAME, body(), [engine_fd])
show("getsockname", r)
print("bound port", struct.unpack("<IH", rb[:6])[1])
show("socket SOCK_STREAM", call(OP_SOCKET, body(typ=1, proto=6))[0])
