/* TCP data transfer, segment by segment: Nagle, the initial window,
 * delayed and quick ACKs, out-of-order data, the receive window, RTO with
 * backoff and tcp_retries2, fast retransmit, zero windows and persist
 * probes, keepalive, options (MSS, window scale, timestamps, SACK-permitted)
 * and PAWS.  Sequence-sensitive tests run again with the ISN near 2^32. */
#include "tcp_harness.h"

#include <errno.h>
#include <string.h>

#define S 1000000ull
#define MS 1000ull

static uint32_t isn_wrap = 0xfffff000u;
static uint8_t big[1 << 20];

static void fill_big(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 11));
}

/* --- sending ------------------------------------------------------------- */

static void test_established_send_psh_ack_stops_timer(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);

	assert_int_equal(ts_tcp_send(t, "hello", 5, h->now), 5);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 5);
	assert_memory_equal(h->last.data, "hello", 5);
	assert_true(t->timer[TCPT_REXMT] != TS_NEVER);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 6, 65535, NULL, NULL, 0);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	assert_int_equal(t->snd_una, h->iss + 6);
	/* Linux tcp_sndbuf_expand at establishment: 2 x IW x MSS, in a
	 * power-of-two ring: 32 KB. */
	assert_int_equal(ts_tcp_writable(t), 32768);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_established_nagle_holds_small_segment(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);

	assert_int_equal(ts_tcp_send(t, "a", 1, h->now), 1);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 1);
	/* RFC 9293 3.7.4: unacknowledged data outstanding: hold "bc". */
	assert_int_equal(ts_tcp_send(t, "bc", 2, h->now), 2);
	seg_expect_none(h);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 2, PEER_ISS + 1, 65535, 2);
	/* TCP_NODELAY sends at once. */
	ts_tcp_setopt(t, TS_TCP_NODELAY, 1);
	assert_int_equal(ts_tcp_send(t, "d", 1, h->now), 1);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 4, PEER_ISS + 1, 65535, 1);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_established_cork_holds_until_full_or_uncork(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);

	ts_tcp_setopt(t, TS_TCP_CORK, 1);
	assert_int_equal(ts_tcp_send(t, "head", 4, h->now), 4);
	seg_expect_none(h);
	ts_tcp_setopt(t, TS_TCP_CORK, 0);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RFC 6928: ten segments, then wait for ACKs; each ACK in slow start
 * opens the window further (RFC 5681 3.1). */
static void test_established_initial_window_is_ten_segments(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint32_t seq = h->iss + 1;

	fill_big();
	assert_int_equal(ts_tcp_send(t, big, 16384, h->now), 16384);
	for (int i = 0; i < 10; i++) {
		seg_expect_data(h, i == 9 ? TH_ACK : TH_ACK, seq, PEER_ISS + 1, 65535, 1460);
		assert_memory_equal(h->last.data, big + (seq - h->iss - 1), 1460);
		seq += 1460;
	}
	seg_expect_none(h);
	/* One ACK for two segments: slow start adds two, so up to four go
	 * out; the 1784 bytes left make two. */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1 + 2920, 65535, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK, seq, PEER_ISS + 1, 65535, 1460);
	seg_expect_data(h, TH_ACK | TH_PSH, seq + 1460, PEER_ISS + 1, 65535, 16384 - 16060);
	assert_int_equal(t->cc.cwnd, 12);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_established_send_after_shutdown_is_epipe(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_fin_wait_1(h);

	assert_int_equal(ts_tcp_send(t, "x", 1, h->now), -EPIPE);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* --- receiving ------------------------------------------------------------ */

static void test_established_delayed_ack_after_quickacks(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint32_t seq = PEER_ISS + 1;
	char buf[64];

	/* Linux starts in quick-ACK mode: 16 segments acked at once. */
	for (int i = 0; i < 16; i++) {
		seg_in(h, TH_ACK | TH_PSH, seq, h->iss + 1, 65535, NULL, "x", 1);
		seq++;
		seg_expect(h, TH_ACK, h->iss + 1, seq, -1);
	}
	/* Then a lone small segment waits for the delayed-ACK timer. */
	seg_in(h, TH_ACK | TH_PSH, seq, h->iss + 1, 65535, NULL, "y", 1);
	seq++;
	seg_expect_none(h);
	assert_int_equal(t->timer[TCPT_DELACK], h->now + 40 * MS);
	th_advance(h, 39 * MS);
	seg_expect_none(h);
	th_advance(h, 1 * MS);
	seg_expect(h, TH_ACK, h->iss + 1, seq, -1);
	/* Two full-sized segments are acked at the second. */
	fill_big();
	seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 1460);
	seg_expect_none(h);
	seg_in(h, TH_ACK, seq + 1460, h->iss + 1, 65535, NULL, big + 1460, 1460);
	seg_expect(h, TH_ACK, h->iss + 1, seq + 2920, -1);
	assert_int_equal(ts_tcp_recv(t, buf, 17, h->now), 17);
	assert_int_equal(h->readable, 19);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_established_out_of_order_dupack_then_reassembled(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	char buf[16];

	/* RFC 5681 4.2: out-of-order data is acknowledged at once (a
	 * duplicate ACK), then the hole filling it too. */
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1 + 5, h->iss + 1, 65535, NULL, "world", 5);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), -EAGAIN);
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 65535, NULL, "hello", 5);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 11, -1);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 10);
	assert_memory_equal(buf, "helloworld", 10);
	/* A duplicate of old data is acknowledged again. */
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 65535, NULL, "hello", 5);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 11, -1);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_established_out_of_order_fin_waits_for_hole(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	char buf[16];

	seg_in(h, TH_ACK | TH_FIN, PEER_ISS + 1 + 3, h->iss + 1, 65535, NULL, "def", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, "abc", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 8, -1);
	assert_int_equal(t->state, TCPS_CLOSE_WAIT);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 6);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 0);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* The receive window closes as the buffer fills and reopens, with an
 * update, when the program reads (RFC 9293 3.8.6.2.2). */
