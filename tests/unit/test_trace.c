/* The trace ring: bounds (the oldest events are overwritten, readers see
 * what they lost by sequence number), text truncation, kind names, the
 * TS_TRACE/TS_DROP macros, and tracing off costing nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "trace.h"

/* For tests without an engine: no packet may leak either. */
static long live_at_start;

static int live_setup(void **state)
{
	live_at_start = ts_pkt_live();
	return 0;
}

static int live_check(void **state)
{
	assert_int_equal(ts_pkt_live(), live_at_start);
	return 0;
}

static void test_ring_wraps_keeping_the_newest_cap_events(void **state)
{
	struct ts_trace tr = {0};
	long live = ts_pkt_live();

	(void)state;
	assert_int_equal(ts_trace_enable(&tr, 5), 0);
	assert_int_equal(tr.cap, 8); /* rounded up to a power of two */
	assert_int_equal(ts_trace_oldest(&tr), 0);
	assert_null(ts_trace_get(&tr, 0));
	for (int i = 0; i < 20; i++)
		ts_trace_emit(&tr, 1000u + (uint64_t)i, TS_TRACE_INFO, "event %d", i);
	assert_int_equal(tr.next, 20);
	assert_int_equal(ts_trace_oldest(&tr), 12);
	assert_null(ts_trace_get(&tr, 11));
	assert_null(ts_trace_get(&tr, 20));
	for (uint64_t s = 12; s < 20; s++) {
		const struct ts_trace_ev *ev = ts_trace_get(&tr, s);
		char want[32];

		assert_non_null(ev);
		assert_int_equal(ev->seq, s);
		assert_int_equal(ev->t, 1000 + s);
		assert_int_equal(ev->kind, TS_TRACE_INFO);
		snprintf(want, sizeof(want), "event %d", (int)s);
		assert_string_equal(ev->msg, want);
	}
	/* Enabling again keeps the ring. */
	assert_int_equal(ts_trace_enable(&tr, 1024), 0);
	assert_int_equal(tr.cap, 8);
	ts_trace_disable(&tr);
	assert_null(tr.ring);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_off_records_nothing_and_bad_cap_is_refused(void **state)
{
	struct ts_trace tr = {0};
	long live = ts_pkt_live();

	(void)state;
	ts_trace_emit(&tr, 1, TS_TRACE_DROP, "x");
	assert_int_equal(tr.next, 0);
	assert_null(ts_trace_get(&tr, 0));
	assert_int_equal(ts_trace_enable(&tr, TS_TRACE_MAX_CAP + 1), -EINVAL);
	assert_null(tr.ring);
	assert_int_equal(ts_trace_enable(&tr, 0), 0);
	assert_int_equal(tr.cap, TS_TRACE_DEFAULT_CAP);
	ts_trace_disable(&tr);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_long_text_is_cut_and_nul_terminated(void **state)
{
	struct ts_trace tr = {0};
	char big[400];
	const struct ts_trace_ev *ev;

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ts_trace_enable(&tr, 2), 0);
	ts_trace_emit(&tr, 7, TS_TRACE_STATE, "%s", big);
	ev = ts_trace_get(&tr, 0);
	assert_non_null(ev);
	assert_int_equal(strlen(ev->msg), TS_TRACE_MSG - 1);
	ts_trace_disable(&tr);
}

static void test_kind_names_round_trip(void **state)
{
	(void)state;
	for (unsigned k = 1; k < TS_TRACE_KIND_MAX; k++)
		assert_int_equal(ts_trace_kind_find(ts_trace_kind_name(k)), (int)k);
	assert_string_equal(ts_trace_kind_name(TS_TRACE_FAULT), "fault");
	assert_string_equal(ts_trace_kind_name(0), "?");
	assert_string_equal(ts_trace_kind_name(999), "?");
	assert_int_equal(ts_trace_kind_find("bogus"), -1);
}

static void test_drop_macro_counts_and_traces_the_counter_name(void **state)
{
	static struct ts_engine eng;
	const struct ts_trace_ev *ev;
	long live = ts_pkt_live();

	(void)state;
	memset(&eng, 0, sizeof(eng));
	/* Off: the counter moves, nothing is recorded. */
	TS_DROP(&eng, IpInDiscards);
	assert_int_equal(eng.stats.IpInDiscards, 1);
	assert_int_equal(ts_trace_enable(&eng.trace, 4), 0);
	eng.now = 42;
	TS_DROP(&eng, IpInDiscards);
	TS_TRACE(&eng, TS_TRACE_TIMER, "rto %u", 200u);
	assert_int_equal(eng.stats.IpInDiscards, 2);
	ev = ts_trace_get(&eng.trace, 0);
	assert_non_null(ev);
	assert_int_equal(ev->kind, TS_TRACE_DROP);
	assert_int_equal(ev->t, 42);
	assert_string_equal(ev->msg, "IpInDiscards");
	ev = ts_trace_get(&eng.trace, 1);
	assert_non_null(ev);
	assert_string_equal(ev->msg, "rto 200");
	ts_trace_disable(&eng.trace);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_counter_diff_traces_drops_once_each(void **state)
{
	static struct ts_engine eng;
	const struct ts_trace_ev *ev;
	long live = ts_pkt_live();

	(void)state;
	memset(&eng, 0, sizeof(eng));
	assert_true(ts_stat_is_drop(ts_stat_find("IpInHdrErrors")));
	assert_true(ts_stat_is_drop(ts_stat_find("TcpExtListenOverflows")));
	assert_true(ts_stat_is_drop(ts_stat_find("UdpNoPorts")));
	assert_false(ts_stat_is_drop(ts_stat_find("IcmpInEchos")));
	assert_false(ts_stat_is_drop(ts_stat_find("TcpRetransSegs")));
	eng.stats.IpInHdrErrors = 5; /* before tracing: not told */
	assert_int_equal(ts_trace_enable(&eng.trace, 16), 0);
	ts_trace_sync(&eng.trace, &eng.stats);
	eng.stats.IpInHdrErrors += 3;
	eng.stats.IcmpInEchos += 1;
	TS_DROP(&eng, UdpNoPorts); /* its own event; not told again */
	ts_trace_drops(&eng.trace, 9, &eng.stats);
	assert_int_equal(eng.trace.next, 2);
	ev = ts_trace_get(&eng.trace, 0);
	assert_string_equal(ev->msg, "UdpNoPorts");
	ev = ts_trace_get(&eng.trace, 1);
	assert_int_equal(ev->kind, TS_TRACE_DROP);
	assert_int_equal(ev->t, 9);
	assert_string_equal(ev->msg, "IpInHdrErrors +3");
	/* Nothing new: nothing told.  A reset is not a drop. */
	ts_trace_drops(&eng.trace, 10, &eng.stats);
	memset(&eng.stats, 0, sizeof(eng.stats));
	ts_trace_drops(&eng.trace, 11, &eng.stats);
	assert_int_equal(eng.trace.next, 2);
	eng.stats.IpInHdrErrors = 1;
	ts_trace_drops(&eng.trace, 12, &eng.stats);
	assert_string_equal(ts_trace_get(&eng.trace, 2)->msg, "IpInHdrErrors +1");
	ts_trace_disable(&eng.trace);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ring_wraps_keeping_the_newest_cap_events,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_off_records_nothing_and_bad_cap_is_refused,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_long_text_is_cut_and_nul_terminated, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_kind_names_round_trip, live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_drop_macro_counts_and_traces_the_counter_name,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_counter_diff_traces_drops_once_each, live_setup,
					    live_check),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
