#!/bin/bash
# `tapsock trace` shows a fault action: a rule dropping the 2nd echo
# reply, a trace subscribed to fault events, three pings; the trace prints
# the rule's action, the JSON form carries the same, and a trace of drops
# names the counter (TsExtFaultDrops +1).
. "$(dirname "$0")/lib.sh"

mktmp
lab_up
ts fault add --lab "$LAB" drop dir out proto icmp nth 2 >/dev/null || fail "fault add"
timeout 30 "$TAPSOCK" trace --lab "$LAB" -c 1 fault >"$TMPD/trace.out" 2>&1 &
tr=$!
timeout 30 "$TAPSOCK" trace --lab "$LAB" --json -c 1 >"$TMPD/trace.json" 2>&1 &
trj=$!
timeout 30 "$TAPSOCK" trace --lab "$LAB" -c 1 drop >"$TMPD/drop.out" 2>&1 &
trd=$!
# All subscribed: the daemon logs each subscription.
two_traces() {
	[ "$(grep -c 'trace started' "/run/tapsock/$LAB.log")" -ge 3 ]
}
wait_until 10 two_traces || fail "trace did not start"
for seq in 1 2 3; do
	kside ping -c 1 -W 1 "$ENGINE_IP" >/dev/null 2>&1 || true
done
wait "$tr" || fail "trace exited with $?: $(cat "$TMPD/trace.out")"
wait "$trj" || fail "trace --json exited with $?: $(cat "$TMPD/trace.json")"
wait "$trd" || fail "trace drop exited with $?: $(cat "$TMPD/drop.out")"
line=$(cat "$TMPD/trace.out")
assert_contains "$line" "fault   rule 1 drop out icmp $ENGINE_IP > $KERNEL_IP" "trace line"
assert_contains "$(cat "$TMPD/trace.json")" '"kind":"fault","msg":"rule 1 drop out icmp' \
	"trace --json"
# Drops are told by the counter that counted them.
assert_contains "$(cat "$TMPD/drop.out")" "drop    TsExtFaultDrops +1" "drop event"
pass
