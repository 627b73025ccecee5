/* IPv4 reassembly: in order, reversed, shuffled, duplicates, overlaps
 * (the whole datagram dropped, as Linux), inconsistent ends, oversize,
 * the ipfrag_time timeout with ICMP time exceeded, the ipfrag_high_thresh
 * memory limit, and two engines fragmenting and reassembling each other's
 * datagrams over a memwire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "eth.h"
#include "harness.h"
#include "wire.h"

#define PROTO_TEST 253
#define SEC 1000000ull

static uint8_t data[4000];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
}

/* Fragment [off, off+len) of data, datagram id. */
static void frag(struct h_env *e, uint16_t id, size_t off, size_t len, int mf)
{
	struct h_ip ip = {.proto = PROTO_TEST, .id = id,
			  .frag = (uint16_t)((off / 8) | (mf ? TS_IP_MF : 0))};

	h_input(e, h_ip_frame(&ip, data + off, len));
}

static void expect_delivered(struct h_env *e, size_t len)
{
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_last->len, len);
	assert_memory_equal(e->l4_last->data, data, len);
	assert_int_equal(e->l4_last->ip_src, H_PEER_IP);
	assert_int_equal(h_stat(e, "IpReasmOKs"), 1);
	assert_int_equal(e->eng.ip.reasm_mem, 0);
	assert_null(e->eng.ip.reasm);
}

static void test_in_order_fragments_reassemble(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 1, 0, 1000, 1);
	frag(e, 1, 1000, 1000, 1);
	assert_int_equal(e->l4_inputs, 0);
	frag(e, 1, 2000, 333, 0);
	expect_delivered(e, 2333);
	assert_int_equal(h_stat(e, "IpReasmReqds"), 3);
	assert_int_equal(h_stat(e, "IpInDelivers"), 1);
}

static void test_reversed_fragments_reassemble(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 2, 2000, 5, 0);
	frag(e, 2, 1000, 1000, 1);
	frag(e, 2, 0, 1000, 1);
	expect_delivered(e, 2005);
}

static void test_shuffled_fragments_reassemble(void **state)
{
	struct h_env *e = *state;
	const size_t order[] = {3, 0, 4, 2, 1};

	fill();
	h_fake_l4(e, PROTO_TEST);
	for (int i = 0; i < 5; i++)
		frag(e, 3, order[i] * 512, 512, order[i] != 4);
	expect_delivered(e, 5 * 512);
}

static void test_exact_duplicate_is_tolerated(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 4, 0, 800, 1);
	frag(e, 4, 0, 800, 1);
	/* Inside data already held (a run of two fragments): a duplicate. */
	frag(e, 4, 800, 800, 1);
	frag(e, 4, 400, 800, 1);
	frag(e, 4, 1600, 100, 0);
	expect_delivered(e, 1700);
	assert_int_equal(h_stat(e, "IpReasmOverlaps"), 0);
	assert_int_equal(h_stat(e, "IpReasmFails"), 0);
}

static void test_partial_overlap_drops_whole_datagram(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 5, 0, 800, 1);
	/* [400, 1200) overlaps [0, 800) partly. */
	frag(e, 5, 400, 800, 1);
	assert_int_equal(h_stat(e, "IpReasmOverlaps"), 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	assert_null(e->eng.ip.reasm);
	/* What follows starts a new datagram that never completes. */
	frag(e, 5, 800, 800, 0);
	assert_int_equal(e->l4_inputs, 0);
	h_expect_none(e);
}

static void test_overlap_before_existing_fragment_drops_datagram(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 6, 800, 800, 1);
	frag(e, 6, 0, 1000, 1);
	assert_int_equal(h_stat(e, "IpReasmOverlaps"), 1);
	assert_null(e->eng.ip.reasm);
}

static void test_two_different_last_fragments_drop_datagram(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 7, 800, 100, 0);
	frag(e, 7, 800, 200, 0);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	/* A fragment beyond a known end also kills it. */
	frag(e, 8, 800, 100, 0);
	frag(e, 8, 1600, 800, 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 2);
	assert_null(e->eng.ip.reasm);
	assert_int_equal(e->l4_inputs, 0);
}

static void test_non_last_fragment_is_trimmed_to_8_bytes(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	/* 803 bytes with MF: Linux keeps 800, so the next fragment at 800
	 * completes the datagram. */
	frag(e, 14, 0, 803, 1);
	frag(e, 14, 800, 100, 0);
	expect_delivered(e, 900);
}

