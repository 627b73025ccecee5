/* Congestion control (core/tcp_cc.c): Reno slow start and congestion
 * avoidance (RFC 5681), NewReno recovery (RFC 6582), RTO, idle restart,
 * and CUBIC against the RFC 9438 curve, fast convergence and the
 * Reno-friendly region.  ACK numbers also run near 2^32. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pktbuf.h"
#include "sysctl.h"
#include "tcp_cc.h"

#define MSS 1000u
#define MS 1000ull
#define SEC 1000000ull

/* One ACK per segment for one RTT: cwnd ACKs spread evenly over rtt.
 * Returns the time after the round. */
static uint64_t ack_round(struct ts_tcp_cc_state *cc, uint32_t *una, uint64_t now,
			  uint64_t rtt)
{
	uint32_t n = cc->cwnd;

	for (uint32_t i = 0; i < n; i++) {
		*una += MSS;
		ts_tcp_cc_on_ack(cc, *una, MSS, rtt, now + rtt * (i + 1) / n);
	}
	return now + rtt;
}

static void test_init_uses_iw10_and_infinite_ssthresh(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 0, 0);
	assert_int_equal(cc.cwnd, 10);
	assert_int_equal(cc.ssthresh, TS_TCP_INFINITE_SSTHRESH);
	assert_int_equal(cc.ca_state, TS_CA_OPEN);
	assert_int_equal(ts_tcp_cc_cwnd_bytes(&cc), 10 * MSS);
	ts_tcp_cc_init(&cc, NULL, MSS, 4, 0);
	assert_ptr_equal(cc.ops, &ts_tcp_cubic_ops);	/* Linux default */
	assert_int_equal(cc.cwnd, 4);
	assert_int_equal(ts_pkt_live(), live);
}

/* The sysctl's names and the ops agree, index by index. */
static void test_lookup_by_name_and_sysctl_index(void **state)
{
	long live = ts_pkt_live();
	int n = 0;

	assert_ptr_equal(ts_tcp_cc_find("reno"), &ts_tcp_reno_ops);
	assert_ptr_equal(ts_tcp_cc_find("cubic"), &ts_tcp_cubic_ops);
	assert_null(ts_tcp_cc_find("bbr"));
	assert_null(ts_tcp_cc_find(NULL));
	for (int i = 0; ts_cc_names[i]; i++, n++) {
		const struct ts_tcp_cc_ops *ops = ts_tcp_cc_by_index(i);

		assert_non_null(ops);
		assert_string_equal(ops->name, ts_cc_names[i]);
	}
	assert_int_equal(n, 2);
	assert_null(ts_tcp_cc_by_index(n));
	assert_null(ts_tcp_cc_by_index(-1));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 5681 3.1: slow start adds one segment per segment acked (byte
 * counting: a stretch ACK counts all it acks, partial segments carry). */
static void test_slow_start_grows_per_acked_segment(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t una = 0xfffff000u;	/* crosses 2^32 */

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 10, 0);
	una += MSS;
	assert_int_equal(ts_tcp_cc_on_ack(&cc, una, MSS, 0, 1), TS_CC_ACK_NORMAL);
	assert_int_equal(cc.cwnd, 11);
	una += 3 * MSS;
	ts_tcp_cc_on_ack(&cc, una, 3 * MSS, 0, 2);
	assert_int_equal(cc.cwnd, 14);
	una += MSS / 2;
	ts_tcp_cc_on_ack(&cc, una, MSS / 2, 0, 3);
	assert_int_equal(cc.cwnd, 14);
	una += MSS / 2;
	ts_tcp_cc_on_ack(&cc, una, MSS / 2, 0, 4);
	assert_int_equal(cc.cwnd, 15);
	/* One RTT of ACKs doubles cwnd. */
	ack_round(&cc, &una, 10, 100 * MS);
	assert_int_equal(cc.cwnd, 30);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_not_cwnd_limited_does_not_grow(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t una = 0;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 10, 0);
	cc.cwnd_limited = 0;
	ack_round(&cc, &una, 0, 100 * MS);
	assert_int_equal(cc.cwnd, 10);
	assert_int_equal(ts_pkt_live(), live);
}

