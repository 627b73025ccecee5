#!/bin/bash
# `tapsock capture -c 4 -w FILE` while the kernel side pings the engine:
# tcpdump reads the file and shows echo requests and replies with
# 198.18.0.2 (an address only the engine owns); a filter that matches
# nothing writes a valid empty capture.
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null 2>&1 || fail "needs tcpdump (tests/check installs it)"
mktmp
lab_up
timeout 30 "$TAPSOCK" capture --lab "$LAB" -c 4 -w "$TMPD/f.pcap" icmp \
	>"$TMPD/cap.out" 2>&1 &
cap=$!
# The file gets its header once the daemon has taken the subscription.
wait_until 10 test -s "$TMPD/f.pcap" || fail "capture did not start"
kside ping -c 3 -i 0.2 -W 2 "$ENGINE_IP" >/dev/null || fail "ping failed"
wait "$cap" || fail "capture exited with $?: $(cat "$TMPD/cap.out")"
assert_contains "$(cat "$TMPD/cap.out")" "4 packets captured" "capture summary"
dump=$(timeout 30 tcpdump -n -r "$TMPD/f.pcap" 2>/dev/null) || fail "tcpdump cannot read it"
assert_eq "$(echo "$dump" | wc -l)" 4 "records in the file"
assert_contains "$dump" "$KERNEL_IP > $ENGINE_IP: ICMP echo request" "echo request"
assert_contains "$dump" "$ENGINE_IP > $KERNEL_IP: ICMP echo reply" "echo reply"
# A filter nothing matches: header only, still a valid pcap.
timeout 30 "$TAPSOCK" capture --lab "$LAB" --duration 1 -w "$TMPD/none.pcap" udp and port 9 \
	>/dev/null 2>&1 || fail "capture --duration failed"
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "ping failed"
assert_eq "$(timeout 30 tcpdump -n -r "$TMPD/none.pcap" 2>/dev/null | wc -l)" 0 \
	"records for a filter nothing matches"
# A bad filter is refused before anything starts.
if err=$(ts capture --lab "$LAB" -w "$TMPD/x.pcap" port http 2>&1); then
	fail "a bad filter was accepted"
fi
assert_contains "$err" "bad port" "bad filter message"
pass
