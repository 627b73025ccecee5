#!/bin/bash
# Unmodified OpenBSD nc through the shim, both ways: a preloaded `nc -u`
# sends lines to a kernel-side `nc -u -l`, which sees the engine's address
# 198.18.0.2; a preloaded `nc -u -l` receives from the kernel side.
. "$(dirname "$0")/lib.sh"
command -v nc >/dev/null || fail "needs nc (netcat-openbsd)"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"

# 1. shim client -> kernel server.
kside timeout 20 nc -n -v -u -l 9000 >"$TMPD/k.out" 2>&1 &
kpid=$!
wait_until 5 kside sh -c "ss -Huln | grep -q ':9000 '" || fail "kernel nc did not bind"
(echo one; sleep 0.2; echo two; sleep 0.2; echo three) |
	ts run --lab "$LAB" -- timeout 10 nc -u -w1 "$KERNEL_IP" 9000 ||
	fail "preloaded nc -u failed"
wait_until 5 grep -q three "$TMPD/k.out" || fail "kernel nc got: $(cat "$TMPD/k.out")"
kill "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
out=$(cat "$TMPD/k.out")
assert_contains "$out" "Connection received on $ENGINE_IP" "kernel side sees the engine address"
assert_eq "$(grep -c -x -e one -e two -e three "$TMPD/k.out")" 3 "three lines arrive"

# 2. kernel client -> shim server.  The kernel side keeps sending a first
# line from one port until the preloaded nc has it (it may not be bound
# yet), then two more from the same port (nc -u -l connects to its first
# peer).
ts run --lab "$LAB" -- timeout 20 nc -n -u -l 9001 >"$TMPD/s.out" 2>&1 &
spid=$!
kside timeout 15 python3 - "$TMPD/s.out" <<'PY' || fail "kernel sender failed"
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.1", 41000))
for _ in range(100):
    s.sendto(b"first\n", ("198.18.0.2", 9001))
    time.sleep(0.1)
    if os.path.getsize(sys.argv[1]) > 0:
        break
else:
    sys.exit("the preloaded nc never received")
s.sendto(b"second\n", ("198.18.0.2", 9001))
time.sleep(0.1)
s.sendto(b"third\n", ("198.18.0.2", 9001))
PY
wait_until 5 grep -q third "$TMPD/s.out" || fail "preloaded nc got: $(cat "$TMPD/s.out")"
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
grep -q -x first "$TMPD/s.out" || fail "first line missing"
grep -q -x second "$TMPD/s.out" || fail "second line missing"
pass
