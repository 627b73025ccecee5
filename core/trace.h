/* The trace ring: a bounded ring of timestamped engine events (state
 * transitions, timer firings, retransmissions, drops named by their
 * counter, fault actions) that `tapsock trace` streams.  Off until someone
 * subscribes: then TS_TRACE costs one pointer test when the ring is off
 * and one snprintf into the ring when it is on.  The oldest events are
 * overwritten; readers keep a sequence number and see how many they lost.
 *
 *   TS_TRACE(eng, TS_TRACE_STATE, "%s:%u %s -> %s", ...);
 *   TS_DROP(eng, TcpInErrs);	// eng->stats.TcpInErrs++ and a "drop" event
 */
#ifndef TS_TRACE_H
#define TS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "stat.h"

enum ts_trace_kind {
	TS_TRACE_STATE = 1, /* a connection changed state */
	TS_TRACE_TIMER,	    /* a timer fired */
	TS_TRACE_RETRANS,   /* a segment was sent again */
	TS_TRACE_DROP,	    /* a packet was dropped: the counter's name */
	TS_TRACE_FAULT,	    /* a fault rule acted */
	TS_TRACE_INFO,	    /* anything else worth a line */
	TS_TRACE_KIND_MAX
};

#define TS_TRACE_MSG 120	  /* bytes of text per event, NUL included */
#define TS_TRACE_DEFAULT_CAP 4096 /* events kept */
#define TS_TRACE_MAX_CAP (1u << 20)

struct ts_trace_ev {
	uint64_t seq; /* 0, 1, 2, ... since the ring was enabled */
	uint64_t t;   /* engine time, µs */
	uint16_t kind;
	char msg[TS_TRACE_MSG];
};

struct ts_trace {
	struct ts_trace_ev *ring; /* NULL: tracing off */
	uint32_t cap;		  /* a power of two */
	uint64_t next;		  /* seq of the next event */
	struct ts_stats seen;	  /* counter values already traced */
};

/* Turns tracing on with room for cap events (rounded up to a power of two,
 * at most TS_TRACE_MAX_CAP; 0: the default).  Already on: keeps the ring.
 * 0, -EINVAL or -ENOMEM. */
int ts_trace_enable(struct ts_trace *tr, uint32_t cap);
/* Turns it off and frees the ring (sequence numbers restart). */
void ts_trace_disable(struct ts_trace *tr);
/* Records one event (no-op when off); the text is cut at TS_TRACE_MSG. */
void ts_trace_emit(struct ts_trace *tr, uint64_t now, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The oldest event still held (== tr->next when empty). */
uint64_t ts_trace_oldest(const struct ts_trace *tr);
/* The event with sequence number seq, or NULL if it is not (or no longer)
 * in the ring. */
const struct ts_trace_ev *ts_trace_get(const struct ts_trace *tr, uint64_t seq);

/* Drops without a per-packet event: every drop counter (ts_stat_is_drop)
 * that grew since the last call (or since ts_trace_sync) gives one event
 * "Name +delta".  tapsockd calls this after every engine run while someone
 * traces, so every layer's drop paths show up without touching them.
 * TS_DROP marks its own increments as seen, so they are not told twice. */
void ts_trace_drops(struct ts_trace *tr, uint64_t now, const struct ts_stats *st);
/* Takes st as already seen (call when tracing starts). */
void ts_trace_sync(struct ts_trace *tr, const struct ts_stats *st);
/* Is counter i a drop (a packet lost, refused or not sent)?  By name:
 * *Err*, *Discard*, *Drop*, *Fail*, *NoPorts, *NoRoutes, *Short,
 * *Malformed, *NotForUs, *Unknown*, *Overflow*, *Martians, *Bad*,
 * *Truncated, *Evicts, *Oversize, *RateLimit*, *PAWS*, *Lost. */
int ts_stat_is_drop(int i);

/* "state", "timer", "retrans", "drop", "fault", "info"; "?" otherwise. */
const char *ts_trace_kind_name(unsigned kind);
/* The kind called name, or -1. */
int ts_trace_kind_find(const char *name);

/* For code that has an engine: the event is stamped with eng->now. */
#define TS_TRACE(eng, kind, ...)                                                                   \
	do {                                                                                       \
		if ((eng)->trace.ring != NULL)                                                     \
			ts_trace_emit(&(eng)->trace, (eng)->now, (kind), __VA_ARGS__);             \
	} while (0)

/* A drop path: bumps the named counter and traces the drop by that name. */
#define TS_DROP(eng, counter)                                                                      \
	do {                                                                                       \
		(eng)->stats.counter++;                                                            \
		if ((eng)->trace.ring != NULL) {                                                   \
			ts_trace_emit(&(eng)->trace, (eng)->now, TS_TRACE_DROP, "%s", #counter);   \
			(eng)->trace.seen.counter++;                                               \
		}                                                                                  \
	} while (0)

#endif
