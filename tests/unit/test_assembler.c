/* Out-of-order range assembler (core/assembler.c): merging, contiguous
 * hand-over, the range limit, SACK block order (RFC 2018 4) and sequence
 * numbers across 2^32. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "assembler.h"
#include "pktbuf.h"

static void test_empty_in_order_segment_is_contiguous(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 0, 100), 100);
	assert_true(ts_asm_empty(&a));
	assert_int_equal(ts_asm_add(&a, 0, 0), -EINVAL);
	assert_int_equal(ts_asm_add(&a, 0x7fffff00u, 0x200), -EINVAL);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hole_then_fill_returns_all_contiguous_bytes(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 100, 100), 0);
	assert_int_equal(ts_asm_add(&a, 300, 50), 0);
	assert_int_equal(ts_asm_count(&a), 2);
	assert_int_equal(ts_asm_bytes(&a), 150);
	assert_int_equal(ts_asm_high(&a), 350);
	/* The hole at the base fills: 0..200 comes out, 300..350 stays,
	 * rebased to 100..150. */
	assert_int_equal(ts_asm_add(&a, 0, 100), 200);
	assert_int_equal(ts_asm_count(&a), 1);
	assert_true(ts_asm_contains(&a, 100, 50));
	assert_false(ts_asm_contains(&a, 99, 2));
	assert_int_equal(ts_asm_add(&a, 0, 100), 150);
	assert_true(ts_asm_empty(&a));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_overlapping_and_touching_ranges_merge(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 10, 10), 0);	/* 10-20 */
	assert_int_equal(ts_asm_add(&a, 30, 10), 0);	/* 30-40 */
	assert_int_equal(ts_asm_add(&a, 50, 10), 0);	/* 50-60 */
	assert_int_equal(ts_asm_add(&a, 20, 10), 0);	/* touches both: 10-40 */
	assert_int_equal(ts_asm_count(&a), 2);
	assert_int_equal(ts_asm_add(&a, 35, 20), 0);	/* overlaps: 10-60 */
	assert_int_equal(ts_asm_count(&a), 1);
	assert_int_equal(ts_asm_bytes(&a), 50);
	assert_int_equal(ts_asm_add(&a, 12, 3), 0);	/* duplicate inside */
	assert_int_equal(ts_asm_bytes(&a), 50);
	assert_int_equal(ts_asm_add(&a, 5, 100), 0);	/* covers all: 5-105 */
	assert_int_equal(ts_asm_count(&a), 1);
	assert_int_equal(ts_asm_high(&a), 105);
	assert_int_equal(ts_asm_add(&a, 0, 6), 105);
	assert_true(ts_asm_empty(&a));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_full_assembler_refuses_new_island_keeps_merges(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;

	ts_asm_init(&a);
	for (uint32_t i = 0; i < TS_ASM_MAX_RANGES; i++)
		assert_int_equal(ts_asm_add(&a, 100 + i * 100, 10), 0);
	assert_int_equal(ts_asm_count(&a), TS_ASM_MAX_RANGES);
	assert_int_equal(ts_asm_add(&a, 50, 10), -ENOSPC);
	assert_int_equal(ts_asm_add(&a, 100000, 10), -ENOSPC);
	assert_int_equal(ts_asm_count(&a), TS_ASM_MAX_RANGES);
	assert_int_equal(ts_asm_bytes(&a), TS_ASM_MAX_RANGES * 10);
	/* Extending an existing range needs no new slot. */
	assert_int_equal(ts_asm_add(&a, 110, 20), 0);
	assert_int_equal(ts_asm_bytes(&a), TS_ASM_MAX_RANGES * 10 + 20);
	/* In-order data never needs a slot either. */
	assert_int_equal(ts_asm_add(&a, 0, 50), 50);
	assert_int_equal(ts_asm_count(&a), TS_ASM_MAX_RANGES);
	assert_int_equal(ts_asm_add(&a, 0, 50), 80);	/* 0-50 + 50-80 */
	assert_int_equal(ts_asm_count(&a), TS_ASM_MAX_RANGES - 1);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_advance_trims_straddling_range(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 10, 10), 0);
	assert_int_equal(ts_asm_add(&a, 30, 20), 0);
	assert_int_equal(ts_asm_add(&a, 60, 5), 0);
	/* 40 bytes arrive in order by another path: 10-20 is gone, 30-50 is
	 * trimmed to 40-50 and is now contiguous (10 more bytes). */
	assert_int_equal(ts_asm_advance(&a, 40), 10);
	assert_int_equal(ts_asm_count(&a), 1);
	assert_true(ts_asm_contains(&a, 10, 5));	/* 60-65 rebased by 50 */
	assert_int_equal(ts_asm_advance(&a, 3), 0);
	assert_true(ts_asm_contains(&a, 7, 5));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 2018 4: the first block covers the segment that triggered the ACK,
 * then the most recently reported ones. */
static void test_sack_blocks_most_recent_first(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;
	struct ts_sack_block b[4];
	uint32_t rcv_nxt = 1000;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 100, 10), 0);	/* A */
	assert_int_equal(ts_asm_add(&a, 300, 10), 0);	/* B */
	assert_int_equal(ts_asm_add(&a, 500, 10), 0);	/* C */
	assert_int_equal(ts_asm_add(&a, 700, 10), 0);	/* D */
	assert_int_equal(ts_asm_add(&a, 900, 10), 0);	/* E */
	assert_int_equal(ts_asm_add(&a, 310, 10), 0);	/* B again */
	assert_int_equal(ts_asm_sack_blocks(&a, rcv_nxt, b, 4), 4);
	assert_int_equal(b[0].start, 1300);
	assert_int_equal(b[0].end, 1320);
	assert_int_equal(b[1].start, 1900);
	assert_int_equal(b[2].start, 1700);
	assert_int_equal(b[3].start, 1500);
	assert_int_equal(ts_asm_sack_blocks(&a, rcv_nxt, b, 3), 3);
	assert_int_equal(ts_asm_sack_blocks(&a, rcv_nxt, b, 0), 0);
	ts_asm_clear(&a);
	assert_int_equal(ts_asm_sack_blocks(&a, rcv_nxt, b, 4), 0);
	assert_int_equal(ts_pkt_live(), live);
}

