/* The trace ring (see trace.h).  Layers emit through TS_TRACE/TS_DROP;
 * tapsockd's stream code (core/daemon/ctl_stream.c) reads events by
 * sequence number and pushes them to `tapsock trace` subscribers. */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[TS_TRACE_KIND_MAX] = {
    [TS_TRACE_STATE] = "state", [TS_TRACE_TIMER] = "timer", [TS_TRACE_RETRANS] = "retrans",
    [TS_TRACE_DROP] = "drop",	[TS_TRACE_FAULT] = "fault", [TS_TRACE_INFO] = "info",
};

int ts_trace_enable(struct ts_trace *tr, uint32_t cap)
{
	uint32_t n = 1;

	if (tr->ring != NULL)
		return 0;
	if (cap == 0)
		cap = TS_TRACE_DEFAULT_CAP;
	if (cap > TS_TRACE_MAX_CAP)
		return -EINVAL;
	while (n < cap)
		n <<= 1;
	tr->ring = calloc(n, sizeof(*tr->ring));
	if (tr->ring == NULL)
		return -ENOMEM;
	tr->cap = n;
	tr->next = 0;
	return 0;
}

void ts_trace_disable(struct ts_trace *tr)
{
	free(tr->ring);
	tr->ring = NULL;
	tr->cap = 0;
	tr->next = 0;
}

void ts_trace_emit(struct ts_trace *tr, uint64_t now, unsigned kind, const char *fmt, ...)
{
	struct ts_trace_ev *ev;
	va_list ap;

	if (tr->ring == NULL)
		return;
	ev = &tr->ring[tr->next & (tr->cap - 1)];
	ev->seq = tr->next++;
	ev->t = now;
	ev->kind = (uint16_t)kind;
	va_start(ap, fmt);
	vsnprintf(ev->msg, sizeof(ev->msg), fmt, ap);
	va_end(ap);
}

uint64_t ts_trace_oldest(const struct ts_trace *tr)
{
	if (tr->ring == NULL || tr->next <= tr->cap)
		return 0;
	return tr->next - tr->cap;
}

const struct ts_trace_ev *ts_trace_get(const struct ts_trace *tr, uint64_t seq)
{
	if (tr->ring == NULL || seq >= tr->next || seq < ts_trace_oldest(tr))
		return NULL;
	return &tr->ring[seq & (tr->cap - 1)];
}

const char *ts_trace_kind_name(unsigned kind)
{
	if (kind >= TS_TRACE_KIND_MAX || kind_names[kind] == NULL)
		return "?";
	return kind_names[kind];
}

int ts_trace_kind_find(const char *name)
{
	for (unsigned k = 1; k < TS_TRACE_KIND_MAX; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (int)k;
	return -1;
}

int ts_stat_is_drop(int i)
{
	static const char *const words[] = {
	    "Err",	 "Discard",  "Drop",	  "Fail",     "NoPorts",  "NoRoutes", "Short",
	    "Malformed", "NotForUs", "Unknown",	  "Overflow", "Martians", "Bad",      "Truncated",
	    "Evicts",	 "Oversize", "RateLimit", "PAWS",     "Lost",
	};
	const char *name = ts_stat_name(i);

	/* Trace's own losses are reported in every stream message; as an
	 * event they would only add to what overflows. */
	if (name == NULL || strcmp(name, "TsExtTraceLost") == 0)
		return 0;
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (strstr(name, words[k]) != NULL)
			return 1;
	return 0;
}

/* ts_stat_is_drop, remembered: the names never change. */
static int drop_counter(int i)
{
	static signed char known[TS_STAT_COUNT]; /* 0: not yet, 1: drop, -1: not */

	if (known[i] == 0)
		known[i] = ts_stat_is_drop(i) ? 1 : -1;
	return known[i] > 0;
}

void ts_trace_sync(struct ts_trace *tr, const struct ts_stats *st)
{
	tr->seen = *st;
}

void ts_trace_drops(struct ts_trace *tr, uint64_t now, const struct ts_stats *st)
{
	uint64_t *seen = (uint64_t *)&tr->seen;

	if (tr->ring == NULL)
		return;
	for (int i = 0; i < TS_STAT_COUNT; i++) {
		uint64_t v = ts_stat_get(st, i);

		/* Lower: the counters were reset; start again from there. */
		if (v > seen[i] && drop_counter(i))
			ts_trace_emit(tr, now, TS_TRACE_DROP, "%s +%llu", ts_stat_name(i),
				      (unsigned long long)(v - seen[i]));
		seen[i] = v;
	}
}
