#!/bin/bash
# select, poll and epoll (level and edge triggered) on a preloaded UDP
# socket wake when a datagram arrives: the fd is a real kernel socket.
. "$(dirname "$0")/lib.sh"

lab_up
U="$TS_SRCDIR/tests/integration/udp"
kside timeout 60 python3 "$U/delayed_server.py" "$KERNEL_IP" 7400 &
kpid=$!
wait_until 10 kside sh -c "ss -Huln | grep -q ':7400 '" || fail "server did not bind"
out=$(ts run --lab "$LAB" -- timeout 40 python3 "$U/poll_wake.py" "$KERNEL_IP" 7400) ||
	fail "poll_wake: $out"
for m in select poll epoll-lt epoll-et error-wake; do
	assert_contains "$out" "ok $m" "$m wakes"
done
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
pass
