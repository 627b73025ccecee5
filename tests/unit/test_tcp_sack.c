/* The sender's SACK scoreboard (core/tcp_sack.c), RFC 6675: recording
 * blocks, validation and D-SACK, IsLost, NextSeg order, SetPipe, the
 * rescue retransmission, RTO.  Every test runs twice: with snd_una near 0
 * and with sequence numbers crossing 2^32. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pktbuf.h"
#include "tcp_sack.h"

#define MSS 1000u

static uint32_t base_low = 1000;
static uint32_t base_wrap = 0xffffd8f0u;	/* 2^32 - 10000: segment 10 wraps */

static uint32_t B;	/* snd_una at the start of the test */

/* Sequence number of segment i. */
static uint32_t S(uint32_t i)
{
	return B + i * MSS;
}

static void sack(struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt, uint32_t from,
		 uint32_t to, struct ts_sack_result *res)
{
	struct ts_sack_block b = {S(from), S(to)};

	ts_sack_update(sb, una, nxt, &b, 1, res);
}

static void start(void **state, struct ts_sack_scoreboard *sb)
{
	B = *(uint32_t *)*state;
	ts_sack_init(sb);
}

static void test_update_records_and_counts_new_bytes(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	struct ts_sack_block out[4];

	start(state, &sb);
	sack(&sb, S(0), S(10), 2, 3, &res);
	assert_int_equal(res.newly_sacked, MSS);
	assert_int_equal(res.discarded, 0);
	sack(&sb, S(0), S(10), 2, 3, &res);
	assert_int_equal(res.newly_sacked, 0);
	sack(&sb, S(0), S(10), 2, 4, &res);
	assert_int_equal(res.newly_sacked, MSS);
	sack(&sb, S(0), S(10), 6, 7, &res);
	assert_int_equal(ts_sack_bytes(&sb), 3 * MSS);
	assert_int_equal(ts_sack_ranges(&sb, out, 4), 2);
	assert_int_equal(out[0].start, S(2));
	assert_int_equal(out[0].end, S(4));
	assert_int_equal(out[1].start, S(6));
	assert_int_equal(ts_sack_high(&sb, S(0)), S(7));
	/* Filling the gap merges everything into one range. */
	sack(&sb, S(0), S(10), 3, 6, &res);
	assert_int_equal(res.newly_sacked, 2 * MSS);
	assert_int_equal(ts_sack_ranges(&sb, out, 4), 1);
	assert_true(ts_sack_is_sacked(&sb, S(2), 5 * MSS));
	assert_false(ts_sack_is_sacked(&sb, S(1), 2 * MSS));
	assert_int_equal(ts_sack_next_unsacked(&sb, S(2)), S(7));
	assert_int_equal(ts_sack_next_unsacked(&sb, S(1)), S(1));
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux tcp_is_sackblock_valid / RFC 2883: blocks outside (una, nxt],
 * empty or reversed are ignored; a first block below una or inside the
 * second is a D-SACK. */
static void test_invalid_blocks_ignored_and_dsack_detected(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	struct ts_sack_block bad[4], dsack_low[2], dsack_in[2];

	start(state, &sb);
	bad[0] = (struct ts_sack_block){S(2), S(11)};	/* beyond snd_nxt */
	bad[1] = (struct ts_sack_block){S(4), S(3)};	/* reversed */
	bad[2] = (struct ts_sack_block){S(5), S(5)};	/* empty */
	bad[3] = (struct ts_sack_block){S(0), S(1)};	/* at snd_una: no hole */
	dsack_low[0] = (struct ts_sack_block){S(0) - 500, S(0)};
	dsack_low[1] = (struct ts_sack_block){S(3), S(4)};
	dsack_in[0] = (struct ts_sack_block){S(5), S(6)};
	dsack_in[1] = (struct ts_sack_block){S(4), S(7)};
	ts_sack_update(&sb, S(0), S(10), bad, 4, &res);
	assert_int_equal(res.discarded, 4);
	assert_int_equal(res.newly_sacked, 0);
	assert_false(ts_sack_any(&sb));
	ts_sack_update(&sb, S(0), S(10), dsack_low, 2, &res);
	assert_int_equal(res.dsack, 1);
	assert_int_equal(res.newly_sacked, MSS);
	ts_sack_update(&sb, S(0), S(10), dsack_in, 2, &res);
	assert_int_equal(res.dsack, 1);
	assert_int_equal(res.newly_sacked, 3 * MSS);
	assert_int_equal(ts_sack_bytes(&sb), 4 * MSS);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_cumulative_ack_trims_and_drops_ranges(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;

	start(state, &sb);
	sack(&sb, S(0), S(10), 2, 3, &res);
	sack(&sb, S(0), S(10), 5, 6, &res);
	assert_int_equal(ts_sack_ack(&sb, S(2) + 500), 0);
	assert_int_equal(ts_sack_bytes(&sb), MSS + 500);
	assert_true(ts_sack_is_sacked(&sb, S(2) + 500, 500));
	ts_sack_ack(&sb, S(6));
	assert_false(ts_sack_any(&sb));
	assert_int_equal(ts_sack_high(&sb, S(6)), S(6));
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6675 IsLost: DupThresh (3) discontiguous SACKed ranges above, or
 * more than 2 * SMSS SACKed bytes above. */
static void test_is_lost_by_ranges_or_bytes_above(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;

	start(state, &sb);
	sack(&sb, S(0), S(10), 2, 3, &res);
	sack(&sb, S(0), S(10), 4, 5, &res);
	assert_false(ts_sack_is_lost(&sb, S(0), MSS));
	sack(&sb, S(0), S(10), 6, 7, &res);
	assert_true(ts_sack_is_lost(&sb, S(0), MSS));	/* 3 ranges above */
	assert_true(ts_sack_is_lost(&sb, S(1), MSS));
	assert_false(ts_sack_is_lost(&sb, S(3), MSS));	/* 2 ranges, 2 MSS */
	assert_true(ts_sack_should_recover(&sb, S(0), MSS));

	ts_sack_reset(&sb);
	sack(&sb, S(0), S(10), 6, 8, &res);
	assert_false(ts_sack_is_lost(&sb, S(0), MSS));	/* exactly 2 MSS */
	{
		struct ts_sack_block b = {S(8), S(8) + 1};

		ts_sack_update(&sb, S(0), S(10), &b, 1, &res);
	}
	assert_true(ts_sack_is_lost(&sb, S(0), MSS));	/* 2 MSS + 1 byte */
	/* Inside a range, only the bytes above count. */
	assert_false(ts_sack_is_lost(&sb, S(6) + 10, MSS));
	assert_int_equal(ts_pkt_live(), live);
}

/* Linux net.ipv4.tcp_reordering raises DupThresh: with 5, three SACKed
 * ranges above no longer mark a hole lost, five do. */
static void test_is_lost_honours_larger_dupthresh(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;

	start(state, &sb);
	sb.dupthresh = 5;
	for (uint32_t i = 2; i <= 6; i += 2)
		sack(&sb, S(0), S(20), i, i + 1, &res);
	assert_false(ts_sack_is_lost(&sb, S(0), MSS));
	sack(&sb, S(0), S(20), 8, 9, &res);
	assert_false(ts_sack_is_lost(&sb, S(0), MSS));	/* 4 ranges, 4 MSS */
	sack(&sb, S(0), S(20), 10, 11, &res);
	assert_true(ts_sack_is_lost(&sb, S(0), MSS));
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(20), MSS), 13 * MSS);	/* 0 1 lost */
	assert_int_equal(ts_pkt_live(), live);
}

/* Holes at 0 1 3 5 7 9, SACKed 2 4 6 8: lost are 0 1 3 (three ranges
 * above each), 5 and 7 are not.  NextSeg: rule (1) in order, then (2) new
 * data if allowed, else (3) the unlost holes below HighSACK; never 9,
 * above HighSACK. */
static void test_next_seg_lost_holes_first_then_rule3(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	static const uint32_t want[] = {0, 1, 3, 5, 7};
	uint32_t seq, len;

	start(state, &sb);
	for (uint32_t i = 2; i <= 8; i += 2)
		sack(&sb, S(0), S(10), i, i + 1, &res);
	ts_sack_enter_recovery(&sb, S(0), S(10));
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(ts_sack_next_seg(&sb, S(0), S(10), MSS, 1, &seq, &len),
				 TS_SACK_NEXT_RXT);
		assert_int_equal(seq, S(want[k]));
		assert_int_equal(len, MSS);
		ts_sack_sent_rxt(&sb, seq, len);
	}
	/* Lost holes done: new data goes first if there is some. */
	assert_int_equal(ts_sack_next_seg(&sb, S(0), S(10), MSS, 1, &seq, &len),
			 TS_SACK_NEXT_NEW);
	assert_int_equal(seq, S(10));
	assert_int_equal(len, 0);
	for (size_t k = 3; k < 5; k++) {
		assert_int_equal(ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len),
				 TS_SACK_NEXT_RXT);
		assert_int_equal(seq, S(want[k]));
		ts_sack_sent_rxt(&sb, seq, len);
	}
	/* Segment 9 is above HighSACK; the rescue is barred until HighACK
	 * passes RescueRxt (set by the first retransmission, 5 (4.3)). */
	assert_int_equal(ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len),
			 TS_SACK_NEXT_NONE);
	assert_int_equal(ts_pkt_live(), live);
}

