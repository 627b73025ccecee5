/* Linux-parity cases the experiments (the experiments/ scripts, kernel column
 * against tapsock column) found: the listen queues' bounds, the ACK of an
 * out-of-order FIN, no tail loss probe outside TCP_CA_Open/CWR.  Each test
 * cites the Linux code it matches.  Sequence-relative tests run again
 * with the ISN near 2^32. */
#include "tcp_harness.h"

#include <errno.h>

#define MS 1000ull
#define S 1000000ull

static uint32_t isn_wrap = 0xfffff000u;
static uint8_t big[8 * 1460];

/* Linux inet_csk_reqsk_queue_is_full (3479c7549fb1, also in 6.1.y and
 * 5.15.y): the SYN queue is full when it holds MORE than the backlog, so
 * backlog 2 keeps three half-open connections; the fourth SYN gets a
 * cookie and leaves no state.  experiments/syn-flood.sh saw 9 for 8. */
static void test_listen_syn_queue_holds_backlog_plus_one(void **state)
{
	struct th *h = *state;
	long live;

	tcb_listen(h, 2);
	for (int i = 0; i < 3; i++) {
		h->pport = (uint16_t)(TH_PPORT + i);
		seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
		seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, 64240);
	}
	assert_int_equal(h->listener->syn_qlen, 3);
	assert_int_equal(h->eng.stats.TcpExtSyncookiesSent, 0);
	live = ts_tcp_live();
	h->pport = TH_PPORT + 3;
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.flags, TH_SYN | TH_ACK);
	assert_int_equal(h->eng.stats.TcpExtSyncookiesSent, 1);
	assert_int_equal(h->listener->syn_qlen, 3);
	assert_int_equal(ts_tcp_live(), live);
	ts_tcp_close(h->listener, h->now);
	seg_flush(h);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

/* The point of that Linux change: listen(fd, 0) with tcp_syncookies = 0
 * accepts one connection (both queues hold backlog + 1); the next SYN is
 * dropped. */
static void test_listen_backlog_zero_without_cookies_takes_one(void **state)
{
	struct th *h = *state;
	struct ts_tcb *c;
	int err;

	h->eng.sysctl.tcp_syncookies[0] = 0;
	tcb_listen(h, 0);
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, 64240);
	assert_int_equal(h->listener->syn_qlen, 1);
	h->pport = TH_PPORT + 1;
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	seg_expect_none(h);
	assert_int_equal(h->eng.stats.TcpExtListenDrops, 1);
	h->pport = TH_PPORT;
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect_none(h);
	assert_int_equal(h->listener->accept_qlen, 1);
	c = ts_tcp_accept(h->listener, &th_cb, h, &err);
	assert_non_null(c);
	assert_int_equal(c->state, TCPS_ESTABLISHED);
	ts_tcp_abort(c, h->now);
	seg_flush(h);
	ts_tcp_close(h->listener, h->now);
	seg_expect_none(h);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

/* Linux tcp_data_queue: a FIN beyond RCV.NXT (end_seq != seq even with
 * no data) goes to tcp_data_queue_ofo, and __tcp_ack_snd_check sends an
 * ACK at once while the out-of-order queue is not empty: a duplicate ACK.
 * The FIN takes effect when the hole before it fills. */
static void test_established_out_of_order_bare_fin_acked_at_once(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	char buf[8];

	seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1 + 5, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	seg_expect_none(h);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	assert_int_equal(h->eng.stats.TcpExtTCPOFOQueue, 1);
	/* The hole fills: data and FIN are taken, ACKed at once. */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, "hello", 5);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 7, -1);
	seg_expect_none(h);
	assert_int_equal(t->state, TCPS_CLOSE_WAIT);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 5);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 0);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void fill_big(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
}

/* Linux tcp_schedule_loss_probe: a probe only in TCP_CA_Open or CWR.  A
 * SACKed duplicate ACK puts the flight in Disorder; the probe armed before
 * does not go out (Linux re-arms the shared timer slot as an RTO). */