/* Offsets are relative, so SACK blocks wrap through 2^32 like the
 * sequence numbers they are. */
static void test_sack_blocks_wrap_near_2_32(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;
	struct ts_sack_block b[4];
	uint32_t rcv_nxt = 0xffffff00u;
	int got;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 0x80, 0x100), 0);
	assert_int_equal(ts_asm_sack_blocks(&a, rcv_nxt, b, 4), 1);
	assert_int_equal(b[0].start, 0xffffff80u);
	assert_int_equal(b[0].end, 0x80u);
	got = ts_asm_add(&a, 0, 0x80);
	assert_int_equal(got, 0x180);
	rcv_nxt += (uint32_t)got;
	assert_int_equal(rcv_nxt, 0x80u);
	assert_true(ts_asm_empty(&a));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 2883 4: a D-SACK block goes first, then the SACK block holding
 * it (if the duplicate was out of order), then the others by recency. */
static void test_dsack_block_first_then_its_holder(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;
	struct ts_sack_block b[4], d;
	uint32_t rcv_nxt = 0xfffffe00u;

	ts_asm_init(&a);
	assert_int_equal(ts_asm_add(&a, 100, 50), 0);	/* A */
	assert_int_equal(ts_asm_add(&a, 300, 50), 0);	/* B */
	assert_int_equal(ts_asm_add(&a, 500, 50), 0);	/* C, newest */
	/* A duplicate below rcv_nxt: no holder. */
	d = (struct ts_sack_block){rcv_nxt - 100, rcv_nxt};
	assert_int_equal(ts_asm_sack_blocks_dsack(&a, rcv_nxt, &d, b, 4), 4);
	assert_int_equal(b[0].start, rcv_nxt - 100);
	assert_int_equal(b[0].end, rcv_nxt);
	assert_int_equal(b[1].start, rcv_nxt + 500);
	assert_int_equal(b[2].start, rcv_nxt + 300);
	assert_int_equal(b[3].start, rcv_nxt + 100);
	/* A duplicate inside A (wrapping past 2^32): A comes second. */
	d = (struct ts_sack_block){rcv_nxt + 110, rcv_nxt + 120};
	assert_int_equal(ts_asm_sack_blocks_dsack(&a, rcv_nxt, &d, b, 3), 3);
	assert_int_equal(b[0].start, rcv_nxt + 110);
	assert_int_equal(b[1].start, rcv_nxt + 100);
	assert_int_equal(b[1].end, rcv_nxt + 150);
	assert_int_equal(b[2].start, rcv_nxt + 500);
	assert_int_equal(ts_asm_sack_blocks_dsack(&a, rcv_nxt, &d, b, 1), 1);
	assert_int_equal(b[0].end, rcv_nxt + 120);
	/* No D-SACK: plain recency order. */
	assert_int_equal(ts_asm_sack_blocks_dsack(&a, rcv_nxt, NULL, b, 4), 3);
	assert_int_equal(b[0].start, rcv_nxt + 500);
	assert_int_equal(ts_pkt_live(), live);
}

/* A pseudo-random arrival order always reassembles to the whole stream,
 * checked against a byte map. */
static void test_random_order_reassembles_everything(void **state)
{
	long live = ts_pkt_live();
	struct ts_assembler a;
	uint8_t have[4000];
	uint32_t base = 0, x = 12345;
	int rounds = 0;

	memset(have, 0, sizeof(have));
	ts_asm_init(&a);
	while (base < sizeof(have)) {
		uint32_t off, len;
		int got;

		x = x * 1103515245u + 12345u;
		off = base + (x >> 8) % 600;
		len = 1 + (x >> 20) % 120;
		if (off >= sizeof(have))
			continue;
		if (off + len > sizeof(have))
			len = (uint32_t)sizeof(have) - off;
		got = ts_asm_add(&a, off - base, len);
		assert_true(++rounds < 100000);
		if (got == -ENOSPC)
			continue;	/* too fragmented: dropped, resent later */
		assert_true(got >= 0);
		for (uint32_t i = off; i < off + len; i++)
			have[i] = 1;
		for (uint32_t i = base; i < base + (uint32_t)got; i++)
			assert_int_equal(have[i], 1);
		base += (uint32_t)got;
		/* The base never stops in front of bytes we have. */
		if (base < sizeof(have))
			assert_int_equal(have[base], 0);
	}
	assert_int_equal(base, sizeof(have));
	assert_true(ts_asm_empty(&a));
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_in_order_segment_is_contiguous),
		cmocka_unit_test(test_hole_then_fill_returns_all_contiguous_bytes),
		cmocka_unit_test(test_overlapping_and_touching_ranges_merge),
		cmocka_unit_test(test_full_assembler_refuses_new_island_keeps_merges),
		cmocka_unit_test(test_advance_trims_straddling_range),
		cmocka_unit_test(test_sack_blocks_most_recent_first),
		cmocka_unit_test(test_sack_blocks_wrap_near_2_32),
		cmocka_unit_test(test_dsack_block_first_then_its_holder),
		cmocka_unit_test(test_random_order_reassembles_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