/* Retransmissions never cover SACKed bytes: a 2-segment hole with a
 * larger MSS is sent as the hole only. */
static void test_next_seg_stops_at_sacked_range(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t seq, len;

	start(state, &sb);
	sack(&sb, S(0), S(10), 2, 9, &res);
	ts_sack_enter_recovery(&sb, S(0), S(10));
	assert_int_equal(ts_sack_next_seg(&sb, S(0), S(10), 5 * MSS, 0, &seq, &len),
			 TS_SACK_NEXT_RXT);
	assert_int_equal(seq, S(0));
	assert_int_equal(len, 2 * MSS);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6675 SetPipe: unSACKed not-lost bytes, plus unSACKed bytes at or
 * below HighRxt. */
static void test_pipe_counts_unlost_and_retransmitted(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t seq, len;

	start(state, &sb);
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 10 * MSS);
	for (uint32_t i = 2; i <= 8; i += 2)
		sack(&sb, S(0), S(10), i, i + 1, &res);
	/* Not lost and unSACKed: 5 7 9. */
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 3 * MSS);
	ts_sack_enter_recovery(&sb, S(0), S(10));
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 3 * MSS);
	ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len);
	ts_sack_sent_rxt(&sb, seq, len);
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 4 * MSS);
	ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len);
	ts_sack_sent_rxt(&sb, seq, len);
	ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len);
	ts_sack_sent_rxt(&sb, seq, len);
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 6 * MSS);
	/* Rule (3) resends 5, which was not lost: counted twice (5 7 9 not
	 * lost, 0 1 3 5 retransmitted). */
	ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len);
	assert_int_equal(seq, S(5));
	ts_sack_sent_rxt(&sb, seq, len);
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 7 * MSS);
	assert_int_equal(ts_pkt_live(), live);
}

