/* TCP output: deciding what to send (window, congestion window, Nagle,
 * cork, silly-window avoidance) and building segments with their options.
 * Called by the user calls (tcp.c), segment arrival (tcp_in.c) and the
 * timers (tcp_timer.c).
 * Read first: RFC 9293 3.7.4 (Nagle), 3.8.6 (window management), RFC 7323
 * 3-4, RFC 2018 4, RFC 5961 (challenge ACKs), RFC 6675 (recovery sends). */
#include "tcp.h"

#include <errno.h>
#include <string.h>

#include "engine.h"
#include "ipv4.h"
#include "tcp_trace.h"
#include "wire.h"

uint32_t ts_tcp_tsval(const struct ts_tcb *tcb, uint64_t now)
{
	/* Linux: a millisecond clock plus a per-connection random offset. */
	return (uint32_t)(now / TS_USEC_PER_MSEC) + tcb->ts_offset;
}

uint32_t ts_tcp_select_window(struct ts_tcb *tcb)
{
	/* A half-open child has no ring yet: offer what it will have. */
	uint32_t space = tcb->rcv.size ? (uint32_t)ts_ringbuf_space(&tcb->rcv) : ts_tcb_rcvbuf(tcb);
	uint32_t cur = SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t maxwin = 65535u << tcb->rcv_wscale;
	uint32_t half = ts_tcb_rcvbuf(tcb) / 2;
	uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536;

	/* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): do not move the right
	 * edge for less than min(half the buffer, one MSS). */
	if (space < cur + (half < mss ? half : mss) && space < maxwin)
		space = cur;
	if (space > maxwin)
		space = maxwin;
	/* Never shrink the window already offered (RFC 9293 3.8.6.2.2). */
	if (space < cur)
		space = cur;
	/* The scaled field loses the low bits; round down, as Linux does,
	 * unless that would shrink what is offered. */
	if (tcb->rcv_wscale) {
		uint32_t r = space & ~((1u << tcb->rcv_wscale) - 1);

		if (r >= cur)
			space = r;
		else
			space = (space + (1u << tcb->rcv_wscale) - 1) &
				~((1u << tcb->rcv_wscale) - 1);
	}
	return space;
}

/* Builds and sends one segment.  The payload comes from the send ring at
 * seq; the window and ACK are the current ones. */
