/* TCP input: segment arrival, RFC 9293 3.10.7 step by step, for LISTEN,
 * SYN-SENT, the synchronized states and TIME-WAIT, with RFC 5961
 * challenge ACKs, RFC 7323 PAWS, RFC 5681/6582/6675 loss detection and
 * delayed ACKs as Linux does them.  Called by ipv4 through eng->l4[6].
 * Read first: RFC 9293 3.10.7, RFC 5961 3-5, RFC 7323 5, RFC 5681 3-4,
 * RFC 6582 3, RFC 6675 5; Linux tcp_input.c / tcp_minisocks.c. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ipv4.h"
#include "tcp_syncookie.h"
#include "tcp_trace.h"
#include "wire.h"

/* RFC 7323 5.5: a ts_recent older than 24 days is no PAWS evidence. */
#define PAWS_IDLE_US (24ull * 24 * 3600 * TS_USEC_PER_SEC)

static uint32_t seg_len(const struct tcp_seg *seg)
{
	return seg->len + !!(seg->th.flags & TH_SYN) + !!(seg->th.flags & TH_FIN);
}

static void notify_readable(struct ts_tcb *tcb)
{
	if (tcb->cb != NULL && tcb->cb->on_readable != NULL)
		tcb->cb->on_readable(tcb, tcb->user);
}

/* Options of a SYN or SYN-ACK (RFC 9293 3.7.1, RFC 7323 2-3, RFC 2018). */
static void syn_options(struct ts_tcb *tcb, const struct tcp_seg *seg, int active)
{
	const struct ts_tcp_opts *o = &seg->th.opt;
	struct ts_sysctl *sc = &tcb->eng->sysctl;

	tcb->peer_mss = o->has & TS_TCPO_MSS && o->mss ? o->mss : 536;
	tcb->mss = tcb->peer_mss < tcb->adv_mss ? tcb->peer_mss : tcb->adv_mss;
	if (tcb->user_mss && tcb->user_mss < tcb->mss)
		tcb->mss = tcb->user_mss;
	if (tcb->mss < 88)
		tcb->mss = 88; /* Linux TCP_MIN_MSS */
	/* Window scaling only when both sides sent the option. */
	if (o->has & TS_TCPO_WSCALE && sc->tcp_window_scaling[0]) {
		tcb->flags |= TF_WS;
		/* RFC 7323 2.3: a shift above 14 is used as 14. */
		tcb->snd_wscale = o->wscale > TS_TCP_MAX_WSCALE ? TS_TCP_MAX_WSCALE : o->wscale;
		if (!active)
			tcb->rcv_wscale = ts_tcp_choose_wscale(tcb->eng, ts_tcb_rcvbuf(tcb));
	} else {
		tcb->flags &= ~TF_WS;
		tcb->snd_wscale = 0;
		tcb->rcv_wscale = 0;
	}
	if (o->has & TS_TCPO_SACK_PERM && sc->tcp_sack[0])
		tcb->flags |= TF_SACK;
	if (o->has & TS_TCPO_TS && sc->tcp_timestamps[0]) {
		tcb->flags |= TF_TS;
		tcb->ts_recent = o->ts_val;
		tcb->ts_recent_stamp = seg->now;
	}
	tcb->rcv_mss = tcb->mss;
}

/* --- LISTEN (RFC 9293 3.10.7.2) ---------------------------------------- */

/* Linux TCP_SYNCOOKIE_VALID: cookies are checked only for two minutes
 * after the listener last had to send one. */
#define SYNCOOKIE_VALID_US (120ull * TS_USEC_PER_SEC)

static void established_input(struct ts_tcb *tcb, struct tcp_seg *seg);

/* A child TCB for listener l from seg's addresses, with l's options. */
static struct ts_tcb *child_alloc(struct ts_tcp *tcp, struct ts_tcb *l,
				  const struct tcp_seg *seg)
{
	struct ts_engine *eng = tcp->eng;
	struct ts_tcb *c = ts_tcb_alloc(eng);

	if (c == NULL)
		return NULL;
	c->key.laddr = seg->dst;
	c->key.raddr = seg->src;
	c->key.lport = seg->th.dport;
	c->key.rport = seg->th.sport;
	/* Linux sk_clone_lock copies the listener, SO_REUSEADDR and
	 * SO_REUSEPORT included (a TIME-WAIT child keeps them for the bind
	 * rules), and __inet_inherit_port puts it on the listener's port. */
	c->flags |= TF_PASSIVE |
		    (l->flags & (TF_NODELAY | TF_KEEPALIVE | TF_LINGER | TF_CORK | TF_SNDBUF_LOCK |
				 TF_RCVBUF_LOCK | TF_REUSEADDR | TF_REUSEPORT));
	ts_tcb_inherit_port(c, l);
	c->uid = l->uid;
	c->user_timeout = l->user_timeout;
	c->keep_idle = l->keep_idle;
	c->keep_intvl = l->keep_intvl;
	c->keep_cnt = l->keep_cnt;
	c->linger_secs = l->linger_secs;
	c->user_mss = l->user_mss;
	c->cc_algo = l->cc_algo;
	c->ttl = l->ttl;
	c->tos = l->tos;
	/* The rings come when the handshake completes (ack_input). */
	c->snd_want = l->snd_want;
	c->rcv_want = l->rcv_want;
	c->created = seg->now;
	c->last_rcv = seg->now;
	c->adv_mss = ts_tcp_mss_for(eng, c->key.raddr);
	if (c->user_mss && c->user_mss < c->adv_mss)
		c->adv_mss = c->user_mss;
	c->ts_offset = ts_tcp_ts_off(&tcp->secrets, c->key.laddr, c->key.raddr);
	return c;
}

/* RFC 4987 3.6 / Linux tcp_conn_request with want_cookie: answer the SYN
 * with a SYN-ACK whose ISN encodes the MSS, keeping no state.  WS/SACK
 * ride in the timestamp's low bits; without timestamps none are offered
 * (Linux tcp_clear_options). */
static void send_cookie_synack(struct ts_tcp *tcp, struct ts_tcb *l, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcp->eng;
	struct ts_tcb *c = child_alloc(tcp, l, seg);
	uint16_t mss;

	if (c == NULL)
		return;
	syn_options(c, seg, 0);
	if (!(c->flags & TF_TS)) {
		c->flags &= ~(TF_WS | TF_SACK);
		c->rcv_wscale = 0;
		c->snd_wscale = 0;
	} else {
		struct ts_syncookie_opts so = {
			.wscale_ok = (c->flags & TF_WS) != 0,
			.snd_wscale = c->snd_wscale,
			.sack_ok = (c->flags & TF_SACK) != 0,
		};
		uint32_t now_ms = (uint32_t)(seg->now / TS_USEC_PER_MSEC);

		/* Pick the offset so ts_tcp_tsval() gives the cookie TSval. */
		c->ts_offset += ts_syncookie_ts_make(now_ms, &so) - now_ms;
	}
	c->irs = seg->th.seq;
	c->rcv_nxt = seg->th.seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = ts_syncookie_make(&tcp->secrets, c->key.laddr, c->key.lport, c->key.raddr,
				   c->key.rport, seg->th.seq, c->peer_mss, seg->now, &mss);
	if (mss < c->adv_mss)
		c->adv_mss = mss;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	ts_tcp_state_set(c, TCPS_SYN_RECEIVED, "syncookie", seg->now);
	ts_tcp_output(c, seg->now);
	ts_tcb_free(c); /* never hashed: the cookie is the state */
	l->synq_overflow = seg->now ? seg->now : 1;
	eng->stats.TcpExtSyncookiesSent++;
}

/* Linux cookie_v4_check: the ACK of a cookie SYN-ACK creates the
 * connection.  Returns 1 if seg was taken, 0 if it carries no cookie. */
static int cookie_ack(struct ts_tcp *tcp, struct ts_tcb *l, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcp->eng;
	const struct ts_tcp_hdr *th = &seg->th;
	struct ts_syncookie_opts so;
	struct ts_tcb *c;
	int mss, saw_ts = (th->opt.has & TS_TCPO_TS) != 0;

	if (!eng->sysctl.tcp_syncookies[0] || l->synq_overflow == 0 ||
	    seg->now - l->synq_overflow > SYNCOOKIE_VALID_US || th->flags & (TH_SYN | TH_RST))
		return 0;
	mss = ts_syncookie_check(&tcp->secrets, seg->dst, th->dport, seg->src, th->sport,
				 th->seq, th->ack, seg->now);
	if (mss < 0) {
		TS_TCP_SEG_DROP(eng, seg, TcpExtSyncookiesFailed, "");
		return 0;
	}
	c = child_alloc(tcp, l, seg);
	if (c == NULL)
		return 0;
	if (ts_syncookie_ts_decode(saw_ts ? th->opt.ts_ecr - c->ts_offset : 0, saw_ts,
				   (int)eng->sysctl.tcp_timestamps[0], (int)eng->sysctl.tcp_sack[0],
				   (int)eng->sysctl.tcp_window_scaling[0], &so) < 0 ||
	    l->accept_qlen > l->backlog || ts_tcb_hash(c) < 0) {
		if (l->accept_qlen > l->backlog)
			TS_TCP_SEG_DROP(eng, seg, TcpExtListenOverflows, "cookie ack");
		TS_TCP_SEG_DROP(eng, seg, TcpExtListenDrops, "cookie ack");
		ts_tcb_free(c);
		return 1;
	}
	eng->stats.TcpExtSyncookiesRecv++;
	c->listener = l;
	l->syn_qlen++; /* child_established moves it to the accept queue */
	c->irs = th->seq - 1;
	c->rcv_nxt = th->seq;
	c->rcv_adv = c->rcv_nxt;
	{
		/* What the cookie SYN-ACK offered (unscaled, RFC 7323 2.2). */
		uint32_t w = ts_tcp_select_window(c);

		c->rcv_adv = c->rcv_nxt + (w > 65535 ? 65535 : w);
	}
	c->iss = th->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = th->ack;
	c->snd_buf_seq = th->ack;
	c->snd_sml = c->iss;
	c->peer_mss = (uint16_t)mss;
	c->mss = (uint16_t)mss < c->adv_mss ? (uint16_t)mss : c->adv_mss;
	c->rcv_mss = c->mss;
	if (saw_ts && eng->sysctl.tcp_timestamps[0]) {
		c->flags |= TF_TS;
		c->ts_recent = th->opt.ts_val;
		c->ts_recent_stamp = seg->now;
	}
	if (so.sack_ok)
		c->flags |= TF_SACK;
	if (so.wscale_ok) {
		c->flags |= TF_WS;
		c->snd_wscale = so.snd_wscale;
		c->rcv_wscale = ts_tcp_choose_wscale(eng, ts_tcb_rcvbuf(c));
	}
	c->snd_wl1 = th->seq - 1; /* so this ACK's window is taken */
	c->snd_wl2 = c->iss;
	c->retransmits = 1; /* Karn: no RTT sample from the handshake */
	ts_tcp_state_set(c, TCPS_SYN_RECEIVED, "cookie ack", seg->now);
	eng->stats.TcpPassiveOpens++;
	established_input(c, seg);
	return 1;
}