static void test_established_receive_window_closes_and_reopens(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = ts_tcp_socket(&h->eng, &th_cb, h);
	uint32_t seq = PEER_ISS + 1;
	char buf[4096];

	fill_big();
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_RCVBUF, 4096), 0);
	assert_int_equal(ts_tcp_bind(t, TH_LOCAL, TH_LPORT), 0);
	assert_int_equal(ts_tcp_connect(t, TH_PEER, TH_PPORT, h->now), 0);
	seg_expect(h, TH_SYN, h->iss, 0, 2920); /* whole segments (Linux) */
	seg_in(h, TH_SYN | TH_ACK, PEER_ISS, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, 4096);
	t->quickack = 0;
	seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 536);
	seq += 536;
	seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 536);
	seq += 536;
	seg_expect(h, TH_ACK, h->iss + 1, seq, 4096 - 1072);
	seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 4096 - 1072);
	seq += 4096 - 1072;
	seg_expect(h, TH_ACK, h->iss + 1, seq, 0);
	/* Beyond the zero window: dropped and acknowledged. */
	seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 100);
	seg_expect(h, TH_ACK, h->iss + 1, seq, 0);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 4096);
	seg_expect(h, TH_ACK, h->iss + 1, seq, 4096);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* --- retransmission --------------------------------------------------------- */

/* RFC 6298 5.5: the RTO doubles on each expiry (Linux: from tcp_rto_min
 * plus the smoothed RTT). */
static void test_established_rto_backoff_doubles(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t rto = t->rto;
	uint64_t t0 = h->now, at = 0;

	assert_true(rto >= 200 * MS && rto < 201 * MS);
	assert_int_equal(ts_tcp_send(t, "data", 4, h->now), 4);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	for (int i = 0; i < 5; i++) {
		at += rto << i;
		th_next(h, t0 + 100 * S);
		assert_int_equal(h->now - t0, at);
		seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	}
	assert_int_equal(h->eng.stats.TcpExtTCPTimeouts, 5);
	/* The ACK ends it; no RTT sample from retransmitted data (Karn). */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 5, 65535, NULL, NULL, 0);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	assert_int_equal(t->retransmits, 0);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Linux turns tcp_retries2 into a time budget (retransmits_timed_out):
 * 15 means 924.6 s with tcp_rto_min 200 ms, counted from the first RTO
 * retransmission (retrans_stamp, 0.2 s): the RTO at 924.6 s is 924.4 s
 * into it and retransmits a 16th time; the one at 1044.6 s ends it. */
static void test_established_retries2_924s_budget_times_out_at_1044s(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;
	int n = 0;

	ts_tcp_send(t, "data", 4, h->now);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	while (t->state == TCPS_ESTABLISHED && h->now - t0 < 2000 * S) {
		th_next(h, t0 + 2000 * S);
		while (seg_pop(h))
			n++;
	}
	assert_int_equal(t->state, TCPS_CLOSED);
	assert_int_equal(h->last_err, ETIMEDOUT);
	assert_int_equal(n, 16);
	assert_true(h->now - t0 >= 1044600 * MS && h->now - t0 < 1044700 * MS);
	assert_int_equal(ts_tcp_recv(t, NULL, 0, h->now), -ETIMEDOUT);
	ts_tcp_close(t, h->now);
}

static void test_established_retries2_3_times_out_at_6s(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t;
	uint64_t t0;
	int n = 0;

	h->eng.sysctl.tcp_retries2[0] = 3;
	t = tcb_established(h);
	t0 = h->now;
	ts_tcp_send(t, "data", 4, h->now);
	seg_flush(h);
	while (t->state == TCPS_ESTABLISHED && h->now - t0 < 100 * S) {
		th_next(h, t0 + 100 * S);
		while (seg_pop(h))
			n++;
	}
	/* A 3.0 s budget from the first RTO retransmission (0.2 s): the
	 * RTO at 3.0 s still retransmits, the one at 6.2 s ends it. */
	assert_int_equal(n, 4);
	assert_true(h->now - t0 >= 6200 * MS && h->now - t0 < 6300 * MS);
	ts_tcp_close(t, h->now);
}

/* RFC 5681 3.2: the third duplicate ACK retransmits the missing segment
 * before the RTO; when that retransmission is lost too, the RTO (with
 * backoff) takes over. */
static void test_established_three_dupacks_fast_retransmit(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint32_t base = h->iss + 1;
	uint64_t t0, rto;

	fill_big();
	ts_tcp_send(t, big, 5 * 1460, h->now);
	for (int i = 0; i < 5; i++)
		seg_expect_data(h, i == 4 ? TH_ACK | TH_PSH : TH_ACK, base + 1460 * i,
				PEER_ISS + 1, 65535, 1460);
	th_advance(h, 10 * MS);
	seg_in(h, TH_ACK, PEER_ISS + 1, base + 1460, 65535, NULL, NULL, 0);
	seg_expect_none(h);
	for (int i = 0; i < 2; i++) {
		seg_in(h, TH_ACK, PEER_ISS + 1, base + 1460, 65535, NULL, NULL, 0);
		seg_expect_none(h);
	}
	seg_in(h, TH_ACK, PEER_ISS + 1, base + 1460, 65535, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK, base + 1460, PEER_ISS + 1, 65535, 1460);
	assert_memory_equal(h->last.data, big + 1460, 1460);
	assert_int_equal(h->eng.stats.TcpExtTCPFastRetrans, 1);
	assert_int_equal(h->eng.stats.TcpExtTCPTimeouts, 0);
	/* The retransmission is lost: RTO, then again with backoff. */
	t0 = h->now;
	rto = t->rto;
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, rto);
	seg_expect_data(h, TH_ACK, base + 1460, PEER_ISS + 1, 65535, 1460);
	seg_expect_none(h); /* cwnd is one segment after an RTO */
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, 3 * rto);
	seg_expect_data(h, TH_ACK, base + 1460, PEER_ISS + 1, 65535, 1460);
	assert_int_equal(h->eng.stats.TcpExtTCPTimeouts, 2);
	/* It arrives: the cumulative ACK covers everything. */
	seg_in(h, TH_ACK, PEER_ISS + 1, base + 5 * 1460, 65535, NULL, NULL, 0);
	assert_int_equal(t->snd_una, base + 5 * 1460);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* --- windows ----------------------------------------------------------------- */

/* RFC 9293 3.8.6.1: behind a zero window, probe on the persist timer
 * with backoff (Linux: a bare ACK with SEQ = SND.UNA - 1). */
static void test_established_zero_window_persist_probes(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0, rto = t->rto;

	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 0, NULL, NULL, 0);
	assert_int_equal(t->snd_wnd, 0);
	t0 = h->now;
	assert_int_equal(ts_tcp_send(t, "wait", 4, h->now), 4);
	seg_expect_none(h);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, rto);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 0, NULL, NULL, 0);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, rto + 2 * rto);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, rto + 2 * rto + 4 * rto);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	/* The window opens: the data goes, the persist timer stops. */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 1000, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	assert_int_equal(t->timer[TCPT_PERSIST], TS_NEVER);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* A window smaller than a segment with nothing in flight (the window
 * update was lost): Linux's probe timer sends what fits. */
