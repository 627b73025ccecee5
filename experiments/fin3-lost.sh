#!/bin/bash
#% order: 8
#% summary: the second FIN is lost: the passive closer (LAST-ACK) resends it, the other side waits in FIN-WAIT-2
# Close step 3 lost: the passive closer's FIN.  See experiments/lib/fin.sh
# for the roles.
. "$(dirname "$0")/lib.sh"
. "$EXP_DIR/lib/fin.sh"

title "fin3-lost: the passive closer's FIN is lost"
explain <<'T'
The server closes one second after reading EOF: its FIN takes it to
LAST-ACK.  The FIN is lost; the client stays in FIN-WAIT-2 (an orphan there
is bounded by tcp_fin_timeout, 60 s, long enough here; a socket that only
called shutdown(SHUT_WR) would wait for ever: see the close-wait
experiment).  The server's retransmission timer resends the FIN, the client
acknowledges it and enters TIME-WAIT.
T
fin_experiment 3
title "what happened"
explain <<'T'
The server's FIN was resent by its retransmission timer from LAST-ACK; the
client, waiting in FIN-WAIT-2, took the retransmitted FIN as if it were the
first, acknowledged it and went to TIME-WAIT.
T
finish