/* RFC 6675 NextSeg (4): once HighACK passes RescueRxt, one segment
 * ending at the highest unSACKed byte goes out, once per recovery, and
 * it does not move HighRxt. */
static void test_rescue_retransmission_once_per_recovery(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t seq, len;

	start(state, &sb);
	sack(&sb, S(0), S(5), 1, 3, &res);
	ts_sack_enter_recovery(&sb, S(0), S(5));
	/* 5 (4.3): the first segment, whatever IsLost says. */
	ts_sack_sent_rxt(&sb, S(0), MSS);
	assert_int_equal(ts_sack_next_seg(&sb, S(0), S(5), MSS, 0, &seq, &len),
			 TS_SACK_NEXT_NONE);
	/* The retransmission arrived: cumulative ACK to 3. */
	assert_int_equal(ts_sack_ack(&sb, S(3)), 0);
	assert_true(ts_sack_in_recovery(&sb));
	assert_int_equal(ts_sack_next_seg(&sb, S(3), S(5), MSS, 0, &seq, &len),
			 TS_SACK_NEXT_RXT);
	assert_int_equal(seq, S(4));
	assert_int_equal(len, MSS);
	ts_sack_sent_rxt(&sb, seq, len);
	assert_int_equal(sb.high_rxt, S(3));
	assert_int_equal(ts_sack_next_seg(&sb, S(3), S(5), MSS, 0, &seq, &len),
			 TS_SACK_NEXT_NONE);
	/* RFC 6675 5 (2): the ACK reaching RecoveryPoint ends recovery. */
	assert_int_equal(ts_sack_ack(&sb, S(5)), 1);
	assert_false(ts_sack_in_recovery(&sb));
	assert_int_equal(ts_pkt_live(), live);
}