static void listen_input(struct ts_tcp *tcp, struct ts_tcb *l, struct tcp_seg *seg,
			 uint32_t isn)
{
	struct ts_engine *eng = tcp->eng;
	struct ts_tcb *c;
	uint64_t now = seg->now;

	/* First: an RST is ignored. */
	if (seg->th.flags & TH_RST) {
		TS_TCP_SEG_DROP(eng, seg, TsExtTcpInDropped, "rst to listener");
		return;
	}
	/* Second: an ACK is bad here: <SEQ=SEG.ACK><CTL=RST>, unless it
	 * returns a SYN cookie. */
	if (seg->th.flags & TH_ACK) {
		if (!cookie_ack(tcp, l, seg))
			ts_tcp_send_reset(eng, seg);
		return;
	}
	/* Third: a SYN. */
	if (!(seg->th.flags & TH_SYN) || seg->th.flags & TH_FIN) {
		TS_TCP_SEG_DROP(eng, seg, TsExtTcpInDropped, "no syn to listener");
		return;
	}
	/* Linux tcp_conn_request: a full accept queue drops the SYN. */
	if (l->accept_qlen > l->backlog) {
		TS_TCP_SEG_DROP(eng, seg, TcpExtListenOverflows, "accept queue full");
		TS_TCP_SEG_DROP(eng, seg, TcpExtListenDrops, "accept queue full");
		return;
	}
	/* A full SYN queue: SYN cookies with tcp_syncookies = 1 (always with
	 * 2); with 0 the SYN is dropped.  Linux inet_csk_reqsk_queue_is_full
	 * is "qlen > sk_max_ack_backlog" since 3479c7549fb1 (v6.13, in 6.1.y
	 * and 5.15.y stable from January 2025; ">=" before), as
	 * sk_acceptq_is_full: the SYN queue holds backlog + 1 too. */
	if (eng->sysctl.tcp_syncookies[0] == 2 || l->syn_qlen > l->backlog ||
	    l->syn_qlen >= eng->sysctl.tcp_max_syn_backlog[0]) {
		if (eng->sysctl.tcp_syncookies[0] && !isn)
			send_cookie_synack(tcp, l, seg);
		else
			TS_TCP_SEG_DROP(eng, seg, TcpExtListenDrops, "syn queue full");
		return;
	}
	c = child_alloc(tcp, l, seg);
	if (c == NULL || ts_tcb_hash(c) < 0) {
		if (c != NULL)
			ts_tcb_free(c);
		TS_TCP_SEG_DROP(eng, seg, TcpExtListenDrops, "no memory");
		return;
	}
	c->listener = l;
	l->syn_qlen++;
	syn_options(c, seg, 0);
	c->irs = seg->th.seq;
	c->rcv_nxt = seg->th.seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = isn ? isn : ts_tcb_isn(tcp, &c->key, now);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_max = c->iss;
	c->snd_buf_seq = c->iss + 1;
	c->snd_sml = c->iss;
	/* RFC 7323 2.2: the window of a SYN is not scaled. */
	c->snd_wnd = seg->th.win;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->th.seq;
	c->snd_wl2 = c->iss;
	ts_tcp_state_set(c, TCPS_SYN_RECEIVED, NULL, now);
	eng->stats.TcpPassiveOpens++;
	ts_tcp_output(c, now); /* SYN,ACK; arms the SYN-ACK timer */
}

/* --- SYN-SENT (RFC 9293 3.10.7.3) -------------------------------------- */