/* Slow start stops at ssthresh; the rest of a stretch ACK is CA credit. */
static void test_slow_start_caps_at_ssthresh(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 10, 0);
	cc.ssthresh = 12;
	ts_tcp_cc_on_ack(&cc, 5 * MSS, 5 * MSS, 0, 1);
	assert_int_equal(cc.cwnd, 12);
	assert_int_equal(cc.cwnd_cnt, 3);
	assert_false(ts_tcp_cc_in_slow_start(&cc));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 5681 3.1 eq. (3): congestion avoidance adds about one segment per
 * RTT, whatever the window. */
static void test_congestion_avoidance_one_mss_per_rtt(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t una = 0xffff0000u;
	uint64_t now = 0;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 20, 0);
	cc.ssthresh = 20;
	for (int rtt = 1; rtt <= 30; rtt++) {
		now = ack_round(&cc, &una, now, 100 * MS);
		assert_int_equal(cc.cwnd, 20 + rtt);
	}
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 5681 3.2 + RFC 6582 3.2: third dupack -> fast retransmit, ssthresh
 * halves (Linux: of cwnd), cwnd = ssthresh + 3, inflates per dupack,
 * partial ACK deflates and asks for a retransmission, full ACK ends. */
static void test_reno_fast_recovery_halves_and_newreno_partial_ack(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t una = 0xffffb1e0u;	/* recover wraps past 2^32 */
	uint32_t snd_nxt = una + 40 * MSS;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 40, 0);
	cc.ssthresh = 40;
	assert_int_equal(ts_tcp_cc_on_dupack(&cc, 1), 0);
	assert_int_equal(cc.ca_state, TS_CA_DISORDER);
	assert_int_equal(ts_tcp_cc_on_dupack(&cc, 2), 0);
	assert_int_equal(ts_tcp_cc_on_dupack(&cc, 3), 1);
	ts_tcp_cc_enter_recovery(&cc, snd_nxt, 0, 10);
	assert_int_equal(cc.ca_state, TS_CA_RECOVERY);
	assert_int_equal(cc.ssthresh, 20);
	assert_int_equal(cc.cwnd, 23);
	assert_int_equal(cc.recover, snd_nxt);
	assert_int_equal(ts_tcp_cc_on_dupack(&cc, 4), 0);
	assert_int_equal(cc.cwnd, 24);
	/* Partial ACK of 5 segments: 24 - 5 + 1. */
	una += 5 * MSS;
	assert_int_equal(ts_tcp_cc_on_ack(&cc, una, 5 * MSS, 0, 20), TS_CC_ACK_PARTIAL);
	assert_int_equal(cc.cwnd, 20);
	assert_int_equal(cc.ca_state, TS_CA_RECOVERY);
	/* Full ACK (una reaches recover, past 2^32): cwnd = ssthresh. */
	assert_true(snd_nxt < una);
	assert_int_equal(ts_tcp_cc_on_ack(&cc, snd_nxt, snd_nxt - una, 0, 30), TS_CC_ACK_FULL);
	assert_int_equal(cc.cwnd, 20);
	assert_int_equal(cc.ca_state, TS_CA_OPEN);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6675 5 (4.2): with SACK, cwnd = ssthresh and pipe drives sending;
 * no inflation, no deflation. */
