/* ARP and the neighbour cache: replies, learning, resolution with retries
 * and failure, the pending queue and its bound, REACHABLE/STALE/DELAY/
 * PROBE timing, garbage collection, the table bound, malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "eth.h"
#include "harness.h"
#include "wire.h"

#define PROTO_TEST 253		/* RFC 3692 experimental */
#define SEC 1000000ull

static const uint8_t zero_mac[6];

static void pop_arp(struct h_env *e, struct h_frame *f, uint16_t op)
{
	assert_true(h_pop(e, f));
	assert_int_equal(f->type, TS_ETH_P_ARP);
	assert_int_equal(f->arp_op, op);
}

static void expect_request(struct h_env *e, uint32_t tip, const uint8_t *dst_mac)
{
	struct h_frame f;

	pop_arp(e, &f, 1);
	assert_int_equal(f.arp_tip, tip);
	assert_int_equal(f.arp_sip, H_ENG_IP);
	assert_memory_equal(f.arp_sha, h_eng_mac, 6);
	assert_memory_equal(f.dst, dst_mac, 6);
	h_frame_free(&f);
}

static enum ts_arp_state state_of(struct h_env *e, uint32_t ip)
{
	const struct ts_arp_entry *a = ts_arp_find(&e->eng, ip);

	assert_non_null(a);
	return a->state;
}

static void reply_from_peer(struct h_env *e)
{
	h_input(e, h_arp_frame(2, h_peer_mac, H_PEER_IP, h_eng_mac, H_ENG_IP));
}

static void test_start_sends_gratuitous_arp(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	pop_arp(e, &f, 1);
	assert_memory_equal(f.dst, ts_eth_bcast, 6);
	assert_int_equal(f.arp_sip, H_ENG_IP);
	assert_int_equal(f.arp_tip, H_ENG_IP);
	assert_memory_equal(f.arp_tha, zero_mac, 6);
	h_frame_free(&f);
	assert_int_equal(h_stat(e, "TsExtArpOutGratuitous"), 1);
	h_expect_none(e);
}

static void test_request_for_us_replies_and_learns_stale(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint8_t mac[6];

	h_drain(e);
	h_input(e, h_arp_frame(1, h_peer_mac, H_PEER_IP, zero_mac, H_ENG_IP));
	pop_arp(e, &f, 2);
	assert_memory_equal(f.dst, h_peer_mac, 6);
	assert_memory_equal(f.arp_tha, h_peer_mac, 6);
	assert_int_equal(f.arp_tip, H_PEER_IP);
	assert_int_equal(f.arp_sip, H_ENG_IP);
	assert_memory_equal(f.arp_sha, h_eng_mac, 6);
	h_frame_free(&f);
	/* Linux neigh_event_ns: learnt, but a request proves no path. */
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_STALE);
	assert_int_equal(ts_arp_lookup(&e->eng, H_PEER_IP, mac), 1);
	assert_memory_equal(mac, h_peer_mac, 6);
	assert_int_equal(h_stat(e, "TsExtArpInRequests"), 1);
	assert_int_equal(h_stat(e, "TsExtArpOutReplies"), 1);
	h_expect_none(e);
}

static void test_request_for_other_is_not_answered_nor_learnt(void **state)
{
	struct h_env *e = *state;

	h_drain(e);
	h_input(e, h_arp_frame(1, h_peer_mac, H_PEER_IP, zero_mac, H_OTHER_IP));
	h_expect_none(e);
	assert_null(ts_arp_find(&e->eng, H_PEER_IP));
	assert_int_equal(h_stat(e, "TsExtArpInNotForUs"), 1);
}

static void test_probe_from_zero_is_answered_not_learnt(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	h_input(e, h_arp_frame(1, h_peer_mac, 0, zero_mac, H_ENG_IP));
	pop_arp(e, &f, 2);
	assert_int_equal(f.arp_tip, 0);
	assert_memory_equal(f.dst, h_peer_mac, 6);
	h_frame_free(&f);
	assert_null(ts_arp_find(&e->eng, 0));
}

