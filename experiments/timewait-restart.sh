#!/bin/bash
#% order: 1
#% summary: a server that closes first restarts: EADDRINUSE (TIME_WAIT) unless SO_REUSEADDR
# A server accepts one connection and closes it first (the active close),
# so its side of the connection sits in TIME_WAIT; the server exits and
# restarts on the same port: bind() fails with EADDRINUSE without
# SO_REUSEADDR and succeeds with it.  Kernel column: server and client on
# the kernel side of the lab.  tapsock column: the server on tapsock (the
# daemon outlives it, as a kernel does), the client on the kernel side.
. "$(dirname "$0")/lib.sh"

PORT=8080
lab_up
title "timewait-restart: restarting a server whose connections are in TIME_WAIT"
explain <<'T'
RFC 9293 3.6: the side that closes first (sends the first FIN) ends in
TIME-WAIT for 2 MSL (Linux: 60 s), so that late segments of the old
connection die out and the last ACK can be resent.  While that socket
exists, Linux refuses to bind another socket to the same local address and
port (EADDRINUSE) unless BOTH have SO_REUSEADDR: the new socket, and the
TIME_WAIT one, which inherited the flag from the old listening socket
(Linux inet_bind_conflict: sk->sk_reuse && sk2->sk_reuse).
T

# One round: a server (SO_REUSEADDR $2) on $1:$3 closes first, then two
# restarts are tried.  $4: k (kernel side) or e (tapsock).
round() {
	local ip=$1 reuse=$2 port=$3 side=$4 tag=$5 out b1 b2 run
	if [ "$side" = k ]; then run=ks; else run=es; fi
	if [ "$side" = k ]; then kcap_start "$tag" lo tcp port "$port"; else cap_start "$tag"; fi
	if [ "$side" = k ]; then
		bg_ks "$WORK/$tag.srv" python3 -u "$TOOL" server "$ip" "$port" --accept 1 --close first --reuseaddr "$reuse"
	else
		bg_es "$WORK/$tag.srv" python3 -u "$TOOL" server "$ip" "$port" --accept 1 --close first --reuseaddr "$reuse"
	fi
	wait_line 10 "$WORK/$tag.srv" listening
	out=$(ks python3 -u "$TOOL" client "$ip" "$port" --wait-eof 5 --close)
	wait_for 10 grep -q exit "$WORK/$tag.srv"
	if [ "$side" = k ]; then kcap_stop "$tag"; else cap_stop "$tag"; fi
	show server "$(cat "$WORK/$tag.srv")"
	show client "$out"
	ladder "$tag" --port "$port"
	if [ "$side" = k ]; then
		say "ss -tan state time-wait on the kernel side:"
		kss state time-wait "( sport = :$port )"
		expect "the server's end is in TIME_WAIT" "$(kss_count time-wait "$port")" 1
	elif have_ess; then
		say "tapsock ss:"
		ess
		expect "the server's end is in TIME_WAIT (tapsock ss)" "$(ess_count time-wait "$port")" 1
	else
		say "(tapsock ss is not in this build yet: the binds below show the TIME_WAIT socket)"
	fi
	b1=$($run python3 -u "$TOOL" bind "$ip" "$port" --listen | cut -d' ' -f2-)
	b2=$($run python3 -u "$TOOL" bind "$ip" "$port" --listen --reuseaddr 1 | cut -d' ' -f2-)
	say "restart without SO_REUSEADDR: $b1; restart with SO_REUSEADDR: $b2"
	expect "restart without SO_REUSEADDR" "$b1" "bind EADDRINUSE"
	if [ "$reuse" = 1 ]; then
		expect "restart with SO_REUSEADDR (old server had it too)" "$b2" "bind ok"
	else
		expect "restart with SO_REUSEADDR (old server did not set it)" "$b2" "bind EADDRINUSE"
	fi
}

title "kernel column: server 198.18.0.1, client on the kernel side"
say "Round 1: the old server did not set SO_REUSEADDR (port $PORT)"
round "$KIP" 0 $PORT k k1
say
say "Round 2: the old server set SO_REUSEADDR too (port $((PORT + 1)))"
round "$KIP" 1 $((PORT + 1)) k k2

title "tapsock column: server on tapsock 198.18.0.2, client on the kernel side"
if need_tcp_shim; then
	say "(tapsock's TIME_WAIT lasts 2 x net.ipv4.tcp_msl = 60 s here, as Linux's)"
	say "Round 1: the old server did not set SO_REUSEADDR (port $PORT)"
	round "$EIP" 0 $PORT e t1
	say
	say "Round 2: the old server set SO_REUSEADDR too (port $((PORT + 1)))"
	round "$EIP" 1 $((PORT + 1)) e t2
fi

title "what happened"
explain <<'T'
The server sent the first FIN, so its end of the connection went through
FIN-WAIT-1, FIN-WAIT-2 and into TIME-WAIT when the client's FIN arrived.
The process exited, but the connection lives on in the stack (in tapsockd
for tapsock, which outlives its programs as a kernel does).  The restarted
server's bind() met that TIME_WAIT socket: EADDRINUSE.  With SO_REUSEADDR
on both the old server and the new one the bind succeeds at once, which is
why servers set it before bind(), every time they start.  The client, which
closed second, went through CLOSE-WAIT and LAST-ACK and left nothing behind.
T
finish
