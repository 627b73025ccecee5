#!/bin/bash
# Differential: TCP bind rules (SO_REUSEADDR, wildcard vs specific,
# TIME_WAIT holders, SO_REUSEPORT groups spreading connections, ephemeral
# port parity, TCP_USER_TIMEOUT inherited by accepted sockets; then with a
# four-port ip_local_port_range: bind(0) to EADDRINUSE, connect() to
# EADDRNOTAVAIL, ports shared across destinations) run on the kernel side
# and through the shim, each against its own address; results identical.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
run_both() {
	kside timeout 60 python3 "$T/bind_calls.py" "$KERNEL_IP" "$1" >"$TMPD/kernel.$1" 2>&1 ||
		fail "bind_calls $1 on the kernel: $(tail -3 "$TMPD/kernel.$1")"
	ts run --lab "$LAB" -- timeout 60 python3 "$T/bind_calls.py" "$ENGINE_IP" "$1" \
		>"$TMPD/shim.$1" 2>&1 ||
		fail "bind_calls $1 through the shim: $(tail -3 "$TMPD/shim.$1")"
	if ! diff -u "$TMPD/kernel.$1" "$TMPD/shim.$1"; then
		fail "the shim differs from the kernel in phase $1 (diff above)"
	fi
}
run_both rules
assert_ge "$(wc -l <"$TMPD/kernel.rules")" 35 "rules table size"
kside sysctl -q -w net.ipv4.ip_local_port_range="40000 40003" ||
	fail "kernel-side ip_local_port_range"
ts sysctl --lab "$LAB" -w net.ipv4.ip_local_port_range="40000 40003" >/dev/null ||
	fail "engine ip_local_port_range"
run_both range
assert_contains "$(cat "$TMPD/kernel.range")" "range: bind(0) #4 -> EADDRINUSE" "full range, bind"
assert_contains "$(cat "$TMPD/kernel.range")" "range: connect #4 -> EADDRNOTAVAIL" "full range, connect"
pass