static void test_sack_recovery_sets_cwnd_to_ssthresh(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 30, 0);
	ts_tcp_cc_enter_recovery(&cc, 30 * MSS, 1, 0);
	assert_int_equal(cc.cwnd, 15);
	ts_tcp_cc_on_dupack(&cc, 4);
	assert_int_equal(cc.cwnd, 15);
	assert_int_equal(ts_tcp_cc_on_ack(&cc, 10 * MSS, 10 * MSS, 0, 1), TS_CC_ACK_PARTIAL);
	assert_int_equal(cc.cwnd, 15);
	assert_int_equal(ts_tcp_cc_on_ack(&cc, 30 * MSS, 20 * MSS, 0, 2), TS_CC_ACK_FULL);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 5681 3.1: RTO -> ssthresh = max(cwnd/2, 2), cwnd = 1; a backed-off
 * second RTO does not halve again (Linux tcp_enter_loss); slow start
 * back to ssthresh, then Open once snd_nxt at the RTO is acked. */
static void test_rto_sets_cwnd_one_and_halves_once(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t una = 0xfffffff0u, nxt = una + 32 * MSS;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 32, 0);
	ts_tcp_cc_on_rto(&cc, nxt, 1000);
	assert_int_equal(cc.cwnd, 1);
	assert_int_equal(cc.ssthresh, 16);
	assert_int_equal(cc.ca_state, TS_CA_LOSS);
	ts_tcp_cc_on_rto(&cc, nxt, 3000);
	assert_int_equal(cc.ssthresh, 16);
	assert_int_equal(ts_tcp_cc_on_dupack(&cc, 3), 0);
	una += MSS;
	assert_int_equal(ts_tcp_cc_on_ack(&cc, una, MSS, 0, 4000), TS_CC_ACK_NORMAL);
	assert_int_equal(cc.cwnd, 2);
	una += 2 * MSS;
	ts_tcp_cc_on_ack(&cc, una, 2 * MSS, 0, 5000);
	assert_int_equal(cc.cwnd, 4);
	assert_int_equal(ts_tcp_cc_on_ack(&cc, nxt, nxt - una, 0, 6000), TS_CC_ACK_FULL);
	assert_int_equal(cc.ca_state, TS_CA_OPEN);
	/* Slow start stopped at ssthresh (16); the 17 segments left over
	 * were congestion-avoidance credit: one more. */
	assert_int_equal(cc.cwnd, 17);
	/* Small windows never go below 2 for ssthresh. */
	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 3, 0);
	ts_tcp_cc_on_rto(&cc, 3 * MSS, 0);
	assert_int_equal(cc.ssthresh, 2);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6937 3 example: cwnd 20, one loss, ssthresh 10 (Reno).  While
 * pipe > ssthresh PRR sends one segment per two delivered, so after the
 * 19 dupacks 10 were sent and pipe sits at ssthresh; the first ACK
 * always allows the fast retransmission. */
static void test_prr_sends_one_per_two_acks_down_to_ssthresh(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t in_flight = 19, sent = 0;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 20, 0);
	ts_tcp_cc_enter_recovery(&cc, 20 * MSS, TS_RECOVERY_PRR, 0);
	assert_int_equal(cc.ssthresh, 10);
	assert_int_equal(cc.cwnd, 20);	/* PRR moves it per ACK */
	for (uint32_t k = 1; k <= 19; k++) {
		uint32_t n;
		int above;

		in_flight--;
		above = in_flight > cc.ssthresh;
		n = ts_tcp_cc_prr_ack(&cc, 1, in_flight, 0, 0);
		assert_int_equal(cc.cwnd, in_flight + n);
		ts_tcp_cc_prr_sent(&cc, n);
		sent += n;
		in_flight += n;
		/* Proportional part: CEIL(prr_delivered * ssthresh /
		 * RecoverFS) sent so far. */
		if (above)
			assert_int_equal(sent, (k * 10 + 19) / 20);
		assert_true(in_flight >= 10);
	}
	assert_int_equal(sent, 10);
	assert_int_equal(in_flight, 10);
	/* The full ACK ends recovery at ssthresh. */
	assert_int_equal(ts_tcp_cc_on_ack(&cc, 20 * MSS, 20 * MSS, 0, 1), TS_CC_ACK_FULL);
	assert_int_equal(cc.cwnd, 10);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6937 3.1 PRR-SSRB: after a burst loss pipe is far below ssthresh;
 * cwnd grows back by at most delivered + 1 per ACK and never past
 * ssthresh. */
