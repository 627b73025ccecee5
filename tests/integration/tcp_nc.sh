#!/bin/bash
# Unmodified OpenBSD nc through the shim, both ways, 20 MB each, bytes
# checked by sha256 and EOF propagated (nc -N shuts down writing at the end
# of its input; the other side's nc exits on EOF): a preloaded client to a
# kernel-side `nc -l`, which must see 198.18.0.2, and a preloaded `nc -l`
# for a kernel-side client.
. "$(dirname "$0")/lib.sh"
command -v nc >/dev/null || fail "needs nc (netcat-openbsd)"

lab_up
mktmp
head -c 20000000 /dev/urandom >"$TMPD/in"

# 1. shim client -> kernel server.
kside timeout 30 nc -n -v -l "$KERNEL_IP" 7000 >"$TMPD/k.out" 2>"$TMPD/k.err" &
kpid=$!
wait_until 5 kside sh -c "ss -Htln | grep -q ':7000 '" || fail "kernel nc did not listen"
ts run --lab "$LAB" -- timeout 25 nc -N -n "$KERNEL_IP" 7000 <"$TMPD/in" ||
	fail "preloaded nc client failed"
wait "$kpid" || fail "kernel nc -l did not exit on EOF"
assert_eq "$(sha256sum <"$TMPD/k.out")" "$(sha256sum <"$TMPD/in")" "client -> kernel sha256"
assert_contains "$(cat "$TMPD/k.err")" "Connection received on $ENGINE_IP" \
	"kernel side sees the engine address"

# 2. kernel client -> shim server.
ts run --lab "$LAB" -- timeout 30 nc -n -l 7001 >"$TMPD/s.out" &
spid=$!
ok=0
for _ in $(seq 50); do
	if kside timeout 25 nc -N -n "$ENGINE_IP" 7001 <"$TMPD/in" 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.2	# the preloaded nc may not listen yet (connection refused)
done
assert_eq "$ok" 1 "kernel nc connected to the preloaded nc -l"
wait "$spid" || fail "preloaded nc -l did not exit on EOF"
assert_eq "$(sha256sum <"$TMPD/s.out")" "$(sha256sum <"$TMPD/in")" "kernel -> server sha256"
pass
