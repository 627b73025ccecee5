#!/bin/bash
# The kernel's neighbour table learns the engine's MAC (by ARP), and it is
# the MAC the daemon reports in HELLO.  The daemon's --pcap capture shows
# the same exchange.
. "$(dirname "$0")/lib.sh"

mktmp
lab_up --pcap "$TMPD/lab.pcap"
mac=$(ts info --lab "$LAB" | awk '$1 == "mac" { print $2 }')
[ -n "$mac" ] || fail "tapsock info gave no MAC"
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "ping failed"
neigh=$(kside ip neigh show "$ENGINE_IP" dev tap0)
assert_contains "$neigh" "lladdr $mac" "kernel neighbour entry for the engine"
assert_ge "$(stat_get TsExtArpOutReplies)" 1 "TsExtArpOutReplies"

command -v tcpdump >/dev/null || fail "needs tcpdump (tests/check installs it)"
cap=$(timeout 30 tcpdump -n -e -r "$TMPD/lab.pcap" 2>/dev/null)
assert_contains "$cap" "$mac" "pcap: frames from the engine's MAC"
assert_contains "$cap" "Reply $ENGINE_IP is-at $mac" "pcap: the engine's ARP reply"
assert_contains "$cap" "$ENGINE_IP > $KERNEL_IP: ICMP echo reply" "pcap: the echo reply"
pass
