/* TCP timers: retransmission (SYN, SYN-ACK, data, FIN) with Linux's retry
 * limits, zero-window persist, delayed ACK, keepalive, the orphaned
 * FIN-WAIT-2 timeout and TIME-WAIT.  Each TCB keeps one deadline per
 * timer; ts_tcp_poll runs what is due and returns the earliest deadline.
 * Read first: RFC 6298 (RTO), RFC 9293 3.8.1 and 3.8.6, RFC 1122 4.2.3.5
 * (R1/R2), 4.2.3.6 (keepalive); Linux net/ipv4/tcp_timer.c. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "ipv4.h"
#include "tcp_trace.h"

static uint64_t ms(int64_t v)
{
	return (uint64_t)v * TS_USEC_PER_MSEC;
}

/* --- the timer heap ------------------------------------------------------ */

static void heap_swap(struct ts_tcp *tcp, int i, int j)
{
	struct ts_tcb *t = tcp->heap[i];

	tcp->heap[i] = tcp->heap[j];
	tcp->heap[j] = t;
	tcp->heap[i]->heap_idx = i;
	tcp->heap[j]->heap_idx = j;
}

static void heap_sift(struct ts_tcp *tcp, int i)
{
	while (i > 0 && tcp->heap[(i - 1) / 2]->heap_key > tcp->heap[i]->heap_key) {
		heap_swap(tcp, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < tcp->heap_n && tcp->heap[l]->heap_key < tcp->heap[m]->heap_key)
			m = l;
		if (r < tcp->heap_n && tcp->heap[r]->heap_key < tcp->heap[m]->heap_key)
			m = r;
		if (m == i)
			return;
		heap_swap(tcp, i, m);
		i = m;
	}
}

static void heap_remove(struct ts_tcp *tcp, struct ts_tcb *tcb)
{
	int i = tcb->heap_idx;

	tcb->heap_idx = -1;
	if (--tcp->heap_n == i)
		return;
	tcp->heap[i] = tcp->heap[tcp->heap_n];
	tcp->heap[i]->heap_idx = i;
	heap_sift(tcp, i);
}

/* The TCB's deadlines changed: move it in the heap. */
static void timers_changed(struct ts_tcb *tcb)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);
	uint64_t key = TS_NEVER;

	for (int i = 0; i < TCPT_NTIMERS; i++)
		if (tcb->timer[i] < key)
			key = tcb->timer[i];
	if (key == TS_NEVER) {
		if (tcb->heap_idx >= 0)
			heap_remove(tcp, tcb);
		return;
	}
	if (tcb->heap_idx < 0) {
		if (tcp->heap_n == tcp->heap_cap) {
			int cap = tcp->heap_cap ? tcp->heap_cap * 2 : 64;
			struct ts_tcb **h = realloc(tcp->heap, (size_t)cap * sizeof(*h));

			if (h == NULL)
				abort(); /* out of memory for a pointer array: no way on */
			tcp->heap = h;
			tcp->heap_cap = cap;
		}
		tcb->heap_idx = tcp->heap_n;
		tcp->heap[tcp->heap_n++] = tcb;
	}
	tcb->heap_key = key;
	heap_sift(tcp, tcb->heap_idx);
}

void ts_tcp_timer_unlink(struct ts_tcb *tcb)
{
	if (tcb->heap_idx >= 0)
		heap_remove(ts_tcp_of(tcb->eng), tcb);
}

void ts_tcp_timer_set(struct ts_tcb *tcb, int which, uint64_t when)
{
	tcb->timer[which] = when;
	timers_changed(tcb);
}

void ts_tcp_timer_stop(struct ts_tcb *tcb, int which)
{
	if (tcb->timer[which] == TS_NEVER)
		return;
	tcb->timer[which] = TS_NEVER;
	timers_changed(tcb);
}

void ts_tcp_timers_stop(struct ts_tcb *tcb)
{
	for (int i = 0; i < TCPT_NTIMERS; i++)
		tcb->timer[i] = TS_NEVER;
	ts_tcp_timer_unlink(tcb);
}

void ts_tcp_rexmt_arm(struct ts_tcb *tcb, uint64_t now)
{
	uint64_t max = ms(tcb->eng->sysctl.tcp_rto_max[0]);

	ts_tcp_timer_set(tcb, TCPT_REXMT, now + (tcb->rto < max ? tcb->rto : max));
	ts_tcp_timer_stop(tcb, TCPT_PERSIST);
	ts_tcp_timer_stop(tcb, TCPT_PTO);
}

