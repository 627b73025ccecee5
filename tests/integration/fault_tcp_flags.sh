#!/bin/bash
# TCP segment classes matched on real segments the kernel builds: a rule
# dropping incoming SYNs catches the kernel side's connection attempts
# (matched = acted >= 1) and nothing of them reaches the engine's IP layer
# (no ICMP or RST comes back, IpInReceives does not move for them); a
# syn-ack rule sees nothing.
. "$(dirname "$0")/lib.sh"

command -v nc >/dev/null 2>&1 || fail "needs nc (tests/check installs it)"
lab_up
ts fault add --lab "$LAB" drop dir in flags syn-ack >/dev/null || fail "fault add syn-ack"
ts fault add --lab "$LAB" drop dir in proto tcp port 7 flags syn >/dev/null || fail "fault add syn"
# Warm the neighbour entries so only TCP crosses the link below.
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "ping failed"
in0=$(stat_get IpInReceives)
if kside timeout 10 nc -z -w 1 "$ENGINE_IP" 7 >/dev/null 2>&1; then
	fail "connect succeeded through a rule dropping every SYN"
fi
json=$(ts fault list --lab "$LAB" --json) || fail "fault list"
m1=$(echo "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["matched"])')
m2=$(echo "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[1]["matched"])')
a2=$(echo "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[1]["acted"])')
assert_eq "$m1" 0 "syn-ack rule matched"
assert_ge "$m2" 1 "syn rule matched"
assert_eq "$a2" "$m2" "syn rule acted on every match"
assert_eq "$(stat_get IpInReceives)" "$in0" "IpInReceives for dropped SYNs"
assert_eq "$(stat_get IcmpOutDestUnreachs)" 0 "ICMP errors for dropped SYNs"
assert_eq "$(stat_get TsExtFaultDrops)" "$a2" "TsExtFaultDrops"
pass