static int xmit_raw(struct ts_tcb *tcb, uint8_t flags, uint32_t seq, uint32_t len,
		    uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp *tcp = ts_tcp_of(eng);
	struct ts_tcp_hdr h;
	struct ts_ip_out o;
	struct pktbuf *pkt;
	uint8_t *p;
	size_t hlen;
	uint32_t win;

	memset(&h, 0, sizeof(h));
	h.sport = tcb->key.lport;
	h.dport = tcb->key.rport;
	h.seq = seq;
	h.flags = flags;
	if (flags & TH_ACK)
		h.ack = tcb->rcv_nxt;
	if (flags & TH_SYN) {
		struct ts_sysctl *sc = &eng->sysctl;
		int active = tcb->state == TCPS_SYN_SENT;

		h.opt.has |= TS_TCPO_MSS;
		h.opt.mss = tcb->adv_mss;
		/* RFC 7323 2.2 / RFC 2018 2: offer on SYN; answer on SYN-ACK
		 * only what the peer offered. */
		if (active ? sc->tcp_window_scaling[0] != 0 : (tcb->flags & TF_WS) != 0) {
			h.opt.has |= TS_TCPO_WSCALE;
			h.opt.wscale = tcb->rcv_wscale;
		}
		if (active ? sc->tcp_sack[0] != 0 : (tcb->flags & TF_SACK) != 0)
			h.opt.has |= TS_TCPO_SACK_PERM;
		if (active ? sc->tcp_timestamps[0] != 0 : (tcb->flags & TF_TS) != 0)
			h.opt.has |= TS_TCPO_TS;
	} else {
		if (tcb->flags & TF_TS)
			h.opt.has |= TS_TCPO_TS;
		if (tcb->flags & TF_SACK && (!ts_asm_empty(&tcb->ooo) || tcb->dsack) &&
		    !(flags & TH_RST)) {
			/* RFC 2883 4: a D-SACK goes first, in one ACK only
			 * (Linux clears rx_opt.dsack once it is written). */
			struct ts_sack_block d = {tcb->dsack_start, tcb->dsack_end};

			h.opt.has |= TS_TCPO_SACK;
			h.opt.nsack = ts_asm_sack_blocks_dsack(&tcb->ooo, tcb->rcv_nxt,
							       tcb->dsack ? &d : NULL, h.opt.sack,
							       tcb->flags & TF_TS ? 3 : 4);
			tcb->dsack = 0;
			if (h.opt.nsack == 0)
				h.opt.has &= ~TS_TCPO_SACK;
		}
	}
	if (h.opt.has & TS_TCPO_TS) {
		h.opt.ts_val = ts_tcp_tsval(tcb, now);
		h.opt.ts_ecr = tcb->ts_recent;
	}
	if (flags & TH_RST) {
		win = 0;
	} else {
		win = ts_tcp_select_window(tcb);
		if (flags & TH_SYN) {
			/* RFC 7323 2.2: the window in a SYN is never scaled.
			 * Linux tcp_select_initial_window rounds it down to
			 * whole segments of the MSS it advertises, less the
			 * timestamp option on a SYN-ACK that agreed to it
			 * (64240 in a SYN, 65160 in a SYN-ACK with TS). */
			uint32_t m = tcb->adv_mss;

			if (tcb->state != TCPS_SYN_SENT && tcb->flags & TF_TS)
				m -= 12;
			if (win > 65535)
				win = 65535;
			if (m > 0 && win > m)
				win -= win % m;
			h.win = (uint16_t)win;
		} else {
			h.win = (uint16_t)(win >> tcb->rcv_wscale);
			win = (uint32_t)h.win << tcb->rcv_wscale;
		}
		if (SEQ_GT(tcb->rcv_nxt + win, tcb->rcv_adv))
			tcb->rcv_adv = tcb->rcv_nxt + win;
		tcb->rcv_wnd = win;
	}
	pkt = ts_pkt_alloc(len);
	if (pkt == NULL)
		return -ENOMEM;
	if (len > 0) {
		p = ts_pkt_put(pkt, len);
		ts_ringbuf_peek(&tcb->snd, seq - tcb->snd_buf_seq, p, len);
	}
	hlen = TS_TCP_HLEN + ts_tcp_opts_len(&h.opt);
	p = ts_pkt_push(pkt, hlen);
	ts_tcp_build(p, &h);
	ts_put16(p + 16, ts_tcp_csum(tcb->key.laddr, tcb->key.raddr, p, pkt->len));
	memset(&o, 0, sizeof(o));
	o.src = tcb->key.laddr;
	o.dst = tcb->key.raddr;
	o.proto = TS_IPPROTO_TCP;
	o.ttl = (uint8_t)tcb->ttl;
	o.tos = tcb->tos;
	o.df = 1; /* Linux: path MTU discovery on by default */
	eng->stats.TcpOutSegs++;
	if (flags & TH_RST)
		eng->stats.TcpOutRsts++;
	if (len > 0 && SEQ_LT(seq, tcb->snd_max) && !(flags & TH_SYN))
		ts_tcp_undo_rxt(tcb, len, now);
	if (len > 0)
		ts_tcp_rack_sent(tcb, seq, len, now);
	if (flags & TH_ACK) {
		tcb->flags &= ~(TF_ACKNOW | TF_DELACK);
		ts_tcp_timer_stop(tcb, TCPT_DELACK);
		tcb->unacked_bytes = 0;
		tcb->last_ack_sent = tcb->rcv_nxt;
	}
	return tcp->output(eng, pkt, &o);
}

int ts_tcp_xmit(struct ts_tcb *tcb, uint8_t flags, uint32_t seq, uint32_t len, uint64_t now)
{
	return xmit_raw(tcb, flags, seq, len, now);
}