static void test_empty_fragment_drops_datagram(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 9, 0, 800, 1);
	frag(e, 9, 800, 0, 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	assert_null(e->eng.ip.reasm);
}

static void test_oversize_datagram_fails(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 10, 0, 800, 1);
	/* Offset 65528 (the largest) + 16 bytes ends past 65535. */
	{
		struct h_ip ip = {.proto = PROTO_TEST, .id = 10, .frag = 65528 / 8};

		h_input(e, h_ip_frame(&ip, data, 16));
	}
	assert_int_equal(h_stat(e, "TsExtReasmOversize"), 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	assert_null(e->eng.ip.reasm);
}

static void test_timeout_with_first_fragment_sends_time_exceeded(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint64_t t0 = e->now;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 11, 0, 800, 1);
	h_advance(e, 10 * SEC);
	/* A later fragment does not restart the timer. */
	frag(e, 11, 1600, 80, 0);
	assert_int_equal(h_poll(e), t0 + 30 * SEC);
	h_advance(e, 20 * SEC - 1);
	h_expect_none(e);
	assert_non_null(e->eng.ip.reasm);
	h_advance(e, 1);
	assert_null(e->eng.ip.reasm);
	assert_int_equal(h_stat(e, "IpReasmTimeout"), 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	h_pop_ip(e, &f, TS_IPPROTO_ICMP);
	assert_int_equal(f.ip.dst, H_PEER_IP);
	assert_int_equal(f.l4[0], TS_ICMP_TIME_EXCEEDED);
	assert_int_equal(f.l4[1], TS_ICMP_EXC_FRAGTIME);
	assert_int_equal(ts_csum(f.l4, f.l4_len), 0);
	/* The first fragment's header and data quoted. */
	assert_int_equal(ts_get16(f.l4 + 8 + 4), 11);
	assert_int_equal(ts_get16(f.l4 + 8 + 6), TS_IP_MF);
	assert_memory_equal(f.l4 + 8 + 20, data, 8);
	h_frame_free(&f);
	assert_int_equal(h_stat(e, "IcmpOutTimeExcds"), 1);
	assert_int_equal(h_poll(e), TS_NEVER);
}

static void test_timeout_without_first_fragment_is_silent(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	frag(e, 12, 800, 800, 1);
	h_advance(e, 30 * SEC);
	assert_int_equal(h_stat(e, "IpReasmTimeout"), 1);
	h_expect_none(e);
}

static void test_ipfrag_time_sysctl_sets_the_timeout(void **state)
{
	struct h_env *e = *state;

	fill();
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "net.ipv4.ipfrag_time", "2"), 0);
	frag(e, 13, 800, 800, 1);
	assert_int_equal(h_poll(e), e->now + 2 * SEC);
}

static void test_memory_limit_evicts_oldest_datagram(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	/* Room for about two 1020-byte fragments. */
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "ipfrag_high_thresh", "2100"), 0);
	frag(e, 20, 0, 1000, 1);	/* old datagram */
	frag(e, 21, 0, 1000, 1);
	assert_int_equal(e->eng.ip.reasm_mem, 2040);
	/* The third fragment needs room: datagram 20 goes. */
	frag(e, 21, 1000, 1000, 1);
	assert_int_equal(h_stat(e, "TsExtReasmMemEvicts"), 1);
	assert_int_equal(h_stat(e, "IpReasmFails"), 1);
	assert_true(e->eng.ip.reasm_mem <= 2100);
	/* 21 alone cannot grow past the limit either: it fails too. */
	frag(e, 21, 2000, 100, 0);
	assert_int_equal(e->l4_inputs, 0);
	assert_true(e->eng.ip.reasm_mem <= 2100);
}

static void test_memory_limit_lets_a_fitting_datagram_complete(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "ipfrag_high_thresh", "2100"), 0);
	frag(e, 22, 0, 1000, 1);
	frag(e, 23, 0, 504, 1);
	/* 22 is evicted to make room for 23's last piece. */
	frag(e, 23, 504, 596, 0);
	expect_delivered(e, 1100);
	assert_int_equal(h_stat(e, "TsExtReasmMemEvicts"), 1);
}

static void test_zero_high_thresh_disables_reassembly(void **state)
{
	struct h_env *e = *state;

	fill();
	h_fake_l4(e, PROTO_TEST);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "ipfrag_high_thresh", "0"), 0);
	frag(e, 24, 0, 8, 1);
	frag(e, 24, 8, 8, 0);
	assert_int_equal(e->l4_inputs, 0);
	assert_int_equal(h_stat(e, "IpReasmFails"), 2);
}

