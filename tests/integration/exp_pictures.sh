#!/bin/bash
# tapsock experiment NAME --pcap DIR --svg keeps each capture and trace and
# draws it: ack3-lost leaves pcaps tcpdump reads, fault traces, and SVG
# time-sequence diagrams with the lost ACK crossed out and the resent
# SYN-ACK marked; tapsock plot --text redraws a kept capture.
. "$(dirname "$0")/exp_lib.sh"

command -v tcpdump >/dev/null 2>&1 || fail "needs tcpdump (tests/check installs it)"
mktmp
out=$(TAPSOCK_EXPERIMENTS="$TS_SRCDIR/experiments" timeout 300 "$TAPSOCK" experiment ack3-lost \
	--pcap "$TMPD/pics" --svg 2>&1)
rc=$?
[ "$rc" = 77 ] && { echo "SKIP: $TEST_NAME: $(echo "$out" | tail -1)"; exit 77; }
[ "$rc" = 0 ] || fail "experiment exited $rc: $(echo "$out" | tail -5)"
for tag in k1 k2 e1 e2; do
	[ -s "$TMPD/pics/$tag.pcap" ] || fail "no $tag.pcap"
	[ -e "$TMPD/pics/$tag.json" ] || fail "no $tag.json"
	[ -s "$TMPD/pics/ack3-lost-$tag.svg" ] || fail "no ack3-lost-$tag.svg"
	timeout 30 tcpdump -n -r "$TMPD/pics/$tag.pcap" >/dev/null 2>&1 || fail "tcpdump cannot read $tag.pcap"
done
svg=$(cat "$TMPD/pics/ack3-lost-e1.svg")
assert_contains "$svg" "<svg " "an SVG"
assert_contains "$svg" ">ACK 1 (lost)</text>" "the lost ACK"
assert_contains "$svg" ">SYN-ACK seq=0 ack=1 (retrans)</text>" "the resent SYN-ACK"
assert_contains "$svg" "stroke-dasharray=\"6,4\"" "a crossed-out arrow"
text=$(timeout 30 "$TAPSOCK" plot "$TMPD/pics/e1.pcap" --trace "$TMPD/pics/e1.json" --text)
assert_contains "$text" "ACK 1 (lost)" "plot --text of a kept capture"
pass
