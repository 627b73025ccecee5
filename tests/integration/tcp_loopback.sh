#!/bin/bash
# In-engine loopback: a preloaded server and a preloaded client on the same
# engine talk over 127.0.0.1 and over the engine's own 198.18.0.2 without
# the TAP: 10 MB with nc (sha256, EOF both ways), then 200 connections open
# at once against a preloaded echo server.  The TAP's kernel side must see
# no TCP segment (its counters stay put).
. "$(dirname "$0")/lib.sh"
command -v nc >/dev/null || fail "needs nc (netcat-openbsd)"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
head -c 10000000 /dev/urandom >"$TMPD/in"
k_before=$(kside awk '/^Tcp:/ { n++ } n == 2 { print $11 + $12; exit }' /proc/net/snmp)

port=7200
for addr in 127.0.0.1 "$ENGINE_IP"; do
	port=$((port + 1))
	ts run --lab "$LAB" -- timeout 30 nc -n -l "$addr" "$port" >"$TMPD/out" &
	spid=$!
	ok=0
	for _ in $(seq 50); do
		if ts run --lab "$LAB" -- timeout 25 nc -N -n "$addr" "$port" <"$TMPD/in" 2>/dev/null; then
			ok=1
			break
		fi
		sleep 0.2	# the server may not listen yet
	done
	assert_eq "$ok" 1 "preloaded nc client to $addr"
	wait "$spid" || fail "preloaded nc -l on $addr did not exit on EOF"
	assert_eq "$(sha256sum <"$TMPD/out")" "$(sha256sum <"$TMPD/in")" "10 MB over $addr"
done

ts run --lab "$LAB" -- timeout 60 python3 "$T/echo_server.py" 127.0.0.1 7300 >"$TMPD/echo.log" 2>&1 &
wait_until 10 grep -q listening "$TMPD/echo.log" || fail "preloaded echo server did not start"
out=$(ts run --lab "$LAB" -- timeout 50 python3 "$T/many_client.py" 127.0.0.1 7300 200 20000) ||
	fail "200 connections: $out"
assert_eq "$out" "ok 200" "200 concurrent connections echoed"

k_after=$(kside awk '/^Tcp:/ { n++ } n == 2 { print $11 + $12; exit }' /proc/net/snmp)
assert_eq "$k_after" "$k_before" "no TCP segment crossed the TAP"
pass
