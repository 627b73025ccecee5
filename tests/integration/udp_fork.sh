#!/bin/bash
# A preloaded program forks after making a UDP socket; child and parent
# both use it (the child re-opens its own control connection), and the
# child also makes a new socket.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
kside timeout 60 python3 "$U/echo_server.py" "$KERNEL_IP" 7200 0 "$TMPD/ready" &
kpid=$!
wait_until 10 test -e "$TMPD/ready" || fail "echo server did not start"
out=$(ts run --lab "$LAB" -- timeout 30 python3 "$U/fork.py" "$KERNEL_IP" 7200) ||
	fail "fork: $out"
assert_eq "$out" "ok" "fork test"
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
pass