/* Linux tcp_schedule_loss_probe (6.1): a probe only "for SACK capable
 * connections not in loss recovery", icsk_ca_state TCP_CA_Open or
 * TCP_CA_CWR: not in Disorder (duplicate ACKs/SACKs seen), Recovery or
 * Loss. */
static int loss_probe_state_ok(const struct ts_tcb *tcb)
{
	return !(tcb->flags & (TF_IN_RECOVERY | TF_LOSS_RECOVERY)) &&
	       (tcb->cc.ca_state == TS_CA_OPEN || tcb->cc.ca_state == TS_CA_CWR);
}

/* RFC 8985 7.2 as Linux's tcp_schedule_loss_probe: with SACK, outside
 * recovery, PTO = 2 SRTT plus tcp_rto_min for a lone segment (the peer may
 * delay its ACK) or 2 ms otherwise, never later than the RTO it replaces
 * (the probe and the RTO share one slot, as in Linux). */
void ts_tcp_schedule_loss_probe(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	uint32_t flight = tcb->snd_max - tcb->snd_una;
	uint64_t pto, rto_at = tcb->timer[TCPT_REXMT];

	if (sc->tcp_early_retrans[0] < 3 || !(tcb->flags & TF_SACK) || flight == 0 ||
	    !loss_probe_state_ok(tcb) || tcb->tlp_out ||
	    tcb->srtt == 0 || !TCPS_HAVEESTABLISHED(tcb->state) || rto_at == TS_NEVER)
		return;
	pto = 2 * tcb->srtt;
	pto += flight <= ts_tcb_eff_mss(tcb) ? ms(sc->tcp_rto_min[0]) : 2 * TS_USEC_PER_MSEC;
	if (rto_at > now && now + pto > rto_at)
		pto = rto_at - now;
	ts_tcp_timer_set(tcb, TCPT_PTO, now + pto);
	ts_tcp_timer_stop(tcb, TCPT_REXMT);
}

/* RFC 8985 7.3 / Linux tcp_send_loss_probe: one new segment if the window
 * allows (cwnd aside), else the last segment again; then the RTO. */
static int loss_probe_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	uint32_t mss = ts_tcb_eff_mss(tcb);
	uint32_t buflen = (uint32_t)ts_ringbuf_len(&tcb->snd);
	uint32_t data_end = tcb->snd_buf_seq + buflen;
	uint32_t unsent = SEQ_GT(data_end, tcb->snd_max) ? data_end - tcb->snd_max : 0;

	if (tcb->snd_max == tcb->snd_una)
		return 0;
	/* A probe armed in Open that comes due after duplicate ACKs or a
	 * recovery began: Linux has re-armed the shared slot as the RTO by
	 * then (tcp_set_xmit_timer on the SACK, tcp_xmit_retransmit_queue on
	 * the resent head), so no probe; the RTO follows. */
	if (!tcb->tlp_out && loss_probe_state_ok(tcb)) {
		uint32_t room = SEQ_GT(tcb->snd_una + tcb->snd_wnd, tcb->snd_max)
					? tcb->snd_una + tcb->snd_wnd - tcb->snd_max
					: 0;
		uint32_t n = unsent < mss ? unsent : mss;

		if (n > 0 && n <= room && tcb->snd_nxt == tcb->snd_max) {
			ts_tcp_xmit(tcb, TH_ACK | (n == unsent ? TH_PSH : 0), tcb->snd_max, n, now);
			tcb->snd_nxt = tcb->snd_max += n;
			tcb->tlp_rxt = 0;
		} else {
			/* The last segment (with our FIN if that was last). */
			int fin = tcb->flags & TF_FIN_SENT && tcb->snd_max == data_end + 1;
			uint32_t outstanding = data_end - tcb->snd_una;
			uint32_t len = outstanding < mss ? outstanding : mss;

			if (SEQ_GT(tcb->snd_una, data_end))
				len = 0;
			ts_tcp_xmit(tcb, TH_ACK | (fin ? TH_FIN : 0) | (len ? TH_PSH : 0), data_end - len,
				    len, now);
			eng->stats.TcpRetransSegs++;
			tcb->total_retrans++;
			TS_TCP_TRACE_RXT(tcb, now, fin ? TH_FIN : 0, data_end - len, len, "tlp");
			tcb->tlp_rxt = 1;
		}
		tcb->tlp_out = 1;
		tcb->tlp_high_seq = tcb->snd_max;
		eng->stats.TcpExtTCPLossProbes++;
	}
	ts_tcp_rexmt_arm(tcb, now);
	return 0;
}

