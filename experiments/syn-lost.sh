#!/bin/bash
#% order: 3
#% summary: the client's SYN is lost: retransmitted at 1, 2, 4, 8 ... s, then ETIMEDOUT
# A connection attempt whose SYNs a fault rule drops.  Kernel column: the
# kernel connects to the engine, every SYN dropped as it reaches the engine
# (real 1 s timers, net.ipv4.tcp_syn_retries=2 in the lab: gives up after
# 1+2+4 = 7 s).  tapsock column: a program on tapsock connects to the
# kernel, the engine's outgoing SYNs dropped; first the first SYN only,
# then all of them (tcp_syn_retries=6, Linux's default, time-scaled).
. "$(dirname "$0")/lib.sh"

lab_up $(scaled_sysctls)
title "syn-lost: the SYN never arrives"
explain <<'T'
RFC 9293 3.8.1 and RFC 6298 5: a SYN that is not answered is sent again
when the retransmission timer expires, and the timer doubles each time
(exponential backoff).  Linux starts at 1 s (RFC 6298 2.1's initial RTO) and
gives up after net.ipv4.tcp_syn_retries retransmissions (default 6: SYNs at
0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s).
T

title "kernel column: Linux connects to 198.18.0.2:7, every SYN dropped on arrival"
ksysctl net.ipv4.tcp_syn_retries=2
# Linux 6.x (net.ipv4.tcp_syn_linear_timeouts, default 4) retransmits the
# first SYNs at a linear 1 s; the classic doubling is what this shows.
if ks test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
	ksysctl net.ipv4.tcp_syn_linear_timeouts=0
	say "net.ipv4.tcp_syn_linear_timeouts=0 in the lab: this kernel's default (4) would resend"
	say "the first 4 SYNs every 1 s (linear) before doubling; the give-up time is the same."
fi
ks ping -c 1 -W 2 "$EIP" >/dev/null 2>&1
timeout 10 "$TAPSOCK" fault add --lab "$LAB" drop dir in flags syn port 7 >/dev/null
cap_start kernel
out=$(ks python3 -u "$TOOL" client "$EIP" 7 --timeout 30 --close)
cap_stop kernel
say "net.ipv4.tcp_syn_retries=2 in the lab (real timers: 1 s, 2 s, 4 s)"
show program "$out"
ladder kernel --port 7
nsyn=$("$TAPSOCK" plot "$WORK/kernel.pcap" --port 7 --text | grep -c 'SYN seq=0')
expect "Linux sent the SYN 1 + tcp_syn_retries times" "$nsyn" 3
expect_re "connect() failed with ETIMEDOUT" "$out" "connect ETIMEDOUT"
timeout 10 "$TAPSOCK" fault clear --lab "$LAB" >/dev/null
if need_tcp_shim; then
	say
	say "Only the first SYN lost, a listener on tapsock (rule: drop dir in flags syn nth 1):"
	pair konce e 8007 "--accept 1 --close eof" "--timeout 30 --close" "drop dir in flags syn nth 1"
	expect_re "Linux connected with its retransmitted SYN" "$CLI_OUT" "connected"
	expect "SYNs sent (1 lost + 1 resent)" "$(seg_count konce 'SYN seq=0')" 2
fi

title "tapsock column: a program on tapsock connects to 198.18.0.1:8007"
say_scale
if need_tcp_shim; then
	bg_ks "$WORK/ksrv.out" python3 -u "$TOOL" server "$KIP" 8007 --accept 1 --close eof --timeout 30
	wait_line 5 "$WORK/ksrv.out" listening
	say
	say "1) The first SYN is lost (rule: drop dir out flags syn nth 1):"
	timeout 10 "$TAPSOCK" fault add --lab "$LAB" drop dir out flags syn nth 1 >/dev/null
	cap_start once
	out=$(es python3 -u "$TOOL" client "$KIP" 8007 --timeout 30 --close)
	cap_stop once
	show program "$out"
	ladder once --port 8007 --scale "$SCALE"
	expect_re "connected after the retransmitted SYN" "$out" "connected"
	timeout 10 "$TAPSOCK" fault clear --lab "$LAB" >/dev/null
	say
	say "2) Every SYN is lost (tcp_syn_retries=6, Linux's default):"
	timeout 10 "$TAPSOCK" fault add --lab "$LAB" drop dir out flags syn >/dev/null
	cap_start all
	out=$(es python3 -u "$TOOL" client "$KIP" 8007 --timeout 60 --close)
	cap_stop all
	show program "$out"
	ladder all --port 8007 --scale "$SCALE"
	nsyn=$("$TAPSOCK" plot "$WORK/all.pcap" --trace "$WORK/all.json" --port 8007 --text |
		grep -c 'SYN seq=0')
	expect "tapsock sent the SYN 1 + tcp_syn_retries times" "$nsyn" 7
	expect_re "connect() failed with ETIMEDOUT" "$out" "connect ETIMEDOUT"
	secs=$(printf '%s' "$out" | sed -n 's/.*ETIMEDOUT after \([0-9.]*\) s.*/\1/p')
	[ -n "$secs" ] && say "gave up after $secs s; unscaled: $(python3 -c "print(round($secs*$SCALE,1))") s (Linux: 127 s)"
fi
title "what happened"
explain <<'T'
Each lost SYN was sent again when the retransmission timer fired, and each
wait was twice the one before (1, 2, 4 s on Linux; the same doubling, time-
scaled, on tapsock).  When a SYN finally got through, connect() returned as
if nothing had happened, only late.  When none did, connect() failed with
ETIMEDOUT after tcp_syn_retries retransmissions.
T
finish
