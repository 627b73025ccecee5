#!/bin/bash
# Clients misbehaving on the control socket (garbage, truncated headers,
# bad lengths, another protocol version, oversized messages, stray fds,
# replies never read) lose their connection at worst; the daemon keeps
# serving the others and the engine keeps answering ping.
. "$(dirname "$0")/lib.sh"

lab_up
sock=/run/tapsock/$LAB.sock
pid=$(cat "/run/tapsock/$LAB.pid")
timeout 60 python3 - "$sock" <<'PY' || fail "the garbage client itself failed"
import os, random, socket, struct, sys

path = sys.argv[1]
MAGIC, VERSION = 0x4B435354, 1

def conn(timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)         # blocking: waits for room in the backlog
    s.settimeout(timeout)
    return s

def hdr(op, id_, length, version=VERSION, magic=MAGIC, result=0):
    return struct.pack("<IHHIiI", magic, version, op, id_, result, length)

def hello_body():
    name = b"garbage"
    return struct.pack("<H", len(name)) + name + struct.pack("<I", os.getpid())

def answers(s, what):
    s.send(hdr(1, 77, len(hello_body())) + hello_body())
    rep = s.recv(70000)
    magic, ver, op, id_, result, length = struct.unpack("<IHHIiI", rep[:20])
    assert magic == MAGIC and id_ == 77 and result == 0, (what, rep[:20])

random.seed(1)
cases = [
    b"",                                    # empty message
    b"x",
    b"TSCK",                                # a header's first bytes only
    hdr(1, 1, 0)[:19],                      # one byte short of a header
    hdr(1, 1, 100),                         # says 100 body bytes, has none
    hdr(1, 1, 0) + b"extra",                # more bytes than it says
    hdr(1, 1, 0, magic=0xdeadbeef),         # bad magic
    hdr(1, 1, 0xFFFFFFFF),                  # absurd length
    hdr(1, 1, 3) + b"\xff\xff\x00",         # HELLO with a lying string length
    hdr(2, 1, 4) + b"abcd",                 # STAT with a body
    hdr(4, 1, 2) + b"\x10\x00",             # SYSCTL_GET: string past the end
    hdr(5, 1, 0),                           # SYSCTL_SET with no body
    hdr(200, 1, 0),                         # unknown op
    hdr(1, 1, 0, result=5),                 # a positive result
]
for i in range(200):
    cases.append(bytes(random.getrandbits(8) for _ in range(random.randrange(0, 64))))
    cases.append(hdr(random.randrange(0, 300), i, 8) + bytes(random.getrandbits(8) for _ in range(8)))

for i, c in enumerate(cases):
    s = conn()
    try:
        s.send(c)
        try:
            s.recv(70000)           # a reply or EOF, either is fine
        except socket.timeout:
            pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()

# Another protocol version: a clear -EPROTO reply carrying ours.
s = conn()
s.send(hdr(1, 9, 0, version=99))
magic, ver, op, id_, result, length = struct.unpack("<IHHIiI", s.recv(100)[:20])
assert ver == VERSION and id_ == 9 and result == -71, (ver, id_, result)  # EPROTO
answers(s, "same connection after a version error")
s.close()

# An oversized message (bigger than any request may be).
s = conn()
try:
    s.send(hdr(1, 1, 70000) + b"\0" * 70000)
    s.recv(100)
except OSError:
    pass
s.close()

# Stray fds with garbage, and with a valid request.
r, w = os.pipe()
s = conn()
s.sendmsg([b"junk"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", r))])
s.close()
s = conn()
s.sendmsg([hdr(1, 77, len(hello_body())) + hello_body()],
          [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("ii", r, w))])
s.recv(1000)
s.close()

# A client that sends requests and never reads the replies.
s = conn()
s.setblocking(False)
for i in range(5000):
    try:
        s.send(hdr(2, i, 0))
    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
        break               # full, or the daemon gave up on us: both fine
s.close()

# Many connections left open at once, then dropped.
held = [conn() for _ in range(100)]
for h in held:
    h.close()

# Still serving.
s = conn()
answers(s, "after all the garbage")
s.close()
PY
kill -0 "$pid" 2>/dev/null || fail "tapsockd died"
ts info --lab "$LAB" >/dev/null || fail "tapsock info failed after garbage"
out=$(kside ping -c 2 -i 0.2 -W 2 "$ENGINE_IP") || fail "ping after garbage failed: $out"
grep -q "malformed message" "/run/tapsock/$LAB.log" || fail "no malformed message logged"
pass