static void syn_sent_input(struct ts_tcb *tcb, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcb->eng;
	const struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;
	int ack_ok = 0;

	/* First: the ACK must cover our SYN and nothing more; else (and
	 * this refuses an old duplicate SYN-ACK, RFC 9293 3.5 figure 9)
	 * <SEQ=SEG.ACK><CTL=RST>. */
	if (th->flags & TH_ACK) {
		if (SEQ_LEQ(th->ack, tcb->iss) || SEQ_GT(th->ack, tcb->snd_max)) {
			TS_TCP_DROP(tcb, now, TsExtTcpSynSentBadAck, "");
			ts_tcp_send_reset(eng, seg);
			return;
		}
		ack_ok = 1;
	}
	/* Second: an RST with an acceptable ACK refuses the connection. */
	if (th->flags & TH_RST) {
		if (ack_ok) {
			eng->stats.TcpAttemptFails++;
			ts_tcp_done(tcb, ECONNREFUSED);
		} else {
			TS_TCP_DROP(tcb, now, TsExtTcpInDropped, "rst without ack");
		}
		return;
	}
	/* Fourth: a SYN. */
	if (!(th->flags & TH_SYN)) {
		TS_TCP_DROP(tcb, now, TsExtTcpInDropped, "no syn");
		return;
	}
	syn_options(tcb, seg, 1);
	tcb->irs = th->seq;
	tcb->rcv_nxt = th->seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt;
	tcb->last_rcv = now;
	if (ack_ok) {
		tcb->snd_una = th->ack;
		if (SEQ_LT(tcb->snd_nxt, tcb->snd_una))
			tcb->snd_nxt = tcb->snd_una;
	}
	if (ack_ok && SEQ_GT(tcb->snd_una, tcb->iss)) {
		/* Our SYN is acknowledged: ESTABLISHED, send the ACK. */
		ts_tcp_state_set(tcb, TCPS_ESTABLISHED, NULL, now);
		tcb->snd_wnd = th->win; /* RFC 7323 2.2: never scaled in a SYN */
		tcb->max_snd_wnd = tcb->snd_wnd;
		tcb->snd_wl1 = th->seq;
		tcb->snd_wl2 = th->ack;
		/* Karn: time the SYN only if it was not retransmitted. */
		if (tcb->retransmits == 0)
			ts_tcp_rtt_sample(tcb, now - tcb->created);
		tcb->retransmits = 0;
		tcb->backoff = 0;
		ts_tcp_timer_stop(tcb, TCPT_REXMT);
		ts_tcb_cc_start(tcb, now);
		ts_tcp_sndbuf_expand(tcb);
		ts_tcp_keepalive_reset(tcb, now);
		tcb->flags |= TF_ACKNOW;
		ts_tcp_output(tcb, now);
		if (tcb->cb != NULL && tcb->cb->on_established != NULL)
			tcb->cb->on_established(tcb, tcb->user);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, answer <SEQ=ISS><ACK=RCV.NXT>
	 * <CTL=SYN,ACK> (RFC 9293 3.5 figure 8). */
	ts_tcp_state_set(tcb, TCPS_SYN_RECEIVED, "simultaneous open", now);
	tcb->snd_wnd = th->win;
	tcb->max_snd_wnd = tcb->snd_wnd;
	tcb->snd_wl1 = th->seq;
	tcb->snd_nxt = tcb->iss;
	ts_tcp_output(tcb, now);
}

/* --- TIME-WAIT (Linux tcp_timewait_state_process) ---------------------- */

/* Returns the ISN for a new connection that may reuse the 4-tuple, or 0
 * when the segment was handled here. */
static uint32_t time_wait_input(struct ts_tcb *tcb, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcb->eng;
	const struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;
	uint64_t twlen = 2 * (uint64_t)eng->sysctl.tcp_msl[0] * TS_USEC_PER_MSEC;
	int paws_reject = 0;

	if (tcb->flags & TF_TS && th->opt.has & TS_TCPO_TS && !(th->flags & TH_RST) &&
	    TSTMP_LT(th->opt.ts_val, tcb->ts_recent))
		paws_reject = 1;
	if (!paws_reject && th->seq == tcb->rcv_nxt &&
	    (seg_len(seg) == 0 || th->flags & TH_RST)) {
		if (th->flags & TH_RST) {
			/* RFC 1337 "TIME-WAIT assassination": Linux lets an
			 * RST end TIME-WAIT unless tcp_rfc1337 = 1. */
			if (!eng->sysctl.tcp_rfc1337[0]) {
				ts_tcp_state_set(tcb, TCPS_CLOSED, "rst", now);
				ts_tcp_done(tcb, 0);
			}
			return 0;
		}
		ts_tcp_timer_set(tcb, TCPT_2MSL, now + twlen);
		return 0;
	}
	/* A new SYN above the old sequence space, or with a newer
	 * timestamp, may reuse the pair (RFC 9293 3.6.1, RFC 6191). */
	if (th->flags & TH_SYN && !(th->flags & (TH_RST | TH_ACK)) && !paws_reject &&
	    tcb->flags & TF_ORPHAN &&
	    (SEQ_GT(th->seq, tcb->rcv_nxt) ||
	     (th->opt.has & TS_TCPO_TS && tcb->flags & TF_TS &&
	      TSTMP_LT(tcb->ts_recent, th->opt.ts_val)))) {
		/* Linux: isn = tw_snd_nxt + 65535 + 2. */
		uint32_t isn = tcb->snd_max + 65535 + 2;

		ts_tcp_state_set(tcb, TCPS_CLOSED, "new syn", now);
		ts_tcp_done(tcb, 0);
		return isn ? isn : 1;
	}
	if (paws_reject)
		TS_TCP_DROP(tcb, now, TcpExtPAWSEstab, "");
	if (!(th->flags & TH_RST)) {
		/* A retransmitted FIN (our last ACK was lost): restart the
		 * 2 MSL timer and ACK again (RFC 9293 3.10.7.4). */
		if (paws_reject || th->flags & TH_ACK)
			ts_tcp_timer_set(tcb, TCPT_2MSL, now + twlen);
		if (seg_len(seg) > 0 || !tcb->last_oow_ack ||
		    now - tcb->last_oow_ack >=
			    (uint64_t)eng->sysctl.tcp_invalid_ratelimit[0] * TS_USEC_PER_MSEC) {
			if (seg_len(seg) == 0)
				tcb->last_oow_ack = now ? now : 1;
			ts_tcp_send_ack(tcb, now);
		} else {
			eng->stats.TcpExtTCPACKSkippedTimeWait++;
		}
	}
	return 0;
}

/* --- synchronized states (RFC 9293 3.10.7.4) --------------------------- */

static void send_dupack(struct ts_tcb *tcb, const struct tcp_seg *seg, uint64_t *skipped)
{
	struct ts_engine *eng = tcb->eng;
	uint64_t lim = (uint64_t)eng->sysctl.tcp_invalid_ratelimit[0] * TS_USEC_PER_MSEC;

	/* Linux tcp_oow_rate_limited: data segments are always answered;
	 * bare ones at most once per tcp_invalid_ratelimit. */
	if (seg_len(seg) == 0 && lim && tcb->last_oow_ack && seg->now - tcb->last_oow_ack < lim) {
		(*skipped)++;
		return;
	}
	if (seg_len(seg) == 0)
		tcb->last_oow_ack = seg->now ? seg->now : 1;
	ts_tcp_send_ack(tcb, seg->now);
}

/* RFC 2883 4 (Linux tcp_dsack_set, net.ipv4.tcp_dsack): report the
 * duplicate [start, end) as the first SACK block of the next ACK. */
static void dsack_set(struct ts_tcb *tcb, uint32_t start, uint32_t end)
{
	struct ts_engine *eng = tcb->eng;

	if (!(tcb->flags & TF_SACK) || !eng->sysctl.tcp_dsack[0] || !SEQ_LT(start, end))
		return;
	if (SEQ_LT(start, tcb->rcv_nxt))
		eng->stats.TcpExtTCPDSACKOldSent++;
	else
		eng->stats.TcpExtTCPDSACKOfoSent++;
	tcb->dsack = 1;
	tcb->dsack_start = start;
	tcb->dsack_end = end;
}

/* RFC 9293 3.10.7.4 first check: is the segment in the receive window?
 * Linux (tcp_sequence) differs from the RFC's table, and tapsock follows
 * it: a segment is acceptable when it ends at or after RCV.WUP (the
 * RCV.NXT our last ACK carried) and starts at or before RCV.NXT +
 * RCV.WND, whatever its length — so one starting right at the window's
 * edge, or at RCV.NXT with the window closed, still has its ACK
 * processed (the RFC's "special allowance ... to accept valid ACKs, URGs,
 * and RSTs"); check_sequence drops its text.  Without that, an engine
 * whose window is closed drops the ACKs of its own data that a peer
 * sends from the window's edge, and two programs that both write before
 * they read stall.  SYNs keep the RFC's table: in a synchronized state
 * both answers end in a challenge ACK (Linux syn_challenge). */
static int seq_acceptable(const struct ts_tcb *tcb, const struct tcp_seg *seg)
{
	uint32_t wnd = SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t len = seg_len(seg);
	uint32_t seq = seg->th.seq;

	if (!(seg->th.flags & TH_SYN)) {
		/* RCV.WUP: never further back than the ring holds (a
		 * cookie child has not sent an ACK yet). */
		uint32_t wup = tcb->last_ack_sent;

		if (SEQ_GT(wup, tcb->rcv_nxt) || tcb->rcv_nxt - wup > ts_tcb_rcvbuf(tcb))
			wup = tcb->rcv_nxt;
		return SEQ_GEQ(seq + len, wup) && SEQ_LEQ(seq, tcb->rcv_nxt + wnd);
	}
	if (len == 0) {
		if (wnd == 0)
			return seq == tcb->rcv_nxt;
		return SEQ_IN(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return 0;
	return SEQ_IN(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd) ||
	       SEQ_IN(seq + len - 1, tcb->rcv_nxt, tcb->rcv_nxt + wnd);
}

static void reset_connection(struct ts_tcb *tcb)
{
	struct ts_engine *eng = tcb->eng;
	int err = ECONNRESET;

	/* RFC 9293 3.10.7.4 second check, per state; errnos as Linux's
	 * tcp_reset(). */
	switch (tcb->state) {
	case TCPS_SYN_RECEIVED:
		/* A passive open returns to LISTEN: the child just goes. */
		eng->stats.TcpExtEmbryonicRsts++;
		err = tcb->flags & TF_PASSIVE ? ECONNRESET : ECONNREFUSED;
		if (!(tcb->flags & TF_PASSIVE))
			eng->stats.TcpAttemptFails++;
		break;
	case TCPS_ESTABLISHED:
		eng->stats.TcpEstabResets++;
		break;
	case TCPS_CLOSE_WAIT:
		eng->stats.TcpEstabResets++;
		err = EPIPE;
		break;
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
		break;
	default:
		/* CLOSING, LAST-ACK: "enter CLOSED"; nothing to report. */
		err = tcb->flags & TF_ORPHAN ? 0 : ECONNRESET;
		break;
	}
	ts_tcp_state_set(tcb, TCPS_CLOSED, "rst", eng->now);
	ts_tcp_done(tcb, err);
}

/* Moves a passive child to its listener's accept queue. */
static void child_established(struct ts_tcb *tcb)
{
	struct ts_tcb *l = tcb->listener;

	if (l == NULL)
		return;
	l->syn_qlen--;
	l->accept_qlen++;
	tcb->flags |= TF_ACCEPTQ;
	tcb->acc_next = NULL;
	if (l->acc_tail != NULL)
		l->acc_tail->acc_next = tcb;
	else
		l->acc_head = tcb;
	l->acc_tail = tcb;
	if (l->cb != NULL && l->cb->on_accept != NULL)
		l->cb->on_accept(l, l->user);
}

/* Sends what NextSeg() allows while pipe < cwnd (RFC 6675 5 (C)). */
static void sack_recovery_send(struct ts_tcb *tcb, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	uint32_t cwnd = ts_tcb_cwnd(tcb);

	for (int guard = 0; guard < 1000; guard++) {
		uint32_t pipe = ts_sack_pipe(&tcb->sb, tcb->snd_una, tcb->snd_max, mss);
		uint32_t unsent = (uint32_t)ts_ringbuf_len(&tcb->snd) -
				  (tcb->snd_max - tcb->snd_buf_seq);
		int new_data;
		uint32_t seq, len;
		enum ts_sack_next nx;

		if ((tcb->flags & TF_FIN_SENT) || tcb->snd_max - tcb->snd_buf_seq >
							     ts_ringbuf_len(&tcb->snd))
			unsent = 0;
		if (pipe + mss > cwnd)
			break;
		new_data = unsent > 0 && SEQ_LT(tcb->snd_max, tcb->snd_una + tcb->snd_wnd);
		nx = ts_sack_next_seg(&tcb->sb, tcb->snd_una, tcb->snd_max, mss, new_data, &seq,
				      &len);
		if (nx == TS_SACK_NEXT_NONE)
			break;
		if (nx == TS_SACK_NEXT_NEW) {
			/* RFC 6675 NextSeg (2): new data, one segment, as the
			 * peer's window allows (pipe, not flight, governs). */
			uint32_t off = tcb->snd_max - tcb->snd_buf_seq;
			uint32_t room = tcb->snd_una + tcb->snd_wnd - tcb->snd_max;
			uint32_t n = unsent < mss ? unsent : mss;
			uint8_t fl = TH_ACK;

			if (n > room)
				n = room;
			if (n == 0 || (n < mss && n < unsent))
				break;
			if (off + n == ts_ringbuf_len(&tcb->snd))
				fl |= TH_PSH;
			ts_tcp_xmit(tcb, fl, tcb->snd_max, n, now);
			if (tcb->snd_nxt == tcb->snd_max)
				tcb->snd_nxt += n;
			tcb->snd_max += n;
			continue;
		}
		/* Never retransmit past the data (a FIN is resent by RTO). */
		if (SEQ_GT(seq + len, tcb->snd_buf_seq + (uint32_t)ts_ringbuf_len(&tcb->snd)))
			len = tcb->snd_buf_seq + (uint32_t)ts_ringbuf_len(&tcb->snd) - seq;
		if (len == 0 || SEQ_LT(seq, tcb->snd_una))
			break;
		ts_tcp_xmit(tcb, TH_ACK, seq, len, now);
		tcb->eng->stats.TcpRetransSegs++;
		tcb->total_retrans++;
		TS_TCP_TRACE_RXT(tcb, now, 0, seq, len, "fast"); /* RFC 6675 NextSeg */
		ts_sack_sent_rxt(&tcb->sb, seq, len);
	}
}

/* RFC 9293 3.10.7.4 fifth check in SYN-RECEIVED: SND.UNA < SEG.ACK =<
 * SND.NXT enters ESTABLISHED, otherwise <SEQ=SEG.ACK><CTL=RST>.  Returns
 * 1 to go on with the segment. */
static int syn_received_ack(struct ts_tcb *tcb, struct tcp_seg *seg, uint32_t win)
{
	struct ts_engine *eng = tcb->eng;
	const struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;

	if (!SEQ_GT(th->ack, tcb->snd_una) || SEQ_GT(th->ack, tcb->snd_max)) {
		ts_tcp_send_reset(eng, seg);
		return 0;
	}
	/* Linux tcp_check_req: with the accept queue full the ACK is dropped
	 * (tcp_abort_on_overflow = 0: the SYN-ACK timer will try again) or
	 * answered with a reset (= 1). */
	if (tcb->listener != NULL && tcb->listener->accept_qlen > tcb->listener->backlog) {
		TS_TCP_DROP(tcb, now, TcpExtListenOverflows, "accept queue full");
		TS_TCP_DROP(tcb, now, TcpExtListenDrops, "accept queue full");
		if (eng->sysctl.tcp_abort_on_overflow[0]) {
			ts_tcp_send_reset(eng, seg);
			ts_tcp_done(tcb, ECONNRESET);
		}
		return 0;
	}
	if (ts_tcp_init_buffers(tcb) < 0) {
		TS_TCP_DROP(tcb, now, TcpExtListenDrops, "no memory");
		return 0; /* no memory now; the SYN-ACK timer retries */
	}
	ts_tcp_state_set(tcb, TCPS_ESTABLISHED, NULL, now);
	tcb->snd_una = tcb->iss + 1;
	tcb->snd_wnd = win;
	tcb->max_snd_wnd = win;
	tcb->snd_wl1 = th->seq;
	tcb->snd_wl2 = th->ack;
	if (tcb->retransmits == 0)
		ts_tcp_rtt_sample(tcb, now - tcb->created);
	tcb->retransmits = 0;
	tcb->backoff = 0;
	ts_tcp_timer_stop(tcb, TCPT_REXMT);
	ts_tcb_cc_start(tcb, now);
	ts_tcp_sndbuf_expand(tcb);
	ts_tcp_keepalive_reset(tcb, now);
	if (tcb->flags & TF_PASSIVE) {
		child_established(tcb);
		return !tcb->zombie; /* on_accept may close the listener */
	}
	if (tcb->cb != NULL && tcb->cb->on_established != NULL) {
		tcb->cb->on_established(tcb, tcb->user);
		return tcb->state == TCPS_ESTABLISHED && !tcb->zombie;
	}
	return 1;
}

/* An ACK above SND.UNA: free the acknowledged bytes, sample the RTT, grow
 * or deflate cwnd, restart or stop the timer.  Returns 0 if a callback
 * ended the connection. */
static int new_ack(struct ts_tcb *tcb, struct tcp_seg *seg, int sack_done, int *fin_acked)
{
	const struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;
	uint32_t ack = th->ack;
	uint32_t acked = ack - tcb->snd_una, data_acked = acked;
	uint32_t buflen = (uint32_t)ts_ringbuf_len(&tcb->snd);
	uint32_t data_end = tcb->snd_buf_seq + buflen;
	uint32_t upto = SEQ_GT(ack, data_end) ? data_end : ack;
	size_t before = ts_ringbuf_space(&tcb->snd);
	uint64_t rtt = 0;
	enum ts_tcp_cc_ack r;

	if (SEQ_GT(upto, tcb->snd_buf_seq)) {
		ts_ringbuf_consume(&tcb->snd, upto - tcb->snd_buf_seq);
		tcb->snd_buf_seq = upto;
	}
	if (tcb->flags & TF_FIN_SENT && SEQ_GEQ(ack, data_end + 1)) {
		*fin_acked = 1;
		data_acked = acked - 1;
	}
	tcb->snd_una = ack;
	if (SEQ_LT(tcb->snd_nxt, tcb->snd_una))
		tcb->snd_nxt = tcb->snd_una;
	/* RTT (RFC 6298 3, Karn): from the timed segment, else, as Linux,
	 * from the echoed timestamp (RFC 7323 4.1). */
	if (tcb->flags & TF_RTT_TIMING && SEQ_GT(ack, tcb->rtt_seq)) {
		rtt = now - tcb->rtt_start;
		tcb->flags &= ~TF_RTT_TIMING;
		ts_tcp_rtt_sample(tcb, rtt);
	} else if (tcb->flags & TF_TS && th->opt.has & TS_TCPO_TS && th->opt.ts_ecr) {
		uint32_t d = ts_tcp_tsval(tcb, now) - th->opt.ts_ecr;

		if (d < 0x7fffffff) {
			rtt = (uint64_t)d * TS_USEC_PER_MSEC;
			ts_tcp_rtt_sample(tcb, rtt);
		}
	}
	tcb->retransmits = 0;
	tcb->backoff = 0;
	tcb->dupacks = 0;
	sack_done |= ts_sack_ack(&tcb->sb, ack);
	/* RFC 5681 3.1 / RFC 7661, as Linux tcp_cong_avoid: grow cwnd only
	 * while it is what limits the sender. */
	tcb->cc.cwnd_limited = (uint8_t)ts_tcp_is_cwnd_limited(tcb);
	r = ts_tcp_cc_on_ack(&tcb->cc, ack, data_acked, rtt, now);
	ts_tcp_sndbuf_expand(tcb);
	if (tcb->flags & TF_IN_RECOVERY) {
		if (r == TS_CC_ACK_FULL || sack_done) {
			tcb->flags &= ~TF_IN_RECOVERY;
			tcb->sb.in_recovery = 0;
		} else if (r == TS_CC_ACK_PARTIAL && !(tcb->flags & TF_SACK)) {
			/* RFC 6582 3.2 (5): retransmit the next hole. */
			ts_tcp_retransmit_head(tcb, now);
		}
	}
	if (tcb->flags & TF_LOSS_RECOVERY && SEQ_GEQ(ack, tcb->snd_max))
		tcb->flags &= ~TF_LOSS_RECOVERY;
	/* RFC 8985 7.4: the probe's episode ends when it is acknowledged; an
	 * ACK beyond a retransmitted probe means it repaired a loss. */
	if (tcb->tlp_out && SEQ_GEQ(ack, tcb->tlp_high_seq)) {
		if (tcb->tlp_rxt && !(th->opt.has & TS_TCPO_SACK && th->opt.nsack > 0 &&
				      SEQ_LEQ(th->opt.sack[0].end, ack)))
			tcb->eng->stats.TcpExtTCPLossProbeRecovery++;
		tcb->tlp_out = 0;
	}
	/* RFC 6298 5.2-5.3: stop the timer when all is acknowledged, restart
	 * it otherwise (or, as Linux tcp_set_xmit_timer, the loss probe). */
	if (tcb->snd_una == tcb->snd_max) {
		ts_tcp_timer_stop(tcb, TCPT_REXMT);
		ts_tcp_timer_stop(tcb, TCPT_PTO);
	} else {
		ts_tcp_rexmt_arm(tcb, now);
		ts_tcp_schedule_loss_probe(tcb, now);
	}
	if (tcb->cb != NULL && tcb->cb->on_writable != NULL &&
	    ts_ringbuf_space(&tcb->snd) > before && !(tcb->flags & TF_FIN_QUEUED))
		tcb->cb->on_writable(tcb, tcb->user);
	return tcb->state != TCPS_CLOSED && !tcb->zombie;
}

/* --- RACK (RFC 8985 6), as Linux with net.ipv4.tcp_recovery & 1 ---------
 * A log of transmissions from SND.UNA; when a later-sent segment is
 * delivered (ACKed or SACKed), an earlier one still missing after one RTT
 * plus a reordering window (min RTT / 4) is lost — including a lost
 * retransmission, which the RFC 6675 scoreboard alone cannot see. */

#define XL(tcb, i) (&(tcb)->xl[((tcb)->xl_head + (i)) & ((tcb)->xl_cap - 1)])

static int rack_enabled(const struct ts_tcb *tcb)
{
	return (tcb->eng->sysctl.tcp_recovery[0] & 1) && (tcb->flags & TF_SACK);
}

void ts_tcp_rack_sent(struct ts_tcb *tcb, uint32_t seq, uint32_t len, uint64_t now)
{
	uint32_t end = seq + len;

	if (!rack_enabled(tcb) || !TCPS_HAVEESTABLISHED(tcb->state))
		return;
	if (SEQ_LT(seq, tcb->snd_max)) {
		/* A retransmission: every record it covers was sent again. */
		for (uint32_t i = 0; i < tcb->xl_n; i++) {
			struct ts_tcp_xrec *r = XL(tcb, i);

			if (SEQ_GEQ(r->start, end))
				break;
			if (SEQ_GT(r->end, seq)) {
				r->t = now;
				r->rxt = 1;
				r->lost = 0;
			}
		}
		return;
	}
	if (tcb->xl_n == tcb->xl_cap) {
		uint32_t cap = tcb->xl_cap ? tcb->xl_cap * 2 : 64;
		struct ts_tcp_xrec *nx = malloc(cap * sizeof(*nx));

		if (nx == NULL)
			return; /* RACK just sees less; the RTO still works */
		for (uint32_t i = 0; i < tcb->xl_n; i++)
			nx[i] = *XL(tcb, i);
		free(tcb->xl);
		tcb->xl = nx;
		tcb->xl_cap = cap;
		tcb->xl_head = 0;
	}
	*XL(tcb, tcb->xl_n) = (struct ts_tcp_xrec){.start = seq, .end = end, .t = now};
	tcb->xl_n++;
}

static void rack_deliver(struct ts_tcb *tcb, struct ts_tcp_xrec *r, uint64_t now)
{
	uint64_t rtt = now - r->t;

	r->delivered = 1;
	/* RFC 8985 6.2 step 2: a retransmission ACKed sooner than the
	 * minimum RTT was probably the original's ACK; it says nothing. */
	if (r->rxt && tcb->min_rtt && rtt < tcb->min_rtt)
		return;
	if (!r->rxt && (tcb->min_rtt == 0 || rtt < tcb->min_rtt))
		tcb->min_rtt = rtt ? rtt : 1;
	if (r->t > tcb->rack_ts || (r->t == tcb->rack_ts && SEQ_GT(r->end, tcb->rack_end))) {
		tcb->rack_ts = r->t;
		tcb->rack_end = r->end;
		tcb->rack_rtt = rtt;
	}
}

/* RFC 8985 6.2: updates RACK from this ACK and marks lost transmissions;
 * returns how many were newly marked. */
static int rack_detect(struct ts_tcb *tcb, uint64_t now)
{
	uint64_t reo;
	int n = 0;

	while (tcb->xl_n > 0 && SEQ_LEQ(XL(tcb, 0)->end, tcb->snd_una)) {
		if (!XL(tcb, 0)->delivered)
			rack_deliver(tcb, XL(tcb, 0), now);
		tcb->xl_head = (tcb->xl_head + 1) & (tcb->xl_cap - 1);
		tcb->xl_n--;
	}
	if (ts_sack_any(&tcb->sb)) {
		for (uint32_t i = 0; i < tcb->xl_n; i++) {
			struct ts_tcp_xrec *r = XL(tcb, i);

			if (!r->delivered && ts_sack_is_sacked(&tcb->sb, r->start, r->end - r->start))
				rack_deliver(tcb, r, now);
		}
	}
	if (tcb->rack_ts == 0)
		return 0;
	/* Linux tcp_rack_reo_wnd: min RTT / 4 (at most SRTT), but 0 in
	 * recovery or once DupThresh segments are SACKed, unless reordering
	 * was seen (a D-SACK). */
	reo = tcb->min_rtt / 4;
	if (tcb->srtt && reo > tcb->srtt)
		reo = tcb->srtt;
	if (!tcb->reord_seen && (tcb->flags & TF_IN_RECOVERY ||
				 ts_sack_bytes(&tcb->sb) >= 3 * ts_tcb_eff_mss(tcb)))
		reo = 0;
	for (uint32_t i = 0; i < tcb->xl_n; i++) {
		struct ts_tcp_xrec *r = XL(tcb, i);

		if (r->delivered || r->lost)
			continue;
		if (!(r->t < tcb->rack_ts || (r->t == tcb->rack_ts && SEQ_LT(r->end, tcb->rack_end))))
			continue;
		if (now - r->t >= tcb->rack_rtt + reo) {
			r->lost = 1;
			n++;
		}
	}
	return n;
}

static void enter_fast_recovery(struct ts_tcb *tcb, uint64_t now);

/* Marks what RACK finds lost and retransmits it, two segments per ACK
 * (packet conservation), entering fast recovery if needed. */
static void rack_recover(struct ts_tcb *tcb, uint32_t ack, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	uint32_t data_end = tcb->snd_buf_seq + (uint32_t)ts_ringbuf_len(&tcb->snd);
	int lost, budget = 2;

	if (!rack_enabled(tcb) || tcb->flags & TF_LOSS_RECOVERY || tcb->xl_n == 0)
		return;
	lost = rack_detect(tcb, now);
	if (lost && !(tcb->flags & TF_IN_RECOVERY)) {
		/* RFC 6582 4.1: not twice for one window. */
		if (tcb->cc.ca_state != TS_CA_OPEN && tcb->cc.ca_state != TS_CA_DISORDER &&
		    SEQ_LEQ(ack - 1, tcb->cc.recover))
			return;
		enter_fast_recovery(tcb, now);
		/* Linux tcp_xmit_retransmit_queue: resending the head re-arms
		 * the RTO in the slot a loss probe may hold (no probe in
		 * recovery, tcp_schedule_loss_probe). */
		ts_tcp_rexmt_arm(tcb, now);
	}
	if (!(tcb->flags & TF_IN_RECOVERY))
		return;
	for (uint32_t i = 0; i < tcb->xl_n && budget > 0; i++) {
		struct ts_tcp_xrec *r = XL(tcb, i);
		uint32_t seq = SEQ_GT(r->start, tcb->snd_una) ? r->start : tcb->snd_una;
		uint32_t len;

		if (!r->lost || r->delivered || SEQ_GEQ(seq, data_end))
			continue;
		len = r->end - seq;
		if (SEQ_GT(r->end, data_end))
			len = data_end - seq;
		if (len > mss)
			len = mss;
		ts_tcp_xmit(tcb, TH_ACK | (seq + len == data_end ? TH_PSH : 0), seq, len, now);
		tcb->eng->stats.TcpRetransSegs++;
		tcb->total_retrans++;
		TS_TCP_TRACE_RXT(tcb, now, 0, seq, len, "rack");
		tcb->flags &= ~TF_RTT_TIMING;
		/* Tell the RFC 6675 scoreboard, so NextSeg does not send it
		 * again (HighRxt only moves forward). */
		if (ts_sack_in_recovery(&tcb->sb) &&
		    (!tcb->sb.high_rxt_valid || SEQ_GEQ(seq, tcb->sb.high_rxt)))
			ts_sack_sent_rxt(&tcb->sb, seq, len);
		r->lost = 0;
		budget--;
	}
}

/* A duplicate ACK (RFC 5681 2): limited transmit, fast retransmit and
 * recovery (RFC 5681 3.2, RFC 6582, RFC 6675). */
static void dup_ack(struct ts_tcb *tcb, uint32_t ack, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	int sack = (tcb->flags & TF_SACK) != 0;
	int go;

	tcb->dupacks++;
	if (tcb->flags & TF_IN_RECOVERY) {
		if (sack)
			sack_recovery_send(tcb, now);
		else
			ts_tcp_cc_on_dupack(&tcb->cc, (uint32_t)tcb->dupacks); /* 3.2 (4) */
		return;
	}
	go = ts_tcp_cc_on_dupack(&tcb->cc, (uint32_t)tcb->dupacks);
	if (sack && ts_sack_should_recover(&tcb->sb, tcb->snd_una, mss))
		go = 1;
	/* RFC 6582 4.1: not again for losses of the window already
	 * recovered (ack - 1 must pass recover); after an RTO, not before
	 * SND.MAX is acknowledged. */
	if (go && tcb->cc.ca_state != TS_CA_OPEN && tcb->cc.ca_state != TS_CA_DISORDER &&
	    SEQ_LEQ(ack - 1, tcb->cc.recover))
		go = 0;
	if (!go || tcb->flags & TF_LOSS_RECOVERY)
		return;
	enter_fast_recovery(tcb, now);
	ts_tcp_retransmit_head(tcb, now);
	ts_tcp_rexmt_arm(tcb, now);
	if (sack)
		sack_recovery_send(tcb, now);
}

/* --- undo of spurious retransmissions (Linux tcp_input.c) ------------ */

void ts_tcp_undo_init(struct ts_tcb *tcb)
{
	struct ts_tcp_cc_state *cc = &tcb->cc;
	uint32_t cur = cc->ssthresh;

	/* Linux tcp_current_ssthresh: in a reduction, ssthresh; else at
	 * least 3/4 of cwnd. */
	if (cc->ca_state != TS_CA_RECOVERY && cc->ca_state != TS_CA_CWR) {
		uint32_t x = (cc->cwnd >> 1) + (cc->cwnd >> 2);

		if (x > cur)
			cur = x;
	}
	tcb->prior_ssthresh = cur;
	tcb->prior_cwnd = cc->cwnd;
	tcb->undo_valid = 1;
	tcb->undo_marker = tcb->snd_una;
	tcb->undo_retrans = -1;
}

void ts_tcp_undo_rxt(struct ts_tcb *tcb, uint32_t len, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);

	if (!tcb->undo_valid)
		return;
	if (tcb->undo_retrans < 0) {
		tcb->undo_retrans = 0;
		tcb->undo_tsval = ts_tcp_tsval(tcb, now);
	}
	tcb->undo_retrans += (int)((len + mss - 1) / mss);
}

/* RFC 2883 4 / Linux tcp_check_dsack and tcp_sacktag_one: a D-SACK for
 * data of this episode that we retransmitted shows that retransmission
 * (or its original) was unnecessary. */
static void undo_dsack_seen(struct ts_tcb *tcb, const struct ts_sack_block *d)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	int segs = (int)((d->end - d->start + mss - 1) / mss), rxt = 0;

	if (!tcb->undo_valid || tcb->undo_retrans <= 0 || !SEQ_GT(d->end, tcb->undo_marker))
		return;
	if (SEQ_LEQ(d->end, tcb->snd_una)) {
		rxt = 1; /* forgotten data: Linux's "dumb counting" */
	} else {
		for (uint32_t i = 0; i < tcb->xl_n && !rxt; i++) {
			struct ts_tcp_xrec *r = XL(tcb, i);

			rxt = r->rxt && SEQ_LT(r->start, d->end) && SEQ_GT(r->end, d->start);
		}
	}
	if (!rxt)
		return;
	tcb->undo_retrans -= segs > 0 ? segs : 1;
	if (tcb->undo_retrans < 0)
		tcb->undo_retrans = 0;
}

/* Linux tcp_try_undo_dsack / tcp_try_undo_recovery / tcp_try_undo_partial /
 * tcp_try_undo_loss: every retransmission of the episode was reported
 * duplicate by D-SACKs, or (Eifel, RFC 3522) an ACK advancing SND.UNA
 * echoes a timestamp older than the first retransmission, so the originals
 * arrived: cwnd and ssthresh go back to what they were (tcp_undo_cwnd_
 * reduction) and recovery ends; after an RTO the go-back-N stops (Linux
 * unmarks the losses). */
static void try_undo(struct ts_tcb *tcb, const struct tcp_seg *seg, int una_advanced,
		     uint32_t was)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp_cc_state *cc = &tcb->cc;
	const struct ts_tcp_hdr *th = &seg->th;
	int dsack = 0, eifel = 0;

	if (!tcb->undo_valid || tcb->undo_retrans < 0)
		return;
	dsack = tcb->undo_retrans == 0;
	eifel = una_advanced && tcb->flags & TF_TS && th->opt.has & TS_TCPO_TS && th->opt.ts_ecr &&
		TSTMP_LT(th->opt.ts_ecr, tcb->undo_tsval) && was;
	if (!dsack && !eifel)
		return;
	if (tcb->prior_ssthresh) {
		if (tcb->prior_cwnd > cc->cwnd)
			cc->cwnd = tcb->prior_cwnd;
		if (tcb->prior_ssthresh > cc->ssthresh)
			cc->ssthresh = tcb->prior_ssthresh;
	}
	tcb->undo_valid = 0;
	if (was & TF_LOSS_RECOVERY) {
		eng->stats.TcpExtTCPLossUndo++;
		tcb->flags &= ~TF_LOSS_RECOVERY;
		tcb->retransmits = 0;
		if (SEQ_LT(tcb->snd_nxt, tcb->snd_max))
			tcb->snd_nxt = tcb->snd_max;
	} else if (dsack) {
		eng->stats.TcpExtTCPDSACKUndo++;
	} else {
		eng->stats.TcpExtTCPFullUndo++;
	}
	if (tcb->flags & TF_IN_RECOVERY) {
		tcb->flags &= ~TF_IN_RECOVERY;
		tcb->sb.in_recovery = 0;
	}
	tcb->dupacks = 0;
	cc->ca_state = TS_CA_OPEN;
	tcb->reord_seen = 1; /* Linux: reo_wnd_persist grows */
}

