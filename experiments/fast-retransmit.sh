#!/bin/bash
#% order: 10
#% summary: one data segment lost: duplicate ACKs and a fast retransmit before the RTO; then the retransmission lost too: the RTO
# A sender writes 10 full segments at once (10 x 1448 bytes: the initial
# window).  1) A fault rule drops the 5th: the receiver acknowledges every
# later segment with a duplicate ACK (with SACK blocks), and the sender
# resends the 5th after about three of them, long before its RTO.
# 2) The 5th and its retransmission are dropped: nothing is left to
# trigger another fast retransmit, and the RTO resends it.  Kernel column:
# the kernel sends, tapsock receives; tapsock column: the other way round.
. "$(dirname "$0")/lib.sh"

PORT=8120
BYTES=14480
lab_up $(scaled_sysctls)
title "fast-retransmit: a lost segment repaired without waiting for the timer"
explain <<'T'
RFC 5681 3.2: a receiver answers each out-of-order segment with an
immediate duplicate ACK (RFC 2018 SACK blocks name what did arrive).
After three duplicate ACKs the sender retransmits the missing segment at
once (fast retransmit) and enters fast recovery, instead of waiting for
its retransmission timer (RFC 6298: at least 200 ms on Linux, usually
more).  Linux also uses RACK (RFC 8985), which reaches the same decision
from the SACKed segments' send times.  If the retransmission is lost too,
only the RTO is left, and it resends the segment.
T

column() {
	local side=$1 tag=$2 dir=$3
	say "1) the 5th data segment is lost:"
	pair "${tag}1" "$side" $PORT "--accept 1 --close eof" "--send $BYTES --close" \
		"drop dir $dir flags data nth 5"
	expect_re "the receiver got all $BYTES bytes" "$SRV_OUT" "eof after $BYTES bytes"
	expect "segments lost" "$(seg_count "${tag}1" '\(lost\)')" 1
	expect_re "duplicate ACKs" "$(seg_count "${tag}1" '\(dup\)')" "^([2-9]|[1-9][0-9])$"
	expect "data retransmissions" "$(seg_count "${tag}1" 'seq=[0-9]+:.*\(retrans\)')" 1
	say
	say "2) the 5th data segment and its retransmission are lost (the second rule does not"
	say "   see what the first one dropped, so the retransmission is its 10th data segment):"
	pair "${tag}2" "$side" $PORT "--accept 1 --close eof" "--send $BYTES --close" \
		"drop dir $dir flags data nth 5" "drop dir $dir flags data nth 10"
	expect_re "the receiver got all $BYTES bytes" "$SRV_OUT" "eof after $BYTES bytes"
	expect "data retransmissions lost" "$(seg_count "${tag}2" 'seq=[0-9]+:.*\(retrans\) \(lost\)')" 1
	local hole
	hole=$("$TAPSOCK" plot "$WORK/${tag}2.pcap" --trace "$WORK/${tag}2.json" --text |
		grep -m1 'seq=[0-9]*:[0-9]* .*(lost)' | grep -o 'seq=[0-9]*:[0-9]*')
	expect "retransmissions of the hole $hole (fast, then by the RTO)" \
		"$(seg_count "${tag}2" "$hole .*\(retrans\)")" 2
	say "  other retransmissions (e.g. a tail loss probe): $(($(seg_count "${tag}2" 'seq=[0-9]+:.*\(retrans\)') - 2))"
}

title "kernel column: the kernel sends to a receiver on tapsock"
if need_tcp_shim; then
	f0=$(kstat TcpExtTCPFastRetrans)
	column e k in
	say "  kernel counters: TcpExtTCPFastRetrans +$(($(kstat TcpExtTCPFastRetrans) - f0))"
fi
title "tapsock column: tapsock sends to a receiver on the kernel side"
if need_tcp_shim; then
	say_scale
	PAIR_SCALE=$SCALE
	f0=$(estat TcpExtTCPFastRetrans)
	t0=$(estat TcpExtTCPTimeouts)
	column k e out
	f1=$(($(estat TcpExtTCPFastRetrans) - f0))
	t1=$(($(estat TcpExtTCPTimeouts) - t0))
	say "  tapsock counters: TcpExtTCPFastRetrans +$f1, TcpExtTCPTimeouts +$t1"
	expect "tapsock fast retransmits (one per run)" "$f1" 2
	expect_re "tapsock RTO expiries (run 2)" "$t1" "^[1-9]"
fi
title "what happened"
explain <<'T'
In 1) the segments after the hole each drew a duplicate ACK; the sender
resent the missing segment within about one round trip, well before its
RTO, and the receiver's next ACK covered everything.  In 2) the resent
segment was lost as well; no new data was left to draw more duplicate ACKs,
so the sender waited for its retransmission timer and resent it once more.
T
finish
