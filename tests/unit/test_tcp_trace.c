/* What the TCP engine tells `tapsock trace` (core/tcp_trace.h): the exact
 * events of an active open and close, a lost SYN, a fast retransmit and a
 * PAWS drop, on the TCP harness with the trace ring on; drops counted once
 * whether anyone traces or not.  Sequence-relative tests run again with the
 * ISN near 2^32. */
#include "tcp_harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"

#define MS 1000ull
#define S 1000000ull
#define TUPLE "198.18.0.2:40000 198.18.0.1:80 "

static uint32_t isn_wrap = 0xfffff000u;
static uint8_t big[8 * 1460];

/* The events since seq *from (advanced past them), as "kind msg". */
static int events(struct th *h, uint64_t *from, char out[][TS_TRACE_MSG + 16], int max)
{
	int n = 0;

	for (; *from < h->eng.trace.next; (*from)++) {
		const struct ts_trace_ev *ev = ts_trace_get(&h->eng.trace, *from);

		assert_non_null(ev);
		assert_true(n < max);
		snprintf(out[n++], TS_TRACE_MSG + 16, "%s %s", ts_trace_kind_name(ev->kind),
			 ev->msg);
	}
	return n;
}

/* The events since *from must be exactly want[0..n). */
static void expect_events_x(struct th *h, uint64_t *from, const char *const *want, int n,
			    const char *file, int line)
{
	char got[32][TS_TRACE_MSG + 16];
	int k = events(h, from, got, 32);

	for (int i = 0; i < k || i < n; i++) {
		const char *g = i < k ? got[i] : "(none)", *w = i < n ? want[i] : "(none)";

		if (strcmp(g, w) != 0) {
			for (int j = 0; j < k; j++)
				print_message("  event %d: %s\n", j, got[j]);
			fail_msg("%s:%d: event %d is \"%s\", expected \"%s\"", file, line, i, g, w);
		}
	}
}
#define expect_events(h, from, ...)                                                                \
	do {                                                                                       \
		const char *const w_[] = {__VA_ARGS__};                                            \
		expect_events_x(h, from, w_, (int)(sizeof(w_) / sizeof(w_[0])), __FILE__, __LINE__); \
	} while (0)

static void trace_on(struct th *h)
{
	assert_int_equal(ts_trace_enable(&h->eng.trace, 256), 0);
	ts_trace_sync(&h->eng.trace, &h->eng.stats);
}

/* RFC 9293 3.5 figure 3 and 3.6 figure 12 from the active side: every
 * transition named as ss names states, TIME-WAIT's end by its timer. */
static void test_active_open_close_traces_each_state(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t;
	uint64_t from = 0;

	trace_on(h);
	t = tcb_established(h);
	expect_events(h, &from, "state " TUPLE "CLOSE -> SYN-SENT", "state " TUPLE "SYN-SENT -> ESTAB");
	assert_int_equal(ts_tcp_shutdown(t, 1, h->now), 0);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 2, PEER_ISS + 2, -1);
	assert_int_equal(t->state, TCPS_TIME_WAIT);
	th_next(h, h->now + 120 * S);
	assert_int_equal(t->state, TCPS_CLOSED);
	expect_events(h, &from, "state " TUPLE "ESTAB -> FIN-WAIT-1",
		      "state " TUPLE "FIN-WAIT-1 -> FIN-WAIT-2",
		      "state " TUPLE "FIN-WAIT-2 -> TIME-WAIT", "timer " TUPLE "timewait expired",
		      "state " TUPLE "TIME-WAIT -> CLOSE");
	seg_expect_none(h);
	ts_tcp_close(t, h->now);
}

/* RFC 6298 5.5 / Linux tcp_retransmit_timer: a lost SYN is sent again
 * after 1 s, then 2 s; each firing and each retransmission is told, with
 * the backoff and the RTO that expired. */
static void test_syn_sent_lost_syn_traces_timer_and_retrans(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t;
	uint64_t from = 0;
	char want[2][TS_TRACE_MSG + 16];

	trace_on(h);
	t = tcb_syn_sent(h);
	expect_events(h, &from, "state " TUPLE "CLOSE -> SYN-SENT");
	th_next(h, h->now + 10 * S);
	seg_expect(h, TH_SYN, h->iss, 0, -1);
	snprintf(want[0], sizeof(want[0]), "retrans " TUPLE "retrans seq=0..1 len=0 reason=syn abs=%u",
		 h->iss);
	expect_events(h, &from, "timer " TUPLE "rto fired backoff=0 rto=1000ms", want[0]);
	th_next(h, h->now + 10 * S);
	seg_expect(h, TH_SYN, h->iss, 0, -1);
	expect_events(h, &from, "timer " TUPLE "rto fired backoff=1 rto=2000ms", want[0]);
	assert_int_equal(h->eng.stats.TcpRetransSegs, 2);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
	expect_events(h, &from, "state " TUPLE "SYN-SENT -> CLOSE (abort)");
}

