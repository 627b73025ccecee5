#!/bin/bash
#% order: 4
#% summary: the server's SYN-ACK is lost: resent after the initial RTO (1 s), given up after tcp_synack_retries
# A fault rule drops the first SYN-ACK.  Kernel column: the kernel is the
# server (real 1 s timer), the client on tapsock with a long initial RTO so
# that its own SYN retransmission does not race the kernel's timer.
# tapsock column: tapsock is the server (time-scaled), the kernel the
# client.
. "$(dirname "$0")/lib.sh"

PORT=8100
lab_up $(scaled_sysctls)
title "synack-lost: the SYN-ACK never arrives"
explain <<'T'
The server answers a SYN with a SYN-ACK and keeps the half-open connection
(SYN-RECEIVED, RFC 9293 3.5) with its own retransmission timer: when the
SYN-ACK is lost it sends it again after the initial RTO (Linux: 1 s,
doubling, at most net.ipv4.tcp_synack_retries = 5 times: 1, 3, 7, 15, 31 s,
then the half-open connection is dropped at 63 s).  Meanwhile the client,
which has heard nothing, will resend its SYN after its own RTO; whichever
fires first repairs the handshake (a server answers a repeated SYN with
the SYN-ACK again).
T

title "kernel column: the kernel is the server, its first SYN-ACK dropped"
esysctl net.ipv4.tcp_rto_initial=3000
say "(tapsock client: initial RTO 3 s for this run, so only the kernel's timer acts)"
pair k k $PORT "--accept 1 --close eof" "--close" "drop dir in flags syn-ack nth 1"
esysctl net.ipv4.tcp_rto_initial=$((1000 / SCALE))
expect_re "the client connected" "$CLI_OUT" "connected"
expect "SYN-ACKs on the wire (1 lost + 1 resent)" "$(seg_count k '^ .*SYN-ACK')" 2
expect "the lost one is marked" "$(seg_count k 'SYN-ACK .*\(lost\)')" 1
expect "SYNs sent by the client" "$(seg_count k 'SYN seq=0')" 1

title "tapsock column: tapsock is the server, its first SYN-ACK dropped"
if need_tcp_shim; then
	say_scale
	PAIR_SCALE=$SCALE
	pair e e $PORT "--accept 1 --close eof" "--close" "drop dir out flags syn-ack nth 1"
	expect_re "the client connected" "$CLI_OUT" "connected"
	expect "SYN-ACKs (1 lost + 1 resent)" "$(seg_count e '^ .*SYN-ACK')" 2
	expect "the lost one is marked" "$(seg_count e 'SYN-ACK .*\(lost\)')" 1
	expect "SYNs sent by the kernel client" "$(seg_count e 'SYN seq=0')" 1
	say
	say "Every SYN-ACK lost: tapsock gives up on the half-open connection after"
	say "tcp_synack_retries=5 (Linux's default: 1+2+4+8+16+32 = 63 s, scaled 3.15 s)."
	say "(kernel client: tcp_syn_retries=1, linear SYN timeouts off: one SYN resent at 1 s,"
	say "which draws one more SYN-ACK; it gives up at 3 s)"
	ksysctl net.ipv4.tcp_syn_retries=1
	ks test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts &&
		ksysctl net.ipv4.tcp_syn_linear_timeouts=0
	pair all e $PORT "--accept 1 --close eof --timeout 6" "--timeout 10 --close" \
		"drop dir out flags syn-ack"
	nsa=$(seg_count all '^ .*SYN-ACK')
	say "  SYN-ACKs sent: $nsa"
	expect_re "the client gave up" "$CLI_OUT" "connect ETIMEDOUT"
	expect "SYN-ACKs: 1 + tcp_synack_retries, + 1 for the resent SYN" "$nsa" 7
	wait_for 10 test "$(ess_count syn-recv $PORT)" = 0
	expect "half-open connections left on tapsock" "$(ess_count syn-recv $PORT)" 0
fi
title "what happened"
explain <<'T'
The lost SYN-ACK left the server in SYN-RECEIVED and the client in
SYN-SENT.  The server's retransmission timer fired first (1 s on Linux,
50 ms = 1 s unscaled on tapsock) and the resent SYN-ACK completed the
handshake; the client never had to resend its SYN.  With every SYN-ACK
lost, the server resent it with a doubling timeout tcp_synack_retries
times and then forgot the half-open connection; the client's connect()
failed with ETIMEDOUT after its own SYN retries.
T
finish
