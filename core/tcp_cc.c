/* TCP congestion control: the RFC 5681 / RFC 6582 framework and two
 * algorithms, "reno" and "cubic" (Linux tcp_cong.c, tcp_cubic.c).  Called
 * by tcp_in (ACKs, dupacks, recovery), tcp_timer (RTO) and tcp_out (idle
 * restart).  Read first: RFC 5681, RFC 6582, RFC 9438, RFC 6928; cwnd is
 * in segments as in Linux (tcp_cc.h). */
#include <string.h>

#include "sysctl.h"
#include "tcp_cc.h"
#include "tcp_seq.h"

/* RFC 5681 3.2 / Linux tcp_reordering: the third duplicate ACK triggers
 * fast retransmit. */
#define TS_TCP_DUPTHRESH 3

static void set_state(struct ts_tcp_cc_state *cc, uint8_t st)
{
	if (cc->ca_state == st)
		return;
	if (cc->ops->set_state)
		cc->ops->set_state(cc, st);
	cc->ca_state = st;
}

static void cwnd_event(struct ts_tcp_cc_state *cc, enum ts_tcp_ca_event ev, uint64_t arg,
		       uint64_t now)
{
	if (cc->ops->cwnd_event)
		cc->ops->cwnd_event(cc, ev, arg, now);
}

static void set_cwnd(struct ts_tcp_cc_state *cc, uint32_t cwnd)
{
	if (cwnd < 1)
		cwnd = 1;
	if (cwnd > cc->cwnd_clamp)
		cwnd = cc->cwnd_clamp;
	cc->cwnd = cwnd;
}

/* ------------------------------------------------------------------ */
/* Shared growth helpers (Linux tcp_slow_start, tcp_cong_avoid_ai).     */

uint32_t ts_tcp_slow_start(struct ts_tcp_cc_state *cc, uint32_t acked)
{
	/* RFC 5681 3.1 with appropriate byte counting (RFC 3465, L = the
	 * whole ACK, as Linux): cwnd grows by what was acked, up to
	 * ssthresh; the rest is congestion-avoidance credit. */
	uint64_t want = (uint64_t)cc->cwnd + acked;
	uint32_t cwnd = want < cc->ssthresh ? (uint32_t)want : cc->ssthresh;

	if (cwnd < cc->cwnd)
		cwnd = cc->cwnd;	/* cwnd above ssthresh: no change */
	acked -= cwnd - cc->cwnd;
	set_cwnd(cc, cwnd);
	return acked;
}

void ts_tcp_cong_avoid_ai(struct ts_tcp_cc_state *cc, uint32_t w, uint32_t acked)
{
	if (w == 0)
		w = 1;
	/* Linux: credit accumulated at a larger w is applied gently. */
	if (cc->cwnd_cnt >= w) {
		cc->cwnd_cnt = 0;
		set_cwnd(cc, cc->cwnd + 1);
	}
	cc->cwnd_cnt += acked;
	if (cc->cwnd_cnt >= w) {
		uint32_t delta = cc->cwnd_cnt / w;

		cc->cwnd_cnt -= delta * w;
		set_cwnd(cc, cc->cwnd + delta);
	}
}

/* ------------------------------------------------------------------ */
/* Reno: RFC 5681 slow start and congestion avoidance.                  */

static void reno_init(struct ts_tcp_cc_state *cc, uint64_t now)
{
	(void)cc;
	(void)now;
}

/* RFC 5681 3.1 eq. (4) says max(FlightSize / 2, 2 * SMSS); Linux
 * (tcp_reno_ssthresh) halves cwnd instead of FlightSize.  Linux wins. */
static uint32_t reno_ssthresh(struct ts_tcp_cc_state *cc)
{
	uint32_t half = cc->cwnd >> 1;

	return half > 2 ? half : 2;
}

static void reno_cong_avoid(struct ts_tcp_cc_state *cc, uint32_t acked, uint64_t now)
{
	(void)now;
	if (ts_tcp_cc_in_slow_start(cc)) {
		acked = ts_tcp_slow_start(cc, acked);
		if (!acked)
			return;
	}
	/* RFC 5681 3.1 eq. (3): about one segment per RTT. */
	ts_tcp_cong_avoid_ai(cc, cc->cwnd, acked);
}

