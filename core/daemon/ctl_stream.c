/* Live streams over the control socket: CAPTURE (pcap records of the
 * frames the engine's tap_hook sees, filtered) and TRACE (events from the
 * engine's trace ring).  A subscription turns its connection into a one-way
 * stream: the daemon pushes CAPTURE_DATA / TRACE_DATA messages (bodies in
 * ctl_proto.h) with non-blocking sends.  A subscriber that does not keep
 * up loses data, counted per subscriber (sent in every message) and in
 * TsExtCaptureDrops / TsExtTraceLost; the engine never waits for one.
 * Registered by tapsockd.c through ts_ctl_stream_register(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "ctl.h"
#include "daemon.h"
#include "trace.h"

#define SUB_CAPTURE 1
#define SUB_TRACE 2
#define MAX_SUBS 64
#define TRACE_EVENTS_PER_MSG 256
#define TRACE_MSGS_PER_FLUSH 16 /* bounded work per loop iteration */

struct sub {
	struct sub *next;
	struct ts_ctl_conn *conn;
	int kind;
	/* capture */
	struct ts_capture_filter filter;
	int lo;
	uint32_t snaplen;
	/* trace */
	unsigned kinds; /* bit per enum ts_trace_kind */
	uint64_t next_seq;
	uint64_t lost; /* frames dropped / events lost */
};

static struct sub *subs;
static int ncapture, ntrace;
static uint8_t body[TS_CTL_MAX_BODY];
static uint8_t msg[TS_CTL_MAX_MSG];