static void test_established_no_loss_probe_in_disorder(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK, .nsack = 1};
	uint64_t t0;

	fill_big();
	t->srtt = 10 * MS;
	/* The peer's window, scaled, before anything is outstanding. */
	o.has = TS_TCPO_TS;
	o.ts_val = h->peer_tsval + 1;
	seg_in(h, TH_ACK, PEER_ISS + 1, b, 1024, &o, NULL, 0);
	o.has = TS_TCPO_TS | TS_TCPO_SACK;
	ts_tcp_send(t, big, 3 * m, h->now);
	for (int i = 0; i < 3; i++)
		assert_true(seg_pop(h));
	t0 = h->now;
	assert_int_equal(t->timer[TCPT_PTO], t0 + 22 * MS);
	th_advance(h, 5 * MS);
	o.ts_val = h->peer_tsval + 1;
	o.sack[0] = (struct ts_sack_block){b + 2 * m, b + 3 * m};
	/* A duplicate ACK: same window (RFC 5681 2). */
	seg_in(h, TH_ACK, PEER_ISS + 1, b, 1024, &o, NULL, 0);
	assert_int_equal(t->cc.ca_state, TS_CA_DISORDER);
	seg_expect_none(h);
	th_next(h, t0 + 100 * MS);
	seg_expect_none(h);
	assert_int_equal(h->eng.stats.TcpExtTCPLossProbes, 0);
	assert_true(t->timer[TCPT_REXMT] != TS_NEVER);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* The same in fast recovery entered by RACK on an ACK that also moved
 * SND.UNA (which had re-armed the probe): the RTO replaces it, as
 * Linux's tcp_xmit_retransmit_queue does when it resends the head. */
static void test_established_no_loss_probe_in_rack_recovery(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK, .nsack = 1};
	uint64_t t0;
	int probes_before;

	fill_big();
	t->srtt = 10 * MS;
	ts_tcp_send(t, big, 5 * m, h->now);
	for (int i = 0; i < 5; i++)
		assert_true(seg_pop(h));
	t0 = h->now;
	th_advance(h, 15 * MS);
	/* Segment 1 ACKed, 3-5 SACKed, 2 missing: RACK calls it lost. */
	o.ts_val = h->peer_tsval + 1;
	o.sack[0] = (struct ts_sack_block){b + 2 * m, b + 5 * m};
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, &o, NULL, 0);
	assert_true(t->flags & TF_IN_RECOVERY);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.seq, b + m);
	seg_flush(h);
	assert_int_equal(t->timer[TCPT_PTO], TS_NEVER);
	assert_true(t->timer[TCPT_REXMT] != TS_NEVER);
	probes_before = (int)h->eng.stats.TcpExtTCPLossProbes;
	th_next(h, t0 + 80 * MS);
	assert_int_equal(h->eng.stats.TcpExtTCPLossProbes, probes_before);
	seg_flush(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Linux 6.18 measured (experiments/fin1-lost.sh, and a three-namespace
 * rig dropping every FIN on the path): with SACK and
 * tcp_orphan_retries = 2 an orphan sends 5 FINs — the FIN, a tail loss
 * probe, then RTO retransmissions while the 1.4 s budget, counted from
 * the first RTO retransmission (retrans_stamp), lasts: 3 of them. */
static void test_fin_wait_1_orphan_retries_2_sends_five_fins(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t;
	uint64_t t0;
	int fins = 0;

	h->eng.sysctl.tcp_orphan_retries[0] = 2;
	t = tcb_established(h);
	t->srtt = 1 * MS;
	t0 = h->now;
	ts_tcp_close(t, h->now);
	while (ts_tcp_live() > h->tcb0 && h->now - t0 < 100 * S) {
		while (seg_pop(h)) {
			assert_true(h->last.th.flags & TH_FIN);
			fins++;
		}
		th_next(h, t0 + 100 * S);
	}
	while (seg_pop(h))
		fins++;
	assert_int_equal(ts_tcp_live(), h->tcb0);
	assert_int_equal(h->eng.stats.TcpExtTCPLossProbes, 1);
	assert_int_equal(fins, 5);
}

#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
#define TW(f) cmocka_unit_test_prestate_setup_teardown(f, th_setup, th_teardown, &isn_wrap)
#define TO(f) cmocka_unit_test_setup_teardown(f, th_setup_opts, th_teardown)
#define TOW(f) cmocka_unit_test_prestate_setup_teardown(f, th_setup_opts, th_teardown, &isn_wrap)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_listen_syn_queue_holds_backlog_plus_one),
	    T(test_listen_backlog_zero_without_cookies_takes_one),
	    T(test_established_out_of_order_bare_fin_acked_at_once),
	    TW(test_established_out_of_order_bare_fin_acked_at_once),
	    TO(test_established_no_loss_probe_in_disorder),
	    TOW(test_established_no_loss_probe_in_disorder),
	    TO(test_established_no_loss_probe_in_rack_recovery),
	    TOW(test_established_no_loss_probe_in_rack_recovery),
	    TO(test_fin_wait_1_orphan_retries_2_sends_five_fins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