/* RFC 6298 2.2-2.4, with Linux's tcp_rtt_estimator/tcp_set_rto: the
 * variance term is never below tcp_rto_min, so RTO = SRTT + max(4 RTTVAR,
 * rto_min) (RFC 6298 would clamp the sum at 1 s instead). */
void ts_tcp_rtt_sample(struct ts_tcb *tcb, uint64_t rtt)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	uint64_t var;

	if (rtt == 0)
		rtt = 1;
	if (tcb->srtt == 0) {
		tcb->srtt = rtt;
		tcb->rttvar = rtt / 2;
	} else {
		uint64_t d = rtt > tcb->srtt ? rtt - tcb->srtt : tcb->srtt - rtt;

		tcb->rttvar = (3 * tcb->rttvar + d) / 4;
		tcb->srtt = (7 * tcb->srtt + rtt) / 8;
	}
	var = 4 * tcb->rttvar;
	if (var < ms(sc->tcp_rto_min[0]))
		var = ms(sc->tcp_rto_min[0]);
	tcb->rto = tcb->srtt + var;
	if (tcb->rto > ms(sc->tcp_rto_max[0]))
		tcb->rto = ms(sc->tcp_rto_max[0]);
	tcb->backoff = 0;
}

static uint64_t keep_idle(const struct ts_tcb *tcb)
{
	return (uint64_t)(tcb->keep_idle ? tcb->keep_idle
					 : tcb->eng->sysctl.tcp_keepalive_time[0]) *
	       TS_USEC_PER_SEC;
}

static uint64_t keep_intvl(const struct ts_tcb *tcb)
{
	return (uint64_t)(tcb->keep_intvl ? tcb->keep_intvl
					  : tcb->eng->sysctl.tcp_keepalive_intvl[0]) *
	       TS_USEC_PER_SEC;
}

static int keep_cnt(const struct ts_tcb *tcb)
{
	return tcb->keep_cnt ? tcb->keep_cnt : (int)tcb->eng->sysctl.tcp_keepalive_probes[0];
}

void ts_tcp_keepalive_reset(struct ts_tcb *tcb, uint64_t now)
{
	if (tcb->flags & TF_KEEPALIVE && TCPS_HAVEESTABLISHED(tcb->state) &&
	    tcb->state != TCPS_TIME_WAIT)
		ts_tcp_timer_set(tcb, TCPT_KEEP, now + keep_idle(tcb));
	else
		ts_tcp_timer_stop(tcb, TCPT_KEEP);
}

void ts_tcp_enter_time_wait(struct ts_tcb *tcb, uint64_t now)
{
	/* RFC 9293 3.10.7.4: TIME-WAIT lasts 2 MSL (Linux: 60 s). */
	ts_tcp_timers_stop(tcb);
	ts_tcp_state_set(tcb, TCPS_TIME_WAIT, NULL, now);
	/* Linux: a TIME-WAIT socket is no longer an orphan (tcp_max_tw_buckets
	 * bounds those, not tcp_max_orphans). */
	ts_tcp_orphan_uncount(tcb);
	ts_tcp_timer_set(tcb, TCPT_2MSL, now + 2 * ms(tcb->eng->sysctl.tcp_msl[0]));
}

/* Linux retransmits_timed_out(): tcp_retries2-style limits are a time
 * budget, what `boundary` backoffs from tcp_rto_min would take, counted
 * from the first RTO retransmission (retrans_stamp); TCP_USER_TIMEOUT
 * (user_ms, when not 0) replaces that budget. */
