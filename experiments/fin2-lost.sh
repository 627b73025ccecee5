#!/bin/bash
#% order: 7
#% summary: the ACK of the first FIN is lost: the closer resends its FIN, the peer acknowledges again
# Close step 2 lost: the passive side's ACK of the first FIN.  See
# experiments/lib/fin.sh for the roles.
. "$(dirname "$0")/lib.sh"
. "$EXP_DIR/lib/fin.sh"

title "fin2-lost: the ACK of the first FIN is lost"
explain <<'T'
The server acknowledges the client's FIN at once and waits (CLOSE-WAIT)
for its program to close.  The ACK is lost, so the client stays in
FIN-WAIT-1 and, when its retransmission timer fires, sends the FIN again;
the server, which already has it, answers with a duplicate ACK (RFC 9293
3.10.7.4: an old segment is acknowledged), and the client moves on to
FIN-WAIT-2.
T
fin_experiment 2
title "what happened"
explain <<'T'
The FIN had arrived; only its acknowledgement was lost.  The client could
not know that, so its timer resent the FIN and the server acknowledged it
again.  The rest of the close (the server's FIN one second later, the last
ACK) went as usual.
T
finish
