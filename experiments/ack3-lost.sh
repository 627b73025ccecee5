#!/bin/bash
#% order: 5
#% summary: the handshake's final ACK is lost: the server resends its SYN-ACK, or the client's data completes it
# A fault rule drops the client's first pure ACK (the third step of the
# handshake).  1) The client sends nothing: the server, still in
# SYN-RECEIVED, resends its SYN-ACK after its initial RTO and the client
# acknowledges again.  2) The client sends data at once: the data segment
# carries the same acknowledgement and completes the handshake by itself.
# Kernel column: the kernel is the server (real timers); tapsock column:
# tapsock is the server (time-scaled).
. "$(dirname "$0")/lib.sh"

PORT=8110
lab_up $(scaled_sysctls)
title "ack3-lost: the third step of the handshake is lost"
explain <<'T'
After SYN and SYN-ACK the client is ESTABLISHED (RFC 9293 3.5): connect()
has returned.  The server is not: it is in SYN-RECEIVED until an ACK of its
SYN arrives, and accept() does not return before.  If that ACK is lost, the
server's SYN-ACK timer resends the SYN-ACK (Linux: after 1 s) and the
client answers with another ACK.  Any later segment from the client
carries the same acknowledgement, so data sent right away completes the
handshake without waiting for the timer.
T

column() {
	local side=$1 tag=$2 rule=$3
	say "1) the client sends nothing for 2 s:"
	pair "${tag}1" "$side" $PORT "--accept 1 --close eof" "--hold 2" "$rule"
	expect_re "the client connected at once" "$CLI_OUT" "connected"
	expect_re "the server accepted the connection" "$SRV_OUT" "accepted"
	expect "SYN-ACKs (the first, then the resent one)" "$(seg_count "${tag}1" '^ .*SYN-ACK')" 2
	expect "pure ACKs lost" "$(seg_count "${tag}1" 'ACK 1 \(lost\)')" 1
	say
	say "2) the client sends 100 bytes at once:"
	pair "${tag}2" "$side" $PORT "--accept 1 --close eof" "--send 100 --hold 1" "$rule"
	expect_re "the server accepted the connection" "$SRV_OUT" "accepted"
	expect_re "and read the 100 bytes" "$SRV_OUT" "eof after 100 bytes"
	expect "SYN-ACKs (no resend needed)" "$(seg_count "${tag}2" '^ .*SYN-ACK')" 1
}

title "kernel column: the kernel is the server, the client on tapsock"
if need_tcp_shim; then
	column k k "drop dir out flags ack nth 1"
fi
title "tapsock column: tapsock is the server, the client on the kernel side"
if need_tcp_shim; then
	say_scale
	PAIR_SCALE=$SCALE
	column e e "drop dir in flags ack nth 1"
fi
title "what happened"
explain <<'T'
In 1) connect() returned at once, but accept() only after the server's
SYN-ACK timer fired (1 s on Linux; 50 ms, i.e. 1 s unscaled, on tapsock)
and the client acknowledged the resent SYN-ACK.  In 2) the first data
segment acknowledged the SYN-ACK too, so the server accepted it at once and
the lost ACK did not matter.
T
finish