static int retransmits_timed_out(const struct ts_tcb *tcb, int boundary, uint64_t user_ms,
				 uint64_t now)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	uint64_t base = ms(sc->tcp_rto_min[0]);
	uint64_t max = ms(sc->tcp_rto_max[0]);
	uint64_t timeout;
	int thresh = 0;

	if (tcb->retransmits == 0)
		return 0;
	if (user_ms != 0)
		return now - tcb->retrans_stamp >= ms((int64_t)user_ms);
	while ((base << (thresh + 1)) <= max)
		thresh++; /* ilog2(rto_max / rto_min) */
	if (boundary <= thresh)
		timeout = ((2ull << boundary) - 1) * base;
	else
		timeout = ((2ull << thresh) - 1) * base + (uint64_t)(boundary - thresh) * max;
	return now - tcb->retrans_stamp >= timeout;
}

/* Linux tcp_orphan_retries: 0 means 8 while the RTO is below its cap. */
static int orphan_retries(const struct ts_tcb *tcb)
{
	int r = (int)tcb->eng->sysctl.tcp_orphan_retries[0];
	int alive = tcb->rto < ms(tcb->eng->sysctl.tcp_rto_max[0]);

	if (r == 0 && alive)
		r = 8;
	return r;
}

/* Linux tcp_write_timeout: 1 when the connection was given up (and the
 * TCB may be gone). */
static int write_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	int expired;

	if (tcb->state == TCPS_SYN_SENT || tcb->state == TCPS_SYN_RECEIVED) {
		int limit;

		if (tcb->flags & TF_PASSIVE)
			limit = (int)eng->sysctl.tcp_synack_retries[0];
		else
			limit = tcb->syn_retries ? tcb->syn_retries
						 : (int)eng->sysctl.tcp_syn_retries[0];
		expired = tcb->retransmits >= limit;
		if (expired && tcb->flags & TF_PASSIVE) {
			/* Linux reqsk_timer_handler: the half-open connection
			 * is dropped silently. */
			ts_tcp_done(tcb, ETIMEDOUT);
			return 1;
		}
		/* Linux tcp_write_timeout: TCP_USER_TIMEOUT also ends a
		 * connect() before tcp_syn_retries runs out. */
		if (!expired && tcb->user_timeout && !(tcb->flags & TF_PASSIVE))
			expired = retransmits_timed_out(tcb, limit, tcb->user_timeout, now);
		if (expired)
			eng->stats.TcpAttemptFails++;
	} else {
		int until = (int)eng->sysctl.tcp_retries2[0];

		if (tcb->flags & TF_ORPHAN) {
			/* Linux tcp_out_of_resources: with too many orphans
			 * (twice as strict for one whose RTO hit its cap)
			 * the orphan is reset and freed. */
			int alive = tcb->rto < ms(eng->sysctl.tcp_rto_max[0]);

			if (ts_tcp_too_many_orphans(ts_tcp_of(eng), alive ? 0 : 1)) {
				eng->stats.TcpExtTCPAbortOnMemory++;
				ts_tcp_send_rst_tcb(tcb, now);
				ts_tcp_state_set(tcb, TCPS_CLOSED, "too many orphans", now);
				ts_tcp_done(tcb, 0);
				return 1;
			}
			until = orphan_retries(tcb);
		}
		/* Linux tcp_write_timeout: TCP_USER_TIMEOUT, when set,
		 * decides instead of tcp_retries2 / tcp_orphan_retries. */
		expired = retransmits_timed_out(tcb, until, tcb->user_timeout, now);
	}
	if (!expired)
		return 0;
	eng->stats.TcpExtTCPAbortOnTimeout++;
	if (tcb->state == TCPS_ESTABLISHED || tcb->state == TCPS_CLOSE_WAIT)
		eng->stats.TcpEstabResets++;
	ts_tcp_done(tcb, ETIMEDOUT);
	return 1;
}