void ts_tcp_send_ack(struct ts_tcb *tcb, uint64_t now)
{
	xmit_raw(tcb, TH_ACK, tcb->snd_nxt, 0, now);
}

void ts_tcp_send_rst_tcb(struct ts_tcb *tcb, uint64_t now)
{
	/* RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST>; Linux adds the ACK. */
	xmit_raw(tcb, TH_RST | TH_ACK, tcb->snd_max, 0, now);
}

void ts_tcp_send_reset(struct ts_engine *eng, const struct tcp_seg *seg)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	struct ts_tcp_hdr h;
	struct ts_ip_out o;
	struct pktbuf *pkt;
	uint8_t *p;

	/* RFC 9293 3.10.7.1: never answer an RST with an RST. */
	if (seg->th.flags & TH_RST)
		return;
	memset(&h, 0, sizeof(h));
	h.sport = seg->th.dport;
	h.dport = seg->th.sport;
	if (seg->th.flags & TH_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		h.seq = seg->th.ack;
		h.flags = TH_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		h.seq = 0;
		h.ack = seg->th.seq + seg->len + !!(seg->th.flags & TH_SYN) +
			!!(seg->th.flags & TH_FIN);
		h.flags = TH_RST | TH_ACK;
	}
	pkt = ts_pkt_alloc(0);
	if (pkt == NULL)
		return;
	p = ts_pkt_push(pkt, TS_TCP_HLEN);
	ts_tcp_build(p, &h);
	ts_put16(p + 16, ts_tcp_csum(seg->dst, seg->src, p, pkt->len));
	memset(&o, 0, sizeof(o));
	o.src = seg->dst;
	o.dst = seg->src;
	o.proto = TS_IPPROTO_TCP;
	o.df = 1;
	eng->stats.TcpOutSegs++;
	eng->stats.TcpOutRsts++;
	tcp->output(eng, pkt, &o);
}

int ts_tcp_challenge_ack(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp *tcp = ts_tcp_of(eng);
	uint64_t lim = (uint64_t)eng->sysctl.tcp_invalid_ratelimit[0] * TS_USEC_PER_MSEC;
	uint64_t sec = now / TS_USEC_PER_SEC;

	/* Linux tcp_oow_rate_limited: one per tcp_invalid_ratelimit ms per
	 * socket... */
	if (lim && tcb->last_oow_ack && now - tcb->last_oow_ack < lim) {
		TS_TCP_DROP(tcb, now, TcpExtTCPACKSkippedChallenge, "rate limited");
		return 0;
	}
	/* ...and tcp_challenge_ack_limit per second for the host (RFC 5961
	 * 7). */
	if (sec != tcp->challenge_stamp) {
		tcp->challenge_stamp = sec;
		tcp->challenge_count = 0;
	}
	if (tcp->challenge_count >= (uint64_t)eng->sysctl.tcp_challenge_ack_limit[0]) {
		TS_TCP_DROP(tcb, now, TcpExtTCPACKSkippedChallenge, "host limit");
		return 0;
	}
	tcp->challenge_count++;
	tcb->last_oow_ack = now ? now : 1;
	eng->stats.TcpExtTCPChallengeACK++;
	ts_tcp_send_ack(tcb, now);
	return 1;
}

void ts_tcp_retransmit_head(struct ts_tcb *tcb, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	uint32_t data = (uint32_t)ts_ringbuf_len(&tcb->snd) - (tcb->snd_una - tcb->snd_buf_seq);
	uint32_t len = data < mss ? data : mss;
	uint8_t fl = TH_ACK;

	if (tcb->snd_una - tcb->snd_buf_seq > ts_ringbuf_len(&tcb->snd))
		len = 0;
	if (len == data && tcb->flags & TF_FIN_SENT)
		fl |= TH_FIN;
	if (len > 0 && len == data)
		fl |= TH_PSH; /* the last data segment keeps its push */
	if (len == 0 && !(fl & TH_FIN))
		return;
	ts_tcp_xmit(tcb, fl, tcb->snd_una, len, now);
	tcb->eng->stats.TcpRetransSegs++;
	tcb->total_retrans++;
	/* Callers: fast retransmit and NewReno's partial ACKs (in
	 * recovery), the RTO under a zero window. */
	TS_TCP_TRACE_RXT(tcb, now, fl, tcb->snd_una, len,
			 tcb->flags & TF_IN_RECOVERY ? "fast" : "rto");
	tcb->flags &= ~TF_RTT_TIMING;
	if (tcb->flags & TF_SACK)
		ts_sack_sent_rxt(&tcb->sb, tcb->snd_una, len);
}

