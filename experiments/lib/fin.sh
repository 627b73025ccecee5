# The four close-step experiments (experiments/fin1-lost.sh ... fin4-lost.sh),
# sourced after lib.sh: fin_experiment N runs step N lost.
#
#   client (active closer)                server (passive closer)
#   close()  ---- FIN (step 1) ---->       CLOSE-WAIT
#   FIN-WAIT-2 <--- ACK (step 2) ----      (the server waits 1 s, then close())
#   TIME-WAIT  <--- FIN (step 3) ----      LAST-ACK
#              ---- ACK (step 4) ---->     CLOSED
#
# Steps 1 and 2 are repaired by the client's retransmission timer, steps 3
# and 4 by the server's; the column "under test" is the stack whose timer
# repairs it: tapsock column = that side on tapsock, the other on the
# kernel; kernel column = the other way round.  Same fault rule both times
# (only its direction flips).

PORT=8130
lab_up $(scaled_sysctls)

# fin_column N UNDER(e|k) TAG
fin_column() {
	local n=$1 under=$2 tag=$3 ours theirs side rule
	if [ "$under" = e ]; then ours=out theirs=in; else ours=in theirs=out; fi
	case $n in
	1) rule="drop dir $ours flags fin nth 1" ;;
	2) rule="drop dir $theirs flags ack nth 1" ;;
	3) rule="drop dir $ours flags fin nth 1" ;;
	4) rule="drop dir $theirs flags ack nth 2" ;;
	esac
	# Steps 1-2: the client is under test; 3-4: the server.
	if [ "$n" -le 2 ]; then
		if [ "$under" = e ]; then side=k; else side=e; fi
	else
		side=$under
	fi
	pair "$tag" "$side" $PORT "--accept 1 --close eof --linger 1" "--close" "$rule"
	expect_re "the server read EOF and closed" "$SRV_OUT" "eof after 0 bytes"
	expect_re "the client closed" "$CLI_OUT" "closed"
	case $n in
	1 | 3)
		expect "FINs lost" "$(seg_count "$tag" 'FIN .*\(lost\)')" 1
		expect_re "the lost FIN was resent" "$(seg_count "$tag" 'FIN .*\(retrans\)')" "^[1-9]"
		;;
	2 | 4)
		expect "ACKs lost" "$(seg_count "$tag" 'ACK [0-9]+ \(lost\)')" 1
		expect_re "the FIN it acknowledged was resent" "$(seg_count "$tag" 'FIN .*\(retrans\)')" "^[1-9]"
		;;
	esac
}

# fin4, kernel column: tapsock's client holds the TIME-WAIT.  Its timer,
# read with tapsock ss -o, against 2 MSL counted from the first FIN and
# from the retransmitted one (printed, not asserted: it is about time).
tw_restart() {
	local tag=$1 line left now fins t1 t2 twl
	now=$(date +%s.%N)
	line=$(timeout 10 "$TAPSOCK" ss --lab "$LAB" -tano 2>/dev/null | grep TIME-WAIT | grep ":$PORT ")
	left=$(printf '%s' "$line" | sed -n 's/.*timewait,\([0-9.]*\)sec.*/\1/p')
	fins=$(timeout 10 tcpdump -tt -n -r "$WORK/$tag.pcap" \
		"src port $PORT and tcp[tcpflags] & tcp-fin != 0" 2>/dev/null | awk '{ print $1 }')
	t1=$(printf '%s\n' "$fins" | sed -n 1p)
	t2=$(printf '%s\n' "$fins" | sed -n 2p)
	[ -n "$left" ] && [ -n "$t1" ] && [ -n "$t2" ] || return 0
	twl=$((2 * 30000 / SCALE))
	say "  TIME-WAIT restart: tapsock ss -o shows $left s left of 2 MSL = $(python3 -c "print($twl/1000)") s;"
	python3 -c "
n, t1, t2, tw, left = $now, $t1, $t2, $twl / 1000, $left
a, b = tw - (n - t1), tw - (n - t2)
print('  counted from the first FIN it would be %.3f s, from the retransmitted FIN %.3f s:' % (a, b))
print('  the retransmitted FIN %s the timer (RFC 9293 3.10.7.4 says: restart it)' %
      ('restarted' if abs(left - b) < abs(left - a) else 'did NOT restart'))"
}

fin_experiment() {
	local n=$1
	title "kernel column: the kernel's timer repairs it (tapsock is the peer)"
	if need_tcp_shim; then
		fin_column "$n" k k
		[ "$n" = 4 ] && have_ess && tw_restart k
	fi
	title "tapsock column: tapsock's timer repairs it (the kernel is the peer)"
	if need_tcp_shim; then
		say_scale
		PAIR_SCALE=$SCALE
		fin_column "$n" e e
		PAIR_SCALE=1
	fi
}