static void test_established_small_window_probe_sends_what_fits(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0;

	fill_big();
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 500, NULL, NULL, 0);
	t0 = h->now;
	assert_int_equal(ts_tcp_send(t, big, 2000, h->now), 2000);
	seg_expect_none(h); /* sender SWS: 500 < half of 65535 */
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, t->rto);
	seg_expect_data(h, TH_ACK, h->iss + 1, PEER_ISS + 1, 65535, 500);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 501, 65535, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK, h->iss + 501, PEER_ISS + 1, 65535, 1460);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1961, PEER_ISS + 1, 65535, 40);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Buffer autotuning as Linux: the send buffer follows cwnd, the receive
 * buffer a program that keeps reading; SO_SNDBUF/SO_RCVBUF lock them. */
static void test_established_buffers_autotune_unless_locked(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint32_t seq = PEER_ISS + 1;
	char buf[65536];
	int v;

	fill_big();
	assert_int_equal(t->snd.size, 32768);
	t->cc.cwnd = 100; /* as if slow start had run */
	ts_tcp_sndbuf_expand(t);
	assert_int_equal(t->snd.size, 524288);
	assert_int_equal(t->rcv.size, 131072);
	for (int i = 0; i < 40; i++) {
		seg_in(h, TH_ACK, seq, h->iss + 1, 65535, NULL, big, 1460);
		seq += 1460;
	}
	th_advance(h, 10 * MS);
	assert_true(ts_tcp_recv(t, buf, sizeof(buf), h->now) > 0);
	assert_int_equal(t->rcv.size, 262144);
	seg_flush(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
	/* Locked by the program: no growth. */
	h->established = 0;
	t = ts_tcp_socket(&h->eng, &th_cb, h);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_SNDBUF, 8192), 0);
	assert_int_equal(ts_tcp_bind(t, TH_LOCAL, TH_LPORT), 0);
	assert_int_equal(ts_tcp_connect(t, TH_PEER, TH_PPORT, h->now), 0);
	seg_in(h, TH_SYN | TH_ACK, PEER_ISS, h->iss + 1, 65535, NULL, NULL, 0);
	assert_int_equal(ts_tcp_getopt(t, TS_TCP_SNDBUF, &v), 0);
	assert_int_equal(v, 8192);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Linux: a window shrunk to zero under data in flight turns the
 * retransmissions into probes; the connection lives while the peer keeps
 * answering and dies tcp_rto_max after its last ACK. */
static void test_established_shrunk_zero_window_probes_not_timeout(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;
	int n = 0;

	ts_tcp_send(t, "data", 4, h->now);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 1, PEER_ISS + 1, 65535, 4);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 0, NULL, NULL, 0);
	while (h->now - t0 < 3000 * S) {
		th_next(h, t0 + 3000 * S);
		if (seg_pop(h)) {
			assert_int_equal(h->last.th.seq, h->iss + 1);
			assert_int_equal(h->last.len, 4);
			n++;
			seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 0, NULL, NULL, 0);
		}
	}
	assert_true(n > 20); /* far beyond tcp_retries2 */
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	/* Silence: dead 120 s after the last ACK. */
	t0 = h->now;
	while (t->state == TCPS_ESTABLISHED && h->now - t0 < 1000 * S) {
		th_next(h, t0 + 1000 * S);
		seg_flush(h);
	}
	assert_int_equal(h->last_err, ETIMEDOUT);
	assert_true(h->now - t0 > 120 * S && h->now - t0 <= 240 * S);
	ts_tcp_close(t, h->now);
}

/* Linux: a FIN needs a byte of window; behind a zero window it waits,
 * probed by the persist timer, and goes when the window opens. */
static void test_established_fin_waits_behind_zero_window(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0;

	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 0, NULL, NULL, 0);
	t0 = h->now;
	ts_tcp_shutdown(t, 1, h->now);
	assert_int_equal(t->state, TCPS_FIN_WAIT_1);
	seg_expect_none(h);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, t->rto);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535); /* probe */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 100, NULL, NULL, 0);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, 65535);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* IP_TTL / IP_TOS reach the IP layer's output parameters. */
static int ttl_seen, tos_seen;

static int capture_ttl(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o)
{
	ttl_seen = o->ttl;
	tos_seen = o->tos;
	ts_pkt_free(pkt);
	return 0;
}

static void test_ttl_tos_options_reach_ip(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	int v;

	assert_int_equal(ts_tcp_getopt(t, TS_TCP_TTL, &v), 0);
	assert_int_equal(v, 64);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_TTL, 0), -EINVAL);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_TTL, 7), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_TOS, 0x10), 0);
	ts_tcp_of(&h->eng)->output = capture_ttl;
	ts_tcp_send(t, "x", 1, h->now);
	assert_int_equal(ttl_seen, 7);
	assert_int_equal(tos_seen, 0x10);
	ts_tcp_abort(t, h->now);
}

/* --- keepalive ---------------------------------------------------------------- */

static void test_established_keepalive_probes_then_reset(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;

	ts_tcp_setopt(t, TS_TCP_KEEPIDLE, 10);
	ts_tcp_setopt(t, TS_TCP_KEEPINTVL, 2);
	ts_tcp_setopt(t, TS_TCP_KEEPCNT, 3);
	ts_tcp_setopt(t, TS_TCP_KEEPALIVE, 1);
	for (int i = 0; i < 3; i++) {
		th_next(h, t0 + 100 * S);
		assert_int_equal(h->now - t0, (10 + 2 * i) * S);
		seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	}
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, 16 * S);
	seg_expect(h, TH_RST | TH_ACK, h->iss + 1, PEER_ISS + 1, 0);
	assert_int_equal(h->last_err, ETIMEDOUT);
	ts_tcp_close(t, h->now);
}

static void test_established_keepalive_answered_keeps_connection(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;

	ts_tcp_setopt(t, TS_TCP_KEEPIDLE, 10);
	ts_tcp_setopt(t, TS_TCP_KEEPINTVL, 2);
	ts_tcp_setopt(t, TS_TCP_KEEPCNT, 1);
	ts_tcp_setopt(t, TS_TCP_KEEPALIVE, 1);
	th_next(h, t0 + 100 * S);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, NULL, 0);
	/* Next probe 10 s after the answer, not a reset at 12 s. */
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, 12 * S);
	seg_expect_none(h);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, 20 * S);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, 65535);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* --- options ------------------------------------------------------------------- */