/* On RTO, Linux keeps the SACKed ranges (go-back-N skips them) and
 * forgets recovery; reset drops everything. */
static void test_rto_keeps_ranges_reset_clears(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t seq, len;

	start(state, &sb);
	sack(&sb, S(0), S(10), 1, 3, &res);
	sack(&sb, S(0), S(10), 4, 5, &res);
	sack(&sb, S(0), S(10), 7, 8, &res);
	ts_sack_enter_recovery(&sb, S(0), S(10));
	ts_sack_next_seg(&sb, S(0), S(10), MSS, 0, &seq, &len);
	ts_sack_sent_rxt(&sb, seq, len);
	ts_sack_on_rto(&sb);
	assert_false(ts_sack_in_recovery(&sb));
	assert_int_equal(ts_sack_bytes(&sb), 4 * MSS);
	/* Go-back-N from snd_una skips the SACKed ranges. */
	assert_int_equal(ts_sack_next_unsacked(&sb, S(1)), S(3));
	assert_int_equal(ts_sack_next_unsacked(&sb, S(4)), S(5));
	/* Nothing counts as retransmitted any more. */
	/* Lost: 0 (below the third range from the top); in the network:
	 * the unSACKed 3 5 6 8 9. */
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 5 * MSS);
	ts_sack_reset(&sb);
	assert_false(ts_sack_any(&sb));
	assert_int_equal(ts_sack_pipe(&sb, S(0), S(10), MSS), 10 * MSS);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_full_scoreboard_discards_new_islands(void **state)
{
	long live = ts_pkt_live();
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t nxt;

	start(state, &sb);
	nxt = S(2 * TS_SACK_MAX_RANGES + 4);
	for (uint32_t i = 0; i < TS_SACK_MAX_RANGES; i++)
		sack(&sb, S(0), nxt, 2 * i + 1, 2 * i + 2, &res);
	assert_int_equal(ts_sack_bytes(&sb), TS_SACK_MAX_RANGES * MSS);
	sack(&sb, S(0), nxt, 2 * TS_SACK_MAX_RANGES + 2, 2 * TS_SACK_MAX_RANGES + 3, &res);
	assert_int_equal(res.discarded, 1);
	/* Growing an existing range still works. */
	sack(&sb, S(0), nxt, 2 * TS_SACK_MAX_RANGES, 2 * TS_SACK_MAX_RANGES + 1, &res);
	assert_int_equal(res.discarded, 0);
	assert_int_equal(res.newly_sacked, MSS);
	assert_int_equal(ts_pkt_live(), live);
}

/* Random SACK blocks and cumulative ACKs against a byte map: recorded
 * bytes, IsLost (evaluated per byte from the RFC 6675 definition) and
 * SetPipe must agree with the model after every ACK. */