const struct ts_tcp_cc_ops ts_tcp_reno_ops = {
	.name = "reno",
	.init = reno_init,
	.ssthresh = reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
};

/* ------------------------------------------------------------------ */
/* CUBIC: RFC 9438, computed as Linux's tcp_cubic.c does (integer curve */
/* in 1/1024 s, cnt = ACKs per +1 segment), with Linux's HyStart.       */

#define BICTCP_BETA_SCALE 1024
#define BICTCP_HZ 10			/* time unit 2^-10 s */
#define CUBIC_BETA 717			/* RFC 9438 beta_cubic 0.7 */
#define CUBIC_BIC_SCALE 41		/* C = 41 * 10 / 1024 = 0.4 */
#define CUBIC_RTT_SCALE (CUBIC_BIC_SCALE * 10)
/* 2^(10 + 3 * BICTCP_HZ) / (bic_scale * 10): K = cbrt(factor * dW). */
#define CUBIC_FACTOR ((1ull << (10 + 3 * BICTCP_HZ)) / CUBIC_RTT_SCALE)
/* RFC 9438 4.3 alpha_cubic = 3 (1 - beta) / (1 + beta): Linux counts
 * 8 (1024 + beta) / 3 / (1024 - beta) / 8 cwnd ACKs per Reno segment. */
#define CUBIC_BETA_SCALE (8 * (BICTCP_BETA_SCALE + CUBIC_BETA) / 3 / \
			  (BICTCP_BETA_SCALE - CUBIC_BETA))
/* (t - K) is clamped so C (t - K)^3 stays in 64 bits: 256 s. */
#define CUBIC_MAX_OFFS (1ull << 18)
/* Linux HyStart (tcp_cubic.c module parameters, their defaults):
 * hystart_low_window 16, hystart_ack_delta_us 2000, 8 delay samples per
 * round, delay threshold delay_min / 8 clamped to [4 ms, 16 ms]. */
#define HYSTART_LOW_WINDOW 16
#define HYSTART_ACK_DELTA_US 2000
#define HYSTART_MIN_SAMPLES 8
#define HYSTART_DELAY_MIN 4000u
#define HYSTART_DELAY_MAX 16000u

struct cubic {
	uint32_t cnt;			/* ACKs per cwnd increment */
	uint32_t last_max_cwnd;		/* W_max */
	uint32_t last_cwnd;
	uint32_t origin_point;
	uint32_t k;			/* 1/1024 s */
	uint32_t delay_min;		/* µs */
	uint32_t ack_cnt;
	uint32_t tcp_cwnd;		/* W_est */
	uint64_t last_time;		/* µs */
	uint64_t epoch_start;		/* µs */
	uint8_t epoch_valid;
	uint8_t last_time_valid;
	/* HyStart */
	uint8_t found;			/* TS_HYSTART_* that ended slow start */
	uint8_t sample_cnt;
	uint8_t round_valid;		/* end_seq came from a real snd_nxt */
	uint32_t end_seq;		/* the round ends when this is acked */
	uint32_t curr_rtt;		/* minimum RTT of this round, µs */
	uint64_t round_start;		/* µs */
	uint64_t last_ack;		/* µs, last ACK of the current train */
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct ts_tcp_cc_state *)0)->priv),
	       "CUBIC state must fit the private area");

static struct cubic *cubic_of(struct ts_tcp_cc_state *cc)
{
	return (struct cubic *)(void *)cc->priv;
}

static void cubic_reset(struct cubic *ca)
{
	memset(ca, 0, sizeof(*ca));
}

