/* SYN cookies (core/tcp_syncookie.c): round trip per MSS class, the
 * two-minute age limit, tampering, and the timestamp option encoding. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pktbuf.h"
#include "tcp_syncookie.h"

#define L_ADDR 0xc6120002u	/* 198.18.0.2, the listener */
#define R_ADDR 0xc6120001u	/* 198.18.0.1, the client */
#define L_PORT 80
#define R_PORT 40000
#define MINUTE TS_SYNCOOKIE_PERIOD_US

static struct ts_tcp_secrets sec;

static int setup(void **state)
{
	ts_tcp_secrets_set(&sec, 42);
	return 0;
}

/* The client's ACK for a SYN-ACK whose ISN was cookie. */
static int check(uint32_t client_isn, uint32_t cookie, uint64_t now)
{
	return ts_syncookie_check(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT, client_isn + 1,
				  cookie + 1, now);
}

static void test_cookie_round_trip_for_each_mss_class(void **state)
{
	long live = ts_pkt_live();
	static const struct {
		uint16_t in, want;
	} c[] = {
		{536, 536}, {100, 536}, {1299, 536}, {1300, 1300}, {1439, 1300},
		{1440, 1440}, {1460, 1460}, {9000, 1460}, {65535, 1460},
	};
	uint64_t now = 10 * MINUTE + 12345;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t isn = 0x12345678u + (uint32_t)i * 7919;
		uint16_t mss = 0;
		uint32_t cookie = ts_syncookie_make(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT, isn,
						    c[i].in, now, &mss);

		assert_int_equal(mss, c[i].want);
		assert_int_equal(check(isn, cookie, now), c[i].want);
		assert_int_equal(check(isn, cookie, now + 1000000), c[i].want);
	}
	assert_int_equal(ts_pkt_live(), live);
}

