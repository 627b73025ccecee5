#!/bin/bash
# The socket ops' guards, by hand on the control socket: the socket is
# named only by passing its fd (EBADF without, ENOTSOCK for any other fd),
# malformed bodies are EINVAL and never kill the daemon, another protocol
# version is EPROTO (with the daemon's version in the reply).  Then the
# ephemeral range: a full net.ipv4.ip_local_port_range gives EADDRINUSE
# for bind(0) and EAGAIN for the implicit bind of sendto, never a hang.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
out=$(timeout 20 python3 "$U/ctl_auth.py" "/run/tapsock/$LAB.sock" </dev/null 2>&1) ||
	fail "ctl_auth: $out"
for want in "socket ok" "bind without fd EBADF" "bind with a foreign fd ENOTSOCK" \
	"bind with /dev/null ENOTSOCK" "bind truncated body EINVAL" "bind trailing bytes EINVAL" \
	"bind option length lies EINVAL" "bind other version EPROTO" "reply version 1" \
	"bind with the socket's fd ok" "getsockname ok" "bound port 47000" \
	"socket SOCK_STREAM EPROTONOSUPPORT"; do
	assert_contains "$out" "$want" "$want"
done

ts sysctl --lab "$LAB" -w "net.ipv4.ip_local_port_range=40000 40002" >/dev/null ||
	fail "sysctl"
out=$(ts run --lab "$LAB" -- timeout 20 python3 -c '
import errno, socket
socks = []
for i in range(4):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("0.0.0.0", 0))
        print("bind", s.getsockname()[1])
    except OSError as e:
        print("bind", errno.errorcode[e.errno])
    socks.append(s)
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    t.sendto(b"x", ("198.18.0.1", 9))
    print("sendto ok")
except OSError as e:
    print("sendto", errno.errorcode[e.errno])
socks[0].close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 0))
print("after close", u.getsockname()[1])
' 2>&1) || fail "port range: $out"
assert_eq "$(grep -c '^bind 4000[012]$' <<<"$out")" 3 "three ports from the range"
assert_contains "$out" "bind EADDRINUSE" "a full range is EADDRINUSE"
assert_contains "$out" "sendto EAGAIN" "implicit bind on a full range is EAGAIN"
assert_contains "$out" "after close 4000" "a closed socket's port is free again"
pass
