/* The TCP test harness (see tcp_harness.h): captured TCP output, a fake
 * peer, a fake clock, state fixtures and leak checks. */
#include "tcp_harness.h"

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "ipv4.h"
#include "wire.h"

static void ev_established(struct ts_tcb *t, void *u)
{
	((struct th *)u)->established++;
}
static void ev_readable(struct ts_tcb *t, void *u)
{
	((struct th *)u)->readable++;
}
static void ev_writable(struct ts_tcb *t, void *u)
{
	((struct th *)u)->writable++;
}
static void ev_accept(struct ts_tcb *t, void *u)
{
	((struct th *)u)->accepts++;
}
static void ev_error(struct ts_tcb *t, int err, void *u)
{
	((struct th *)u)->errors++;
	((struct th *)u)->last_err = err;
}
static void ev_closed(struct ts_tcb *t, void *u)
{
	((struct th *)u)->closed++;
}

const struct ts_tcp_callbacks th_cb = {
	.on_established = ev_established,
	.on_readable = ev_readable,
	.on_writable = ev_writable,
	.on_accept = ev_accept,
	.on_error = ev_error,
	.on_closed = ev_closed,
};

static int capture(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o)
{
	struct th *h = ts_tcp_of(eng)->test_arg;

	pkt->ip_src = o->src;
	pkt->ip_dst = o->dst;
	pkt->next = NULL;
	if (h->q_tail != NULL)
		h->q_tail->next = pkt;
	else
		h->q_head = pkt;
	h->q_tail = pkt;
	h->qlen++;
	return 0;
}

static uint32_t fixed_isn(struct ts_tcp *tcp, const struct ts_tcp_key *k, uint64_t now)
{
	struct th *h = tcp->test_arg;

	return h->iss;
}

static int setup_common(void **state, int opts)
{
	struct th *h = calloc(1, sizeof(*h));
	struct ts_engine_config cfg;
	struct ts_tcp *tcp;

	if (h == NULL)
		return -1;
	h->pkt0 = ts_pkt_live();
	h->tcb0 = ts_tcp_live();
	h->iss = *state != NULL ? *(uint32_t *)*state : 0x20000000u;
	h->peer_iss = PEER_ISS;
	h->now = TH_T0;
	h->peer_tsval = 5000;
	h->pport = TH_PPORT;
	memset(&cfg, 0, sizeof(cfg));
	cfg.addr = TH_LOCAL;
	cfg.prefix_len = 24;
	cfg.mtu = 1500;
	cfg.seed = 42;
	if (ts_engine_init(&h->eng, NULL, &cfg) < 0 || ts_tcp_init(&h->eng) < 0) {
		free(h);
		return -1;
	}
	h->eng.now = h->now;
	tcp = ts_tcp_of(&h->eng);
	tcp->output = capture;
	tcp->isn = fixed_isn;
	tcp->test_arg = h;
	ts_tcp_secrets_set(&tcp->secrets, 7);
	if (!opts) {
		h->eng.sysctl.tcp_timestamps[0] = 0;
		h->eng.sysctl.tcp_sack[0] = 0;
		h->eng.sysctl.tcp_window_scaling[0] = 0;
	}
	h->peer_opts = opts;
	*state = h;
	return 0;
}

int th_setup(void **state)
{
	return setup_common(state, 0);
}

int th_setup_opts(void **state)
{
	return setup_common(state, 1);
}

int th_teardown(void **state)
{
	struct th *h = *state;
	int leftover = h->qlen;

	seg_flush(h);
	ts_tcp_destroy(&h->eng);
	ts_engine_destroy(&h->eng);
	if (leftover != 0)
		fail_msg("%d segment(s) sent and never checked", leftover);
	assert_int_equal(ts_tcp_live(), h->tcb0);
	assert_int_equal(ts_pkt_live(), h->pkt0);
	free(h);
	return 0;
}

void th_advance(struct th *h, uint64_t usec)
{
	h->now += usec;
	h->eng.now = h->now;
	ts_engine_poll(&h->eng, h->now);
}

uint64_t th_next(struct th *h, uint64_t limit)
{
	uint64_t t = ts_tcp_poll(&h->eng, h->now);

	if (t == TS_NEVER || t > limit)
		t = limit;
	if (t > h->now)
		th_advance(h, t - h->now);
	return h->now;
}