static void test_prr_ssrb_regrows_to_ssthresh_not_beyond(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint32_t in_flight = 4, prev;
	uint32_t una = 0xffffff00u;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 20, 0);
	ts_tcp_cc_enter_recovery(&cc, una + 20 * MSS, TS_RECOVERY_PRR, 0);
	prev = in_flight;
	for (int k = 0; k < 12; k++) {
		uint32_t n;

		in_flight--;
		n = ts_tcp_cc_prr_ack(&cc, 1, in_flight, 1, 0);
		assert_true(n <= 2);
		assert_true(cc.cwnd <= 10);
		ts_tcp_cc_prr_sent(&cc, n);
		in_flight += n;
		assert_true(in_flight >= prev || in_flight == 10);
		prev = in_flight;
		/* Partial ACKs in PRR mode leave cwnd to PRR. */
		una += MSS;
		assert_int_equal(ts_tcp_cc_on_ack(&cc, una, MSS, 0, 1), TS_CC_ACK_PARTIAL);
		assert_int_equal(cc.cwnd, in_flight);
	}
	assert_int_equal(in_flight, 10);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 5681 4.1 / Linux tcp_cwnd_restart: after an idle period longer
 * than the RTO, cwnd halves per RTO idle, not below the restart window. */
static void test_idle_restart_halves_cwnd_per_rto(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	uint64_t rto = 200 * MS;

	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 10, 0);
	cc.cwnd = 80;
	ts_tcp_cc_on_send(&cc, 100, 0, rto, 1 * SEC);
	assert_int_equal(cc.cwnd, 10);	/* 5 RTOs idle: down to IW */
	cc.cwnd = 80;
	ts_tcp_cc_on_send(&cc, 200, 0, rto, 1 * SEC + 100 * MS);
	assert_int_equal(cc.cwnd, 80);	/* less than an RTO */
	ts_tcp_cc_on_send(&cc, 300, 0, rto, 1 * SEC + 100 * MS + 3 * rto);
	assert_int_equal(cc.cwnd, 20);	/* 3 RTOs: halved twice */
	ts_tcp_cc_on_send(&cc, 400, 5, rto, 10 * SEC);
	assert_int_equal(cc.cwnd, 20);	/* data in flight: not idle */
	assert_int_equal(ts_pkt_live(), live);
}

/* ------------------------------------------------------------------ */
/* CUBIC                                                               */

/* RFC 9438 eq. (1) and (2). */
static double w_cubic(double t, double wmax)
{
	double k = cbrt(wmax * (1 - 0.7) / 0.4);

	return 0.4 * pow(t - k, 3) + wmax;
}

/* Drives CUBIC into congestion avoidance after a loss at cwnd wmax. */
static void cubic_after_loss(struct ts_tcp_cc_state *cc, uint32_t wmax, uint32_t *una,
			     uint64_t now)
{
	uint32_t nxt;

	ts_tcp_cc_init(cc, &ts_tcp_cubic_ops, MSS, wmax, 0);
	nxt = *una + wmax * MSS;
	ts_tcp_cc_enter_recovery(cc, nxt, 1, now);
	ts_tcp_cc_on_ack(cc, nxt, nxt - *una, 0, now);
	*una = nxt;
}

