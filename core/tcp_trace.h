/* What the TCP engine tells the trace ring (trace.h): state transitions,
 * timer firings, retransmissions and drops, each line opening with the
 * connection's 4-tuple, local end first, as ss prints it:
 *
 *   198.18.0.2:40000 198.18.0.1:80 SYN-SENT -> ESTAB
 *   198.18.0.2:40000 198.18.0.1:80 rto fired backoff=0 rto=1000ms
 *   198.18.0.2:40000 198.18.0.1:80 retrans seq=1..1449 len=1448 reason=fast abs=536870913
 *   198.18.0.2:40000 198.18.0.1:80 drop TcpExtPAWSEstab
 *
 * Every macro costs one pointer test while nobody traces; the 4-tuple is
 * formatted only when someone does.  State changes go through
 * ts_tcp_state_set, which always assigns tcb->state. */
#ifndef TS_TCP_TRACE_H
#define TS_TCP_TRACE_H

#include <stdint.h>

#include "engine.h"
#include "tcp.h"
#include "trace.h"

/* "<laddr>:<lport> <raddr>:<rport> " and fmt, stamped now.  Use
 * TS_TCP_TRACE, which tests the ring first. */
void ts_tcp_trace_emit(const struct ts_tcb *tcb, uint64_t now, unsigned kind, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));
/* "<4-tuple> OLD -> NEW[ (why)]". */
void ts_tcp_trace_state(const struct ts_tcb *tcb, int state, const char *why, uint64_t now);
/* "<4-tuple> retrans seq=REL..REL len=N reason=WHY abs=SEQ": sequence
 * numbers relative to our ISN (the SYN is 0), the end exclusive, as
 * tcpdump prints them; flags count a SYN or FIN in the range. */
void ts_tcp_trace_rxt(const struct ts_tcb *tcb, uint64_t now, uint8_t flags, uint32_t seq,
		      uint32_t len, const char *why);
/* "<4-tuple> drop Counter[ (why)]" (why: "" for none). */
void ts_tcp_trace_drop(const struct ts_tcb *tcb, uint64_t now, const char *counter,
		       const char *why);
/* A segment dropped before (or without) a TCB: "<dst>:<dport>
 * <src>:<sport> drop Counter[ (why)]" (local end first, as for a TCB). */
void ts_tcp_trace_seg_drop(struct ts_engine *eng, const struct tcp_seg *seg, const char *counter,
			   const char *why);

#define TS_TCP_TRACE(tcb, now, kind, ...)                                                          \
	do {                                                                                       \
		if ((tcb)->eng->trace.ring != NULL)                                                \
			ts_tcp_trace_emit((tcb), (now), (kind), __VA_ARGS__);                      \
	} while (0)

#define TS_TCP_TRACE_RXT(tcb, now, flags, seq, len, why)                                           \
	do {                                                                                       \
		if ((tcb)->eng->trace.ring != NULL)                                                \
			ts_tcp_trace_rxt((tcb), (now), (flags), (seq), (len), (why));              \
	} while (0)

/* A drop path with a TCB: bumps eng->stats.counter once (as TS_DROP) and
 * traces "<4-tuple> drop counter (why)", marked seen so ts_trace_drops
 * does not tell it again.  why: a string literal, "" for none. */
#define TS_TCP_DROP(tcb, now, counter, why)                                                        \
	do {                                                                                       \
		struct ts_engine *eng_ = (tcb)->eng;                                               \
		eng_->stats.counter++;                                                             \
		if (eng_->trace.ring != NULL) {                                                    \
			ts_tcp_trace_drop((tcb), (now), #counter, (why));                          \
			eng_->trace.seen.counter++;                                                \
		}                                                                                  \
	} while (0)

/* The same for a segment without a TCB (tuple from the segment). */
#define TS_TCP_SEG_DROP(eng, seg, counter, why)                                                    \
	do {                                                                                       \
		(eng)->stats.counter++;                                                            \
		if ((eng)->trace.ring != NULL) {                                                   \
			ts_tcp_trace_seg_drop((eng), (seg), #counter, (why));                      \
			(eng)->trace.seen.counter++;                                               \
		}                                                                                  \
	} while (0)

/* Every change of tcb->state: traced when it is a change and someone
 * traces (why: "rst", "timeout", "fin", ... or NULL). */
static inline void ts_tcp_state_set(struct ts_tcb *tcb, int state, const char *why,
				    uint64_t now)
{
	if (tcb->eng->trace.ring != NULL && tcb->state != state)
		ts_tcp_trace_state(tcb, state, why, now);
	tcb->state = state;
}

#endif
