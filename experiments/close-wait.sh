#!/bin/bash
#% order: 2
#% summary: a server that never closes piles up CLOSE_WAIT; the client waits in FIN_WAIT_2 until tcp_fin_timeout
# Three clients connect and close at once; the server accepts them and
# never calls close().  Its sockets sit in CLOSE_WAIT for as long as it
# runs; the clients' closed sockets sit in FIN_WAIT_2 until
# net.ipv4.tcp_fin_timeout (3 s here), and one that only shutdown() its
# sending side stays there.  Kernel column: all on the kernel side.
# tapsock column: the server on tapsock, the clients on the kernel side,
# then the clients on tapsock and the server on the kernel side.
. "$(dirname "$0")/lib.sh"

PORT=8090
lab_up $(scaled_sysctls)
title "close-wait: a server that never closes"
explain <<'T'
RFC 9293 3.6: the side that receives a FIN moves to CLOSE-WAIT and stays
there until its program calls close(): the stack cannot close for it.  A
server that forgets to close accumulates CLOSE_WAIT sockets (each holds a
file descriptor and buffers) for as long as it runs.  The other side, once
its FIN is acknowledged, waits in FIN-WAIT-2 for the peer's FIN.  If its
program has closed the socket (an orphan), Linux gives up after
net.ipv4.tcp_fin_timeout (default 60 s) instead of waiting forever; a
socket that only called shutdown(SHUT_WR) is still owned and waits as long
as its program keeps it.
T
ksysctl net.ipv4.tcp_fin_timeout=3

# Runs the scenario: server on $1 ($2: ks or es), clients ($3: ks or es).
# Every wait is bounded and polls the states; no check depends on speed.
scenario() {
	local sip=$1 srun=$2 crun=$3 tag=$4 out spid t0
	if [ "$srun" = ks ]; then
		bg_ks "$WORK/$tag.srv" python3 -u "$TOOL" server "$sip" $PORT --accept 4 --close never --hold 40
	else
		bg_es "$WORK/$tag.srv" python3 -u "$TOOL" server "$sip" $PORT --accept 4 --close never --hold 40
	fi
	spid=$!
	wait_line 10 "$WORK/$tag.srv" listening
	t0=$(date +%s.%N)
	out=$($crun python3 -u "$TOOL" client "$sip" $PORT --count 3 --close)
	if [ "$crun" = ks ]; then
		bg_ks "$WORK/$tag.half" python3 -u "$TOOL" client "$sip" $PORT --shutdown --hold 40
	else
		bg_es "$WORK/$tag.half" python3 -u "$TOOL" client "$sip" $PORT --shutdown --hold 40
	fi
	hpid=$!
	show clients "$out"
	wait_line 10 "$WORK/$tag.half" shutdown
	show "4th client" "$(cat "$WORK/$tag.half")"
	wait_for 10 counts_are 4 4
	states "$tag" a "$t0"
	say "  waiting (at most 20 s) for the orphans' tcp_fin_timeout (3 s) ..."
	wait_for 20 counts_are 4 1
	states "$tag" b "$t0"
	kill "$spid" "$hpid" 2>/dev/null
	wait "$spid" "$hpid" 2>/dev/null
	say "  the server and the 4th client exit (killed):"
	wait_for 10 counts_are 0 0
	states "$tag" c "$t0"
}

count_all() {
	echo $(($(kss_count "$1" $PORT) + $(ess_count "$1" $PORT)))
}

counts_are() {
	[ "$(count_all close-wait)" = "$1" ] && [ "$(count_all fin-wait-2)" = "$2" ]
}

# The states on each stack: the kernel's from ss, tapsock's from tapsock ss.
states() {
	local tag=$1 when=$2 kcw kfw ecw efw
	kcw=$(kss_count close-wait $PORT)
	kfw=$(kss_count fin-wait-2 $PORT)
	ecw=$(ess_count close-wait $PORT)
	efw=$(ess_count fin-wait-2 $PORT)
	say "  at $(python3 -c "print('%.1f' % ($(date +%s.%N) - $3))") s: kernel: CLOSE-WAIT $kcw, FIN-WAIT-2 $kfw; tapsock: CLOSE-WAIT ${ecw:-?}, FIN-WAIT-2 ${efw:-?}"
	eval "${tag}_cw_$when=$((kcw + ${ecw:-0}))"
	eval "${tag}_fw_$when=$((kfw + ${efw:-0}))"
}

# Checks of one run; $2 names where the server and clients ran.
verdicts() {
	local tag=$1 s=$2 c=$3
	eval "expect \"CLOSE_WAIT sockets ($s)\" \"\$${tag}_cw_a\" 4"
	eval "expect \"FIN_WAIT_2 sockets ($c: 3 closed + 1 shut down)\" \"\$${tag}_fw_a\" 4"
	eval "expect \"CLOSE_WAIT after tcp_fin_timeout ($s: the server still has them)\" \"\$${tag}_cw_b\" 4"
	eval "expect \"FIN_WAIT_2 after tcp_fin_timeout ($c: only the shutdown() one)\" \"\$${tag}_fw_b\" 1"
	eval "expect \"nothing left once the server exits\" \"\$${tag}_cw_c/\$${tag}_fw_c\" 0/0"
}

title "kernel column: server and clients on the kernel side"
scenario "$KIP" ks ks k
verdicts k kernel kernel

title "tapsock column 1: server on tapsock, clients on the kernel side"
if need_tcp_shim && have_ess; then
	say_scale
	scenario "$EIP" es ks t1
	verdicts t1 tapsock kernel
	title "tapsock column 2: clients on tapsock, server on the kernel side"
	scenario "$KIP" ks es t2
	verdicts t2 kernel tapsock
elif [ -z "$SKIP_WHY" ]; then
	say "tapsock column: needs tapsock ss to read states; skipped."
	SKIP_WHY="needs tapsock ss"
fi
title "what happened"
explain <<'T'
Each client's close() sent a FIN; the server's stack acknowledged it and
moved the connection to CLOSE-WAIT, where it stays until the server calls
close() (here: when it exits).  The closed clients' sockets, orphans in
FIN-WAIT-2, were dropped after tcp_fin_timeout (RFC 9293 leaves FIN-WAIT-2
unbounded; Linux bounds it for orphans only).  The client that called
shutdown(SHUT_WR) still owned its socket, so it stayed in FIN-WAIT-2 until
its program exited.  When the server finally exited, its close() sent FINs;
peers that had forgotten the connection answered with RST, the one still
in FIN-WAIT-2 acknowledged and went to TIME-WAIT.
T
finish