/* Fast recovery starts (RFC 5681 3.2, RFC 6582 3.2, RFC 6675 5). */
static void enter_fast_recovery(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	int sack = (tcb->flags & TF_SACK) != 0;

	eng->stats.TcpExtTCPFastRetrans++;
	if (sack)
		eng->stats.TcpExtTCPSackRecovery++;
	else
		eng->stats.TcpExtTCPRenoRecovery++;
	ts_tcp_undo_init(tcb);
	ts_tcp_cc_enter_recovery(&tcb->cc, tcb->snd_max, sack, now);
	tcb->flags |= TF_IN_RECOVERY;
	if (sack)
		ts_sack_enter_recovery(&tcb->sb, tcb->snd_una, tcb->snd_max);
}

/* RFC 9293 3.10.7.4 fifth check: the ACK field.  Returns 1 to continue
 * with the segment, 0 when it was dropped or the TCB is gone. */
static int ack_input(struct ts_tcb *tcb, struct tcp_seg *seg, int *fin_acked)
{
	struct ts_engine *eng = tcb->eng;
	const struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;
	uint32_t ack = th->ack;
	uint32_t win = (uint32_t)th->win << tcb->snd_wscale;
	int dupack = 0, sack_done = 0, una_advanced = SEQ_GT(ack, tcb->snd_una);
	uint32_t was = tcb->flags & (TF_IN_RECOVERY | TF_LOSS_RECOVERY);

	if (tcb->state == TCPS_SYN_RECEIVED && !syn_received_ack(tcb, seg, win))
		return 0;
	/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND,
	 * SND.NXT]; others draw a (rate limited) challenge ACK.  (Linux drops
	 * an ACK above SND.NXT silently; RFC 9293 3.10.7.4 answers it with an
	 * ACK, which is what is done here.) */
	if (SEQ_GT(ack, tcb->snd_max) || SEQ_LT(ack, tcb->snd_una - tcb->max_snd_wnd)) {
		ts_tcp_challenge_ack(tcb, now);
		return 0;
	}
	tcb->probes_out = 0;
	if (tcb->flags & TF_SACK && th->opt.has & TS_TCPO_SACK && th->opt.nsack > 0 &&
	    tcb->snd_max == tcb->snd_una && SEQ_LT(th->opt.sack[0].start, ack)) {
		/* Nothing outstanding: only a D-SACK can mean something
		 * (Linux tcp_check_dsack runs before the packets_out test). */
		eng->stats.TcpExtTCPDSACKRecv++;
		tcb->reord_seen = 1;
		undo_dsack_seen(tcb, &th->opt.sack[0]);
	} else if (tcb->flags & TF_SACK && th->opt.has & TS_TCPO_SACK &&
	    SEQ_GT(tcb->snd_max, tcb->snd_una)) {
		uint32_t una = SEQ_GT(ack, tcb->snd_una) ? ack : tcb->snd_una;
		struct ts_sack_result res;

		sack_done = ts_sack_ack(&tcb->sb, una);
		ts_sack_update(&tcb->sb, una, tcb->snd_max, th->opt.sack, th->opt.nsack, &res);
		eng->stats.TcpExtTCPSACKDiscard += res.discarded;
		if (res.dsack) {
			eng->stats.TcpExtTCPDSACKRecv++;
			tcb->reord_seen = 1;
			undo_dsack_seen(tcb, &th->opt.sack[0]);
		}
	}
	if (SEQ_LEQ(ack, tcb->snd_una)) {
		/* RFC 5681 2: a duplicate ACK carries no data, no SYN/FIN, the
		 * same window, while data is outstanding. */
		dupack = ack == tcb->snd_una && seg->len == 0 && !seg->trimmed &&
			 !(th->flags & (TH_SYN | TH_FIN)) &&
			 win == tcb->snd_wnd && tcb->snd_max != tcb->snd_una;
	} else if (!new_ack(tcb, seg, sack_done, fin_acked)) {
		return 0;
	}
	/* Window update (RFC 9293 3.10.7.4): from a newer segment only. */
	if (SEQ_LT(tcb->snd_wl1, th->seq) ||
	    (tcb->snd_wl1 == th->seq && SEQ_LEQ(tcb->snd_wl2, ack))) {
		int opened = tcb->snd_wnd == 0 && win > 0;

		tcb->snd_wnd = win;
		tcb->snd_wl1 = th->seq;
		tcb->snd_wl2 = ack;
		if (win > tcb->max_snd_wnd)
			tcb->max_snd_wnd = win;
		if (opened) {
			ts_tcp_timer_stop(tcb, TCPT_PERSIST);
			tcb->backoff = 0;
		}
	}
	try_undo(tcb, seg, una_advanced, was);
	rack_recover(tcb, ack, now);
	if (dupack)
		dup_ack(tcb, ack, now);
	else if (tcb->flags & TF_IN_RECOVERY && tcb->flags & TF_SACK)
		sack_recovery_send(tcb, now);
	return 1;
}