static void test_syn_options_negotiated(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_syn_sent(h);
	struct ts_tcp_opts o;
	const struct ts_tcp_opts *so = &h->last.th.opt;

	/* Linux's SYN: MSS 1460 (MTU 1500), SACK-permitted, timestamps,
	 * window scale 7 (tcp_rmem max 6 MB). */
	assert_int_equal(so->has, TS_TCPO_MSS | TS_TCPO_SACK_PERM | TS_TCPO_TS | TS_TCPO_WSCALE);
	assert_int_equal(so->mss, 1460);
	assert_int_equal(so->wscale, 7);
	assert_int_equal(so->ts_ecr, 0);
	assert_int_equal(h->last.th.win, 64240);
	memset(&o, 0, sizeof(o));
	o.has = TS_TCPO_MSS | TS_TCPO_WSCALE | TS_TCPO_SACK_PERM | TS_TCPO_TS;
	o.mss = 1400;
	o.wscale = 3;
	o.ts_val = 777;
	o.ts_ecr = so->ts_val;
	seg_in(h, TH_SYN | TH_ACK, PEER_ISS, h->iss + 1, 5000, &o, NULL, 0);
	assert_true(seg_pop(h));
	/* Scaled windows from now on; our 128 KB buffer >> 7. */
	assert_int_equal(h->last.th.win, 131072 >> 7);
	assert_int_equal(h->last.th.opt.has, TS_TCPO_TS);
	assert_int_equal(h->last.th.opt.ts_ecr, 777);
	assert_int_equal(t->flags & (TF_TS | TF_WS | TF_SACK), TF_TS | TF_WS | TF_SACK);
	assert_int_equal(t->mss, 1400);
	assert_int_equal(ts_tcb_eff_mss(t), 1388);
	assert_int_equal(t->snd_wnd, 5000); /* the SYN's window is not scaled */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 5000, &o, NULL, 0);
	assert_int_equal(t->snd_wnd, 40000);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

static void test_syn_options_only_answered_when_offered(void **state)
{
	struct th *h = *state;

	tcb_listen(h, 8);
	/* A SYN with only MSS: the SYN-ACK has only MSS. */
	{
		struct ts_tcp_opts o = {.has = TS_TCPO_MSS, .mss = 1460};

		seg_in(h, TH_SYN, PEER_ISS, 0, 65535, &o, NULL, 0);
	}
	seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, 64240);
	assert_int_equal(h->last.th.opt.has, TS_TCPO_MSS);
	ts_tcp_close(h->listener, h->now);
	seg_expect_none(h);
}

static void test_window_scaling_large_buffer(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = ts_tcp_socket(&h->eng, &th_cb, h);
	struct ts_tcp_opts o;

	assert_int_equal(ts_tcp_setopt(t, TS_TCP_RCVBUF, 4 << 20), 0);
	assert_int_equal(ts_tcp_bind(t, TH_LOCAL, TH_LPORT), 0);
	assert_int_equal(ts_tcp_connect(t, TH_PEER, TH_PPORT, h->now), 0);
	seg_expect(h, TH_SYN, h->iss, 0, 64240);
	memset(&o, 0, sizeof(o));
	o.has = TS_TCPO_MSS | TS_TCPO_WSCALE;
	o.mss = 1460;
	o.wscale = 14;
	seg_in(h, TH_SYN | TH_ACK, PEER_ISS, h->iss + 1, 65535, &o, NULL, 0);
	/* 4 MB >> 7 = 32768 in the field. */
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, 32768);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, NULL, 0);
	assert_int_equal(t->snd_wnd, 65535u << 14);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Linux's SYN-ACK to a SYN with timestamps: window 65160 (45 x 1448),
 * MSS 1460, SACK-permitted, TS echoing the SYN's, window scale 7. */
static void test_listen_synack_with_timestamps_like_linux(void **state)
{
	struct th *h = *state;
	struct ts_tcp_opts o = {.has = TS_TCPO_MSS | TS_TCPO_SACK_PERM | TS_TCPO_TS | TS_TCPO_WSCALE,
				.mss = 1460, .wscale = 7, .ts_val = 4242};

	tcb_listen(h, 8);
	seg_in(h, TH_SYN, PEER_ISS, 0, 64240, &o, NULL, 0);
	seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, 65160);
	assert_int_equal(h->last.th.opt.has, o.has);
	assert_int_equal(h->last.th.opt.mss, 1460);
	assert_int_equal(h->last.th.opt.wscale, 7);
	assert_int_equal(h->last.th.opt.ts_ecr, 4242);
	ts_tcp_close(h->listener, h->now);
}

/* After an RTO, go-back-N from SND.UNA skips what the peer SACKed
 * (Linux keeps the scoreboard across tcp_enter_loss). */
static void test_established_rto_go_back_n_skips_sacked(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK, .nsack = 1};

	h->eng.sysctl.tcp_early_retrans[0] = 0; /* no tail loss probe: the RTO */
	fill_big();
	o.ts_val = h->peer_tsval + 1;
	o.sack[0] = (struct ts_sack_block){b + 2 * m, b + 4 * m};
	ts_tcp_send(t, big, 5 * m, h->now);
	for (int i = 0; i < 5; i++)
		assert_true(seg_pop(h));
	th_advance(h, 5 * MS);
	seg_in(h, TH_ACK, PEER_ISS + 1, b, 1024, &o, NULL, 0);
	seg_in(h, TH_ACK, PEER_ISS + 1, b, 1024, &o, NULL, 0);
	seg_expect_none(h); /* two dupACKs, nothing new to send */
	th_next(h, h->now + 10 * S);
	seg_expect_data(h, TH_ACK, b, PEER_ISS + 1, -1, m); /* RTO: cwnd 1 */
	seg_expect_none(h);
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, &o, NULL, 0);
	seg_expect_data(h, TH_ACK, b + m, PEER_ISS + 1, -1, m);
	seg_expect_data(h, TH_ACK | TH_PSH, b + 4 * m, PEER_ISS + 1, -1, m);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RFC 8985 7 / Linux (tcp_early_retrans = 3): with SACK, a flight whose
 * tail is lost is probed at 2 SRTT + 2 ms by resending its last segment,
 * well before the RTO; the RTO follows the probe. */