static void test_unsolicited_reply_creates_no_entry(void **state)
{
	struct h_env *e = *state;

	h_drain(e);
	reply_from_peer(e);
	assert_null(ts_arp_find(&e->eng, H_PEER_IP));
	assert_int_equal(h_stat(e, "TsExtArpInReplies"), 1);
	h_expect_none(e);
}

static void test_malformed_packets_counted_and_engine_still_answers(void **state)
{
	struct h_env *e = *state;
	struct pktbuf *p;
	struct h_frame f;

	h_drain(e);
	/* Truncated: 27 bytes. */
	p = h_arp_frame(1, h_peer_mac, H_PEER_IP, zero_mac, H_ENG_IP);
	ts_pkt_trim(p, TS_ETH_HLEN + 27);
	h_input(e, p);
	/* Hardware type, protocol type, lengths, opcode. */
	for (int field = 0; field < 5; field++) {
		p = h_arp_frame(1, h_peer_mac, H_PEER_IP, zero_mac, H_ENG_IP);
		switch (field) {
		case 0: ts_put16(p->data + TS_ETH_HLEN, 6); break;
		case 1: ts_put16(p->data + TS_ETH_HLEN + 2, 0x86dd); break;
		case 2: p->data[TS_ETH_HLEN + 4] = 8; break;
		case 3: p->data[TS_ETH_HLEN + 5] = 16; break;
		case 4: ts_put16(p->data + TS_ETH_HLEN + 6, 3); break;
		}
		h_input(e, p);
	}
	/* A multicast sender MAC. */
	{
		const uint8_t mc[6] = {0x01, 0, 0x5e, 0, 0, 1};

		h_input(e, h_arp_frame(1, mc, H_PEER_IP, zero_mac, H_ENG_IP));
	}
	assert_int_equal(h_stat(e, "TsExtArpInMalformed"), 7);
	h_expect_none(e);
	assert_null(ts_arp_find(&e->eng, H_PEER_IP));
	/* Padding after a valid packet is fine (60-byte minimum frames). */
	{
		uint8_t a[46] = {0};

		ts_put16(a, 1);
		ts_put16(a + 2, TS_ETH_P_IP);
		a[4] = 6;
		a[5] = 4;
		ts_put16(a + 6, 1);
		memcpy(a + 8, h_peer_mac, 6);
		ts_put32(a + 14, H_PEER_IP);
		ts_put32(a + 24, H_ENG_IP);
		h_input(e, h_eth_frame(ts_eth_bcast, h_peer_mac, TS_ETH_P_ARP, a, sizeof(a)));
	}
	pop_arp(e, &f, 2);
	h_frame_free(&f);
}

static void test_output_unresolved_queues_until_reply_then_reachable(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, "one", 3, 0), 0);
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, "two", 3, 0), 0);
	/* One request for both packets. */
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	h_expect_none(e);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_INCOMPLETE);
	reply_from_peer(e);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_REACHABLE);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_memory_equal(f.dst, h_peer_mac, 6);
	assert_memory_equal(f.l4, "one", 3);
	h_frame_free(&f);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_memory_equal(f.l4, "two", 3);
	h_frame_free(&f);
	/* Resolved: straight out. */
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, "three", 5, 0), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	h_expect_none(e);
}