static void test_cubic_loss_multiplies_by_beta_0_7(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 0;

	cubic_after_loss(&cc, 100, &una, 0);
	assert_int_equal(cc.ssthresh, 70);	/* 100 * 717 / 1024 */
	assert_int_equal(cc.cwnd, 70);
	assert_int_equal(ts_tcp_cubic_get_info(&cc, &info), 0);
	assert_int_equal(info.last_max_cwnd, 100);
	ts_tcp_cc_init(&cc, &ts_tcp_reno_ops, MSS, 10, 0);
	assert_int_equal(ts_tcp_cubic_get_info(&cc, &info), -1);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 9438 4.2: in the concave and convex regions cwnd follows
 * W_cubic(t) = C (t - K)^3 + W_max, K = cbrt(W_max (1 - beta) / C).
 * cwnd at time t lies between the curve at t - RTT and t + RTT (the
 * target is one RTT ahead, reached over one RTT), within a segment of
 * integer rounding. */
static void test_cubic_window_follows_rfc9438_curve(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	const uint64_t rtt = 100 * MS;
	uint32_t una = 0xfff00000u;
	uint64_t now = 50 * SEC, t0;
	int checked = 0;

	cubic_after_loss(&cc, 100, &una, now);
	/* One warm-up ACK starts the epoch (and sets delay_min). */
	una += MSS;
	ts_tcp_cc_on_ack(&cc, una, MSS, rtt, now);
	t0 = now;
	assert_int_equal(ts_tcp_cubic_get_info(&cc, &info), 0);
	/* K = cbrt(75) = 4.217 s = 4318 / 1024 s. */
	assert_true(info.k >= 4310 && info.k <= 4325);
	assert_int_equal(info.origin_point, 100);
	for (int r = 1; r <= 95; r++) {
		double t, lo, hi;

		now = ack_round(&cc, &una, now, rtt);
		t = (double)(now - t0) / SEC;
		lo = w_cubic(t - 0.1, 100) - 1.5;
		hi = w_cubic(t + 0.1, 100) + 1.5;
		if (r % 10 == 0) {
			assert_true(cc.cwnd >= lo);
			assert_true(cc.cwnd <= hi);
			checked++;
		}
	}
	assert_int_equal(checked, 9);
	/* Past K it has grown beyond W_max (convex region). */
	assert_true(cc.cwnd > 120);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 9438 4.7 / Linux: a loss below the previous W_max lowers W_max to
 * cwnd (1 + beta) / 2, releasing bandwidth to newer flows. */
static void test_cubic_fast_convergence_lowers_wmax(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 0;

	cubic_after_loss(&cc, 100, &una, 0);
	cc.cwnd = 90;
	ts_tcp_cc_enter_recovery(&cc, una + 90 * MSS, 1, SEC);
	assert_int_equal(ts_tcp_cubic_get_info(&cc, &info), 0);
	assert_int_equal(info.last_max_cwnd, 76);	/* 90 * 1741 / 2048 */
	assert_int_equal(cc.ssthresh, 63);		/* 90 * 717 / 1024 */
	/* A loss above W_max just records it. */
	cc.cwnd = 120;
	ts_tcp_cc_enter_recovery(&cc, una + 200 * MSS, 1, 2 * SEC);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.last_max_cwnd, 120);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 9438 4.3: with a small W_max and a short RTT, the Reno estimate
 * W_est = W_max beta + alpha t / RTT grows faster than the cubic curve,
 * and cwnd follows W_est instead. */
static void test_cubic_reno_friendly_region(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	const uint64_t rtt = 10 * MS;
	const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
	uint32_t una = 0;
	uint64_t now = SEC, t0;
	double t, west;

	cubic_after_loss(&cc, 10, &una, now);
	assert_int_equal(cc.cwnd, 7);
	una += MSS;
	ts_tcp_cc_on_ack(&cc, una, MSS, rtt, now);
	t0 = now;
	for (int r = 0; r < 100; r++)
		now = ack_round(&cc, &una, now, rtt);
	t = (double)(now - t0) / SEC;	/* 1 s = 100 RTTs */
	west = 7 + alpha * t * SEC / rtt;	/* about 59.9 */
	/* The cubic curve alone would be near W_max = 10 here. */
	assert_true(w_cubic(t + 0.01, 10) < 12);
	assert_true(cc.cwnd >= west * 0.85);
	assert_true(cc.cwnd <= west * 1.15);
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux cubictcp_state: an RTO resets the curve (W_max forgotten);
 * slow start then runs to ssthresh. */
static void test_cubic_rto_resets_curve(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 0;

	cubic_after_loss(&cc, 100, &una, 0);
	ts_tcp_cc_on_rto(&cc, una + 70 * MSS, SEC);
	assert_int_equal(cc.cwnd, 1);
	assert_int_equal(cc.ssthresh, 49);	/* 70 * 717 / 1024 */
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.last_max_cwnd, 0);
	assert_int_equal(info.epoch_valid, 0);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 9438 5.8 / Linux CA_EVENT_TX_START: idle time is not on the curve;
 * the epoch moves forward by the idle time. */
static void test_cubic_idle_shifts_epoch(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info before, after;
	uint32_t una = 0;
	uint64_t now = SEC;
	uint32_t cwnd;

	cubic_after_loss(&cc, 100, &una, now);
	now = ack_round(&cc, &una, now, 100 * MS);
	ts_tcp_cc_on_send(&cc, una + 10 * MSS, 10, 0, now);
	cwnd = cc.cwnd;
	ts_tcp_cubic_get_info(&cc, &before);
	/* 3 s idle (no RTO restart: rto 0 disables it here). */
	now += 3 * SEC;
	ts_tcp_cc_on_send(&cc, una + 11 * MSS, 0, 0, now);
	now = ack_round(&cc, &una, now, 100 * MS);
	ts_tcp_cubic_get_info(&cc, &after);
	assert_int_equal(after.k, before.k);
	/* Without the shift, t would be past K and growth fast; with it,
	 * the window is still in the slow concave part. */
	assert_true(cc.cwnd <= cwnd + 10);
	assert_true(cc.cwnd < 100);
	assert_int_equal(ts_pkt_live(), live);
}

/* One round trip of a sender: cwnd segments sent at now (reported with
 * on_send), their ACKs arriving from now + rtt on, gap apart. */
static uint64_t send_round(struct ts_tcp_cc_state *cc, uint32_t *una, uint32_t *nxt,
			   uint64_t now, uint64_t rtt, uint64_t gap)
{
	uint32_t n = cc->cwnd;

	for (uint32_t i = 0; i < n; i++) {
		ts_tcp_cc_on_send(cc, *nxt + MSS, *nxt - *una, 0, now);
		*nxt += MSS;
	}
	for (uint32_t i = 0; i < n; i++) {
		*una += MSS;
		ts_tcp_cc_on_ack(cc, *una, MSS, rtt, now + rtt + i * gap);
	}
	return now + rtt + n * gap;
}

/* Linux HyStart ACK train: when one round's ACKs arrive back to back
 * (less than 2 ms apart) for longer than half the minimum RTT, the pipe
 * is full: ssthresh = cwnd, slow start ends. */
static void test_cubic_hystart_ack_train_ends_slow_start(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 0xfff00000u, nxt = una;
	uint64_t now = SEC;
	int r;

	ts_tcp_cc_init(&cc, &ts_tcp_cubic_ops, MSS, 0, now);
	for (r = 0; r < 10 && ts_tcp_cc_in_slow_start(&cc); r++)
		now = send_round(&cc, &una, &nxt, now, 10 * MS, 100);
	assert_true(r < 10);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.hystart_found, TS_HYSTART_ACK_TRAIN);
	/* 10 ms RTT, one ACK per 0.1 ms: the train passes 5 ms after 50
	 * ACKs, in the round that starts at cwnd 80. */
	assert_int_equal(cc.ssthresh, 80 + 51);
	/* The rest of that round was congestion avoidance already. */
	assert_true(cc.cwnd - cc.ssthresh <= 2);
	/* Congestion avoidance from here: slow growth. */
	now = send_round(&cc, &una, &nxt, now, 10 * MS, 100);
	assert_true(cc.cwnd <= cc.ssthresh + cc.ssthresh / 10);
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux HyStart delay increase: a round whose minimum RTT (of at least 8
 * samples) exceeds the path minimum by delay_min / 8 (clamped to
 * 4-16 ms) ends slow start; ACKs spread out are not a train. */
static void test_cubic_hystart_delay_increase_ends_slow_start(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 5000, nxt = una, at_exit;
	uint64_t now = SEC;

	ts_tcp_cc_init(&cc, &ts_tcp_cubic_ops, MSS, 0, now);
	now = send_round(&cc, &una, &nxt, now, 100 * MS, 5 * MS);
	now = send_round(&cc, &una, &nxt, now, 100 * MS, 5 * MS);
	assert_int_equal(cc.cwnd, 40);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.hystart_found, 0);
	assert_int_equal(info.delay_min_us, 100 * MS);
	/* 110 ms is within 100 + 12.5 ms: still slow start. */
	now = send_round(&cc, &una, &nxt, now, 110 * MS, 5 * MS);
	assert_int_equal(cc.cwnd, 80);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.hystart_found, 0);
	/* 120 ms: found after the ninth sample of the round. */
	now = send_round(&cc, &una, &nxt, now, 120 * MS, 5 * MS);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.hystart_found, TS_HYSTART_DELAY);
	at_exit = cc.ssthresh;
	assert_true(at_exit > 80 && at_exit <= 90);
	assert_true(cc.cwnd < 100);
	assert_int_equal(ts_pkt_live(), live);
}

