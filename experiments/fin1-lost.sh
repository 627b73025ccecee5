#!/bin/bash
#% order: 6
#% summary: the first FIN is lost: the closer resends it; an orphan gives up after tcp_orphan_retries
# Close step 1 lost: the active closer's FIN.  Then every FIN of an orphaned
# socket (its program already closed it) lost: the stack gives up after
# net.ipv4.tcp_orphan_retries.  See experiments/lib/fin.sh for the roles.
. "$(dirname "$0")/lib.sh"
. "$EXP_DIR/lib/fin.sh"

title "fin1-lost: the active closer's FIN is lost"
explain <<'T'
close() queues a FIN and the socket enters FIN-WAIT-1 (RFC 9293 3.6).  A
FIN occupies one sequence number, so it is retransmitted like data: when
the retransmission timer fires (Linux: RTO at least 200 ms) it is sent
again, and the close completes late.  The program is long gone (close()
returned at once), so the socket is an orphan: Linux retries it
net.ipv4.tcp_orphan_retries times (0 means 8) instead of tcp_retries2 (15),
then drops the connection.
T
fin_experiment 1

orphan_column() {
	local side=$1 under=$2 tag=$3 dir before after
	if [ "$under" = e ]; then dir=out; else dir=in; fi
	say "every FIN of the orphaned client lost (tcp_orphan_retries=2):"
	pair "$tag" "$side" $PORT "--accept 1 --close never --hold 4" "--close" \
		"drop dir $dir flags fin"
	FINS=$(seg_count "$tag" '^ .*\|-+ FIN')
	say "  FINs sent by the client: $FINS"
	expect_re "the orphaned client resent its FIN" "$(seg_count "$tag" 'FIN .*\(retrans\)')" "^[1-9]"
}
title "orphan retries, kernel column: every FIN of the kernel client lost"
if need_tcp_shim; then
	ksysctl net.ipv4.tcp_orphan_retries=2
	orphan_column e k ko
	KFINS=$FINS
fi
title "orphan retries, tapsock column: every FIN of the tapsock client lost"
if need_tcp_shim; then
	esysctl net.ipv4.tcp_orphan_retries=2
	PAIR_SCALE=$SCALE
	orphan_column k e eo
	# The budget runs from the first RTO retransmission in both (Linux
	# retrans_stamp); a tail loss probe comes first.
	if [ -n "${KFINS:-}" ]; then
		expect "the orphan sent as many FINs as Linux's" "$FINS" "$KFINS"
	fi
fi
title "what happened"
explain <<'T'
With one FIN lost, the closer's retransmission timer resent it and the
close went on as usual: the server saw EOF late, closed, and the client
ended in TIME-WAIT.  With every FIN lost, the orphaned client resent its
FIN a few times and then gave up, leaving the server ESTABLISHED until it
closed by itself (its FIN then met an RST).  The first resend is a tail
loss probe (about 200 ms: 2 SRTT + tcp_rto_min for a lone segment); then
the retransmission timer, doubling.  Linux turns tcp_orphan_retries into
a time budget, 200 ms x (2^(tcp_orphan_retries+1) - 1) = 1.4 s for 2,
counted from the first timer retransmission (retrans_stamp): resends at
about 0.2 (probe), 0.4, 0.8 and 1.7 s, and the next timer, at 3.3 s
(2.9 s into the budget), gives up: 5 FINs.
T
finish