/* Linux tcp_retransmit_timer. */
static int rexmt_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	uint64_t max = ms(eng->sysctl.tcp_rto_max[0]);

	if (tcb->snd_una == tcb->snd_max)
		return 0; /* nothing outstanding */
	if (tcb->snd_wnd == 0 && !(tcb->flags & TF_ORPHAN) && TCPS_HAVEESTABLISHED(tcb->state)) {
		/* Linux: the receiver shrank its window to zero under our data.
		 * The retransmissions become zero-window probes; the
		 * connection dies only after tcp_rto_max without any ACK. */
		if (now - tcb->last_rcv > max) {
			eng->stats.TcpExtTCPAbortOnTimeout++;
			ts_tcp_done(tcb, ETIMEDOUT);
			return 1;
		}
		eng->stats.TcpExtTCPTimeouts++;
		ts_tcp_cc_on_rto(&tcb->cc, tcb->snd_max, now);
		ts_sack_on_rto(&tcb->sb);
		tcb->flags &= ~(TF_IN_RECOVERY | TF_RTT_TIMING);
		tcb->flags |= TF_LOSS_RECOVERY;
		tcb->dupacks = 0;
		tcb->snd_nxt = tcb->snd_una;
		ts_tcp_retransmit_head(tcb, now);
		tcb->backoff++;
		tcb->rto = tcb->rto * 2 < max ? tcb->rto * 2 : max;
		ts_tcp_timer_set(tcb, TCPT_REXMT, now + tcb->rto);
		return 0;
	}
	if (write_timeout(tcb, now))
		return 1;
	/* Linux tcp_retransmit_skb: retrans_stamp is the head's timestamp
	 * after it went out again, i.e. the first RTO retransmission (a tail
	 * loss probe does not set it), and the budgets of tcp_retries2,
	 * tcp_orphan_retries and TCP_USER_TIMEOUT run from there; a connect()
	 * counts from its first SYN (tcp_connect).  Measured on Linux 6.18
	 * (orphan FIN, every FIN lost): tcp_orphan_retries=1/2/3 give 4/5/6
	 * FINs (probe, then R+1 retransmissions); TCP_USER_TIMEOUT=1000 ends
	 * the connection 1.0 s after the first RTO retransmission. */
	if (tcb->retransmits == 0)
		tcb->retrans_stamp = tcb->state == TCPS_SYN_SENT || tcb->state == TCPS_SYN_RECEIVED
					     ? now - (tcb->rto < now ? tcb->rto : now)
					     : now;
	eng->stats.TcpExtTCPTimeouts++;
	if (TCPS_HAVEESTABLISHED(tcb->state)) {
		/* Linux tcp_enter_loss: a new loss episode remembers what to
		 * undo should the RTO prove spurious (not a second RTO of
		 * one episode, nor one inside a recovery still running). */
		if (tcb->cc.ca_state <= TS_CA_DISORDER || SEQ_LEQ(tcb->cc.recover, tcb->snd_una) ||
		    (tcb->cc.ca_state == TS_CA_LOSS && tcb->retransmits == 0))
			ts_tcp_undo_init(tcb);
		/* RFC 5681 3.1 eq. 4 / RFC 6675 5.1: cwnd = 1, ssthresh
		 * halved; SACKed data stays skipped (Linux). */
		ts_tcp_cc_on_rto(&tcb->cc, tcb->snd_max, now);
		ts_sack_on_rto(&tcb->sb);
		tcb->flags &= ~TF_IN_RECOVERY;
		tcb->flags |= TF_LOSS_RECOVERY;
		tcb->dupacks = 0;
	}
	/* Karn: no RTT sample from retransmitted data. */
	tcb->flags &= ~TF_RTT_TIMING;
	tcb->tlp_out = 0;
	tcb->backoff++;
	tcb->retransmits++;
	tcb->rto = tcb->rto * 2 < max ? tcb->rto * 2 : max;
	/* Go back N (RFC 6298 5.4: the earliest unacknowledged segment). */
	tcb->snd_nxt = tcb->snd_una;
	ts_tcp_timer_stop(tcb, TCPT_REXMT);
	ts_tcp_output(tcb, now);
	if (tcb->timer[TCPT_REXMT] == TS_NEVER)
		ts_tcp_rexmt_arm(tcb, now);
	if (tcb->user_timeout && tcb->timer[TCPT_REXMT] != TS_NEVER) {
		/* Linux tcp_clamp_rto_to_user_timeout: the next timeout comes
		 * no later than the user timeout (at once if it passed). */
		uint64_t end = tcb->retrans_stamp + ms((int64_t)tcb->user_timeout);
		uint64_t at = end > now ? end : now + TS_USEC_PER_MSEC;

		if (at < tcb->timer[TCPT_REXMT])
			ts_tcp_timer_set(tcb, TCPT_REXMT, at);
	}
	return 0;
}

/* Linux tcp_probe_timer / tcp_send_probe0: a zero-window probe is a bare
 * ACK with SEQ = SND.UNA - 1, which the peer must answer with its window. */