/* Without on_send the engine's snd_nxt is unknown: HyStart stays off
 * and the same back-to-back ACKs leave slow start alone. */
static void test_cubic_hystart_off_without_on_send(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_cc_state cc;
	struct ts_tcp_cubic_info info;
	uint32_t una = 0;
	uint64_t now = SEC;

	ts_tcp_cc_init(&cc, &ts_tcp_cubic_ops, MSS, 0, now);
	for (int r = 0; r < 5; r++)
		now = ack_round(&cc, &una, now, 10 * MS);
	assert_int_equal(cc.cwnd, 320);
	ts_tcp_cubic_get_info(&cc, &info);
	assert_int_equal(info.hystart_found, 0);
	assert_int_equal(cc.ssthresh, TS_TCP_INFINITE_SSTHRESH);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_uses_iw10_and_infinite_ssthresh),
		cmocka_unit_test(test_lookup_by_name_and_sysctl_index),
		cmocka_unit_test(test_slow_start_grows_per_acked_segment),
		cmocka_unit_test(test_not_cwnd_limited_does_not_grow),
		cmocka_unit_test(test_slow_start_caps_at_ssthresh),
		cmocka_unit_test(test_congestion_avoidance_one_mss_per_rtt),
		cmocka_unit_test(test_reno_fast_recovery_halves_and_newreno_partial_ack),
		cmocka_unit_test(test_sack_recovery_sets_cwnd_to_ssthresh),
		cmocka_unit_test(test_rto_sets_cwnd_one_and_halves_once),
		cmocka_unit_test(test_prr_sends_one_per_two_acks_down_to_ssthresh),
		cmocka_unit_test(test_prr_ssrb_regrows_to_ssthresh_not_beyond),
		cmocka_unit_test(test_idle_restart_halves_cwnd_per_rto),
		cmocka_unit_test(test_cubic_loss_multiplies_by_beta_0_7),
		cmocka_unit_test(test_cubic_window_follows_rfc9438_curve),
		cmocka_unit_test(test_cubic_fast_convergence_lowers_wmax),
		cmocka_unit_test(test_cubic_reno_friendly_region),
		cmocka_unit_test(test_cubic_rto_resets_curve),
		cmocka_unit_test(test_cubic_idle_shifts_epoch),
		cmocka_unit_test(test_cubic_hystart_ack_train_ends_slow_start),
		cmocka_unit_test(test_cubic_hystart_delay_increase_ends_slow_start),
		cmocka_unit_test(test_cubic_hystart_off_without_on_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
