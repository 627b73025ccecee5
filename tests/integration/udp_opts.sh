#!/bin/bash
# Socket options reach the wire: IP_TTL and IP_TOS set through the shim
# are what the kernel side receives (and IP_RECVTTL/IP_RECVTOS ancillary
# data through the shim report what the kernel sent); a subnet broadcast
# needs SO_BROADCAST (EACCES before) and then arrives from 198.18.0.2.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
kside timeout 30 python3 "$U/opts_recv.py" 7500 "$TMPD/ready" 2 >"$TMPD/recv.out" 2>&1 &
kpid=$!
wait_until 10 test -e "$TMPD/ready" || fail "receiver did not start"
out=$(ts run --lab "$LAB" -- timeout 20 python3 "$U/opts_send.py" 7500) || fail "sender: $out"
assert_contains "$out" "broadcast without SO_BROADCAST: EACCES" "SO_BROADCAST required"
wait "$kpid" || fail "receiver: $(cat "$TMPD/recv.out")"
got=$(cat "$TMPD/recv.out")
assert_contains "$got" "from $ENGINE_IP ttl 7 tos 0x28 len 3" "IP_TTL and IP_TOS on the wire"
assert_contains "$got" "from $ENGINE_IP ttl 64 tos 0x0 len 5" "the broadcast arrives with defaults"

# The other way: a preloaded receiver asks for IP_RECVTTL / IP_RECVTOS
# ancillary data and gets what the kernel side sent.
rm -f "$TMPD/ready"
ts run --lab "$LAB" -- timeout 30 python3 "$U/opts_recv.py" 7501 "$TMPD/ready" 1 \
	>"$TMPD/recv2.out" 2>&1 &
rpid=$!
wait_until 10 test -e "$TMPD/ready" || fail "preloaded receiver did not start"
kside timeout 10 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 9)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x20)
s.sendto(b"abcd", ("198.18.0.2", 7501))' || fail "kernel sender"
wait "$rpid" || fail "preloaded receiver: $(cat "$TMPD/recv2.out")"
assert_contains "$(cat "$TMPD/recv2.out")" "from $KERNEL_IP ttl 9 tos 0x20 len 4" \
	"IP_RECVTTL and IP_RECVTOS through the shim"
pass