static void test_established_tail_loss_probe(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};
	uint64_t t0;

	fill_big();
	t->srtt = 10 * MS;
	ts_tcp_send(t, big, 3 * m, h->now);
	for (int i = 0; i < 3; i++)
		assert_true(seg_pop(h));
	t0 = h->now;
	assert_int_equal(t->timer[TCPT_PTO], t0 + 22 * MS);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	th_next(h, t0 + 100 * S);
	assert_int_equal(h->now - t0, 22 * MS);
	seg_expect_data(h, TH_ACK | TH_PSH, b + 2 * m, PEER_ISS + 1, -1, m);
	assert_int_equal(h->eng.stats.TcpExtTCPLossProbes, 1);
	assert_int_equal(t->timer[TCPT_REXMT], h->now + t->rto);
	assert_int_equal(t->timer[TCPT_PTO], TS_NEVER);
	/* The ACK of everything ends the episode and stops the timers. */
	o.ts_val = h->peer_tsval + 1;
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 3 * m, 1024, &o, NULL, 0);
	assert_int_equal(h->eng.stats.TcpExtTCPLossProbeRecovery, 1);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	assert_int_equal(t->timer[TCPT_PTO], TS_NEVER);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RACK (RFC 8985, Linux tcp_recovery = 1): a lost retransmission is
 * found when data sent after it is SACKed, and sent again — no RTO. */
static void test_established_rack_repairs_lost_retransmission(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK, .nsack = 1};
	int seg2 = 0;

	h->eng.sysctl.tcp_early_retrans[0] = 0;
	fill_big();
	o.ts_val = h->peer_tsval + 1;
	ts_tcp_send(t, big, 12 * m, h->now);
	seg_flush(h); /* ten segments: IW */
	th_advance(h, 5 * MS);
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, NULL, NULL, 0);
	seg_flush(h); /* segments 11 and 12, sent at +5 ms */
	/* Segments 3-10 arrived, 2 did not: RACK finds it lost at once. */
	o.sack[0] = (struct ts_sack_block){b + 2 * m, b + 10 * m};
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, &o, NULL, 0);
	while (seg_pop(h))
		seg2 += h->last.th.seq == b + m && h->last.len == m;
	assert_int_equal(seg2, 1);
	assert_true(t->flags & TF_IN_RECOVERY);
	/* The retransmission is lost too; 11-12 (sent after it... at the same
	 * time) arrive 5 ms later: it is lost again, resent at once. */
	th_advance(h, 5 * MS);
	o.sack[0] = (struct ts_sack_block){b + 2 * m, b + 12 * m};
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, &o, NULL, 0);
	while (seg_pop(h))
		seg2 += h->last.th.seq == b + m && h->last.len == m;
	assert_int_equal(seg2, 2);
	assert_int_equal(h->eng.stats.TcpExtTCPTimeouts, 0);
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 12 * m, 1024, &o, NULL, 0);
	assert_int_equal(t->snd_una, b + 12 * m);
	assert_false(t->flags & TF_IN_RECOVERY);
	seg_flush(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RFC 7323 5.3: PAWS drops a segment whose timestamp is older than
 * ts_recent, and ACKs it. */
static void test_established_paws_rejects_old_timestamp(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};
	char buf[8];

	o.ts_val = h->peer_tsval - 10;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 1024, &o, "old", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(h->eng.stats.TcpExtPAWSEstab, 1);
	assert_int_equal(ts_tcp_readable(t), 0);
	o.ts_val = h->peer_tsval + 10;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 1024, &o, "new", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 4, -1);
	assert_int_equal(h->last.th.opt.ts_ecr, h->peer_tsval + 10);
	assert_int_equal(ts_tcp_recv(t, buf, sizeof(buf), h->now), 3);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}


/* RFC 6675: the peer SACKs around three holes in one flight; the
 * duplicate ACKs of that one round trip retransmit all three holes,
 * without an RTO, and the next cumulative ACK covers everything. */
static void test_established_sack_recovery_repairs_three_holes(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448; /* 1460 less the timestamp option */
	uint32_t b = h->iss + 1, end = b + 10 * m;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK};
	int rexmit[10] = {0};
	/* what the peer got: all but segments 2, 5 and 8 (1-based) */
	static const int got[] = {1, 3, 4, 6, 7, 9, 10};

	h->eng.sysctl.tcp_early_retrans[0] = 0; /* the ACKs come after 5 ms */
	fill_big();
	o.ts_val = h->peer_tsval + 1;
	assert_int_equal(ts_tcp_send(t, big, 10 * m, h->now), 10 * m);
	for (int i = 0; i < 10; i++)
		seg_expect_data(h, i == 9 ? TH_ACK | TH_PSH : TH_ACK, b + i * m, PEER_ISS + 1,
				-1, m);
	th_advance(h, 5 * MS);
	for (unsigned k = 0; k < sizeof(got) / sizeof(got[0]); k++) {
		int g = got[k];

		/* SACK blocks: the ranges above the first hole, newest first. */
		o.nsack = 0;
		if (g >= 9)
			o.sack[o.nsack++] = (struct ts_sack_block){b + 8 * m, b + (uint32_t)g * m};
		if (g >= 6)
			o.sack[o.nsack++] = (struct ts_sack_block){b + 5 * m,
								   b + (uint32_t)(g < 7 ? g : 7) * m};
		if (g >= 3)
			o.sack[o.nsack++] = (struct ts_sack_block){b + 2 * m,
								   b + (uint32_t)(g < 4 ? g : 4) * m};
		o.has = o.nsack ? TS_TCPO_TS | TS_TCPO_SACK : TS_TCPO_TS;
		seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 1024, &o, NULL, 0);
		while (seg_pop(h)) {
			uint32_t off = h->last.th.seq - b;

			assert_true(h->last.len > 0);
			assert_int_equal(off % m, 0);
			assert_true(off / m < 10);
			rexmit[off / m]++;
			assert_memory_equal(h->last.data, big + off, h->last.len);
		}
	}
	/* All three holes were retransmitted, once each, in this round trip. */
	assert_int_equal(rexmit[1], 1);
	assert_int_equal(rexmit[4], 1);
	assert_int_equal(rexmit[7], 1);
	for (int i = 0; i < 10; i++)
		if (i != 1 && i != 4 && i != 7)
			assert_int_equal(rexmit[i], 0);
	assert_int_equal(h->eng.stats.TcpExtTCPTimeouts, 0);
	assert_int_equal(h->eng.stats.TcpExtTCPFastRetrans, 1);
	o.has = TS_TCPO_TS;
	seg_in(h, TH_ACK, PEER_ISS + 1, end, 1024, &o, NULL, 0);
	assert_int_equal(t->snd_una, end);
	assert_int_equal(t->timer[TCPT_REXMT], TS_NEVER);
	assert_false(t->flags & TF_IN_RECOVERY);
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}