static int push(struct ts_ctl_conn *c, unsigned op, size_t len)
{
	int n = ts_ctl_msg_build(msg, sizeof(msg), op, 0, 0, body, len);

	if (n < 0)
		return n;
	return ts_ctl_send(c->fd, msg, (size_t)n, NULL, 0);
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void on_frame(struct ts_daemon *d, int dir, const struct pktbuf *frame, int l2)
{
	struct ts_frame_info fi;
	int parsed = 0;

	for (struct sub *s = subs; s != NULL; s = s->next) {
		int n, r;

		if (s->kind != SUB_CAPTURE || s->conn->closing || (!l2 && !s->lo))
			continue;
		if (s->filter.n > 0) {
			if (!parsed) {
				ts_frame_parse(frame->data, frame->len, l2, &fi);
				parsed = 1;
			}
			if (!ts_capture_filter_match(&s->filter, &fi))
				continue;
		}
		le64(body, s->lost);
		n = ts_pcap_record(body + 8, sizeof(body) - 8, ts_daemon_wall_us(ts_daemon_now()),
				   frame->data, frame->len, l2, s->snaplen);
		if (n < 0)
			continue;
		r = push(s->conn, TS_CTL_OP_CAPTURE_DATA, 8 + (size_t)n);
		if (r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS) {
			s->lost++;
			d->eng.stats.TsExtCaptureDrops++;
		}
	}
}

/* Pushes the events s has not seen yet, a bounded number of messages. */
static void trace_flush_one(struct ts_daemon *d, struct sub *s)
{
	const struct ts_trace *tr = &d->eng.trace;
	uint64_t oldest = ts_trace_oldest(tr);

	if (s->next_seq < oldest) {
		s->lost += oldest - s->next_seq;
		d->eng.stats.TsExtTraceLost += oldest - s->next_seq;
		s->next_seq = oldest;
	}
	for (int m = 0; m < TRACE_MSGS_PER_FLUSH && s->next_seq < tr->next; m++) {
		uint64_t start = s->next_seq;
		struct ts_ctl_wr w;
		uint32_t n = 0;
		int r;

		ts_ctl_wr_init(&w, body, sizeof(body));
		ts_ctl_put_u64(&w, s->lost);
		ts_ctl_put_u32(&w, 0); /* count, patched below */
		while (s->next_seq < tr->next && n < TRACE_EVENTS_PER_MSG) {
			const struct ts_trace_ev *ev = ts_trace_get(tr, s->next_seq);

			s->next_seq++;
			if (ev == NULL || !(s->kinds & (1u << ev->kind)))
				continue;
			ts_ctl_put_u64(&w, ev->seq);
			ts_ctl_put_u64(&w, ts_daemon_wall_us(ev->t));
			ts_ctl_put_u16(&w, ev->kind);
			ts_ctl_put_str(&w, ev->msg);
			n++;
		}
		if (n == 0 || w.err)
			continue;
		for (int i = 0; i < 4; i++)
			body[8 + i] = (uint8_t)(n >> (8 * i));
		r = push(s->conn, TS_CTL_OP_TRACE_DATA, w.len);
		if (r == -EAGAIN || r == -EWOULDBLOCK || r == -ENOBUFS) {
			/* Not sent: try again at the next kick, unless the ring
			 * overwrites them first (then they count as lost). */
			s->next_seq = start;
			return;
		}
	}
}

static void trace_flush(struct ts_daemon *d)
{
	ts_trace_drops(&d->eng.trace, d->eng.now, &d->eng.stats);
	for (struct sub *s = subs; s != NULL; s = s->next)
		if (s->kind == SUB_TRACE && !s->conn->closing)
			trace_flush_one(d, s);
}

static int add_sub(struct sub *s)
{
	int n = 0;

	for (struct sub *t = subs; t != NULL; t = t->next)
		n++;
	if (n >= MAX_SUBS) {
		free(s);
		return -EBUSY;
	}
	s->next = subs;
	subs = s;
	return 0;
}

static int op_capture(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char text[TS_CTL_MAX_STR + 1], err[256];
	struct ts_ctl_rd r;
	struct sub *s;
	uint8_t flags;
	uint32_t snaplen;
	int e;

	ts_ctl_rd_init(&r, req->body, req->len);
	ts_ctl_get_str(&r, text, sizeof(text));
	flags = ts_ctl_get_u8(&r);
	snaplen = ts_ctl_get_u32(&r);
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (ts_capture_filter_parse(text, &s->filter, err, sizeof(err)) < 0) {
		free(s);
		return -EINVAL;
	}
	s->kind = SUB_CAPTURE;
	s->conn = req->conn;
	s->lo = flags & 1;
	s->snaplen = snaplen == 0 || snaplen > TS_PCAP_SNAPLEN ? TS_PCAP_SNAPLEN : snaplen;
	e = add_sub(s);
	if (e < 0)
		return e;
	ncapture++;
	d->capture_hook = on_frame;
	d->eng.tap_hook = ts_daemon_tap_hook;
	d->eng.tap_hook_arg = d;
	ts_log("capture started (pid %d%s%s)", (int)req->conn->cred.pid, text[0] ? ": " : "", text);
	return 0;
}

static int op_trace(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char text[TS_CTL_MAX_STR + 1], *save = NULL;
	struct ts_ctl_rd r;
	struct sub *s;
	unsigned kinds = 0;
	int e;

	ts_ctl_rd_init(&r, req->body, req->len);
	ts_ctl_get_str(&r, text, sizeof(text));
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	for (char *w = strtok_r(text, " \t,", &save); w != NULL;
	     w = strtok_r(NULL, " \t,", &save)) {
		int k = ts_trace_kind_find(w);

		if (k < 0)
			return -EINVAL;
		kinds |= 1u << k;
	}
	if (kinds == 0)
		kinds = ~0u;
	if (d->eng.trace.ring == NULL) {
		e = ts_trace_enable(&d->eng.trace, 0);
		if (e < 0)
			return e;
		ts_trace_sync(&d->eng.trace, &d->eng.stats);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->kind = SUB_TRACE;
	s->conn = req->conn;
	s->kinds = kinds;
	s->next_seq = d->eng.trace.next; /* from now on */
	e = add_sub(s);
	if (e < 0)
		return e;
	ntrace++;
	d->after_kick = trace_flush;
	ts_log("trace started (pid %d)", (int)req->conn->cred.pid);
	return 0;
}

static void on_close(struct ts_daemon *d, struct ts_ctl_conn *conn)
{
	for (struct sub **pp = &subs; *pp != NULL;) {
		struct sub *s = *pp;

		if (s->conn != conn) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (s->kind == SUB_CAPTURE)
			ncapture--;
		else
			ntrace--;
		free(s);
	}
	if (ncapture == 0 && d->capture_hook != NULL) {
		d->capture_hook = NULL;
		if (d->pcap == NULL)
			d->eng.tap_hook = NULL;
	}
	if (ntrace == 0 && d->after_kick != NULL) {
		d->after_kick = NULL;
		ts_trace_disable(&d->eng.trace);
	}
}

void ts_ctl_stream_register(void)
{
	ts_ctl_register(TS_CTL_OP_CAPTURE, op_capture);
	ts_ctl_register(TS_CTL_OP_TRACE, op_trace);
	ts_ctl_on_close(on_close);
}