/* Seventh check: segment text, into the receive ring (in order or not). */
static void data_input(struct ts_tcb *tcb, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcb->eng;
	uint32_t off = seg->th.seq - tcb->rcv_nxt;
	int had_ooo = !ts_asm_empty(&tcb->ooo);
	size_t stored;
	int r;

	/* Linux tcp_data_queue_ofo: a segment already held out of order. */
	if (off > 0 && seg->len > 0 && ts_asm_contains(&tcb->ooo, off, seg->len))
		dsack_set(tcb, seg->th.seq, seg->th.seq + seg->len);

	stored = ts_ringbuf_write_at(&tcb->rcv, off, seg->data, seg->len);
	if (stored < seg->len)
		seg->th.flags &= (uint8_t)~TH_FIN; /* trimmed: the FIN is beyond */
	if (stored == 0) {
		if (off > 0)
			TS_TCP_DROP(tcb, seg->now, TcpExtTCPOFODrop, "no room");
		else
			TS_TCP_DROP(tcb, seg->now, TcpExtTCPZeroWindowDrop, "");
		tcb->flags |= TF_ACKNOW;
		return;
	}
	r = ts_asm_add(&tcb->ooo, off, (uint32_t)stored);
	if (off > 0 && r >= 0)
		eng->stats.TcpExtTCPOFOQueue++;
	if (r < 0) {
		/* Too fragmented: drop it (Linux prunes its OFO queue). */
		TS_TCP_DROP(tcb, seg->now, TcpExtTCPOFODrop, "too fragmented");
		seg->th.flags &= (uint8_t)~TH_FIN;
		tcb->flags |= TF_ACKNOW;
		return;
	}
	if (r > 0) {
		ts_ringbuf_commit(&tcb->rcv, (size_t)r);
		tcb->rcv_nxt += (uint32_t)r;
	}
	if (stored > tcb->rcv_mss && stored <= 65535)
		tcb->rcv_mss = (uint16_t)(stored < tcb->adv_mss ? stored : tcb->adv_mss);
	if (off > 0 || had_ooo) {
		/* RFC 5681 4.2: out-of-order data, or data filling a hole,
		 * is acknowledged at once. */
		tcb->flags |= TF_ACKNOW;
	} else {
		/* Linux delayed ACK: quick ACKs at the start, then an ACK
		 * every second full-sized segment, else the delack timer. */
		tcb->unacked_bytes += (uint32_t)stored;
		if (tcb->quickack > 0) {
			tcb->quickack--;
			tcb->flags |= TF_ACKNOW;
		} else if (tcb->unacked_bytes >= 2u * tcb->rcv_mss) {
			tcb->flags |= TF_ACKNOW;
		} else {
			tcb->flags |= TF_DELACK;
			if (tcb->timer[TCPT_DELACK] == TS_NEVER)
				ts_tcp_timer_set(tcb, TCPT_DELACK,
						 seg->now + (uint64_t)eng->sysctl.tcp_delack_min[0] *
								    TS_USEC_PER_MSEC);
		}
	}
	if (r > 0 && tcb->flags & TF_OOO_FIN && tcb->rcv_nxt == tcb->rcv_fin_seq) {
		tcb->flags &= ~TF_OOO_FIN;
		seg->th.flags |= TH_FIN;
		seg->th.seq = tcb->rcv_nxt;
		seg->len = 0;
	} else if (seg->th.flags & TH_FIN && off > 0) {
		/* Hold the FIN until the hole before it fills. */
		tcb->flags |= TF_OOO_FIN;
		tcb->rcv_fin_seq = seg->th.seq + seg->len;
		seg->th.flags &= (uint8_t)~TH_FIN;
	}
	if (r > 0)
		notify_readable(tcb);
}