/* --- ICMP, congestion control choice, wire format ------------------------ */

static void icmp_for(struct th *h, struct ts_icmp_err *e, uint8_t type, uint8_t code,
		     uint32_t seq, uint8_t *quote)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->code = code;
	e->from = TH_PEER;
	e->src = TH_LOCAL;
	e->dst = TH_PEER;
	e->proto = TS_IPPROTO_TCP;
	ts_put16(quote, TH_LPORT);
	ts_put16(quote + 2, TH_PPORT);
	ts_put32(quote + 4, seq);
	e->l4 = quote;
	e->l4_len = 8;
	e->err = ts_icmp_errno(type, code);
}

/* Linux tcp_v4_err: a hard error ends a connection being opened. */
static void test_syn_sent_icmp_port_unreachable_refuses(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_syn_sent(h);
	struct ts_icmp_err e;
	uint8_t q[8];

	/* About a sequence number we never sent: ignored. */
	icmp_for(h, &e, TS_ICMP_DEST_UNREACH, TS_ICMP_PORT_UNREACH, h->iss + 100, q);
	ts_tcp_icmp_error(&h->eng, &e);
	assert_int_equal(t->state, TCPS_SYN_SENT);
	assert_int_equal(h->eng.stats.TcpExtOutOfWindowIcmps, 1);
	icmp_for(h, &e, TS_ICMP_DEST_UNREACH, TS_ICMP_PORT_UNREACH, h->iss, q);
	ts_tcp_icmp_error(&h->eng, &e);
	assert_int_equal(t->state, TCPS_CLOSED);
	assert_int_equal(h->last_err, ECONNREFUSED);
	seg_expect_none(h);
	ts_tcp_close(t, h->now);
}

/* RFC 1191: fragmentation needed lowers the MSS and resends at once. */
static void test_established_icmp_frag_needed_lowers_mss(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_icmp_err e;
	uint8_t q[8];

	fill_big();
	ts_tcp_send(t, big, 3000, h->now);
	seg_expect_data(h, TH_ACK, h->iss + 1, PEER_ISS + 1, 65535, 1460);
	seg_expect_data(h, TH_ACK, h->iss + 1461, PEER_ISS + 1, 65535, 1460);
	seg_expect_data(h, TH_ACK | TH_PSH, h->iss + 2921, PEER_ISS + 1, 65535, 80);
	icmp_for(h, &e, TS_ICMP_DEST_UNREACH, TS_ICMP_FRAG_NEEDED, h->iss + 1, q);
	e.mtu = 1000;
	ts_tcp_icmp_error(&h->eng, &e);
	assert_int_equal(t->mss, 960);
	seg_expect_data(h, TH_ACK, h->iss + 1, PEER_ISS + 1, 65535, 960);
	assert_int_equal(t->state, TCPS_ESTABLISHED);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* TCP_CONGESTION picks the algorithm per socket; the sysctl the default. */
static void test_congestion_control_selectable(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t;
	int v;

	h->eng.sysctl.tcp_congestion_control[0] = 0; /* reno */
	t = tcb_established(h);
	assert_string_equal(t->cc.ops->name, "reno");
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_CONGESTION, 1), 0);
	assert_string_equal(t->cc.ops->name, "cubic");
	assert_int_equal(t->cc.cwnd, 10);
	assert_int_equal(ts_tcp_getopt(t, TS_TCP_CONGESTION, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_CONGESTION, 7), -ENOENT);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* The parser checks every length and never trusts an option length. */
static void test_wire_parse_rejects_and_tolerates(void **state)
{
	struct ts_tcp_hdr th;
	uint8_t p[60];

	memset(p, 0, sizeof(p));
	assert_int_equal(ts_tcp_parse(p, 19, &th), -EINVAL);
	p[12] = 4 << 4; /* data offset 16 < 20 */
	assert_int_equal(ts_tcp_parse(p, 20, &th), -EINVAL);
	p[12] = 6 << 4; /* 24 bytes claimed, 20 present */
	assert_int_equal(ts_tcp_parse(p, 20, &th), -EINVAL);
	/* MSS with a wrong length is ignored; a length past the header
	 * ends option parsing without error. */
	p[20] = TCPOPT_MSS;
	p[21] = 3;
	p[22] = 1;
	p[23] = 2;
	assert_int_equal(ts_tcp_parse(p, 24, &th), 0);
	assert_int_equal(th.opt.has, 0);
	p[12] = 8 << 4;
	p[20] = TCPOPT_NOP;
	p[21] = TCPOPT_WSCALE;
	p[22] = 3;
	p[23] = 9;
	p[24] = TCPOPT_TIMESTAMP;
	p[25] = 40; /* runs past the header */
	assert_int_equal(ts_tcp_parse(p, 32, &th), 0);
	assert_int_equal(th.opt.has, TS_TCPO_WSCALE);
	assert_int_equal(th.opt.wscale, 9);
	(void)state;
}

/* A build/parse round trip keeps every option, and the length the
 * builder reports is what it wrote (three SACK blocks beside a
 * timestamp fill the 40 bytes exactly). */
static void test_wire_build_parse_round_trip(void **state)
{
	struct ts_tcp_hdr a, b;
	uint8_t p[TS_TCP_MAX_HLEN];

	memset(&a, 0, sizeof(a));
	a.sport = 1;
	a.dport = 2;
	a.seq = 0xfffffff0u;
	a.ack = 5;
	a.flags = TH_ACK;
	a.win = 77;
	a.opt.has = TS_TCPO_TS | TS_TCPO_SACK;
	a.opt.ts_val = 1;
	a.opt.ts_ecr = 2;
	a.opt.nsack = 4;
	for (int i = 0; i < 4; i++)
		a.opt.sack[i] = (struct ts_sack_block){100u * (unsigned)i, 100u * (unsigned)i + 50};
	assert_int_equal(ts_tcp_opts_len(&a.opt), 40);
	assert_int_equal(ts_tcp_build(p, &a), 60);
	assert_int_equal(ts_tcp_parse(p, 60, &b), 0);
	assert_int_equal(b.seq, a.seq);
	assert_int_equal(b.opt.has, TS_TCPO_TS | TS_TCPO_SACK);
	assert_int_equal(b.opt.nsack, 3);
	assert_int_equal(b.opt.sack[2].end, 250);
	(void)state;
}

