/* TCP connection states (RFC 9293 3.3.2), in the RFC's order, with the
 * names Linux's `ss` prints for display (ESTAB, SYN-SENT, ...). */
#ifndef TS_TCP_FSM_H
#define TS_TCP_FSM_H

enum ts_tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
	TCPS_NSTATES
};

/* At least SYN received from the peer: RFC 9293's "synchronized" states. */
#define TCPS_HAVERCVDSYN(s) ((s) >= TCPS_SYN_RECEIVED)
/* ESTABLISHED or a state after it. */
#define TCPS_HAVEESTABLISHED(s) ((s) >= TCPS_ESTABLISHED)
/* We have sent our FIN (or will not send more data). */
#define TCPS_HAVESENTFIN(s)                                                   \
	((s) == TCPS_FIN_WAIT_1 || (s) == TCPS_FIN_WAIT_2 ||                  \
	 (s) == TCPS_CLOSING || (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)
/* The peer has sent its FIN. */
#define TCPS_HAVERCVDFIN(s)                                                   \
	((s) == TCPS_CLOSE_WAIT || (s) == TCPS_CLOSING ||                     \
	 (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)

/* Linux's `ss` names: "ESTAB", "SYN-SENT", "SYN-RECV", ... ("UNCONN" is
 * ss's name for a closed socket; Linux's TCP_INFO says CLOSE). */
static inline const char *ts_tcp_state_name(int s)
{
	static const char *const names[TCPS_NSTATES] = {
		"UNCONN",     "LISTEN",     "SYN-SENT",   "SYN-RECV",
		"ESTAB",      "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
		"CLOSING",    "LAST-ACK",   "TIME-WAIT",
	};
	return s >= 0 && s < TCPS_NSTATES ? names[s] : "?";
}

/* Linux's TCP_INFO tcpi_state numbering (include/net/tcp_states.h). */
static inline int ts_tcp_state_linux(int s)
{
	static const unsigned char map[TCPS_NSTATES] = {
		7 /* CLOSE */, 10 /* LISTEN */, 2 /* SYN_SENT */,
		3 /* SYN_RECV */, 1 /* ESTABLISHED */, 4 /* FIN_WAIT1 */,
		5 /* FIN_WAIT2 */, 8 /* CLOSE_WAIT */, 11 /* CLOSING */,
		9 /* LAST_ACK */, 6 /* TIME_WAIT */,
	};
	return s >= 0 && s < TCPS_NSTATES ? map[s] : 0;
}

#endif
