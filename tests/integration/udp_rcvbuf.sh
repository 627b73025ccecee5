#!/bin/bash
# A receiver that does not read: its queue stays bounded (SO_RCVBUF 8192,
# doubled by the kernel rules to 16384) and the engine drops and counts the
# rest (UdpRcvbufErrors), instead of growing without limit.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
ts run --lab "$LAB" -- timeout 90 python3 "$U/rcvbuf_recv.py" 7600 "$TMPD/ready" "$TMPD/go" \
	>"$TMPD/recv.out" 2>&1 &
rpid=$!
wait_until 10 test -e "$TMPD/ready" || fail "receiver did not start"
kside timeout 30 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(bytes(1000), ("198.18.0.2", 7600))
' || fail "sender"
wait_until 10 sh -c "[ \"\$(timeout 30 '$TAPSOCK' stat --lab '$LAB' -z | awk '\$1 == \"UdpRcvbufErrors\" { print \$2 }')\" -gt 0 ]" ||
	fail "no UdpRcvbufErrors"
touch "$TMPD/go"
wait "$rpid" || fail "receiver: $(cat "$TMPD/recv.out")"
got=$(awk '/^got/ { print $2 }' "$TMPD/recv.out")
assert_contains "$(cat "$TMPD/recv.out")" "rcvbuf 16384" "SO_RCVBUF doubled"
assert_ge "$got" 1 "some datagrams were kept"
[ "$got" -lt 3000 ] || fail "all 3000 kept: the queue is not bounded"
drops=$(stat_get UdpRcvbufErrors)
assert_ge "$drops" 1 "drops counted"
# Nothing queued beyond what was counted in (datagrams the kernel's TAP
# queue dropped before the engine saw them are neither).
assert_ge "$(stat_get UdpInDatagrams)" "$got" "delivered datagrams were counted"
pass