static int persist_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	uint64_t max = ms(eng->sysctl.tcp_rto_max[0]);
	int limit = (int)eng->sysctl.tcp_retries2[0];
	uint64_t t;

	if (tcb->snd_nxt != tcb->snd_una || tcb->snd_max != tcb->snd_una)
		return 0;
	if (tcb->flags & TF_ORPHAN) {
		/* Linux tcp_probe_timer: tcp_out_of_resources for orphans. */
		int alive = tcb->rto < max;

		if (ts_tcp_too_many_orphans(ts_tcp_of(eng), alive ? 0 : 1)) {
			eng->stats.TcpExtTCPAbortOnMemory++;
			ts_tcp_send_rst_tcb(tcb, now);
			ts_tcp_state_set(tcb, TCPS_CLOSED, "too many orphans", now);
			ts_tcp_done(tcb, 0);
			return 1;
		}
		limit = orphan_retries(tcb);
	}
	/* Linux 6.1 tcp_probe_timer: with TCP_USER_TIMEOUT the probes
	 * give up that long after the first one (icsk_probes_tstamp). */
	if (tcb->probes_out == 0)
		tcb->probes_stamp = now;
	else if (tcb->user_timeout && now - tcb->probes_stamp >= ms((int64_t)tcb->user_timeout))
		limit = 0;
	if (tcb->probes_out >= limit) {
		eng->stats.TcpExtTCPAbortOnTimeout++;
		ts_tcp_done(tcb, ETIMEDOUT);
		return 1;
	}
	if (tcb->snd_wnd > 0) {
		/* Linux tcp_write_wakeup: a window too small for the sender's
		 * SWS rule gets what fits, which brings a fresh ACK. */
		uint32_t avail = (uint32_t)ts_ringbuf_len(&tcb->snd) -
				 (tcb->snd_nxt - tcb->snd_buf_seq);
		uint32_t n = tcb->snd_wnd < ts_tcb_eff_mss(tcb) ? tcb->snd_wnd : ts_tcb_eff_mss(tcb);

		if (n > avail)
			n = avail;
		if (n > 0) {
			ts_tcp_xmit(tcb, TH_ACK | (n == avail ? TH_PSH : 0), tcb->snd_nxt, n, now);
			tcb->snd_nxt += n;
			tcb->snd_max = tcb->snd_nxt;
			ts_tcp_rexmt_arm(tcb, now);
			return 0;
		}
	}
	ts_tcp_xmit(tcb, TH_ACK, tcb->snd_una - 1, 0, now);
	eng->stats.TcpExtTCPWinProbe++;
	tcb->probes_out++;
	tcb->backoff++;
	t = tcb->rto << (tcb->backoff < 30 ? tcb->backoff : 30);
	ts_tcp_timer_set(tcb, TCPT_PERSIST, now + (t < max ? t : max));
	return 0;
}

/* Linux tcp_keepalive_timer, also the orphaned FIN-WAIT-2 limit. */
static int keep_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	uint64_t idle;

	if (!(tcb->flags & TF_KEEPALIVE) || !TCPS_HAVEESTABLISHED(tcb->state) ||
	    tcb->state == TCPS_TIME_WAIT)
		return 0;
	/* Linux: no probes while data is in flight or queued; the
	 * retransmission timer watches the connection then. */
	if (tcb->snd_max != tcb->snd_una || ts_ringbuf_len(&tcb->snd) > 0) {
		ts_tcp_timer_set(tcb, TCPT_KEEP, now + keep_idle(tcb));
		return 0;
	}
	idle = now - tcb->last_rcv;
	if (idle >= keep_idle(tcb)) {
		/* Linux tcp_keepalive_timer: with TCP_USER_TIMEOUT, give up
		 * once the peer has been silent that long and a probe is
		 * out, whatever TCP_KEEPCNT says. */
		if ((tcb->user_timeout && idle >= ms((int64_t)tcb->user_timeout) &&
		     tcb->probes_out > 0) ||
		    (!tcb->user_timeout && tcb->probes_out >= keep_cnt(tcb))) {
			/* RFC 1122 4.2.3.6; Linux resets the peer too. */
			TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "keepalive fired: no answer to %d probes",
				     tcb->probes_out);
			ts_tcp_send_rst_tcb(tcb, now);
			eng->stats.TcpExtTCPAbortOnTimeout++;
			ts_tcp_done(tcb, ETIMEDOUT);
			return 1;
		}
		TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "keepalive probe %d/%d", tcb->probes_out + 1,
			     keep_cnt(tcb));
		ts_tcp_xmit(tcb, TH_ACK, tcb->snd_una - 1, 0, now);
		eng->stats.TcpExtTCPKeepAlive++;
		tcb->probes_out++;
		ts_tcp_timer_set(tcb, TCPT_KEEP, now + keep_intvl(tcb));
	} else {
		ts_tcp_timer_set(tcb, TCPT_KEEP, tcb->last_rcv + keep_idle(tcb));
	}
	return 0;
}