static void test_incomplete_retries_then_fails_and_reports_host_unreachable(void **state)
{
	struct h_env *e = *state;
	uint8_t seg[8] = {0x12, 0x34, 0x56, 0x78, 0, 8, 0, 0};
	uint64_t t0;

	h_drain(e);
	h_fake_l4(e, PROTO_TEST);
	t0 = e->now;
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, seg, sizeof(seg), 0), 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	/* The engine wants to be woken at retrans_time_ms. */
	assert_int_equal(h_poll(e), t0 + SEC);
	h_advance(e, SEC - 1);
	h_expect_none(e);
	h_advance(e, 1);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	h_advance(e, SEC);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	assert_int_equal(h_stat(e, "TsExtArpOutRequests"), 3);
	assert_int_equal(e->l4_errors, 0);
	/* mcast_solicit (3) requests, then FAILED one retrans_time later. */
	h_advance(e, SEC);
	h_expect_none(e);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_FAILED);
	assert_int_equal(h_stat(e, "TsExtArpResolveFailed"), 1);
	assert_int_equal(h_stat(e, "IpOutDiscards"), 1);
	/* Linux ip_link_failure: the sender hears host unreachable. */
	assert_int_equal(e->l4_errors, 1);
	assert_int_equal(e->l4_err.err, EHOSTUNREACH);
	assert_int_equal(e->l4_err.type, TS_ICMP_DEST_UNREACH);
	assert_int_equal(e->l4_err.code, TS_ICMP_HOST_UNREACH);
	assert_int_equal(e->l4_err.dst, H_PEER_IP);
	assert_true(e->l4_err.local);
	assert_memory_equal(e->l4_err_quote, seg, sizeof(seg));
	/* A new packet starts resolution over. */
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, seg, sizeof(seg), 0), 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_INCOMPLETE);
}

static void test_queue_bound_drops_oldest(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "unres_qlen", "3"), 0);
	for (uint8_t i = 0; i < 5; i++)
		assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, &i, 1, 0), 0);
	assert_int_equal(h_stat(e, "TsExtArpQueueDrops"), 2);
	assert_int_equal(ts_arp_find(&e->eng, H_PEER_IP)->q_len, 3);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	reply_from_peer(e);
	for (uint8_t i = 2; i < 5; i++) {
		h_pop_ip(e, &f, PROTO_TEST);
		assert_int_equal(f.l4[0], i);
		h_frame_free(&f);
	}
	h_expect_none(e);
}

static void test_reachable_goes_stale_then_delay_probe_and_reply_confirms(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	h_send(e, H_PEER_IP, PROTO_TEST, "x", 1, 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	reply_from_peer(e);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	/* base_reachable_time_ms (30 s) later: STALE. */
	h_advance(e, 30 * SEC - 1);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_REACHABLE);
	h_advance(e, 1);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_STALE);
	/* Used while STALE: sent at once, DELAY. */
	h_send(e, H_PEER_IP, PROTO_TEST, "y", 1, 0);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_DELAY);
	/* delay_first_probe_time (5 s): a unicast probe. */
	h_advance(e, 5 * SEC);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_PROBE);
	expect_request(e, H_PEER_IP, h_peer_mac);
	h_expect_none(e);
	reply_from_peer(e);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_REACHABLE);
	h_advance(e, 3 * SEC);
	h_expect_none(e);
}

static void test_probe_without_reply_fails_after_ucast_solicit(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	h_send(e, H_PEER_IP, PROTO_TEST, "x", 1, 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	reply_from_peer(e);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	h_advance(e, 30 * SEC);
	h_send(e, H_PEER_IP, PROTO_TEST, "y", 1, 0);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	h_advance(e, 5 * SEC);
	for (int i = 0; i < 3; i++) {
		expect_request(e, H_PEER_IP, h_peer_mac);
		h_advance(e, SEC);
	}
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_FAILED);
	h_expect_none(e);
}

static void test_confirm_keeps_entry_reachable(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	h_send(e, H_PEER_IP, PROTO_TEST, "x", 1, 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	reply_from_peer(e);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	h_advance(e, 20 * SEC);
	ts_arp_confirm(&e->eng, H_PEER_IP);
	h_advance(e, 20 * SEC);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_REACHABLE);
	h_advance(e, 10 * SEC);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_STALE);
}

static void test_unused_stale_entry_collected_after_gc_stale_time(void **state)
{
	struct h_env *e = *state;

	h_drain(e);
	h_input(e, h_arp_frame(1, h_peer_mac, H_PEER_IP, zero_mac, H_ENG_IP));
	h_drain(e);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_STALE);
	h_advance(e, 60 * SEC - 1);
	assert_non_null(ts_arp_find(&e->eng, H_PEER_IP));
	h_advance(e, 1);
	assert_null(ts_arp_find(&e->eng, H_PEER_IP));
	assert_int_equal(e->eng.arp.entries, 0);
}

