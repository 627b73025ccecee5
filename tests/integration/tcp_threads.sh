#!/bin/bash
# Threads: a preloaded program with threads blocked at once in accept,
# recv and a connect to a silent address keeps making new connections from
# its main thread (no call waits on the shim's control connection), then
# releases them all.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
kside timeout 60 python3 "$T/echo_server.py" "$KERNEL_IP" 7700 >"$TMPD/echo.log" 2>&1 &
wait_until 10 grep -q listening "$TMPD/echo.log" || fail "kernel echo server did not start"
out=$(ts run --lab "$LAB" -- timeout 40 python3 "$T/threads.py" "$KERNEL_IP" 7700 198.19.255.1 2>&1) ||
	fail "threads: $out"
assert_eq "$out" ok "threads result"
pass
