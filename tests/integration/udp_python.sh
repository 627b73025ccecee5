#!/bin/bash
# python3 (unmodified) through the shim: a preloaded UDP echo server
# answers a kernel-side client, and a preloaded client talks to a
# kernel-side echo server.  Each side checks the data and the addresses.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"

# Preloaded server, kernel client.
ts run --lab "$LAB" -- timeout 20 python3 "$U/echo_server.py" 0.0.0.0 7000 3 \
	"$TMPD/ready" >"$TMPD/srv.out" 2>&1 &
spid=$!
wait_until 10 test -e "$TMPD/ready" || fail "preloaded server did not start: $(cat "$TMPD/srv.out")"
out=$(kside timeout 15 python3 "$U/echo_client.py" "$ENGINE_IP" 7000 alpha beta gamma) ||
	fail "kernel client: $out"
assert_contains "$out" "echo alpha from $ENGINE_IP 7000" "echo from the engine"
assert_contains "$out" "echo gamma from $ENGINE_IP 7000" "third echo"
wait "$spid" || fail "preloaded server exited badly: $(cat "$TMPD/srv.out")"
assert_eq "$(grep -c "^from $KERNEL_IP " "$TMPD/srv.out")" 3 "server saw the kernel side"

# Kernel server, preloaded client.
kside timeout 20 python3 "$U/echo_server.py" "$KERNEL_IP" 7001 3 "$TMPD/kready" \
	>"$TMPD/ksrv.out" 2>&1 &
kpid=$!
wait_until 10 test -e "$TMPD/kready" || fail "kernel server did not start"
out=$(ts run --lab "$LAB" -- timeout 15 python3 "$U/echo_client.py" "$KERNEL_IP" 7001 \
	one two three) || fail "preloaded client: $out"
assert_contains "$out" "echo three from $KERNEL_IP 7001" "echo through the engine"
wait "$kpid" || fail "kernel server exited badly"
assert_eq "$(grep -c "^from $ENGINE_IP " "$TMPD/ksrv.out")" 3 "kernel side saw the engine address"
# The client's port is the one the server saw.
port=$(awk '/^local/ { print $3 }' <<<"$out")
grep -q "^from $ENGINE_IP $port " "$TMPD/ksrv.out" || fail "source port $port not seen"
pass
