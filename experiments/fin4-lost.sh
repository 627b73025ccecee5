#!/bin/bash
#% order: 9
#% summary: the last ACK is lost: LAST-ACK resends its FIN, TIME-WAIT acknowledges it and restarts its 2 MSL timer
# Close step 4 lost: the active closer's last ACK.  See experiments/lib/fin.sh
# for the roles.
. "$(dirname "$0")/lib.sh"
. "$EXP_DIR/lib/fin.sh"

title "fin4-lost: the last ACK is lost"
explain <<'T'
This is why TIME-WAIT exists (RFC 9293 3.6.1): the client, having sent the
last ACK, cannot know whether it arrived.  It waits 2 MSL in TIME-WAIT so
that, if the server (in LAST-ACK) resends its FIN, there is still someone
to acknowledge it; RFC 9293 3.10.7.4 says the retransmitted FIN is
acknowledged and the 2 MSL timeout restarted (Linux does both,
tcp_timewait_state_process).  Without TIME-WAIT the server would get an RST
and its program an error.
T
fin_experiment 4
title "what happened"
explain <<'T'
The server, hearing nothing, resent its FIN from LAST-ACK; the client, in
TIME-WAIT, acknowledged it again (and restarted its TIME-WAIT timer), and
the server closed cleanly, without an RST.
T
finish
