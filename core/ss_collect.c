/* `tapsock ss` records from the engine: every TCB (ts_tcp_foreach) and
 * every UDP socket, with Recv-Q/Send-Q, timers and TCP internals as Linux's
 * inet_diag reports them.  Called by the daemon's SS op (ctl_ss.c) and the
 * unit tests; reads engine state, never changes it. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "ss.h"
#include "tcp.h"
#include "udp.h"

/* Segments for bytes (Linux counts tcpi_unacked/tcpi_sacked in packets). */
static uint32_t segs(uint32_t bytes, uint32_t mss)
{
	if (bytes == 0)
		return 0;
	if (mss == 0)
		return 1;
	return (bytes + mss - 1) / mss;
}

static uint32_t ms_until(uint64_t deadline, uint64_t now)
{
	uint64_t us = deadline > now ? deadline - now : 0;

	/* Rounded up: a timer that has not fired shows at least 1 ms. */
	us = (us + 999) / 1000;
	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Linux inet_diag's idiag_timer (inet_sk_diag_fill, tcp_diag): the
 * retransmission timer (also the loss probe) first, then the zero-window
 * probe, then sk_timer (keepalive).  TIME-WAIT, and the orphaned FIN-WAIT-2
 * that Linux keeps as a timewait socket, show "timewait". */
static void tcb_timer(const struct ts_tcb *tcb, uint64_t now, struct ts_ss_sock *s)
{
	uint64_t rx = tcb->timer[TCPT_REXMT] < tcb->timer[TCPT_PTO] ? tcb->timer[TCPT_REXMT]
								     : tcb->timer[TCPT_PTO];

	if (tcb->timer[TCPT_2MSL] != TS_NEVER) {
		s->timer = TS_SS_TIMER_TIMEWAIT;
		s->timer_ms = ms_until(tcb->timer[TCPT_2MSL], now);
		s->timer_retrans = 0;
	} else if (rx != TS_NEVER) {
		s->timer = TS_SS_TIMER_ON;
		s->timer_ms = ms_until(rx, now);
		s->timer_retrans = (uint32_t)tcb->retransmits;
	} else if (tcb->timer[TCPT_PERSIST] != TS_NEVER) {
		s->timer = TS_SS_TIMER_PERSIST;
		s->timer_ms = ms_until(tcb->timer[TCPT_PERSIST], now);
		s->timer_retrans = (uint32_t)tcb->probes_out;
	} else if (tcb->timer[TCPT_KEEP] != TS_NEVER) {
		s->timer = TS_SS_TIMER_KEEPALIVE;
		s->timer_ms = ms_until(tcb->timer[TCPT_KEEP], now);
		s->timer_retrans = (uint32_t)tcb->probes_out;
	}
}

void ts_ss_from_tcb(const struct ts_tcb *tcb, uint64_t now, struct ts_ss_sock *s)
{
	struct ts_tcp_info ti;
	struct ts_ss_info *in = &s->info;
	int synced;

	memset(s, 0, sizeof(*s));
	ts_tcp_get_info(tcb, &ti, now);
	s->proto = 6;
	s->state = (uint8_t)ti.state;
	s->orphan = (tcb->flags & TF_ORPHAN) != 0;
	s->laddr = ti.laddr;
	s->lport = ti.lport;
	s->raddr = ti.raddr;
	s->rport = ti.rport;
	synced = TCPS_HAVERCVDSYN(ti.state);
	if (ti.state == TCPS_LISTEN) {
		/* ss: a listener's Recv-Q is its accept queue, Send-Q its
		 * backlog (sk_ack_backlog / sk_max_ack_backlog). */
		s->rq = (uint32_t)ti.accept_qlen;
		s->wq = (uint32_t)ti.backlog;
	} else if (ti.state != TCPS_TIME_WAIT && ti.state != TCPS_CLOSED) {
		/* Linux: rcv_nxt - copied_seq and write_seq - snd_una; the
		 * SYN and the FIN take a sequence number in write_seq. */
		s->rq = ti.rqueue;
		s->wq = ti.wqueue;
		if (ti.state == TCPS_SYN_SENT || ti.state == TCPS_SYN_RECEIVED)
			s->wq++;
		if ((tcb->flags & TF_FIN_SENT) &&
		    (ti.state == TCPS_FIN_WAIT_1 || ti.state == TCPS_CLOSING ||
		     ti.state == TCPS_LAST_ACK))
			s->wq++;
	}
	tcb_timer(tcb, now, s);

	s->has_info = 1;
	snprintf(in->cc, sizeof(in->cc), "%s", ti.cc != NULL ? ti.cc : "");
	in->ts = (ti.options & TF_TS) != 0;
	in->sack = (ti.options & TF_SACK) != 0;
	in->wscale = (ti.options & TF_WS) != 0;
	in->snd_wscale = ti.snd_wscale;
	in->rcv_wscale = ti.rcv_wscale;
	in->rto_us = (uint32_t)ti.rto;
	in->rtt_us = (uint32_t)ti.srtt;
	in->rttvar_us = (uint32_t)ti.rttvar;
	in->backoff = (uint32_t)ti.backoff;
	/* tcpi_snd_mss is Linux's mss_cache: the payload per segment after
	 * the options every segment carries. */
	in->mss = ti.state == TCPS_LISTEN ? ti.mss : ts_tcb_eff_mss(tcb);
	in->rcv_mss = ti.rcv_mss;
	in->cwnd = ti.cwnd;
	in->ssthresh = ti.ssthresh;
	/* Linux tcp_snd_una_update: an active opener counts its acked SYN
	 * in bytes_acked, a passive child starts after it; bytes_received
	 * (tcp_rcv_nxt_update) starts after the peer's SYN and counts its
	 * FIN. */
	if (synced || ti.state == TCPS_SYN_SENT) {
		uint32_t acked = ti.snd_una - ti.iss;

		if ((tcb->flags & TF_PASSIVE) && acked > 0)
			acked--;
		in->bytes_acked = acked;
	}
	if (synced && ti.state != TCPS_SYN_RECEIVED)
		in->bytes_received = ti.rcv_nxt - ti.irs - 1;
	in->unacked = segs(ti.unacked, in->mss);
	in->sacked = segs(ti.sacked, in->mss);
	/* tcpi_retrans is retrans_out (retransmitted segments still out);
	 * the engine keeps no such count: one while a retransmission of the
	 * head is outstanding, as after an RTO. */
	in->retrans = ti.retransmits > 0 && ti.unacked > 0 ? 1 : 0;
	in->total_retrans = ti.total_retrans;
}

void ts_ss_from_udp(const struct ts_udp_sock *us, struct ts_ss_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = 17;
	s->state = us->sk.t.raddr != 0 ? TCPS_ESTABLISHED : TCPS_CLOSED;
	s->laddr = us->sk.t.laddr;
	s->lport = us->sk.t.lport;
	s->raddr = us->sk.t.raddr;
	s->rport = us->sk.t.rport;
	/* Linux: sk_rmem_alloc, the truesize of what is queued. */
	s->rq = us->rq_mem > UINT32_MAX ? UINT32_MAX : (uint32_t)us->rq_mem;
}

struct collect_ctx {
	uint64_t now;
	void (*fn)(struct ts_ss_sock *s, const void *obj, void *arg);
	void *arg;
};

static void collect_tcb(const struct ts_tcb *tcb, void *arg)
{
	struct collect_ctx *cx = arg;
	struct ts_ss_sock s;

	ts_ss_from_tcb(tcb, cx->now, &s);
	cx->fn(&s, tcb, cx->arg);
}

int ts_ss_collect(struct ts_engine *eng, uint64_t now,
		  void (*fn)(struct ts_ss_sock *s, const void *obj, void *arg), void *arg)
{
	struct collect_ctx cx = {.now = now, .fn = fn, .arg = arg};
	struct ts_udp *u = ts_udp_of(eng);
	int n = 0;

	if (ts_tcp_of(eng) != NULL)
		n += ts_tcp_foreach(eng, collect_tcb, &cx);
	if (u != NULL) {
		for (const struct ts_udp_sock *us = u->all; us != NULL; us = us->next) {
			struct ts_ss_sock s;

			ts_ss_from_udp(us, &s);
			fn(&s, us, arg);
			n++;
		}
	}
	return n;
}