/* RFC 5681 3.2: the third duplicate ACK resends the hole, reason=fast,
 * numbered from our ISN (also across 2^32). */
static void test_established_fast_retransmit_traces_reason_fast(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint32_t base = h->iss + 1;
	uint64_t from;
	char want[TS_TRACE_MSG + 16];

	trace_on(h);
	from = h->eng.trace.next;
	memset(big, 'x', sizeof(big));
	ts_tcp_send(t, big, 5 * 1460, h->now);
	for (int i = 0; i < 5; i++)
		seg_expect_data(h, i == 4 ? TH_ACK | TH_PSH : TH_ACK, base + 1460 * i,
				PEER_ISS + 1, 65535, 1460);
	th_advance(h, 10 * MS);
	for (int i = 0; i < 4; i++)
		seg_in(h, TH_ACK, PEER_ISS + 1, base + 1460, 65535, NULL, NULL, 0);
	seg_expect_data(h, TH_ACK, base + 1460, PEER_ISS + 1, 65535, 1460);
	snprintf(want, sizeof(want),
		 "retrans " TUPLE "retrans seq=1461..2921 len=1460 reason=fast abs=%u", base + 1460);
	expect_events(h, &from, want);
	seg_in(h, TH_ACK, PEER_ISS + 1, base + 5 * 1460, 65535, NULL, NULL, 0);
	seg_expect_none(h);
	expect_events_x(h, &from, NULL, 0, __FILE__, __LINE__); /* none */
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* RFC 7323 5.3: PAWS drops the old segment; the drop is told once, with
 * the connection and the counter, and ts_trace_drops does not repeat it. */
static void test_established_paws_drop_traced_once(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};
	uint64_t from;

	trace_on(h);
	from = h->eng.trace.next;
	o.ts_val = h->peer_tsval - 10;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 1024, &o, "old", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(h->eng.stats.TcpExtPAWSEstab, 1);
	ts_trace_drops(&h->eng.trace, h->now, &h->eng.stats);
	expect_events(h, &from, "drop " TUPLE "drop TcpExtPAWSEstab");
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* With the ring off nothing is recorded and every drop still counts
 * once. */
static void test_trace_off_counts_drop_records_nothing(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_tcp_opts o = {.has = TS_TCPO_TS};

	o.ts_val = h->peer_tsval - 10;
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 1024, &o, "old", 3);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(h->eng.stats.TcpExtPAWSEstab, 1);
	assert_null(h->eng.trace.ring);
	assert_int_equal(h->eng.trace.next, 0);
	ts_tcp_abort(t, h->now);
	seg_flush(h);
}

/* A segment for no socket: dropped with its 4-tuple, local end first. */
static void test_closed_port_drop_names_segment(void **state)
{
	struct th *h = *state;
	uint64_t from = 0;

	trace_on(h);
	seg_in(h, TH_ACK, PEER_ISS + 1, 12345, 65535, NULL, NULL, 0);
	seg_expect(h, TH_RST, 12345, 0, -1);
	assert_int_equal(h->eng.stats.TsExtTcpInNoSocket, 1);
	ts_trace_drops(&h->eng.trace, h->now, &h->eng.stats);
	expect_events(h, &from, "drop " TUPLE "drop TsExtTcpInNoSocket");
}

/* A listener's half-open child: its SYN-ACK timer fires and the SYN-ACK
 * goes again (Linux reqsk_timer_handler), told as rto + reason=synack. */
