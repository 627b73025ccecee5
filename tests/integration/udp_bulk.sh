#!/bin/bash
# 10,000 request/response datagrams of random sizes up to 65,507 bytes
# (fragmented on the 1500-byte link both ways) between a preloaded python3
# client and a kernel-side echo server; every byte of every reply checked.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
kside timeout 300 python3 "$U/echo_server.py" "$KERNEL_IP" 7100 0 "$TMPD/ready" &
kpid=$!
wait_until 10 test -e "$TMPD/ready" || fail "echo server did not start"
out=$(ts run --lab "$LAB" -- timeout 280 python3 "$U/bulk_client.py" "$KERNEL_IP" 7100 10000 $$) ||
	fail "bulk client: $out"
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
assert_contains "$out" "ok 10000 " "all 10000 echoes byte-exact"
# Datagrams above 1472 bytes (about 98% of them) travel as fragments.
assert_ge "$(stat_get IpReasmOKs)" 9000 "replies were reassembled by the engine"
assert_ge "$(stat_get IpFragOKs)" 9000 "requests were fragmented by the engine"
pass
