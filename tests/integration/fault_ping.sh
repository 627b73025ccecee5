#!/bin/bash
# Fault injection through the CLI: a rule dropping the 2nd ICMP packet in
# makes the 2nd of three pings go unanswered; the rule's counters and the
# engine's TsExtFaultDrops move; list/del/clear and a bad rule behave.
. "$(dirname "$0")/lib.sh"

lab_up
out=$(ts fault add --lab "$LAB" drop dir in proto icmp nth 2) || fail "fault add: $out"
assert_eq "$out" "rule 1: drop dir in proto icmp nth 2" "fault add output"
# Three pings, one at a time (each waits for its reply or 1 s).
ok=0
for seq in 1 2 3; do
	if kside ping -c 1 -W 1 "$ENGINE_IP" >/dev/null 2>&1; then
		ok=$((ok + 1))
	elif [ "$seq" != 2 ]; then
		fail "ping $seq went unanswered"
	fi
done
assert_eq "$ok" 2 "answered pings"
json=$(ts fault list --lab "$LAB" --json) || fail "fault list --json"
assert_eq "$json" '[{"id":1,"rule":"drop dir in proto icmp nth 2","matched":3,"acted":1}]' \
	"rule counters"
assert_eq "$(stat_get TsExtFaultDrops)" 1 "TsExtFaultDrops"
assert_eq "$(stat_get IcmpInEchos)" 2 "IcmpInEchos"
# A rule the parser refuses is explained, and nothing is added.
if err=$(ts fault add --lab "$LAB" drop flags urg 2>&1); then
	fail "a bad rule was accepted"
fi
assert_contains "$err" "flags: expected" "bad rule message"
ts fault add --lab "$LAB" delay 10 proto udp >/dev/null || fail "second rule"
assert_eq "$(ts fault list --lab "$LAB" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "1 2 " \
	"two rules listed"
ts fault del --lab "$LAB" 1 || fail "fault del 1"
if ts fault del --lab "$LAB" 1 2>/dev/null; then
	fail "deleting a missing rule succeeded"
fi
ts fault clear --lab "$LAB" || fail "fault clear"
assert_eq "$(ts fault list --lab "$LAB" --json)" "[]" "rules after clear"
# With no rules every ping is answered again.
out=$(kside ping -c 2 -i 0.2 -W 2 "$ENGINE_IP") || fail "ping after clear: $out"
pass
