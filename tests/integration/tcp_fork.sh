#!/bin/bash
# fork and exec with engine TCP sockets: a preloaded forking echo server
# (the child serves, the parent closes its copy at once) and a preloaded
# server whose child execs (python, which checks the inherited socket is an
# AF_INET stream connected to the client, then cat on it as stdin/stdout);
# kernel-side nc clients send 2 MB each and get the same bytes back, EOF
# propagated both ways (nc -N); and a socket passed over a UNIX socket.
. "$(dirname "$0")/lib.sh"
command -v nc >/dev/null || fail "needs nc (netcat-openbsd)"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
# 2 MB each way on three connections at once, with a server that writes
# before it reads again: the engine's receive window closes while its own
# data waits for ACKs, which the kernel sends from the window's right edge
# (the engine took them as out of window and stalled until 18ee3e6; see
# docs/design.md "TCP through the shim").
head -c 2000000 /dev/urandom >"$TMPD/in"
want=$(sha256sum <"$TMPD/in")

port=7400
for mode in fork exec; do
	port=$((port + 1))
	ts run --lab "$LAB" -- timeout 25 python3 "$T/fork_server.py" 0.0.0.0 "$port" 3 "$mode" \
		>"$TMPD/$mode.log" 2>&1 &
	spid=$!
	wait_until 10 grep -q listening "$TMPD/$mode.log" || fail "$mode server did not start"
	for i in 1 2 3; do
		kside timeout 20 nc -N -n "$ENGINE_IP" "$port" <"$TMPD/in" >"$TMPD/$mode.$i" &
	done
	wait "$spid" || fail "$mode server: $(cat "$TMPD/$mode.log")"
	wait
	for i in 1 2 3; do
		assert_eq "$(sha256sum <"$TMPD/$mode.$i")" "$want" "$mode connection $i echoed"
	done
done
assert_eq "$(grep -c "child sees AF_INET SOCK_STREAM $KERNEL_IP" "$TMPD/exec.log")" 3 \
	"exec'd children see their inherited TCP socket"

# A connected socket passed over a UNIX socket (SCM_RIGHTS) to an unrelated
# preloaded process, which sees an AF_INET stream connected to the server
# and uses it.
kside timeout 30 python3 "$T/echo_server.py" "$KERNEL_IP" 7410 >"$TMPD/echo.log" 2>&1 &
wait_until 10 grep -q listening "$TMPD/echo.log" || fail "kernel echo server did not start"
out=$(ts run --lab "$LAB" -- timeout 20 python3 "$T/fdpass.py" "$KERNEL_IP" 7410 2>&1) ||
	fail "fd passing: $out"
assert_eq "$out" ok "fd passing"

pass
