#!/bin/bash
# A multi-threaded preloaded sender: 4 threads share one UDP socket (and
# each makes its own for acks) while a kernel-side server records every
# datagram; all 1000 arrive, from the one shared port of 198.18.0.2.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
kside timeout 120 python3 "$U/ack_server.py" "$KERNEL_IP" 7300 "$TMPD/seen" &
kpid=$!
wait_until 10 kside sh -c "ss -Huln | grep -q ':7300 '" || fail "ack server did not bind"
out=$(ts run --lab "$LAB" -- timeout 100 python3 "$U/threads.py" "$KERNEL_IP" 7300 4 250) ||
	fail "threads: $out"
assert_contains "$out" "ok " "every datagram acked"
port=$(awk '{ print $2 }' <<<"$out")
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
wait_until 5 test -s "$TMPD/seen" || fail "ack server wrote nothing"
assert_eq "$(wc -l <"$TMPD/seen")" 1000 "distinct datagrams seen"
assert_eq "$(grep -c "^$ENGINE_IP $port " "$TMPD/seen")" 1000 "all from the shared socket"
pass
