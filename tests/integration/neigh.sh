#!/bin/bash
# The kernel's neighbour table learns the engine's MAC (by ARP), and it is
# the MAC the daemon reports in HELLO.
. "$(dirname "$0")/lib.sh"

lab_up
mac=$(ts info --lab "$LAB" | awk '$1 == "mac" { print $2 }')
[ -n "$mac" ] || fail "tapsock info gave no MAC"
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "ping failed"
neigh=$(kside ip neigh show "$ENGINE_IP" dev tap0)
assert_contains "$neigh" "lladdr $mac" "kernel neighbour entry for the engine"
assert_ge "$(stat_get TsExtArpOutReplies)" 1 "TsExtArpOutReplies"
pass