static void test_random_acks_match_byte_model(void **state)
{
	long live = ts_pkt_live();
	enum { W = 4000, G = 100 };	/* window bytes, block granularity */
	static uint8_t sacked[W];
	struct ts_sack_scoreboard sb;
	struct ts_sack_result res;
	uint32_t una_off = 0, x = 2024, seq, len;
	const uint32_t mss = 250;
	int rounds = 0, lost_seen = 0, rxt_seen = 0;

	start(state, &sb);
	memset(sacked, 0, sizeof(sacked));
	ts_sack_enter_recovery(&sb, B, B + W);
	for (int round = 0; round < 400; round++) {
		struct ts_sack_block b;
		uint32_t s, e, mbytes = 0, pipe = 0;

		x = x * 1103515245u + 12345u;
		if ((x >> 28) == 0 && una_off < W) {
			/* A cumulative ACK a little further. */
			una_off += G * (1 + (x >> 8) % 4);
			if (una_off > W)
				una_off = W;
			ts_sack_ack(&sb, B + una_off);
		}
		s = G * ((x >> 4) % (W / G));
		e = s + G * (1 + (x >> 16) % 6);
		if (e > W + G)
			e = W + G;	/* sometimes beyond snd_nxt: invalid */
		b.start = B + s;
		b.end = B + e;
		ts_sack_update(&sb, B + una_off, B + W, &b, 1, &res);
		if (s > una_off && e <= W) {
			for (uint32_t i = s; i < e; i++)
				sacked[i] = 1;
		} else {
			assert_true(res.discarded || res.dsack);
		}
		if (una_off >= W)
			break;
		/* Bytes below una are no longer tracked. */
		for (uint32_t i = una_off; i < W; i++)
			mbytes += sacked[i];
		assert_int_equal(ts_sack_bytes(&sb), mbytes);
		/* Retransmit what NextSeg says (never SACKed bytes). */
		if (ts_sack_next_seg(&sb, B + una_off, B + W, mss, 0, &seq, &len) ==
			    TS_SACK_NEXT_RXT) {
			assert_true(len > 0 && len <= mss);
			for (uint32_t i = seq - B; i < seq - B + len; i++)
				assert_int_equal(sacked[i], 0);
			ts_sack_sent_rxt(&sb, seq, len);
			rxt_seen++;
		}
		rounds++;
		/* SetPipe from the definitions, byte by byte. */
		for (uint32_t i = una_off; i < W; i++) {
			uint32_t above = 0, runs = 0;
			int lost;

			if (sacked[i])
				continue;
			for (uint32_t j = i + 1; j < W; j++) {
				above += sacked[j];
				if (sacked[j] && !sacked[j - 1])
					runs++;
			}
			lost = above > 2 * mss || runs >= 3;
			assert_int_equal(ts_sack_is_lost(&sb, B + i, mss), lost);
			lost_seen += lost;
			if (!lost)
				pipe++;
			if (sb.high_rxt_valid && (int32_t)(B + i - sb.high_rxt) < 0)
				pipe++;
		}
		assert_int_equal(ts_sack_pipe(&sb, B + una_off, B + W, mss), pipe);
	}
	/* The walk exercised the interesting cases. */
	assert_true(rounds > 50);
	assert_true(lost_seen > 0);
	assert_true(rxt_seen > 5);	/* each hole is resent once */
	assert_int_equal(ts_pkt_live(), live);
}

#define BOTH(f)                                                               \
	cmocka_unit_test_prestate(f, &base_low), cmocka_unit_test_prestate(f, &base_wrap)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_update_records_and_counts_new_bytes),
		BOTH(test_invalid_blocks_ignored_and_dsack_detected),
		BOTH(test_cumulative_ack_trims_and_drops_ranges),
		BOTH(test_is_lost_by_ranges_or_bytes_above),
		BOTH(test_is_lost_honours_larger_dupthresh),
		BOTH(test_next_seg_lost_holes_first_then_rule3),
		BOTH(test_next_seg_stops_at_sacked_range),
		BOTH(test_pipe_counts_unlost_and_retransmitted),
		BOTH(test_rescue_retransmission_once_per_recovery),
		BOTH(test_rto_keeps_ranges_reset_clears),
		BOTH(test_full_scoreboard_discards_new_islands),
		BOTH(test_random_acks_match_byte_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