/* RFC 2883 4 (Linux tcp_send_dupack / tcp_data_queue): a duplicate of
 * data already received is reported as the first SACK block of the ACK
 * it draws, once. */
static void test_established_duplicate_data_draws_dsack(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	o.ts_val = h->peer_tsval + 1;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 65535, &o, "abc", 3);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.ack, PEER_ISS + 4);
	assert_false(h->last.th.opt.has & TS_TCPO_SACK);
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 65535, &o, "abc", 3);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.ack, PEER_ISS + 4);
	assert_true(h->last.th.opt.has & TS_TCPO_SACK);
	assert_int_equal(h->last.th.opt.nsack, 1);
	assert_int_equal(h->last.th.opt.sack[0].start, PEER_ISS + 1);
	assert_int_equal(h->last.th.opt.sack[0].end, PEER_ISS + 4);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKOldSent, 1);
	/* Partly old: only the old part is reported. */
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 2, h->iss + 1, 65535, &o, "bcde", 4);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.ack, PEER_ISS + 6);
	assert_int_equal(h->last.th.opt.nsack, 1);
	assert_int_equal(h->last.th.opt.sack[0].start, PEER_ISS + 2);
	assert_int_equal(h->last.th.opt.sack[0].end, PEER_ISS + 4);
	/* New data: no SACK block any more. */
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 6, h->iss + 1, 65535, &o, "f", 1);
	assert_true(seg_pop(h));
	assert_false(h->last.th.opt.has & TS_TCPO_SACK);
	/* net.ipv4.tcp_dsack = 0: none. */
	h->eng.sysctl.tcp_dsack[0] = 0;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 6, h->iss + 1, 65535, &o, "f", 1);
	assert_true(seg_pop(h));
	assert_false(h->last.th.opt.has & TS_TCPO_SACK);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKOldSent, 2);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RFC 2883 4 (2): a duplicate of out-of-order data: the D-SACK first,
 * then the held block that contains it. */
static void test_established_duplicate_ooo_data_draws_dsack_first(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	o.ts_val = h->peer_tsval + 1;
	seg_in(h, TH_ACK, PEER_ISS + 11, h->iss + 1, 65535, &o, "xyz", 3);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.ack, PEER_ISS + 1);
	assert_int_equal(h->last.th.opt.nsack, 1);
	seg_in(h, TH_ACK, PEER_ISS + 11, h->iss + 1, 65535, &o, "xyz", 3);
	assert_true(seg_pop(h));
	assert_int_equal(h->last.th.opt.nsack, 2);
	assert_int_equal(h->last.th.opt.sack[0].start, PEER_ISS + 11);
	assert_int_equal(h->last.th.opt.sack[0].end, PEER_ISS + 14);
	assert_int_equal(h->last.th.opt.sack[1].start, PEER_ISS + 11);
	assert_int_equal(h->last.th.opt.sack[1].end, PEER_ISS + 14);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKOfoSent, 1);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Ten segments out, the first one "lost": three SACKs start fast recovery
 * and its retransmission.  Returns cwnd before the reduction. */
static uint32_t recovery_of_first(struct th *h, struct ts_tcb *t, uint32_t m,
				  uint32_t *orig_tsval)
{
	struct ts_tcp_opts o = {.has = TS_TCPO_TS | TS_TCPO_SACK};
	uint32_t b = h->iss + 1, cw0 = t->cc.cwnd;
	int rxt = 0;

	h->eng.sysctl.tcp_early_retrans[0] = 0;
	fill_big();
	assert_int_equal(ts_tcp_send(t, big, 10 * m, h->now), 10 * m);
	for (int i = 0; i < 10; i++) {
		seg_expect_data(h, i == 9 ? TH_ACK | TH_PSH : TH_ACK, b + i * m, PEER_ISS + 1, -1,
				m);
		if (i == 0)
			*orig_tsval = h->last.th.opt.ts_val;
	}
	th_advance(h, 5 * MS);
	o.ts_val = h->peer_tsval + 1;
	o.ts_ecr = *orig_tsval;
	for (uint32_t g = 2; g <= 4; g++) {
		o.nsack = 1;
		o.sack[0] = (struct ts_sack_block){b + m, b + g * m};
		seg_in(h, TH_ACK, PEER_ISS + 1, b, 65535, &o, NULL, 0);
		while (seg_pop(h))
			rxt += h->last.th.seq == b;
	}
	assert_int_equal(rxt, 1);
	assert_true(t->flags & TF_IN_RECOVERY);
	assert_true(t->cc.cwnd < cw0);
	return cw0;
}

/* Linux tcp_try_undo_dsack: the peer reports the retransmission as a
 * duplicate (the original was only late): cwnd and ssthresh return. */
static void test_recovery_undone_when_dsack_shows_retransmission_spurious(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1, tsv, cw0, ss0 = t->cc.ssthresh;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	cw0 = recovery_of_first(h, t, m, &tsv);
	/* The full ACK echoes the retransmission's timestamp (it filled the
	 * hole): no Eifel undo; recovery ends with cwnd = ssthresh. */
	o.ts_val = h->peer_tsval + 2;
	o.ts_ecr = ts_tcp_tsval(t, h->now);
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 10 * m, 65535, &o, NULL, 0);
	assert_false(t->flags & TF_IN_RECOVERY);
	assert_true(t->cc.cwnd < cw0);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKUndo + h->eng.stats.TcpExtTCPFullUndo, 0);
	/* Then the late original arrives at the peer: its D-SACK. */
	o.has |= TS_TCPO_SACK;
	o.nsack = 1;
	o.sack[0] = (struct ts_sack_block){b, b + m};
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 10 * m, 65535, &o, NULL, 0);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKRecv, 1);
	assert_int_equal(h->eng.stats.TcpExtTCPDSACKUndo, 1);
	assert_int_equal(t->cc.cwnd, cw0);
	assert_int_equal(t->cc.ssthresh, ss0); /* slow start again, as before */
	/* A D-SACK for data never retransmitted undoes nothing. */
	seg_expect_none(h);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* Eifel (RFC 3522, Linux tcp_packet_delayed): the ACK ending recovery
 * echoes a timestamp from before the retransmission, so the original was
 * what arrived: undone at once. */
