#!/bin/bash
# Non-blocking connect through the shim, woken by poll, select and epoll
# (level- and edge-triggered), and blocking connect: to an open port (then
# data flows), to a closed port (ECONNREFUSED from the RST) and to a silent
# address behind the gateway (ETIMEDOUT after net.ipv4.tcp_syn_retries=1;
# not writable before the handshake is over).
. "$(dirname "$0")/lib.sh"

lab_up --sysctl net.ipv4.tcp_syn_retries=1
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
kside timeout 120 python3 "$T/echo_server.py" "$KERNEL_IP" 7100 >"$TMPD/echo.log" 2>&1 &
wait_until 10 grep -q listening "$TMPD/echo.log" || fail "kernel echo server did not start"

check() {
	local want=$1 out
	shift
	out=$(ts run --lab "$LAB" -- timeout 60 python3 "$T/nb_connect.py" "$@" 2>&1) ||
		fail "nb_connect $*: $out"
	for way in poll select epoll_lt epoll_et blocking; do
		assert_contains "$out" "$way $want" "$way to $1:$2"
	done
}
check OK "$KERNEL_IP" 7100 10 echo
check ECONNREFUSED "$KERNEL_IP" 7101 10
# 198.19.255.1 is routed through the gateway (the kernel side), which does
# not forward: the SYNs vanish.
check ETIMEDOUT 198.19.255.1 7102 20 silent
pass