static int twomsl_timeout(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;

	if (tcb->state == TCPS_TIME_WAIT) {
		eng->stats.TcpExtTW++;
		ts_tcp_done(tcb, 0);
		return 1;
	}
	if (tcb->state == TCPS_FIN_WAIT_2 && tcb->flags & TF_ORPHAN) {
		/* Linux: tcp_fin_timeout ends an orphaned FIN-WAIT-2 (its
		 * FIN_WAIT2 timewait sock expires silently). */
		ts_tcp_done(tcb, 0);
		return 1;
	}
	return 0;
}

/* The trace line of a timer about to run (keepalive tells its own, in
 * keep_timeout, which knows whether it probes). */
static void trace_timer(struct ts_tcb *tcb, int which, uint64_t now)
{
	switch (which) {
	case TCPT_REXMT:
		if (tcb->snd_una != tcb->snd_max)
			TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "rto fired backoff=%d rto=%llums",
				     tcb->backoff, (unsigned long long)(tcb->rto / TS_USEC_PER_MSEC));
		break;
	case TCPT_PERSIST:
		TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "persist fired probes=%d backoff=%d",
			     tcb->probes_out, tcb->backoff);
		break;
	case TCPT_2MSL:
		if (tcb->state == TCPS_TIME_WAIT)
			TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "timewait expired");
		else if (tcb->state == TCPS_FIN_WAIT_2 && tcb->flags & TF_ORPHAN)
			TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "fin_wait2 timeout");
		break;
	case TCPT_PTO:
		if (tcb->snd_una != tcb->snd_max)
			TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "tlp fired");
		break;
	default:
		break;
	}
}

void ts_tcp_run_timers(struct ts_tcb *tcb, uint64_t now)
{
	static int (*const handlers[TCPT_NTIMERS])(struct ts_tcb *, uint64_t) = {
		rexmt_timeout, persist_timeout, NULL, keep_timeout, twomsl_timeout,
		loss_probe_timeout,
	};

	for (int i = 0; i < TCPT_NTIMERS; i++) {
		if (tcb->timer[i] > now)
			continue;
		ts_tcp_timer_stop(tcb, i);
		if (i == TCPT_DELACK) {
			if (tcb->flags & (TF_DELACK | TF_ACKNOW)) {
				TS_TCP_TRACE(tcb, now, TS_TRACE_TIMER, "delack");
				tcb->eng->stats.TcpExtDelayedACKs++;
				tcb->flags |= TF_ACKNOW;
				ts_tcp_output(tcb, now);
			}
			continue;
		}
		if (tcb->eng->trace.ring != NULL)
			trace_timer(tcb, i, now);
		if (handlers[i](tcb, now))
			return; /* the TCB is gone or closed */
	}
}

uint64_t ts_tcp_tcb_next_timer(const struct ts_tcb *tcb, int *which)
{
	uint64_t best = TS_NEVER;

	*which = -1;
	for (int i = 0; i < TCPT_NTIMERS; i++) {
		if (tcb->timer[i] < best) {
			best = tcb->timer[i];
			*which = i;
		}
	}
	return best;
}

uint64_t ts_tcp_poll(struct ts_engine *eng, uint64_t now)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	int guard;

	if (tcp == NULL)
		return TS_NEVER;
	eng->now = now;
	/* Each handler stops the timer it runs (and may arm later ones), so
	 * the loop ends; the guard only bounds a bug. */
	guard = 4 * tcp->heap_n + 64;
	ts_tcp_enter(tcp);
	while (tcp->heap_n > 0 && tcp->heap[0]->heap_key <= now && guard-- > 0)
		ts_tcp_run_timers(tcp->heap[0], now);
	ts_tcp_leave(tcp);
	return tcp->heap_n > 0 ? tcp->heap[0]->heap_key : TS_NEVER;
}