void seg_in(struct th *h, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	    const struct ts_tcp_opts *opts, const void *data, size_t len)
{
	struct ts_tcp_hdr th;
	struct pktbuf *pkt = ts_pkt_alloc(len);
	uint8_t *p;
	size_t hlen;

	assert_non_null(pkt);
	memset(&th, 0, sizeof(th));
	th.sport = h->pport;
	th.dport = TH_LPORT;
	th.seq = seq;
	th.ack = ack;
	th.flags = flags;
	th.win = win;
	if (opts != NULL)
		th.opt = *opts;
	if (len > 0)
		memcpy(ts_pkt_put(pkt, len), data, len);
	hlen = TS_TCP_HLEN + ts_tcp_opts_len(&th.opt);
	p = ts_pkt_push(pkt, hlen);
	ts_tcp_build(p, &th);
	ts_put16(p + 16, ts_tcp_csum(TH_PEER, TH_LOCAL, p, pkt->len));
	pkt->ip_src = TH_PEER;
	pkt->ip_dst = TH_LOCAL;
	pkt->ip_proto = TS_IPPROTO_TCP;
	h->eng.now = h->now;
	ts_tcp_input(&h->eng, pkt);
}

int seg_pop(struct th *h)
{
	struct pktbuf *pkt = h->q_head;

	if (pkt == NULL)
		return 0;
	h->q_head = pkt->next;
	if (h->q_head == NULL)
		h->q_tail = NULL;
	h->qlen--;
	assert_int_equal(ts_tcp_parse(pkt->data, pkt->len, &h->last.th), 0);
	assert_int_equal(ts_tcp_csum(pkt->ip_src, pkt->ip_dst, pkt->data, pkt->len), 0);
	h->last.src = pkt->ip_src;
	h->last.dst = pkt->ip_dst;
	h->last.len = (uint32_t)(pkt->len - h->last.th.doff);
	memcpy(h->last.data, pkt->data + h->last.th.doff, h->last.len);
	ts_pkt_free(pkt);
	return 1;
}

static const char *flag_str(uint8_t f, char *b)
{
	b[0] = 0;
	if (f & TH_SYN)
		strcat(b, "S");
	if (f & TH_FIN)
		strcat(b, "F");
	if (f & TH_RST)
		strcat(b, "R");
	if (f & TH_PSH)
		strcat(b, "P");
	if (f & TH_ACK)
		strcat(b, ".");
	return b;
}

void seg_expect_x(struct th *h, uint8_t flags, uint32_t seq, uint32_t ack, int win,
		  uint32_t len, const char *file, int line)
{
	struct ts_tcp_hdr *t = &h->last.th;
	char b1[8], b2[8];

	if (!seg_pop(h))
		fail_msg("%s:%d: expected a segment [%s] seq %u, got none", file, line,
			 flag_str(flags, b1), seq);
	if (t->flags != flags || t->seq != seq || ((flags & TH_ACK) && t->ack != ack) ||
	    (win >= 0 && t->win != win) || h->last.len != len)
		fail_msg("%s:%d: expected [%s] seq %u ack %u win %d len %u, got [%s] seq %u "
			 "ack %u win %u len %u",
			 file, line, flag_str(flags, b1), seq, ack, win, len,
			 flag_str(t->flags, b2), t->seq, t->ack, t->win, h->last.len);
	assert_int_equal(h->last.src, TH_LOCAL);
	assert_int_equal(h->last.dst, TH_PEER);
}

void seg_expect_none_x(struct th *h, const char *file, int line)
{
	char b[8];

	if (seg_pop(h))
		fail_msg("%s:%d: expected no segment, got [%s] seq %u ack %u len %u", file, line,
			 flag_str(h->last.th.flags, b), h->last.th.seq, h->last.th.ack,
			 h->last.len);
}

void seg_flush(struct th *h)
{
	ts_pkt_free_chain(h->q_head);
	h->q_head = h->q_tail = NULL;
	h->qlen = 0;
}

/* --- fixtures ----------------------------------------------------------- */

struct ts_tcb *tcb_syn_sent(struct th *h)
{
	struct ts_tcb *t = ts_tcp_socket(&h->eng, &th_cb, h);

	assert_non_null(t);
	assert_int_equal(ts_tcp_bind(t, TH_LOCAL, TH_LPORT), 0);
	assert_int_equal(ts_tcp_connect(t, TH_PEER, TH_PPORT, h->now), 0);
	assert_int_equal(t->state, TCPS_SYN_SENT);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.flags, TH_SYN);
	assert_int_equal(h->last.th.seq, h->iss);
	h->tcb = t;
	return t;
}

