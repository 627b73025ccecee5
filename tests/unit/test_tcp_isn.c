/* SipHash-2-4 against the reference vectors, and the TCP values built on
 * it (core/tcp_isn.c): RFC 6528 ISNs, timestamp offsets, flow hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pktbuf.h"
#include "tcp_isn.h"

/* SipHash-2-4, key 00 01 .. 0f, message 00 01 .. (len-1), len 0..63: the
 * reference implementation's vectors (vectors.h of the SipHash paper's
 * code), as little-endian 64-bit values. */
static const uint64_t sip_vectors[64] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
	0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
	0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
	0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
	0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
	0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
	0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
	0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
	0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
	0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
	0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
	0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
	0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
	0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
	0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

static const struct ts_siphash_key ref_key = {
	.k0 = 0x0706050403020100ull, .k1 = 0x0f0e0d0c0b0a0908ull,
};

#define A_LOCAL 0xc6120002u	/* 198.18.0.2 */
#define A_PEER 0xc6120001u	/* 198.18.0.1 */

static void test_siphash_matches_reference_vectors(void **state)
{
	long live = ts_pkt_live();
	uint8_t msg[64];

	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < 64; len++)
		assert_int_equal(ts_siphash(&ref_key, msg, len), sip_vectors[len]);
	/* The paper's worked example (Appendix A): 15 bytes. */
	assert_int_equal(ts_siphash(&ref_key, msg, 15), 0xa129ca6149be45e5ull);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_siphash_word_helpers_equal_byte_form(void **state)
{
	long live = ts_pkt_live();
	uint8_t msg[16];

	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(ts_siphash_2u32(&ref_key, 0x03020100u, 0x07060504u), sip_vectors[8]);
	assert_int_equal(ts_siphash_3u32(&ref_key, 0x03020100u, 0x07060504u, 0x0b0a0908u),
			 sip_vectors[12]);
	assert_int_equal(ts_siphash_4u32(&ref_key, 0x03020100u, 0x07060504u, 0x0b0a0908u,
					 0x0f0e0d0cu),
			 ts_siphash(&ref_key, msg, 16));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_secrets_seeded_are_fixed_and_keys_distinct(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_secrets a, b, c;

	ts_tcp_secrets_set(&a, 1);
	ts_tcp_secrets_set(&b, 1);
	ts_tcp_secrets_set(&c, 2);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(&a, &c, sizeof(a));
	assert_memory_not_equal(&a.isn, &a.ts, sizeof(a.isn));
	assert_memory_not_equal(&a.cookie[0], &a.cookie[1], sizeof(a.isn));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_secrets_random_differ_between_engines(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_secrets a, b;

	assert_int_equal(ts_tcp_secrets_init(&a), 0);
	assert_int_equal(ts_tcp_secrets_init(&b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6528: M advances with the clock, so for one 4-tuple ISNs increase
 * (64 ns per step, as Linux), including across 2^32. */
static void test_isn_same_tuple_increases_with_clock(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_secrets s;
	uint64_t t = 5000000;
	uint32_t prev, wrapped = 0;

	ts_tcp_secrets_set(&s, 7);
	prev = ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 80, t);
	/* 8 µs is 125 ticks of 64 ns. */
	assert_int_equal(ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 80, t + 8) - prev, 125);
	assert_int_equal(ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 80, t), prev);
	/* Steps of 10 s over 10 minutes: the 32-bit value wraps (every
	 * 274 s) but every step is forward in sequence space. */
	for (int i = 1; i <= 60; i++) {
		uint32_t isn = ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 80, t + i * 10000000ull);

		assert_true((int32_t)(isn - prev) > 0);	/* SEQ_GT */
		assert_int_equal(isn - prev, 156250000u);
		if (isn < prev)
			wrapped++;
		prev = isn;
	}
	assert_true(wrapped >= 2);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_isn_differs_per_tuple_and_secret(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_secrets s, s2;
	uint64_t t = 123456789;
	uint32_t base;

	ts_tcp_secrets_set(&s, 7);
	ts_tcp_secrets_set(&s2, 8);
	base = ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 80, t);
	assert_int_not_equal(ts_tcp_isn(&s, A_LOCAL, 40001, A_PEER, 80, t), base);
	assert_int_not_equal(ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER, 81, t), base);
	assert_int_not_equal(ts_tcp_isn(&s, A_LOCAL, 40000, A_PEER + 1, 80, t), base);
	assert_int_not_equal(ts_tcp_isn(&s, A_LOCAL + 1, 40000, A_PEER, 80, t), base);
	/* Swapping the ports is a different connection. */
	assert_int_not_equal(ts_tcp_isn(&s, A_LOCAL, 80, A_PEER, 40000, t), base);
	assert_int_not_equal(ts_tcp_isn(&s2, A_LOCAL, 40000, A_PEER, 80, t), base);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_ts_off_and_flow_hash_keyed_per_pair(void **state)
{
	long live = ts_pkt_live();
	struct ts_tcp_secrets s, s2;
	uint32_t off, h;

	ts_tcp_secrets_set(&s, 9);
	ts_tcp_secrets_set(&s2, 10);
	off = ts_tcp_ts_off(&s, A_LOCAL, A_PEER);
	assert_int_equal(ts_tcp_ts_off(&s, A_LOCAL, A_PEER), off);
	assert_int_not_equal(ts_tcp_ts_off(&s, A_LOCAL, A_PEER + 1), off);
	assert_int_not_equal(ts_tcp_ts_off(&s2, A_LOCAL, A_PEER), off);
	h = ts_tcp_flow_hash(&s, A_LOCAL, 80, A_PEER, 40000);
	assert_int_equal(ts_tcp_flow_hash(&s, A_LOCAL, 80, A_PEER, 40000), h);
	assert_int_not_equal(ts_tcp_flow_hash(&s, A_LOCAL, 80, A_PEER, 40001), h);
	assert_int_not_equal(ts_tcp_flow_hash(&s2, A_LOCAL, 80, A_PEER, 40000), h);
	/* The flow key is not the ISN key. */
	assert_int_not_equal(ts_tcp_flow_hash(&s, A_LOCAL, 80, A_PEER, 40000),
			     ts_tcp_isn(&s, A_LOCAL, 80, A_PEER, 40000, 0));
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_matches_reference_vectors),
		cmocka_unit_test(test_siphash_word_helpers_equal_byte_form),
		cmocka_unit_test(test_secrets_seeded_are_fixed_and_keys_distinct),
		cmocka_unit_test(test_secrets_random_differ_between_engines),
		cmocka_unit_test(test_isn_same_tuple_increases_with_clock),
		cmocka_unit_test(test_isn_differs_per_tuple_and_secret),
		cmocka_unit_test(test_ts_off_and_flow_hash_keyed_per_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
