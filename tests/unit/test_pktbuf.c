/* Packet buffers and the Internet checksum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "pktbuf.h"
#include "wire.h"

static void test_push_pull_put_keep_bounds(void **state)
{
	long live = ts_pkt_live();
	struct pktbuf *p = ts_pkt_alloc(100);

	assert_non_null(p);
	assert_int_equal(ts_pkt_headroom(p), TS_PKT_HEADROOM);
	assert_non_null(ts_pkt_put(p, 100));
	assert_null(ts_pkt_put(p, 1));
	assert_non_null(ts_pkt_push(p, TS_PKT_HEADROOM));
	assert_null(ts_pkt_push(p, 1));
	assert_int_equal(p->len, 100 + TS_PKT_HEADROOM);
	assert_non_null(ts_pkt_pull(p, 10));
	assert_null(ts_pkt_pull(p, p->len + 1));
	assert_int_equal(p->len, 90 + TS_PKT_HEADROOM);
	ts_pkt_trim(p, 5);
	assert_int_equal(p->len, 5);
	ts_pkt_free(p);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_clone_is_deep(void **state)
{
	long live = ts_pkt_live();
	struct pktbuf *p = ts_pkt_from("abcdef", 6);
	struct pktbuf *c;

	ts_pkt_pull(p, 2);
	c = ts_pkt_clone(p);
	assert_non_null(c);
	assert_memory_equal(c->data, "cdef", 4);
	c->data[0] = 'X';
	assert_int_equal(p->data[0], 'c');
	assert_int_equal(ts_pkt_headroom(c), ts_pkt_headroom(p));
	ts_pkt_free(p);
	ts_pkt_free(c);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 1071's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
static void test_csum_rfc1071_example(void **state)
{
	const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	assert_int_equal(ts_csum(d, sizeof(d)), (uint16_t)~0xddf2);
}

static void test_csum_odd_length_pads_with_zero(void **state)
{
	const uint8_t odd[] = {0x12, 0x34, 0x56};
	const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};

	assert_int_equal(ts_csum(odd, 3), ts_csum(even, 4));
	assert_int_equal(ts_csum(odd, 3), (uint16_t)~(0x1234 + 0x5600));
}

static void test_csum_chunks_at_odd_offsets_match_whole(void **state)
{
	uint8_t d[301];

	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 37 + 11);
	for (size_t cut = 0; cut <= sizeof(d); cut++) {
		uint32_t s = ts_csum_add(0, d, cut, 0);

		s = ts_csum_add(s, d + cut, sizeof(d) - cut, cut);
		assert_int_equal(ts_csum_fold(s), ts_csum(d, sizeof(d)));
	}
}

static void test_csum_all_ones_and_zero(void **state)
{
	uint8_t ones[64], zeros[64];

	memset(ones, 0xff, sizeof(ones));
	memset(zeros, 0, sizeof(zeros));
	/* One's complement sum of all-ones words is 0xffff: checksum 0. */
	assert_int_equal(ts_csum(ones, sizeof(ones)), 0x0000);
	assert_int_equal(ts_csum(zeros, sizeof(zeros)), 0xffff);
	/* A large buffer must not overflow the running sum. */
	{
		static uint8_t big[70000];

		memset(big, 0xff, sizeof(big));
		assert_int_equal(ts_csum(big, sizeof(big)), 0x0000);
	}
}

static void test_csum_verifies_to_zero_when_stored(void **state)
{
	/* A real IPv4 header with its checksum field filled in. */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			 0xc0, 0xa8, 0x00, 0xc7};

	ts_put16(h + 10, ts_csum(h, 20));
	assert_int_equal(ts_get16(h + 10), 0xb861);
	assert_int_equal(ts_csum(h, 20), 0);
}

static void test_pseudo_header_sum(void **state)
{
	uint32_t s = ts_csum_pseudo(TS_IP4(198, 18, 0, 2), TS_IP4(198, 18, 0, 1), 17, 8);

	assert_int_equal(ts_csum_fold(s),
			 (uint16_t)~(0xc612 + 0x0002 + 0xc612 + 0x0001 + 17 + 8 - 0x10000 + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pull_put_keep_bounds),
		cmocka_unit_test(test_clone_is_deep),
		cmocka_unit_test(test_csum_rfc1071_example),
		cmocka_unit_test(test_csum_odd_length_pads_with_zero),
		cmocka_unit_test(test_csum_chunks_at_odd_offsets_match_whole),
		cmocka_unit_test(test_csum_all_ones_and_zero),
		cmocka_unit_test(test_csum_verifies_to_zero_when_stored),
		cmocka_unit_test(test_pseudo_header_sum),
	};

	return cmocka_run_group_tests_name("pktbuf", tests, NULL, NULL);
}