/* Sequence numbers wrap: a client ISN of 2^32 - 1 acks with SEQ 0. */
static void test_cookie_client_isn_near_2_32_round_trips(void **state)
{
	long live = ts_pkt_live();
	uint64_t now = 3 * MINUTE;
	uint32_t isns[] = {0xffffffffu, 0xfffffffeu, 0u};

	for (size_t i = 0; i < 3; i++) {
		uint32_t cookie = ts_syncookie_make(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT,
						    isns[i], 1460, now, NULL);

		assert_int_equal(check(isns[i], cookie, now), 1460);
	}
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux MAX_SYNCOOKIE_AGE 2: valid in the minute it was made and the next
 * one, rejected from the one after. */
static void test_cookie_expires_after_two_counter_values(void **state)
{
	long live = ts_pkt_live();
	uint64_t made = 7 * MINUTE + 59 * 1000000ull;	/* late in minute 7 */
	uint32_t isn = 1000;
	uint32_t cookie = ts_syncookie_make(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT, isn, 1460,
					    made, NULL);

	assert_int_equal(check(isn, cookie, made), 1460);
	assert_int_equal(check(isn, cookie, 8 * MINUTE), 1460);
	assert_int_equal(check(isn, cookie, 9 * MINUTE - 1), 1460);
	assert_int_equal(check(isn, cookie, 9 * MINUTE), -EINVAL);
	assert_int_equal(check(isn, cookie, 100 * MINUTE), -EINVAL);
	/* Not yet valid: a cookie from the future (counter ahead). */
	assert_int_equal(check(isn, cookie, 6 * MINUTE), -EINVAL);
	assert_int_equal(ts_pkt_live(), live);
}

/* Only 8 bits of the counter travel; the age check works across their
 * wrap (minute 255 to 256). */
static void test_cookie_counter_wrap_still_accepts_previous_minute(void **state)
{
	long live = ts_pkt_live();
	uint64_t made = 255 * MINUTE + 5;
	uint32_t cookie = ts_syncookie_make(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT, 77, 1440,
					    made, NULL);

	assert_int_equal(check(77, cookie, 256 * MINUTE + 5), 1440);
	assert_int_equal(check(77, cookie, 257 * MINUTE + 5), -EINVAL);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_cookie_tampered_or_misaddressed_is_rejected(void **state)
{
	long live = ts_pkt_live();
	uint64_t now = 20 * MINUTE;
	uint32_t isn = 0xabcdef01u;
	uint32_t cookie = ts_syncookie_make(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT, isn, 1460,
					    now, NULL);
	struct ts_tcp_secrets other;

	assert_int_equal(check(isn, cookie, now), 1460);
	/* Bits 0 and 1 can move the MSS index within the table (as on
	 * Linux); every higher bit makes the cookie invalid. */
	for (int bit = 2; bit < 32; bit++)
		assert_int_equal(check(isn, cookie ^ (1u << bit), now), -EINVAL);
	/* The client's ISN is subtracted like the cookie's low bits: an ISN
	 * off by 4 or more invalidates it. */
	assert_int_equal(check(isn + 4, cookie, now), -EINVAL);
	assert_int_equal(check(isn - 0x1000, cookie, now), -EINVAL);
	assert_int_equal(check(isn, cookie + 0x100000, now), -EINVAL);
	assert_int_equal(ts_syncookie_check(&sec, L_ADDR, L_PORT, R_ADDR, R_PORT + 1, isn + 1,
					    cookie + 1, now), -EINVAL);
	assert_int_equal(ts_syncookie_check(&sec, L_ADDR, L_PORT + 1, R_ADDR, R_PORT, isn + 1,
					    cookie + 1, now), -EINVAL);
	assert_int_equal(ts_syncookie_check(&sec, L_ADDR, L_PORT, R_ADDR + 1, R_PORT, isn + 1,
					    cookie + 1, now), -EINVAL);
	ts_tcp_secrets_set(&other, 43);
	assert_int_equal(ts_syncookie_check(&other, L_ADDR, L_PORT, R_ADDR, R_PORT, isn + 1,
					    cookie + 1, now), -EINVAL);
	assert_int_equal(ts_pkt_live(), live);
}

/* Random ACKs to a listener are accepted only at the rate the 24-bit hash
 * allows (4 in 2^24 per counter value): none of 20000 here. */
static void test_cookie_random_acks_rejected(void **state)
{
	long live = ts_pkt_live();
	uint32_t x = 99;
	int accepted = 0;

	for (int i = 0; i < 20000; i++) {
		x = x * 1664525u + 1013904223u;
		if (check(x ^ 0x5555u, x, 30 * MINUTE) > 0)
			accepted++;
	}
	assert_int_equal(accepted, 0);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_ts_options_round_trip_and_never_ahead(void **state)
{
	long live = ts_pkt_live();
	struct ts_syncookie_opts in = {.wscale_ok = 1, .snd_wscale = 7, .sack_ok = 1},
				 out;
	uint32_t nows[] = {1000000, 0x3f, 0x40, 0xffffffc0u, 0xffffffffu, 5};

	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		uint32_t ts = ts_syncookie_ts_make(nows[i], &in);

		assert_true((int32_t)(nows[i] - ts) >= 0);
		assert_true((uint32_t)(nows[i] - ts) < 64);
		assert_int_equal(ts & 0x3f, 7 | TS_SYNCOOKIE_TS_SACK);
		assert_int_equal(ts_syncookie_ts_decode(ts, 1, 1, 1, 1, &out), 0);
		assert_int_equal(out.wscale_ok, 1);
		assert_int_equal(out.snd_wscale, 7);
		assert_int_equal(out.sack_ok, 1);
		assert_int_equal(out.ecn_ok, 0);
	}
	assert_int_equal(ts_pkt_live(), live);
}

static void test_ts_options_without_wscale_and_with_ecn(void **state)
{
	long live = ts_pkt_live();
	struct ts_syncookie_opts in = {.wscale_ok = 0, .ecn_ok = 1}, out;
	uint32_t ts = ts_syncookie_ts_make(123456, &in);

	assert_int_equal(ts & 0x3f, 0xf | TS_SYNCOOKIE_TS_ECN);
	assert_int_equal(ts_syncookie_ts_decode(ts, 1, 1, 1, 0, &out), 0);
	assert_int_equal(out.wscale_ok, 0);
	assert_int_equal(out.sack_ok, 0);
	assert_int_equal(out.ecn_ok, 1);
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux cookie_timestamp_decode: echoed options the sysctls no longer
 * allow make the ACK invalid; no timestamp means no options. */
static void test_ts_decode_refuses_options_sysctls_disallow(void **state)
{
	long live = ts_pkt_live();
	struct ts_syncookie_opts in = {.wscale_ok = 1, .snd_wscale = 2, .sack_ok = 1}, out;
	uint32_t ts = ts_syncookie_ts_make(99999, &in);

	assert_int_equal(ts_syncookie_ts_decode(ts, 1, 0, 1, 1, &out), -EINVAL);
	assert_int_equal(ts_syncookie_ts_decode(ts, 1, 1, 0, 1, &out), -EINVAL);
	assert_int_equal(ts_syncookie_ts_decode(ts, 1, 1, 1, 0, &out), -EINVAL);
	out.sack_ok = 1;
	assert_int_equal(ts_syncookie_ts_decode(ts, 0, 1, 1, 1, &out), 0);
	assert_int_equal(out.sack_ok, 0);
	assert_int_equal(out.wscale_ok, 0);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_round_trip_for_each_mss_class),
		cmocka_unit_test(test_cookie_client_isn_near_2_32_round_trips),
		cmocka_unit_test(test_cookie_expires_after_two_counter_values),
		cmocka_unit_test(test_cookie_counter_wrap_still_accepts_previous_minute),
		cmocka_unit_test(test_cookie_tampered_or_misaddressed_is_rejected),
		cmocka_unit_test(test_cookie_random_acks_rejected),
		cmocka_unit_test(test_ts_options_round_trip_and_never_ahead),
		cmocka_unit_test(test_ts_options_without_wscale_and_with_ecn),
		cmocka_unit_test(test_ts_decode_refuses_options_sysctls_disallow),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
