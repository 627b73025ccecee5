#!/bin/bash
# `tapsock lab down` leaves nothing behind: no namespace, no daemon, no
# socket, pid or log file; it is idempotent; `lab up` refuses a name that
# is already up.
. "$(dirname "$0")/lib.sh"

lab_up
pid=$(cat "/run/tapsock/$LAB.pid") || fail "no pid file"
[ -S "/run/tapsock/$LAB.sock" ] || fail "no control socket"
[ -e "/run/netns/$LAB" ] || fail "no namespace"
out=$(ts lab up "$LAB" 2>&1) && fail "a second lab up $LAB succeeded"
assert_contains "$out" "already up" "second lab up"
assert_eq "$(echo "$out" | wc -l)" 1 "second lab up: one-line error"
ts lab list | grep -q "^$LAB .*running" || fail "lab list does not show $LAB running"

lab_down
gone() { [ ! -e "/proc/$pid" ] || grep -q '^[^)]*) [ZX]' "/proc/$pid/stat" 2>/dev/null; }
wait_until 5 gone || fail "tapsockd (pid $pid) still running after lab down"
[ ! -e "/run/netns/$LAB" ] || fail "namespace $LAB left behind"
ip netns list | grep -qw "$LAB" && fail "ip netns list still shows $LAB"
for f in sock pid log; do
	[ ! -e "/run/tapsock/$LAB.$f" ] || fail "/run/tapsock/$LAB.$f left behind"
done
ts lab down "$LAB" || fail "a second lab down failed (must be idempotent)"

# A daemon killed without a chance to clean up leaves a stale socket:
# lab down still removes everything.
lab_up
pid=$(cat "/run/tapsock/$LAB.pid")
kill -9 "$pid"
wait_until 5 gone || fail "tapsockd did not die from SIGKILL"
[ -S "/run/tapsock/$LAB.sock" ] || fail "expected a stale socket file after SIGKILL"
lab_down
[ ! -e "/run/netns/$LAB" ] && [ ! -e "/run/tapsock/$LAB.sock" ] ||
	fail "lab down after SIGKILL left something behind"
pass