/* Eighth check: the FIN.  Returns 0 if the TCB is gone. */
static int fin_input(struct ts_tcb *tcb, struct tcp_seg *seg, int fin_acked)
{
	uint64_t now = seg->now;

	if (tcb->flags & TF_RCVD_FIN)
		return 1;
	tcb->rcv_nxt++;
	tcb->flags |= TF_RCVD_FIN | TF_ACKNOW;
	switch (tcb->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		ts_tcp_state_set(tcb, TCPS_CLOSE_WAIT, "fin", now);
		break;
	case TCPS_FIN_WAIT_1:
		/* Simultaneous close unless our FIN is acknowledged too. */
		if (fin_acked || (tcb->flags & TF_FIN_SENT && tcb->snd_una == tcb->snd_max)) {
			ts_tcp_send_ack(tcb, now);
			ts_tcp_enter_time_wait(tcb, now);
		} else {
			ts_tcp_state_set(tcb, TCPS_CLOSING, "fin", now);
		}
		break;
	case TCPS_FIN_WAIT_2:
		ts_tcp_send_ack(tcb, now);
		ts_tcp_enter_time_wait(tcb, now);
		break;
	default:
		break;
	}
	notify_readable(tcb);
	return tcb->state != TCPS_CLOSED && !tcb->zombie;
}