static void test_listen_half_open_child_synack_retrans_traced(void **state)
{
	struct th *h = *state;
	uint64_t from = 0;
	char want[TS_TRACE_MSG + 16];

	trace_on(h);
	tcb_listen(h, 16);
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, -1);
	expect_events(h, &from, "state 0.0.0.0:40000 0.0.0.0:0 CLOSE -> LISTEN",
		      "state " TUPLE "CLOSE -> SYN-RECV");
	th_next(h, h->now + 10 * S);
	seg_expect(h, TH_SYN | TH_ACK, h->iss, PEER_ISS + 1, -1);
	snprintf(want, sizeof(want),
		 "retrans " TUPLE "retrans seq=0..1 len=0 reason=synack abs=%u", h->iss);
	expect_events(h, &from, "timer " TUPLE "rto fired backoff=0 rto=1000ms", want);
}

/* RFC 1122 4.2.3.6 / Linux tcp_keepalive_timer: each probe is told n/N,
 * then the give-up and the state change with its reason. */
static void test_established_keepalive_probes_then_timeout_traced(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t from;

	assert_int_equal(ts_tcp_setopt(t, TS_TCP_KEEPIDLE, 10), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_KEEPINTVL, 10), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_KEEPCNT, 2), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_KEEPALIVE, 1), 0);
	trace_on(h);
	from = h->eng.trace.next;
	th_next(h, h->now + 100 * S);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, -1);
	expect_events(h, &from, "timer " TUPLE "keepalive probe 1/2");
	th_next(h, h->now + 100 * S);
	seg_expect(h, TH_ACK, h->iss, PEER_ISS + 1, -1);
	expect_events(h, &from, "timer " TUPLE "keepalive probe 2/2");
	th_next(h, h->now + 100 * S);
	seg_expect(h, TH_RST | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	expect_events(h, &from, "timer " TUPLE "keepalive fired: no answer to 2 probes",
		      "state " TUPLE "ESTAB -> CLOSE (timeout)");
	assert_int_equal(t->state, TCPS_CLOSED);
	ts_tcp_close(t, h->now);
}

/* RFC 9293 3.6 figure 12 from the passive side: the peer's FIN, our
 * close, the last ACK. */
static void test_passive_close_traces_close_wait_last_ack(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t from;

	trace_on(h);
	from = h->eng.trace.next;
	seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 2, -1);
	assert_int_equal(ts_tcp_shutdown(t, 1, h->now), 0);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 2, -1);
	seg_in(h, TH_ACK, PEER_ISS + 2, h->iss + 2, 65535, NULL, NULL, 0);
	expect_events(h, &from, "state " TUPLE "ESTAB -> CLOSE-WAIT (fin)",
		      "state " TUPLE "CLOSE-WAIT -> LAST-ACK", "state " TUPLE "LAST-ACK -> CLOSE");
	ts_tcp_close(t, h->now);
}

/* RFC 9293 3.10.7.4: a segment outside the window is dropped (and
 * ACKed), told with its reason; an RST at RCV.NXT resets. */
static void test_established_out_of_window_drop_then_rst_traced(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t from;

	trace_on(h);
	from = h->eng.trace.next;
	seg_in(h, TH_ACK, PEER_ISS + 1 + 200000, h->iss + 1, 65535, NULL, "x", 1);
	seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	seg_in(h, TH_RST, PEER_ISS + 1, 0, 0, NULL, NULL, 0);
	seg_expect_none(h);
	assert_int_equal(h->eng.stats.TsExtTcpInDropped, 1);
	expect_events(h, &from, "drop " TUPLE "drop TsExtTcpInDropped (out of window)",
		      "state " TUPLE "ESTAB -> CLOSE (rst)");
	assert_int_equal(h->last_err, ECONNRESET);
	ts_tcp_close(t, h->now);
}

#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
#define TW(f) cmocka_unit_test_prestate_setup_teardown(f, th_setup, th_teardown, &isn_wrap)
#define TO(f) cmocka_unit_test_setup_teardown(f, th_setup_opts, th_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(test_active_open_close_traces_each_state),
		T(test_syn_sent_lost_syn_traces_timer_and_retrans),
		TW(test_syn_sent_lost_syn_traces_timer_and_retrans),
		T(test_established_fast_retransmit_traces_reason_fast),
		TW(test_established_fast_retransmit_traces_reason_fast),
		TO(test_established_paws_drop_traced_once),
		TO(test_trace_off_counts_drop_records_nothing),
		T(test_closed_port_drop_names_segment),
		T(test_listen_half_open_child_synack_retrans_traced),
		TW(test_listen_half_open_child_synack_retrans_traced),
		T(test_established_keepalive_probes_then_timeout_traced),
		T(test_passive_close_traces_close_wait_last_ack),
		T(test_established_out_of_window_drop_then_rst_traced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