/* Integer cube root, rounded down. */
static uint32_t cubic_root(uint64_t a)
{
	uint64_t lo = 0, hi = 1u << 21;	/* (2^21)^3 = 2^63 */

	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;

		if (mid * mid * mid <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

/* Linux bictcp_hystart_reset: a new round starts now and ends when what
 * has been sent so far is acknowledged. */
static void hystart_reset(struct ts_tcp_cc_state *cc, uint64_t now)
{
	struct cubic *ca = cubic_of(cc);

	ca->round_start = ca->last_ack = now;
	ca->end_seq = cc->snd_nxt;
	ca->round_valid = cc->snd_nxt_valid;
	ca->curr_rtt = UINT32_MAX;
	ca->sample_cnt = 0;
}

static void cubic_init(struct ts_tcp_cc_state *cc, uint64_t now)
{
	cubic_reset(cubic_of(cc));
	hystart_reset(cc, now);
}

/* Linux hystart_update: leave slow start (ssthresh = cwnd) when the ACKs
 * of one round arrive as a train longer than half the minimum RTT (the
 * pipe is full), or when the round's minimum RTT exceeds the path's
 * minimum by an eighth (clamped to 4-16 ms): a queue is building. */
static int hystart_round_over(const struct ts_tcp_cc_state *cc, const struct cubic *ca)
{
	return !ca->round_valid || SEQ_GT(cc->snd_una, ca->end_seq);
}

static void hystart_update(struct ts_tcp_cc_state *cc, uint32_t delay, uint64_t now)
{
	struct cubic *ca = cubic_of(cc);

	if (hystart_round_over(cc, ca))
		hystart_reset(cc, now);
	/* ACK train.  (Linux adds a pacing allowance of up to 1 ms to the
	 * threshold; tapsock does not pace.) */
	if (now - ca->last_ack <= HYSTART_ACK_DELTA_US) {
		ca->last_ack = now;
		if (now - ca->round_start > ca->delay_min / 2) {
			ca->found = TS_HYSTART_ACK_TRAIN;
			cc->ssthresh = cc->cwnd;
			return;
		}
	}
	/* Delay increase. */
	if (ca->curr_rtt > delay)
		ca->curr_rtt = delay;
	if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
		ca->sample_cnt++;
	} else {
		uint32_t thresh = ca->delay_min >> 3;

		if (thresh < HYSTART_DELAY_MIN)
			thresh = HYSTART_DELAY_MIN;
		if (thresh > HYSTART_DELAY_MAX)
			thresh = HYSTART_DELAY_MAX;
		if (ca->curr_rtt > ca->delay_min + thresh) {
			ca->found = TS_HYSTART_DELAY;
			cc->ssthresh = cc->cwnd;
		}
	}
}

/* Linux bictcp_update: sets ca->cnt for this cwnd and time. */
static void cubic_update(struct ts_tcp_cc_state *cc, uint32_t acked, uint64_t now)
{
	struct cubic *ca = cubic_of(cc);
	uint32_t cwnd = cc->cwnd, delta, target, max_cnt;
	uint64_t t, offs;

	ca->ack_cnt += acked;
	/* Linux recomputes at most once per jiffy, and not at all within
	 * HZ/32 while cwnd is unchanged; tapsock's jiffy is 1 ms. */
	if (ca->last_time_valid && ca->last_cwnd == cwnd &&
	    now - ca->last_time <= 31250)
		return;
	if (ca->epoch_valid && ca->last_time_valid && now / 1000 == ca->last_time / 1000)
		goto tcp_friendliness;
	ca->last_cwnd = cwnd;
	ca->last_time = now;
	ca->last_time_valid = 1;

	if (!ca->epoch_valid) {
		/* RFC 9438 4.2: a new congestion avoidance stage starts. */
		ca->epoch_valid = 1;
		ca->epoch_start = now;
		ca->ack_cnt = acked;
		ca->tcp_cwnd = cwnd;
		if (ca->last_max_cwnd <= cwnd) {
			ca->k = 0;
			ca->origin_point = cwnd;
		} else {
			/* RFC 9438 eq. (2): K = cbrt((W_max - cwnd) / C). */
			ca->k = cubic_root(CUBIC_FACTOR * (ca->last_max_cwnd - cwnd));
			ca->origin_point = ca->last_max_cwnd;
		}
	}

	/* RFC 9438 4.2: the target is W_cubic(t + RTT); t in 1/1024 s. */
	t = ((now - ca->epoch_start) + ca->delay_min) * (1u << BICTCP_HZ) / 1000000u;
	offs = t < ca->k ? ca->k - t : t - ca->k;
	if (offs > CUBIC_MAX_OFFS)
		offs = CUBIC_MAX_OFFS;
	/* RFC 9438 eq. (1): C (t - K)^3, in segments. */
	delta = (uint32_t)((CUBIC_RTT_SCALE * offs * offs * offs) >> (10 + 3 * BICTCP_HZ));
	if (t < ca->k)
		target = ca->origin_point > delta ? ca->origin_point - delta : 1;
	else
		target = ca->origin_point + delta;

	if (target > cwnd)
		ca->cnt = cwnd / (target - cwnd);
	else
		ca->cnt = 100 * cwnd;	/* very small increment */
	/* Linux: before the first loss, grow at least 5% per RTT. */
	if (ca->last_max_cwnd == 0 && ca->cnt > 20)
		ca->cnt = 20;

tcp_friendliness:
	/* RFC 9438 4.3 Reno-friendly region: W_est grows by alpha_cubic
	 * per RTT; if it is ahead, follow it. */
	delta = (cwnd * CUBIC_BETA_SCALE) >> 3;
	if (delta == 0)
		delta = 1;
	while (ca->ack_cnt > delta) {
		ca->ack_cnt -= delta;
		ca->tcp_cwnd++;
	}
	if (ca->tcp_cwnd > cwnd) {
		delta = ca->tcp_cwnd - cwnd;
		max_cnt = cwnd / delta;
		if (ca->cnt > max_cnt)
			ca->cnt = max_cnt;
	}
	/* At most 1.5x per RTT (RFC 9438 4.4 caps the target likewise). */
	if (ca->cnt < 2)
		ca->cnt = 2;
}

static void cubic_cong_avoid(struct ts_tcp_cc_state *cc, uint32_t acked, uint64_t now)
{
	struct cubic *ca = cubic_of(cc);

	if (ts_tcp_cc_in_slow_start(cc)) {
		if (cc->snd_nxt_valid && hystart_round_over(cc, ca))
			hystart_reset(cc, now);
		acked = ts_tcp_slow_start(cc, acked);
		if (!acked)
			return;
	}
	cubic_update(cc, acked, now);
	ts_tcp_cong_avoid_ai(cc, ca->cnt, acked);
}

/* RFC 9438 4.6 multiplicative decrease and 4.7 fast convergence. */
static uint32_t cubic_ssthresh(struct ts_tcp_cc_state *cc)
{
	struct cubic *ca = cubic_of(cc);
	uint32_t ss;

	ca->epoch_valid = 0;	/* end of the epoch */
	if (cc->cwnd < ca->last_max_cwnd)
		ca->last_max_cwnd = (uint32_t)((uint64_t)cc->cwnd *
					       (BICTCP_BETA_SCALE + CUBIC_BETA) /
					       (2 * BICTCP_BETA_SCALE));
	else
		ca->last_max_cwnd = cc->cwnd;
	ss = (uint32_t)((uint64_t)cc->cwnd * CUBIC_BETA / BICTCP_BETA_SCALE);
	return ss > 2 ? ss : 2;
}

/* Linux cubictcp_state: an RTO forgets the curve (RFC 9438 4.8 lets
 * W_max be kept; Linux resets). */
static void cubic_set_state(struct ts_tcp_cc_state *cc, uint8_t st)
{
	if (st == TS_CA_LOSS) {
		cubic_reset(cubic_of(cc));
		hystart_reset(cc, cc->last_send);
	}
}

static void cubic_pkts_acked(struct ts_tcp_cc_state *cc, uint32_t acked, uint64_t rtt_us,
			     uint64_t now)
{
	struct cubic *ca = cubic_of(cc);

	(void)acked;
	if (rtt_us == 0)
		return;
	/* Linux: RTT samples in the first second after a reduction may be
	 * inflated by the queue that caused it; ignore them. */
	if (ca->epoch_valid && now - ca->epoch_start < 1000000)
		return;
	if (rtt_us > UINT32_MAX)
		rtt_us = UINT32_MAX;
	if (ca->delay_min == 0 || ca->delay_min > rtt_us)
		ca->delay_min = (uint32_t)rtt_us;
	/* HyStart only in slow start, from hystart_low_window on. */
	if (!ca->found && cc->snd_nxt_valid && ts_tcp_cc_in_slow_start(cc) &&
	    cc->cwnd >= HYSTART_LOW_WINDOW)
		hystart_update(cc, (uint32_t)rtt_us, now);
}

static void cubic_cwnd_event(struct ts_tcp_cc_state *cc, enum ts_tcp_ca_event ev, uint64_t arg,
			     uint64_t now)
{
	struct cubic *ca = cubic_of(cc);

	/* RFC 9438 5.8 / Linux: application-limited time is not on the
	 * curve; shift the epoch by the idle time. */
	if (ev == TS_CA_EVENT_TX_START && ca->epoch_valid && arg > 0) {
		ca->epoch_start += arg;
		if (ca->epoch_start > now)
			ca->epoch_start = now;
	}
}

const struct ts_tcp_cc_ops ts_tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
	.pkts_acked = cubic_pkts_acked,
	.set_state = cubic_set_state,
	.cwnd_event = cubic_cwnd_event,
};