/* RFC 9293 3.10.7.4 fifth check, per state, once our FIN is
 * acknowledged.  Returns 0 when the segment needs no more processing. */
static int our_fin_acked(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;

	switch (tcb->state) {
	case TCPS_FIN_WAIT_1:
		ts_tcp_state_set(tcb, TCPS_FIN_WAIT_2, NULL, now);
		ts_tcp_timer_stop(tcb, TCPT_REXMT);
		/* Linux: an orphan waits tcp_fin_timeout for the peer's FIN; a
		 * half-closed socket waits forever. */
		if (tcb->flags & TF_ORPHAN)
			ts_tcp_timer_set(tcb, TCPT_2MSL,
					 now + (uint64_t)eng->sysctl.tcp_fin_timeout[0] *
						       TS_USEC_PER_SEC);
		return 1;
	case TCPS_CLOSING:
		ts_tcp_enter_time_wait(tcb, now);
		return 0;
	case TCPS_LAST_ACK:
		ts_tcp_done(tcb, 0);
		return 0;
	default:
		return 1;
	}
}

enum { SEG_OK, SEG_DROP, SEG_SYN };

/* RFC 9293 3.10.7.4 first check (with PAWS, RFC 7323 5.3, before it):
 * is the segment acceptable?  Trims it to the window.  SEG_OK to go on,
 * SEG_DROP when it was answered or dropped, SEG_SYN for an unacceptable
 * SYN (which still gets the RFC 5961 challenge). */
static int check_sequence(struct ts_tcb *tcb, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;

	/* RFC 7323 5.3 PAWS: an older timestamp than ts_recent is a
	 * duplicate from an earlier wrap; ACK it and drop it. */
	if (tcb->flags & TF_TS && th->opt.has & TS_TCPO_TS && !(th->flags & TH_RST) &&
	    TSTMP_LT(th->opt.ts_val, tcb->ts_recent) &&
	    now - tcb->ts_recent_stamp < PAWS_IDLE_US) {
		TS_TCP_DROP(tcb, now, TcpExtPAWSEstab, "");
		send_dupack(tcb, seg, &eng->stats.TcpExtTCPACKSkippedPAWS);
		return SEG_DROP;
	}
	/* Linux tcp_validate_incoming: in a simultaneous open the peer's
	 * SYN-ACK repeats its SYN; accept it as the ACK of ours. */
	if (tcb->state == TCPS_SYN_RECEIVED && !(tcb->flags & TF_PASSIVE) &&
	    (th->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && seg->len == 0 &&
	    th->seq + 1 == tcb->rcv_nxt && th->ack == tcb->snd_nxt) {
		th->flags &= (uint8_t)~TH_SYN;
		th->seq++;
	}
	/* First: sequence number. */
	if (!seq_acceptable(tcb, seg)) {
		TS_TCP_DROP(tcb, now, TsExtTcpInDropped, "out of window");
		if (th->flags & TH_RST)
			return SEG_DROP;
		if (th->flags & TH_SYN)
			return SEG_SYN;
		/* Linux tcp_send_dupack: old data is reported. */
		if (seg->len > 0 && SEQ_LT(th->seq, tcb->rcv_nxt))
			dsack_set(tcb, th->seq,
				  SEQ_GT(th->seq + seg->len, tcb->rcv_nxt) ? tcb->rcv_nxt
									   : th->seq + seg->len);
		send_dupack(tcb, seg, &eng->stats.TcpExtTCPACKSkippedSeq);
		return SEG_DROP;
	}
	/* Trim what lies before RCV.NXT (RFC 9293 3.10.7.4) ... */
	if (SEQ_LT(th->seq, tcb->rcv_nxt) && !(th->flags & TH_RST) &&
	    (seg->len > 0 || th->flags & (TH_SYN | TH_FIN))) {
		uint32_t d = tcb->rcv_nxt - th->seq;

		if (th->flags & TH_SYN) {
			th->flags &= (uint8_t)~TH_SYN;
			th->seq++;
			d--;
			if (tcb->state == TCPS_SYN_RECEIVED && tcb->flags & TF_PASSIVE &&
			    th->seq - 1 == tcb->irs) {
				/* Linux: a retransmitted SYN in SYN-RECV
				 * gets the SYN-ACK again. */
				tcb->snd_nxt = tcb->iss;
				ts_tcp_output(tcb, now);
				return SEG_DROP;
			}
		}
		if (d > seg->len) {
			d = seg->len;
			th->flags &= (uint8_t)~TH_FIN;
		}
		/* Linux tcp_data_queue: seq < rcv_nxt < end_seq. */
		if (d > 0)
			dsack_set(tcb, th->seq, th->seq + d);
		seg->trimmed |= d > 0;
		seg->data += d;
		seg->len -= d;
		th->seq += d;
		/* Old data: the peer missed our ACK (RFC 5681 4.2). */
		tcb->flags |= TF_ACKNOW;
	}
	/* Text the window does not take (Linux tcp_data_queue, after
	 * tcp_ack has run): at RCV.NXT with the window closed
	 * (TcpExtTCPZeroWindowDrop), or from the window's right edge on
	 * ("Out of window").  The ACK field is still processed (RFC 9293
	 * 3.10.7.4, 3.8.6.1); the text and a FIN are dropped, ACKed at once;
	 * it does not count as a duplicate ACK (Linux FLAG_DATA). */
	if (!(th->flags & (TH_SYN | TH_RST)) && (seg->len > 0 || th->flags & TH_FIN)) {
		uint32_t wnd = SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;

		if (SEQ_GEQ(th->seq, tcb->rcv_nxt + wnd)) {
			if (seg->len > 0 && wnd == 0 && th->seq == tcb->rcv_nxt)
				TS_TCP_DROP(tcb, now, TcpExtTCPZeroWindowDrop, "");
			else if (seg->len > 0)
				TS_TCP_DROP(tcb, now, TsExtTcpInDropped, "beyond the window");
			seg->trimmed |= seg->len > 0;
			seg->len = 0;
			th->flags &= (uint8_t)~TH_FIN;
			tcb->flags |= TF_ACKNOW;
		}
	}
	/* ... and beyond the window. */
	{
		uint32_t wnd = SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
		uint32_t space = (uint32_t)ts_ringbuf_space(&tcb->rcv);
		uint32_t lim = wnd > space ? wnd : space;
		uint32_t off = th->seq - tcb->rcv_nxt;

		if (off + seg->len > lim) {
			seg->len = off < lim ? lim - off : 0;
			th->flags &= (uint8_t)~TH_FIN;
			tcb->flags |= TF_ACKNOW;
		}
	}
	return SEG_OK;
}

static void established_input(struct ts_tcb *tcb, struct tcp_seg *seg)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp_hdr *th = &seg->th;
	uint64_t now = seg->now;
	int fin_acked = 0;
	int r = check_sequence(tcb, seg);

	if (r == SEG_DROP)
		return;
	if (r == SEG_SYN)
		goto syn_challenge;
	/* RFC 7323 4.3: ts_recent from a segment covering RCV.NXT. */
	if (tcb->flags & TF_TS && th->opt.has & TS_TCPO_TS &&
	    SEQ_LEQ(th->seq, tcb->last_ack_sent) && !(th->flags & TH_RST)) {
		tcb->ts_recent = th->opt.ts_val;
		tcb->ts_recent_stamp = now;
	}
	/* Second: RST (RFC 5961 3.2: exact match resets, else challenge). */
	if (th->flags & TH_RST) {
		if (th->seq == tcb->rcv_nxt) {
			reset_connection(tcb);
		} else {
			TS_TCP_TRACE(tcb, now, TS_TRACE_DROP, "drop rst (seq not RCV.NXT: challenge)");
			ts_tcp_challenge_ack(tcb, now);
		}
		return;
	}
	/* Fourth: SYN (RFC 5961 4.2: challenge ACK in any synchronized
	 * state). */
	if (th->flags & TH_SYN) {
	syn_challenge:
		if (tcb->state == TCPS_SYN_RECEIVED && tcb->flags & TF_PASSIVE &&
		    th->seq == tcb->irs) {
			tcb->snd_nxt = tcb->iss;
			ts_tcp_output(tcb, now);
			return;
		}
		eng->stats.TcpExtTCPSYNChallenge++;
		TS_TCP_TRACE(tcb, now, TS_TRACE_DROP, "drop syn (challenge)");
		ts_tcp_challenge_ack(tcb, now);
		return;
	}
	/* Fifth: ACK. */
	if (!(th->flags & TH_ACK)) {
		TS_TCP_DROP(tcb, now, TsExtTcpInDropped, "no ack");
		return;
	}
	tcb->last_rcv = now;
	if (!ack_input(tcb, seg, &fin_acked) || (fin_acked && !our_fin_acked(tcb, now)))
		return;
	/* Sixth: URG (RFC 9293 3.10.7.4): the pointer is recorded only;
	 * urgent data stays in line, as with Linux's SO_OOBINLINE off
	 * after it was read. */
	if (th->flags & TH_URG && SEQ_GT(th->seq + th->urp, tcb->rcv_up))
		tcb->rcv_up = th->seq + th->urp;
	/* Seventh: text. */
	if (seg->len > 0) {
		switch (tcb->state) {
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			if (tcb->flags & TF_ORPHAN) {
				/* Linux: data for a closed socket resets it
				 * (TCPAbortOnData). */
				eng->stats.TcpExtTCPAbortOnData++;
				ts_tcp_send_rst_tcb(tcb, now);
				ts_tcp_done(tcb, ECONNRESET);
				return;
			}
			data_input(tcb, seg);
			if (tcb->zombie)
				return; /* on_readable closed it */
			break;
		default:
			/* CLOSE-WAIT, CLOSING, LAST-ACK: the peer sent a FIN
			 * already; ignore the text. */
			break;
		}
	}
	/* Linux tcp_data_queue: a bare FIN beyond RCV.NXT (end_seq != seq)
	 * is queued by tcp_data_queue_ofo, and __tcp_ack_snd_check ACKs at
	 * once while that queue is not empty: a duplicate ACK.  (One with data
	 * went through data_input, which holds it as TF_OOO_FIN too.) */
	if (th->flags & TH_FIN && seg->len == 0 && SEQ_GT(th->seq, tcb->rcv_nxt) &&
	    !(tcb->flags & (TF_RCVD_FIN | TF_ORPHAN)) &&
	    (tcb->state == TCPS_ESTABLISHED || tcb->state == TCPS_FIN_WAIT_1 ||
	     tcb->state == TCPS_FIN_WAIT_2)) {
		if (!(tcb->flags & TF_OOO_FIN))
			eng->stats.TcpExtTCPOFOQueue++;
		tcb->flags |= TF_OOO_FIN | TF_ACKNOW;
		tcb->rcv_fin_seq = th->seq;
	}
	/* Eighth: FIN. */
	if (th->flags & TH_FIN && th->seq + seg->len == tcb->rcv_nxt) {
		if (!fin_input(tcb, seg, fin_acked))
			return;
		if (tcb->state == TCPS_TIME_WAIT)
			return;
	}
	ts_tcp_output(tcb, now);
}