static void test_recovery_undone_when_ack_echoes_original_timestamp(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1, tsv, cw0;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	cw0 = recovery_of_first(h, t, m, &tsv);
	o.ts_val = h->peer_tsval + 2;
	o.ts_ecr = tsv;
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 10 * m, 65535, &o, NULL, 0);
	assert_int_equal(h->eng.stats.TcpExtTCPFullUndo, 1);
	assert_false(t->flags & TF_IN_RECOVERY);
	assert_int_equal(t->cc.cwnd, cw0);
	assert_int_equal(t->cc.ca_state, TS_CA_OPEN);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* A spurious RTO (the ACK was only late): the ACK echoing the original's
 * timestamp undoes the loss state and stops the go-back-N (Linux
 * tcp_try_undo_loss). */
static void test_rto_undone_when_ack_echoes_original_timestamp(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	const uint32_t m = 1448;
	uint32_t b = h->iss + 1, tsv, cw0 = t->cc.cwnd;
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	h->eng.sysctl.tcp_early_retrans[0] = 0;
	fill_big();
	/* A first round trip of 10 ms gives RACK its minimum RTT, so the
	 * quick ACK below is recognised as the original's (RFC 8985 6.2). */
	assert_int_equal(ts_tcp_send(t, big, 1, h->now), 1);
	seg_expect_data(h, TH_ACK | TH_PSH, b, PEER_ISS + 1, -1, 1);
	th_advance(h, 10 * MS);
	o.ts_val = h->peer_tsval + 1;
	o.ts_ecr = h->last.th.opt.ts_val;
	seg_in(h, TH_ACK, PEER_ISS + 1, b + 1, 65535, &o, NULL, 0);
	b++;
	cw0 = t->cc.cwnd;
	assert_int_equal(ts_tcp_send(t, big, 3 * m, h->now), 3 * m);
	seg_expect_data(h, TH_ACK, b, PEER_ISS + 1, -1, m);
	tsv = h->last.th.opt.ts_val;
	seg_expect_data(h, TH_ACK, b + m, PEER_ISS + 1, -1, m);
	seg_expect_data(h, TH_ACK | TH_PSH, b + 2 * m, PEER_ISS + 1, -1, m);
	th_next(h, h->now + 10 * S);
	seg_expect_data(h, TH_ACK, b, PEER_ISS + 1, -1, m); /* the RTO */
	assert_int_equal(t->cc.cwnd, 1);
	o.ts_val = h->peer_tsval + 2;
	o.ts_ecr = tsv;
	seg_in(h, TH_ACK, PEER_ISS + 1, b + m, 65535, &o, NULL, 0);
	assert_int_equal(h->eng.stats.TcpExtTCPLossUndo, 1);
	assert_false(t->flags & TF_LOSS_RECOVERY);
	assert_int_equal(t->cc.cwnd, cw0);
	/* Segments 2 and 3 are not sent again: they are in flight. */
	seg_expect_none(h);
	assert_int_equal(t->snd_nxt, b + 3 * m);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
#define TW(f) cmocka_unit_test_prestate_setup_teardown(f, th_setup, th_teardown, &isn_wrap)
#define TO(f) cmocka_unit_test_setup_teardown(f, th_setup_opts, th_teardown)
#define TOW(f) cmocka_unit_test_prestate_setup_teardown(f, th_setup_opts, th_teardown, &isn_wrap)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(test_established_send_psh_ack_stops_timer),
		TW(test_established_send_psh_ack_stops_timer),
		T(test_established_nagle_holds_small_segment),
		TW(test_established_nagle_holds_small_segment),
		T(test_established_cork_holds_until_full_or_uncork),
		T(test_established_initial_window_is_ten_segments),
		TW(test_established_initial_window_is_ten_segments),
		T(test_established_send_after_shutdown_is_epipe),
		T(test_established_delayed_ack_after_quickacks),
		TW(test_established_delayed_ack_after_quickacks),
		T(test_established_out_of_order_dupack_then_reassembled),
		TW(test_established_out_of_order_dupack_then_reassembled),
		T(test_established_out_of_order_fin_waits_for_hole),
		T(test_established_receive_window_closes_and_reopens),
		TW(test_established_receive_window_closes_and_reopens),
		T(test_established_rto_backoff_doubles),
		TW(test_established_rto_backoff_doubles),
		T(test_established_retries2_924s_budget_times_out_at_1044s),
		T(test_established_retries2_3_times_out_at_6s),
		T(test_established_three_dupacks_fast_retransmit),
		TW(test_established_three_dupacks_fast_retransmit),
		T(test_established_zero_window_persist_probes),
		TW(test_established_zero_window_persist_probes),
		T(test_established_small_window_probe_sends_what_fits),
		T(test_established_shrunk_zero_window_probes_not_timeout),
		T(test_established_fin_waits_behind_zero_window),
		T(test_ttl_tos_options_reach_ip),
		TO(test_established_buffers_autotune_unless_locked),
		T(test_established_keepalive_probes_then_reset),
		T(test_established_keepalive_answered_keeps_connection),
		TO(test_syn_options_negotiated),
		TOW(test_syn_options_negotiated),
		TO(test_syn_options_only_answered_when_offered),
		TO(test_window_scaling_large_buffer),
		TO(test_listen_synack_with_timestamps_like_linux),
		TO(test_established_tail_loss_probe),
		TO(test_established_rack_repairs_lost_retransmission),
		TOW(test_established_rack_repairs_lost_retransmission),
		TOW(test_established_tail_loss_probe),
		TO(test_established_rto_go_back_n_skips_sacked),
		TOW(test_established_rto_go_back_n_skips_sacked),
		TO(test_established_sack_recovery_repairs_three_holes),
		TO(test_established_duplicate_data_draws_dsack),
		TO(test_established_duplicate_ooo_data_draws_dsack_first),
		TO(test_recovery_undone_when_dsack_shows_retransmission_spurious),
		TOW(test_recovery_undone_when_dsack_shows_retransmission_spurious),
		TO(test_recovery_undone_when_ack_echoes_original_timestamp),
		TO(test_rto_undone_when_ack_echoes_original_timestamp),
		TOW(test_rto_undone_when_ack_echoes_original_timestamp),
		TOW(test_established_sack_recovery_repairs_three_holes),
		TO(test_established_paws_rejects_old_timestamp),
		TOW(test_established_paws_rejects_old_timestamp),
		T(test_syn_sent_icmp_port_unreachable_refuses),
		T(test_established_icmp_frag_needed_lowers_mss),
		T(test_congestion_control_selectable),
		cmocka_unit_test(test_wire_parse_rejects_and_tolerates),
		cmocka_unit_test(test_wire_build_parse_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