int ts_tcp_cubic_get_info(const struct ts_tcp_cc_state *cc, struct ts_tcp_cubic_info *info)
{
	const struct cubic *ca = (const struct cubic *)(const void *)cc->priv;

	if (cc->ops != &ts_tcp_cubic_ops)
		return -1;
	info->last_max_cwnd = ca->last_max_cwnd;
	info->origin_point = ca->origin_point;
	info->k = ca->k;
	info->cnt = ca->cnt;
	info->tcp_cwnd = ca->tcp_cwnd;
	info->delay_min_us = ca->delay_min;
	info->epoch_valid = ca->epoch_valid;
	info->hystart_found = ca->found;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lookup.                                                             */

static const struct ts_tcp_cc_ops *const all_ops[] = {&ts_tcp_reno_ops, &ts_tcp_cubic_ops};

const struct ts_tcp_cc_ops *ts_tcp_cc_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (strcmp(all_ops[i]->name, name) == 0)
			return all_ops[i];
	return NULL;
}

const struct ts_tcp_cc_ops *ts_tcp_cc_by_index(int64_t i)
{
	/* The sysctl's value is an index into ts_cc_names (sysctl.c). */
	for (int64_t k = 0; ts_cc_names[k]; k++)
		if (k == i)
			return ts_tcp_cc_find(ts_cc_names[k]);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The framework.                                                      */

void ts_tcp_cc_init(struct ts_tcp_cc_state *cc, const struct ts_tcp_cc_ops *ops,
		    uint32_t mss, uint32_t init_cwnd, uint64_t now)
{
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops ? ops : &ts_tcp_cubic_ops;	/* Linux's default */
	cc->mss = mss ? mss : 536;			/* RFC 9293 3.7.1 */
	cc->init_cwnd = init_cwnd ? init_cwnd : TS_TCP_INIT_CWND;
	cc->cwnd_clamp = UINT32_MAX;
	cc->cwnd = cc->init_cwnd;
	cc->ssthresh = TS_TCP_INFINITE_SSTHRESH;
	cc->ca_state = TS_CA_OPEN;
	cc->cwnd_limited = 1;
	cc->last_send = now;
	cc->ops->init(cc, now);
}

void ts_tcp_cc_set_mss(struct ts_tcp_cc_state *cc, uint32_t mss)
{
	if (mss) {
		cc->mss = mss;
		cc->acked_frac = 0;
	}
}

uint64_t ts_tcp_cc_cwnd_bytes(const struct ts_tcp_cc_state *cc)
{
	return (uint64_t)cc->cwnd * cc->mss;
}

/* Acknowledged bytes to whole segments; the remainder waits for the next
 * ACK, so byte counting never rounds up (RFC 3465 2.1). */
static uint32_t bytes_to_segs(struct ts_tcp_cc_state *cc, uint32_t bytes)
{
	uint64_t total = (uint64_t)cc->acked_frac + bytes;

	cc->acked_frac = (uint32_t)(total % cc->mss);
	return (uint32_t)(total / cc->mss);
}

enum ts_tcp_cc_ack ts_tcp_cc_on_ack(struct ts_tcp_cc_state *cc, uint32_t ack,
				    uint32_t acked_bytes, uint64_t rtt_us, uint64_t now)
{
	uint32_t segs = bytes_to_segs(cc, acked_bytes);

	cc->snd_una = ack;
	if (cc->ops->pkts_acked && acked_bytes)
		cc->ops->pkts_acked(cc, segs, rtt_us, now);

	switch (cc->ca_state) {
	case TS_CA_RECOVERY:
		if (SEQ_GEQ(ack, cc->recover)) {
			/* RFC 6582 3.2 (6) full acknowledgment; Linux
			 * tcp_end_cwnd_reduction: cwnd = ssthresh. */
			set_cwnd(cc, cc->ssthresh);
			cc->cwnd_cnt = 0;
			cc->acked_frac = 0;
			set_state(cc, TS_CA_OPEN);
			cwnd_event(cc, TS_CA_EVENT_COMPLETE_CWR, 0, now);
			return TS_CC_ACK_FULL;
		}
		if (cc->sack == TS_RECOVERY_NEWRENO) {
			/* RFC 6582 3.2 (5) partial acknowledgment: deflate
			 * by the new data acked, add back one SMSS if at
			 * least one SMSS was acked. */
			uint32_t deflate = acked_bytes / cc->mss;
			uint32_t cwnd = cc->cwnd > deflate ? cc->cwnd - deflate : 1;

			if (acked_bytes >= cc->mss)
				cwnd++;
			set_cwnd(cc, cwnd);
		}
		return TS_CC_ACK_PARTIAL;
	case TS_CA_LOSS:
		/* Linux: after an RTO cwnd slow-starts from 1 and the state
		 * stays Loss until everything sent before it is acked. */
		if (cc->cwnd_limited && segs)
			cc->ops->cong_avoid(cc, segs, now);
		if (SEQ_GEQ(ack, cc->recover)) {
			set_state(cc, TS_CA_OPEN);
			return TS_CC_ACK_FULL;
		}
		return TS_CC_ACK_NORMAL;
	default:
		if (cc->ca_state == TS_CA_DISORDER)
			set_state(cc, TS_CA_OPEN);
		/* RFC 5681 3.1 / RFC 7661: grow only while cwnd is what
		 * limits the sender (Linux tcp_is_cwnd_limited). */
		if (cc->cwnd_limited && segs)
			cc->ops->cong_avoid(cc, segs, now);
		return TS_CC_ACK_NORMAL;
	}
}

int ts_tcp_cc_on_dupack(struct ts_tcp_cc_state *cc, uint32_t dupacks)
{
	switch (cc->ca_state) {
	case TS_CA_RECOVERY:
		/* RFC 6582 3.2 (4) / RFC 5681 3.2 (4): each further dupack
		 * means a segment left the network. */
		if (cc->sack == TS_RECOVERY_NEWRENO)
			set_cwnd(cc, cc->cwnd + 1);
		return 0;
	case TS_CA_LOSS:
		return 0;
	default:
		if (dupacks == 0)
			return 0;
		set_state(cc, TS_CA_DISORDER);
		return dupacks == TS_TCP_DUPTHRESH;
	}
}

void ts_tcp_cc_enter_recovery(struct ts_tcp_cc_state *cc, uint32_t snd_nxt, int mode,
			      uint64_t now)
{
	(void)now;
	cc->prior_cwnd = cc->cwnd;
	cc->ssthresh = cc->ops->ssthresh(cc);
	cc->recover = snd_nxt;
	cc->sack = mode == TS_RECOVERY_PRR ? TS_RECOVERY_PRR
		   : mode ? TS_RECOVERY_SACK : TS_RECOVERY_NEWRENO;
	cc->cwnd_cnt = 0;
	cc->acked_frac = 0;
	cc->prr_delivered = 0;
	cc->prr_out = 0;
	set_state(cc, TS_CA_RECOVERY);
	/* RFC 5681 3.2 (3): cwnd = ssthresh + 3 SMSS (the three segments
	 * that left the network); RFC 6675 5 (4.2): cwnd = ssthresh, pipe
	 * accounts for what left; RFC 6937: cwnd follows each ACK. */
	if (cc->sack == TS_RECOVERY_NEWRENO)
		set_cwnd(cc, cc->ssthresh + TS_TCP_DUPTHRESH);
	else if (cc->sack == TS_RECOVERY_SACK)
		set_cwnd(cc, cc->ssthresh);
}

uint32_t ts_tcp_cc_prr_ack(struct ts_tcp_cc_state *cc, uint32_t delivered,
			   uint32_t in_flight, int una_advanced, int newly_lost)
{
	int64_t delta = (int64_t)cc->ssthresh - in_flight, sndcnt;

	if (cc->ca_state != TS_CA_RECOVERY || delivered == 0 || cc->prior_cwnd == 0)
		return 0;
	cc->prr_delivered += delivered;
	if (delta < 0) {
		/* RFC 6937 3.1: proportional part, pipe > ssthresh:
		 * sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) -
		 * prr_out, RecoverFS being cwnd at entry (Linux prior_cwnd). */
		uint64_t div = (uint64_t)cc->ssthresh * cc->prr_delivered + cc->prior_cwnd - 1;

		sndcnt = (int64_t)(div / cc->prior_cwnd) - cc->prr_out;
	} else {
		/* Slow-start reduction bound (PRR-SSRB): catch up to
		 * ssthresh, at most one more than delivered (Linux: only
		 * when snd_una advanced and nothing was newly lost). */
		sndcnt = (int64_t)cc->prr_delivered - cc->prr_out;
		if (sndcnt < delivered)
			sndcnt = delivered;
		if (una_advanced && !newly_lost)
			sndcnt++;
		if (sndcnt > delta)
			sndcnt = delta;
	}
	/* Linux: the first ACK of recovery always allows the fast
	 * retransmission. */
	if (sndcnt < (cc->prr_out ? 0 : 1))
		sndcnt = cc->prr_out ? 0 : 1;
	if (sndcnt < 0)
		sndcnt = 0;
	set_cwnd(cc, in_flight + (uint32_t)sndcnt);
	return (uint32_t)sndcnt;
}

void ts_tcp_cc_prr_sent(struct ts_tcp_cc_state *cc, uint32_t segs)
{
	if (cc->ca_state == TS_CA_RECOVERY)
		cc->prr_out += segs;
}

void ts_tcp_cc_on_rto(struct ts_tcp_cc_state *cc, uint32_t snd_nxt, uint64_t now)
{
	/* Linux tcp_enter_loss: ssthresh is reduced once per episode, not
	 * again on the backed-off retransmissions of the same data (RFC 5681
	 * 3.1: "the same as the first time"), nor after fast recovery
	 * already reduced it. */
	if (cc->ca_state <= TS_CA_DISORDER) {
		cc->prior_cwnd = cc->cwnd;
		cc->ssthresh = cc->ops->ssthresh(cc);
	}
	cwnd_event(cc, TS_CA_EVENT_LOSS, 0, now);
	/* RFC 5681 3.1: cwnd = LW = 1 segment. */
	set_cwnd(cc, 1);
	cc->cwnd_cnt = 0;
	cc->acked_frac = 0;
	cc->recover = snd_nxt;
	set_state(cc, TS_CA_LOSS);
}

void ts_tcp_cc_on_send(struct ts_tcp_cc_state *cc, uint32_t end_seq, uint32_t in_flight,
		       uint64_t rto_us, uint64_t now)
{
	uint64_t idle = now > cc->last_send ? now - cc->last_send : 0;

	if (in_flight == 0) {
		/* RFC 5681 4.1 / Linux tcp_slow_start_after_idle_check: after
		 * more than an RTO of silence cwnd is stale.  Linux halves it
		 * per RTO elapsed, down to the restart window. */
		if (rto_us && idle > rto_us) {
			uint32_t restart = cc->init_cwnd < cc->cwnd ? cc->init_cwnd : cc->cwnd;
			uint32_t cwnd = cc->cwnd;
			uint32_t cur = (cc->cwnd >> 1) + (cc->cwnd >> 2);
			int64_t delta = (int64_t)idle;

			cwnd_event(cc, TS_CA_EVENT_CWND_RESTART, idle, now);
			/* Linux tcp_current_ssthresh outside CWR/Recovery. */
			if (cc->ca_state != TS_CA_RECOVERY && cc->ca_state != TS_CA_CWR &&
			    cur > cc->ssthresh)
				cc->ssthresh = cur;
			while ((delta -= (int64_t)rto_us) > 0 && cwnd > restart)
				cwnd >>= 1;
			set_cwnd(cc, cwnd > restart ? cwnd : restart);
			cc->cwnd_cnt = 0;
		}
		cwnd_event(cc, TS_CA_EVENT_TX_START, idle, now);
	}
	cc->last_send = now;
	if (!cc->snd_nxt_valid || SEQ_GT(end_seq, cc->snd_nxt))
		cc->snd_nxt = end_seq;
	cc->snd_nxt_valid = 1;
}