/* Bytes SACKed in [a, b). */
static uint32_t sacked_between(const struct ts_tcb *tcb, uint32_t a, uint32_t b)
{
	struct ts_sack_block r[TS_SACK_MAX_RANGES];
	int nr = ts_sack_ranges(&tcb->sb, r, TS_SACK_MAX_RANGES);
	uint32_t n = 0;

	for (int k = 0; k < nr; k++) {
		uint32_t lo = SEQ_MAX(r[k].start, a), hi = SEQ_MIN(r[k].end, b);

		if (SEQ_LT(lo, hi))
			n += hi - lo;
	}
	return n;
}

/* Linux tcp_is_cwnd_limited: cwnd limited the sender in the current
 * window, or, in slow start, it is below twice the most segments out
 * (so slow start still doubles what was used).  An application-limited
 * or receive-window-limited flow keeps its cwnd (RFC 7661's spirit);
 * without this, cwnd grew without bound under such flows. */
int ts_tcp_is_cwnd_limited(const struct ts_tcb *tcb)
{
	if (tcb->is_cwnd_limited)
		return 1;
	if (ts_tcp_cc_in_slow_start(&tcb->cc))
		return tcb->cc.cwnd < 2 * tcb->max_packets_out;
	return 0;
}

/* Linux tcp_cwnd_validate, after a send pass that sent or was stopped by
 * cwnd: remember whether cwnd was the limit for the current window of
 * data, else the most segments out in it. */
static void cwnd_validate(struct ts_tcb *tcb, int limited)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	uint32_t out = (tcb->snd_nxt - tcb->snd_una + mss - 1) / mss; /* packets_out */

	if (SEQ_GEQ(tcb->snd_una, tcb->cwnd_usage_seq) || limited ||
	    (!tcb->is_cwnd_limited && out > tcb->max_packets_out)) {
		tcb->is_cwnd_limited = (uint8_t)limited;
		tcb->max_packets_out = out;
		tcb->cwnd_usage_seq = tcb->snd_nxt;
	}
	tcb->cc.cwnd_limited = (uint8_t)ts_tcp_is_cwnd_limited(tcb);
}