static void test_broadcast_reply_updates_to_stale_new_mac(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint8_t mac[6];

	h_drain(e);
	h_send(e, H_PEER_IP, PROTO_TEST, "x", 1, 0);
	expect_request(e, H_PEER_IP, ts_eth_bcast);
	reply_from_peer(e);
	h_pop_ip(e, &f, PROTO_TEST);
	h_frame_free(&f);
	/* The peer moved to another MAC and says so by broadcast. */
	{
		struct pktbuf *p = h_arp_frame(2, h_other_mac, H_PEER_IP, h_eng_mac, H_ENG_IP);

		memcpy(p->data, ts_eth_bcast, 6);
		h_input(e, p);
	}
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_STALE);
	assert_int_equal(ts_arp_lookup(&e->eng, H_PEER_IP, mac), 1);
	assert_memory_equal(mac, h_other_mac, 6);
}

static void test_permanent_entry_ignores_arp(void **state)
{
	struct h_env *e = *state;
	uint8_t mac[6];

	h_input(e, h_arp_frame(2, h_other_mac, H_PEER_IP, h_eng_mac, H_ENG_IP));
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_PERMANENT);
	assert_int_equal(ts_arp_lookup(&e->eng, H_PEER_IP, mac), 1);
	assert_memory_equal(mac, h_peer_mac, 6);
	h_advance(e, 3600 * SEC);
	assert_int_equal(state_of(e, H_PEER_IP), TS_ARP_PERMANENT);
	assert_string_equal(ts_arp_state_name(TS_ARP_PERMANENT), "PERMANENT");
}

static void test_full_table_evicts_failed_else_enobufs(void **state)
{
	struct h_env *e = *state;

	h_drain(e);
	e->eng.arp.max_entries = 2;
	assert_int_equal(h_send(e, TS_IP4(198, 18, 0, 10), PROTO_TEST, "a", 1, 0), 0);
	assert_int_equal(h_send(e, TS_IP4(198, 18, 0, 11), PROTO_TEST, "b", 1, 0), 0);
	/* Both INCOMPLETE: nothing may be evicted. */
	assert_int_equal(h_send(e, TS_IP4(198, 18, 0, 12), PROTO_TEST, "c", 1, 0), -ENOBUFS);
	assert_int_equal(h_stat(e, "IpOutDiscards"), 1);
	h_run_until(e, e->now + 3 * SEC);
	h_drain(e);
	assert_int_equal(state_of(e, TS_IP4(198, 18, 0, 10)), TS_ARP_FAILED);
	assert_int_equal(h_send(e, TS_IP4(198, 18, 0, 12), PROTO_TEST, "c", 1, 0), 0);
	assert_int_equal(e->eng.arp.entries, 2);
	assert_int_equal(state_of(e, TS_IP4(198, 18, 0, 12)), TS_ARP_INCOMPLETE);
}

static void test_sender_claiming_our_address_is_ignored(void **state)
{
	struct h_env *e = *state;

	h_drain(e);
	h_input(e, h_arp_frame(1, h_other_mac, H_ENG_IP, zero_mac, H_ENG_IP));
	h_expect_none(e);
	assert_null(ts_arp_find(&e->eng, H_ENG_IP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_sends_gratuitous_arp, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_request_for_us_replies_and_learns_stale, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_request_for_other_is_not_answered_nor_learnt, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_probe_from_zero_is_answered_not_learnt, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_reply_creates_no_entry, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_packets_counted_and_engine_still_answers, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_output_unresolved_queues_until_reply_then_reachable, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_retries_then_fails_and_reports_host_unreachable, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_drops_oldest, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_reachable_goes_stale_then_delay_probe_and_reply_confirms, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_probe_without_reply_fails_after_ucast_solicit, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_keeps_entry_reachable, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_unused_stale_entry_collected_after_gc_stale_time, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_reply_updates_to_stale_new_mac, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_permanent_entry_ignores_arp, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_full_table_evicts_failed_else_enobufs, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_sender_claiming_our_address_is_ignored, h_setup_cold, h_teardown),
	};

	return cmocka_run_group_tests_name("arp", tests, NULL, NULL);
}