static void test_non_first_fragment_never_gets_icmp_error(void **state)
{
	struct h_env *e = *state;

	fill();
	/* Unknown protocol, but a reassembled datagram is needed to say so:
	 * only the completed datagram draws protocol unreachable. */
	{
		struct h_ip ip = {.proto = 99, .id = 30, .frag = 1 | TS_IP_MF};

		h_input(e, h_ip_frame(&ip, data, 8));
	}
	h_expect_none(e);
	{
		struct h_ip ip = {.proto = 99, .id = 30, .frag = TS_IP_MF};

		h_input(e, h_ip_frame(&ip, data, 8));
	}
	{
		struct h_ip ip = {.proto = 99, .id = 30, .frag = 2};

		h_input(e, h_ip_frame(&ip, data, 8));
	}
	{
		struct h_frame f;

		h_pop_ip(e, &f, TS_IPPROTO_ICMP);
		assert_int_equal(f.l4[1], TS_ICMP_PROT_UNREACH);
		/* The rebuilt header: total length 44, no fragment bits. */
		assert_int_equal(ts_get16(f.l4 + 8 + 2), 44);
		assert_int_equal(ts_get16(f.l4 + 8 + 6), 0);
		h_frame_free(&f);
	}
}

/* Two engines on one wire: A (198.18.0.2) sends B (198.18.0.1) a
 * datagram over the MTU; B reassembles it. */
static void test_two_engines_fragment_and_reassemble(void **state)
{
	long live = ts_pkt_live();
	struct ts_memwire w;
	struct ts_engine *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct ts_engine_config ca = {.addr = H_ENG_IP, .prefix_len = 24, .seed = 1};
	struct ts_engine_config cb = {.addr = H_PEER_IP, .prefix_len = 24, .seed = 2};
	struct pktbuf *pkt;
	struct ts_ip_out o = {.dst = H_PEER_IP, .proto = PROTO_TEST};
	uint64_t now = 5;
	int moved = 0;

	fill();
	ts_memwire_init(&w, 1500);
	assert_int_equal(ts_engine_init(a, &w.end[0].dev, &ca), 0);
	assert_int_equal(ts_engine_init(b, &w.end[1].dev, &cb), 0);
	ts_engine_start(a, now);
	ts_engine_start(b, now);
	pkt = ts_pkt_from(data, 4000);
	a->now = now;
	assert_int_equal(ts_ip_output(a, pkt, &o), 0);
	/* Shuttle frames both ways (ARP, then the fragments) until quiet. */
	for (int round = 0; round < 20; round++) {
		int any = 0;

		while ((pkt = ts_memwire_pop(&w, 0)) != NULL) {
			ts_engine_input(b, &w.end[1].dev, pkt, now);
			any = 1;
			moved++;
		}
		while ((pkt = ts_memwire_pop(&w, 1)) != NULL) {
			ts_engine_input(a, &w.end[0].dev, pkt, now);
			any = 1;
			moved++;
		}
		if (!any)
			break;
	}
	/* Gratuitous ARPs, request, reply, three fragments; b has no
	 * protocol 253, so it answers protocol unreachable. */
	assert_int_equal(a->stats.IpFragCreates, 3);
	assert_int_equal(b->stats.IpReasmOKs, 1);
	assert_int_equal(b->stats.IpInUnknownProtos, 1);
	assert_int_equal(a->stats.IcmpInDestUnreachs, 1);
	assert_true(moved >= 7);
	ts_engine_destroy(a);
	ts_engine_destroy(b);
	ts_memwire_clear(&w);
	free(a);
	free(b);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_fragments_reassemble, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_reversed_fragments_reassemble, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_shuffled_fragments_reassemble, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_exact_duplicate_is_tolerated, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_partial_overlap_drops_whole_datagram, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_overlap_before_existing_fragment_drops_datagram, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_two_different_last_fragments_drop_datagram, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_non_last_fragment_is_trimmed_to_8_bytes, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_empty_fragment_drops_datagram, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_oversize_datagram_fails, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_with_first_fragment_sends_time_exceeded, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_without_first_fragment_is_silent, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ipfrag_time_sysctl_sets_the_timeout, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_memory_limit_evicts_oldest_datagram, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_memory_limit_lets_a_fitting_datagram_complete, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_zero_high_thresh_disables_reassembly, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_non_first_fragment_never_gets_icmp_error, h_setup, h_teardown),
		cmocka_unit_test(test_two_engines_fragment_and_reassemble),
	};

	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