void ts_tcp_output(struct ts_tcb *tcb, uint64_t now)
{
	uint32_t mss = ts_tcb_eff_mss(tcb);
	int sent = 0, new_data = 0;

	switch (tcb->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_TIME_WAIT:
		if (tcb->state == TCPS_TIME_WAIT && tcb->flags & TF_ACKNOW)
			ts_tcp_send_ack(tcb, now);
		return;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		/* RFC 9293 3.10.1: the SYN, or (SYN-RECEIVED) SYN,ACK. */
		if (tcb->snd_nxt == tcb->iss) {
			uint8_t fl = tcb->state == TCPS_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;

			if (SEQ_LT(tcb->snd_nxt, tcb->snd_max)) {
				tcb->eng->stats.TcpRetransSegs++;
				tcb->total_retrans++;
				TS_TCP_TRACE_RXT(tcb, now, fl, tcb->iss, 0,
						 tcb->state == TCPS_SYN_SENT ? "syn" : "synack");
			}
			xmit_raw(tcb, fl, tcb->iss, 0, now);
			tcb->snd_nxt = tcb->iss + 1;
			tcb->snd_max = tcb->iss + 1;
			if (tcb->timer[TCPT_REXMT] == TS_NEVER && tcb->timer[TCPT_PTO] == TS_NEVER)
				ts_tcp_rexmt_arm(tcb, now);
		} else if (tcb->flags & TF_ACKNOW) {
			ts_tcp_send_ack(tcb, now);
		}
		return;
	default:
		break;
	}

	for (;;) {
		uint32_t buflen = (uint32_t)ts_ringbuf_len(&tcb->snd);
		uint32_t off = tcb->snd_nxt - tcb->snd_buf_seq;
		uint32_t avail, wnd, inflight, usable, len, cw;
		int fin_now, do_send = 0;
		uint8_t flags = TH_ACK;

		if (off > buflen) /* snd_nxt is past our FIN */
			break;
		avail = buflen - off;
		cw = ts_tcb_cwnd(tcb);
		/* RFC 3042 limited transmit (Linux counts dupACKed segments
		 * out of flight): one new segment per early duplicate ACK. */
		if (!(tcb->flags & TF_IN_RECOVERY) && tcb->dupacks > 0 && tcb->dupacks < 3 &&
		    tcb->snd_nxt == tcb->snd_max)
			cw += (uint32_t)tcb->dupacks * mss;
		wnd = tcb->snd_wnd < cw ? tcb->snd_wnd : cw;
		inflight = tcb->snd_nxt - tcb->snd_una;
		/* SACKed data has left the network (Linux: packets_out -
		 * sacked_out): it does not count against cwnd. */
		if (tcb->flags & TF_SACK && ts_sack_any(&tcb->sb))
			inflight -= sacked_between(tcb, tcb->snd_una, tcb->snd_nxt);
		usable = wnd > inflight ? wnd - inflight : 0;
		len = avail < usable ? avail : usable;
		if (len > mss)
			len = mss;
		/* RFC 6675: after an RTO, go-back-N skips what was SACKed. */
		if (tcb->flags & TF_SACK && SEQ_LT(tcb->snd_nxt, tcb->snd_max) && len > 0 &&
		    ts_sack_any(&tcb->sb)) {
			uint32_t nx = ts_sack_next_unsacked(&tcb->sb, tcb->snd_nxt);

			if (nx != tcb->snd_nxt) {
				if (SEQ_GT(nx, tcb->snd_max))
					nx = tcb->snd_max;
				tcb->snd_nxt = nx;
				continue;
			}
			{
				/* Stop short of the next SACKed range. */
				struct ts_sack_block r[TS_SACK_MAX_RANGES];
				int nr = ts_sack_ranges(&tcb->sb, r, TS_SACK_MAX_RANGES);

				for (int k = 0; k < nr; k++) {
					if (SEQ_GT(r[k].start, tcb->snd_nxt)) {
						if (SEQ_LT(r[k].start, tcb->snd_nxt + len))
							len = r[k].start - tcb->snd_nxt;
						break;
					}
				}
			}
		}
		fin_now = tcb->flags & TF_FIN_QUEUED && off + len == buflen;
		if (len == mss) {
			do_send = 1;
		} else if (len > 0) {
			if (tcb->flags & TF_CORK)
				do_send = fin_now;
			/* RFC 9293 3.7.4 Nagle, in Linux's Minshall form: a
			 * short segment waits only while an earlier short one
			 * is unacknowledged (or never with TCP_NODELAY). */
			else if (len == avail &&
				 (tcb->flags & TF_NODELAY || tcb->snd_nxt == tcb->snd_una ||
				  !(SEQ_GT(tcb->snd_sml, tcb->snd_una) &&
				    SEQ_LEQ(tcb->snd_sml, tcb->snd_nxt))))
				do_send = 1;
			/* RFC 9293 3.8.6.2.1 sender SWS: at least half the
			 * largest window the peer offered. */
			else if (tcb->max_snd_wnd && len >= tcb->max_snd_wnd / 2)
				do_send = 1;
			else if (fin_now)
				do_send = 1;
			/* Retransmitting after an RTO: resend what we had. */
			else if (SEQ_LT(tcb->snd_nxt, tcb->snd_max))
				do_send = 1;
		} else if (fin_now && avail == 0 &&
			   SEQ_LEQ(tcb->snd_nxt + 1, tcb->snd_una + tcb->snd_wnd)) {
			/* Linux: a lone FIN ignores the congestion window
			 * (tcp_cwnd_test) but needs a byte of the peer's
			 * (tcp_snd_wnd_test); behind a zero window it waits
			 * for the persist timer like data. */
			do_send = 1;
		}
		if (!do_send)
			break;
		if (fin_now)
			flags |= TH_FIN;
		if (len > 0 && off + len == buflen)
			flags |= TH_PSH;
		if (SEQ_LT(tcb->snd_nxt, tcb->snd_max)) {
			tcb->eng->stats.TcpRetransSegs++;
			tcb->total_retrans++;
			/* Go back N after an RTO (a lone FIN: "fin"). */
			TS_TCP_TRACE_RXT(tcb, now, flags, tcb->snd_nxt, len,
					 len == 0 && fin_now                ? "fin"
					 : tcb->flags & TF_LOSS_RECOVERY ? "rto"
									 : "gbn");
		} else if (!(tcb->flags & TF_RTT_TIMING) && len > 0) {
			tcb->flags |= TF_RTT_TIMING;
			tcb->rtt_seq = tcb->snd_nxt;
			tcb->rtt_start = now;
		}
		xmit_raw(tcb, flags, tcb->snd_nxt, len, now);
		sent++;
		if (len < mss)
			tcb->snd_sml = tcb->snd_nxt + len;
		tcb->snd_nxt += len + (fin_now ? 1 : 0);
		if (fin_now)
			tcb->flags |= TF_FIN_SENT;
		if (SEQ_GT(tcb->snd_nxt, tcb->snd_max)) {
			tcb->snd_max = tcb->snd_nxt;
			new_data = 1;
		}
		if (tcb->timer[TCPT_REXMT] == TS_NEVER && tcb->timer[TCPT_PTO] == TS_NEVER)
			ts_tcp_rexmt_arm(tcb, now);
		ts_tcp_timer_stop(tcb, TCPT_PERSIST);
		if (fin_now)
			break;
	}
	{
		/* Linux tcp_write_xmit: is_cwnd_limited when the segments
		 * in flight (SACKed ones left the network) fill cwnd. */
		uint32_t infl = tcb->snd_nxt - tcb->snd_una;
		int limited;

		if (tcb->flags & TF_SACK && ts_sack_any(&tcb->sb))
			infl -= sacked_between(tcb, tcb->snd_una, tcb->snd_nxt);
		limited = (infl + mss - 1) / mss >= tcb->cc.cwnd;
		if (sent || limited)
			cwnd_validate(tcb, limited);
	}
	if (!sent && tcb->flags & TF_ACKNOW)
		ts_tcp_send_ack(tcb, now);
	/* Linux tcp_write_xmit: new data in flight may end a flight, so arm
	 * the tail loss probe. */
	if (new_data)
		ts_tcp_schedule_loss_probe(tcb, now);
	/* RFC 9293 3.8.6.1: data waits behind a zero (or, as Linux's
	 * tcp_check_probe_timer, a too small) window and nothing is in flight
	 * to bring an ACK: probe on the persist timer. */
	if (tcb->snd_nxt == tcb->snd_una && tcb->snd_max == tcb->snd_una &&
	    (ts_ringbuf_len(&tcb->snd) > tcb->snd_nxt - tcb->snd_buf_seq ||
	     (tcb->flags & TF_FIN_QUEUED && !(tcb->flags & TF_FIN_SENT))) &&
	    tcb->timer[TCPT_REXMT] == TS_NEVER && tcb->timer[TCPT_PTO] == TS_NEVER &&
	    tcb->timer[TCPT_PERSIST] == TS_NEVER) {
		uint64_t t = tcb->rto << tcb->backoff;
		uint64_t max = (uint64_t)tcb->eng->sysctl.tcp_rto_max[0] * TS_USEC_PER_MSEC;

		ts_tcp_timer_set(tcb, TCPT_PERSIST, now + (t < max ? t : max));
	}
}
