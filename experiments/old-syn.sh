#!/bin/bash
#% order: 11
#% summary: a SYN for a connection the other side still has open: challenge ACK, RST, and the new connection succeeds
# A client connects from a fixed port, then vanishes without its RST
# arriving (a fault rule drops it): the server still has the connection
# ESTABLISHED (half-open).  A new client on the same port sends a SYN with
# a new sequence number: to the server it is an old duplicate or an
# attack, so it answers with a challenge ACK; the client, in SYN-SENT,
# finds that ACK unacceptable and answers with an RST, which kills the
# stale connection; its retransmitted SYN then opens the new one.
# tapsock column: tapsock is the server; kernel column: the kernel is.
. "$(dirname "$0")/lib.sh"

PORT=8140
CPORT=40123
lab_up $(scaled_sysctls)
title "old-syn: a SYN on a connection that is still open (half-open discovery)"
explain <<'T'
RFC 9293 3.10.7.4 (with RFC 5961 4): a SYN that arrives on a synchronized
connection is not believed: the receiver sends a "challenge ACK" carrying
its real sequence numbers and drops the SYN.  RFC 9293 3.10.7.3: a client
in SYN-SENT that receives an ACK for something it never sent answers with
an RST whose sequence number is that ACK's acknowledgment number, exactly
what the server expects next, so the server accepts the RST and drops the
stale connection (RFC 9293 3.5.2, figure 10: half-open connection
discovery).  The client's SYN timer then resends the SYN, and the new
connection is made.
T

column() {
	local side=$1 tag=$2 dir=$3 first second
	say "1) a client connects from port $CPORT and vanishes; its RST is dropped:"
	if [ "$side" = e ]; then
		bg_es "$WORK/$tag.srv" python3 -u "$TOOL" server "$EIP" $PORT --accept 2 --close never --hold 4
		sip=$EIP
	else
		bg_ks "$WORK/$tag.srv" python3 -u "$TOOL" server "$KIP" $PORT --accept 2 --close never --hold 4
		sip=$KIP
	fi
	local spid=$!
	wait_line 10 "$WORK/$tag.srv" listening
	timeout 10 "$TAPSOCK" fault add --lab "$LAB" drop dir "$dir" flags rst nth 1 >/dev/null
	say "  fault rule: drop dir $dir flags rst nth 1"
	cap_start "$tag"
	local crun=ks
	[ "$side" = k ] && crun=es
	first=$($crun python3 -u "$TOOL" client "$sip" $PORT --bind-port $CPORT --reuseaddr 1 --abort)
	show client "$first"
	say "2) a new client on the same port $CPORT connects:"
	second=$($crun python3 -u "$TOOL" client "$sip" $PORT --bind-port $CPORT --reuseaddr 1 --timeout 10 --close)
	show client "$second"
	wait "$spid" 2>/dev/null
	cap_stop "$tag"
	timeout 10 "$TAPSOCK" fault clear --lab "$LAB" >/dev/null
	show server "$(cat "$WORK/$tag.srv")"
	ladder "$tag" --port $PORT $([ "$PAIR_SCALE" != 1 ] && echo --scale "$PAIR_SCALE")
	expect_re "the server answered the new SYN with a challenge ACK" \
		"$(seg_count "$tag" 'challenge ACK')" "^1$"
	expect_re "the first client's RST was lost" "$(seg_count "$tag" 'RST .*\(lost\)')" "^1$"
	expect_re "the new client connected" "$second" "connected"
	expect_re "the server accepted both" "$(grep -c accepted "$WORK/$tag.srv")" "^2$"
	expect_re "the new client answered the challenge ACK with an RST" \
		"$(seg_count "$tag" "RST \(seq = the challenge's ack\)")" "^1$"
	expect_re "and resent its SYN" "$(seg_count "$tag" 'SYN seq=0 \(retrans\)')" "^[1-9]"
}

title "tapsock column: tapsock is the server, the clients on the kernel side"
if need_tcp_shim; then
	c0=$(estat TcpExtTCPChallengeACK)
	column e e in
	c1=$(($(estat TcpExtTCPChallengeACK) - c0))
	say "  tapsock: TcpExtTCPChallengeACK +$c1 (TcpExtTCPSYNChallenge $(estat TcpExtTCPSYNChallenge))"
	expect_re "tapsock sent a challenge ACK" "$c1" "^[1-9]"
fi
title "kernel column: the kernel is the server, the clients on tapsock"
if need_tcp_shim; then
	say "(tapsock clients: time-scaled, so the SYN is resent after 50 ms)"
	PAIR_SCALE=1
	k0=$(kstat TcpExtTCPChallengeACK)
	column k k out
	k1=$(($(kstat TcpExtTCPChallengeACK) - k0))
	say "  kernel: TcpExtTCPChallengeACK +$k1 (TcpExtTCPSYNChallenge $(kstat TcpExtTCPSYNChallenge))"
	expect_re "the kernel sent a challenge ACK" "$k1" "^[1-9]"
fi
title "what happened"
explain <<'T'
The server still had the old connection from port 40123, so the new SYN
looked like an old duplicate.  Instead of resetting (which an attacker
could exploit) it sent a challenge ACK naming its real numbers.  The new
client, which knew nothing of that connection, answered with an RST at
exactly the expected sequence number; the server dropped the stale
connection, and the client's retransmitted SYN opened the new one.
T
finish