static struct ts_tcp_opts peer_syn_opts(struct th *h)
{
	struct ts_tcp_opts o;

	memset(&o, 0, sizeof(o));
	o.has = TS_TCPO_MSS;
	o.mss = 1460;
	if (h->peer_opts) {
		o.has |= TS_TCPO_WSCALE | TS_TCPO_SACK_PERM | TS_TCPO_TS;
		o.wscale = 7;
		o.ts_val = h->peer_tsval;
		o.ts_ecr = h->last.th.opt.ts_val;
	}
	return o;
}

struct ts_tcb *tcb_established(struct th *h)
{
	struct ts_tcb *t = tcb_syn_sent(h);
	struct ts_tcp_opts o = peer_syn_opts(h);

	seg_in(h, TH_SYN | TH_ACK, h->peer_iss, h->iss + 1, 65535, &o, NULL, 0);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.flags, TH_ACK);
	assert_int_equal(h->established, 1);
	return t;
}

struct ts_tcb *tcb_listen(struct th *h, int backlog)
{
	struct ts_tcb *l = ts_tcp_socket(&h->eng, &th_cb, h);

	assert_non_null(l);
	assert_int_equal(ts_tcp_bind(l, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(l, backlog), 0);
	h->listener = l;
	return l;
}

struct ts_tcb *tcb_accepted(struct th *h)
{
	struct ts_tcp_opts o;
	int err;

	tcb_listen(h, 16);
	o = peer_syn_opts(h);
	seg_in(h, TH_SYN, h->peer_iss, 0, 65535, &o, NULL, 0);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.flags, TH_SYN | TH_ACK);
	assert_int_equal(h->last.th.seq, h->iss);
	assert_int_equal(h->last.th.ack, h->peer_iss + 1);
	memset(&o, 0, sizeof(o));
	if (h->peer_opts) {
		o.has = TS_TCPO_TS;
		o.ts_val = h->peer_tsval;
		o.ts_ecr = h->last.th.opt.ts_val;
	}
	seg_in(h, TH_ACK, h->peer_iss + 1, h->iss + 1, 65535, &o, NULL, 0);
	assert_int_equal(h->accepts, 1);
	h->tcb = ts_tcp_accept(h->listener, &th_cb, h, &err);
	assert_non_null(h->tcb);
	assert_int_equal(h->tcb->state, TCPS_ESTABLISHED);
	return h->tcb;
}

struct ts_tcb *tcb_fin_wait_1(struct th *h)
{
	struct ts_tcb *t = tcb_established(h);

	assert_int_equal(ts_tcp_shutdown(t, 1, h->now), 0);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, h->peer_iss + 1, -1);
	assert_int_equal(t->state, TCPS_FIN_WAIT_1);
	return t;
}

struct ts_tcb *tcb_fin_wait_2(struct th *h)
{
	struct ts_tcb *t = tcb_fin_wait_1(h);

	seg_in(h, TH_ACK, h->peer_iss + 1, h->iss + 2, 65535, NULL, NULL, 0);
	assert_int_equal(t->state, TCPS_FIN_WAIT_2);
	seg_expect_none(h);
	return t;
}

struct ts_tcb *tcb_close_wait(struct th *h)
{
	struct ts_tcb *t = tcb_established(h);

	seg_in(h, TH_FIN | TH_ACK, h->peer_iss + 1, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 1, h->peer_iss + 2, -1);
	assert_int_equal(t->state, TCPS_CLOSE_WAIT);
	return t;
}

struct ts_tcb *tcb_last_ack(struct th *h)
{
	struct ts_tcb *t = tcb_close_wait(h);

	assert_int_equal(ts_tcp_shutdown(t, 1, h->now), 0);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, h->peer_iss + 2, -1);
	assert_int_equal(t->state, TCPS_LAST_ACK);
	return t;
}

struct ts_tcb *tcb_closing(struct th *h)
{
	struct ts_tcb *t = tcb_fin_wait_1(h);

	/* The peer's FIN crosses ours: it does not ACK our FIN. */
	seg_in(h, TH_FIN | TH_ACK, h->peer_iss + 1, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 2, h->peer_iss + 2, -1);
	assert_int_equal(t->state, TCPS_CLOSING);
	return t;
}

struct ts_tcb *tcb_time_wait(struct th *h)
{
	struct ts_tcb *t = tcb_fin_wait_2(h);

	seg_in(h, TH_FIN | TH_ACK, h->peer_iss + 1, h->iss + 2, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 2, h->peer_iss + 2, -1);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	return t;
}
