#!/bin/bash
# Socket options reach the wire: IP_TTL and IP_TOS set through the shim
# are what the kernel side receives; a subnet broadcast needs SO_BROADCAST
# (EACCES before) and then arrives from 198.18.0.2.
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
pass