void ts_tcp_segment(struct ts_tcp *tcp, struct tcp_seg *seg)
{
	struct ts_tcp_key k = {
		.laddr = seg->dst,
		.raddr = seg->src,
		.lport = seg->th.dport,
		.rport = seg->th.sport,
	};
	struct ts_tcb *tcb = ts_tcb_lookup(tcp, &k);
	struct ts_tcb *l;
	uint32_t isn = 0;

	if (tcb != NULL && tcb->state == TCPS_TIME_WAIT) {
		isn = time_wait_input(tcb, seg);
		if (isn == 0)
			return;
		tcb = NULL;
	}
	if (tcb == NULL) {
		l = ts_tcb_lookup_listener(tcp, seg->dst, seg->th.dport, seg->src, seg->th.sport);
		if (l != NULL) {
			listen_input(tcp, l, seg, isn);
			return;
		}
		/* RFC 9293 3.10.7.1: CLOSED answers with a reset. */
		TS_TCP_SEG_DROP(tcp->eng, seg, TsExtTcpInNoSocket, "");
		ts_tcp_send_reset(tcp->eng, seg);
		return;
	}
	if (tcb->state == TCPS_SYN_SENT) {
		syn_sent_input(tcb, seg);
		return;
	}
	established_input(tcb, seg);
}

int ts_tcp_input(struct ts_engine *eng, struct pktbuf *pkt)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	struct tcp_seg seg;

	eng->stats.TcpInSegs++;
	/* RFC 1122 4.2.3.10 / Linux (PACKET_HOST only): TCP is unicast;
	 * nothing addressed to a broadcast or multicast address is answered. */
	if (tcp == NULL || pkt->l2_bcast || !ts_engine_is_local(eng, pkt->ip_dst)) {
		TS_DROP(eng, TsExtTcpInDropped);
		ts_pkt_free(pkt);
		return 0;
	}
	if (ts_tcp_csum(pkt->ip_src, pkt->ip_dst, pkt->data, pkt->len) != 0) {
		TS_DROP(eng, TcpInCsumErrors);
		eng->stats.TcpInErrs++;
		if (eng->trace.ring != NULL)
			eng->trace.seen.TcpInErrs++; /* told as TcpInCsumErrors */
		ts_pkt_free(pkt);
		return 0;
	}
	memset(&seg, 0, sizeof(seg));
	if (ts_tcp_parse(pkt->data, pkt->len, &seg.th) < 0) {
		TS_DROP(eng, TcpInErrs);
		ts_pkt_free(pkt);
		return 0;
	}
	seg.src = pkt->ip_src;
	seg.dst = pkt->ip_dst;
	seg.data = pkt->data + seg.th.doff;
	seg.len = (uint32_t)(pkt->len - seg.th.doff);
	seg.now = eng->now;
	ts_tcp_enter(tcp);
	ts_tcp_segment(tcp, &seg);
	ts_tcp_leave(tcp);
	ts_pkt_free(pkt);
	return 0;
}

static void icmp_error_tcb(struct ts_tcb *tcb, const struct ts_icmp_err *e, uint32_t seq);

void ts_tcp_icmp_error(struct ts_engine *eng, const struct ts_icmp_err *e)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	struct ts_tcp_key k;
	struct ts_tcb *tcb;
	uint32_t seq;

	if (tcp == NULL || e->l4_len < 8)
		return;
	k.laddr = e->src;
	k.raddr = e->dst;
	k.lport = ts_get16(e->l4);
	k.rport = ts_get16(e->l4 + 2);
	seq = ts_get32(e->l4 + 4);
	tcb = ts_tcb_lookup(tcp, &k);
	if (tcb == NULL || tcb->state == TCPS_TIME_WAIT)
		return;
	ts_tcp_enter(tcp);
	icmp_error_tcb(tcb, e, seq);
	ts_tcp_leave(tcp);
}

static void icmp_error_tcb(struct ts_tcb *tcb, const struct ts_icmp_err *e, uint32_t seq)
{
	struct ts_engine *eng = tcb->eng;

	/* RFC 5927 / Linux tcp_v4_err: only for data we have in flight. */
	if (!SEQ_IN(seq, tcb->snd_una, tcb->snd_max + 1)) {
		TS_TCP_DROP(tcb, eng->now, TcpExtOutOfWindowIcmps, "");
		return;
	}
	if (e->type == TS_ICMP_DEST_UNREACH && e->code == TS_ICMP_FRAG_NEEDED) {
		/* Path MTU (RFC 1191): lower the MSS, resend at once. */
		if (e->mtu >= 68 + 40 && (uint32_t)e->mtu - 40 < tcb->mss) {
			tcb->mss = (uint16_t)(e->mtu - 40);
			ts_tcp_cc_set_mss(&tcb->cc, ts_tcb_eff_mss(tcb));
			tcb->snd_nxt = tcb->snd_una;
			ts_tcp_output(tcb, eng->now);
		}
		return;
	}
	if (e->err == 0)
		return;
	/* Linux: hard errors end a connection being opened; established
	 * ones only remember them (sk_err_soft). */
	if (tcb->state == TCPS_SYN_SENT || (tcb->state == TCPS_SYN_RECEIVED &&
					    !(tcb->flags & TF_PASSIVE))) {
		eng->stats.TcpAttemptFails++;
		ts_tcp_done(tcb, e->err);
	}
}
